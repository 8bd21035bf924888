"""Events -> stacks: the folded-stack view of a build that flame graphs, speedscope and diffs share;
and folded text itself, read (FoldedReader, read_folded) and written (write_folded).

Frame names are made here and only here (fold, flame, speedscope, chrome, report and diff all ask),
and a frame's name is its identity, so the same name always means the same thing:

    build;std;internal/;internal/runtime/;internal/runtime/atomic;compile
    build;std;runtime;compile                 the runtime package itself, nothing else
    build;std;runtime/;runtime/cgo;cgo        `runtime/` groups the packages below runtime
    build;example.com/;example.com/app/;example.com/app/store;[example.com/app/store.test];compile
    build;std;runtime;compile;SSA&codegen     a compile phase (`gotrace run --phases`)

the standard library under one `std` root; directory frames are the proper prefixes of an import
path with a trailing slash; the package frame is the whole import path (so it never equals a tool's
name); a test variant is a frame below its package; then the tool; then compile phases. No name
made here holds a space, so `sort -k2 -n` on folded text ranks stacks. Weights are integers in a
named unit so that every folded-stack reader (flamegraph.pl, inferno, speedscope) accepts them.

Two ways to fold, one result (tests/test_fold.py checks them against each other): `fold_events`
over Events, and `fold_columns` over the columns view (events.Spans), which fold, flame and
speedscope use for million-record traces. Profiled on 1,000,000 records (925,465 invocations of
546,586 distinct (build, package, tool), 409,938 packages): the events view and a stack tuple
hashed per record cost 12.4 s CPU per reading process; the columns view, a stack per (build,
package, tool) by `kind_stacks` (a package's frames made once for all its tools, a directory's
once for all below it: `directory_frames` shares them, which also keeps one copy of each string)
and the sums in numpy, about a third less. `kind_stacks` is then the largest Python step left
(~2.5 s: a step per distinct package).
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import count
from typing import IO, NamedTuple, TextIO, Union

from gotrace.events import Event, Spans
from gotrace.palette import TOOL_COLOURS


def memory_time(max_rss_kib: int | None, wall_ns: int) -> int | None:
    """Peak RSS x wall time in KiB*s. Peaks do not add up (two tools that peaked at 200 MiB one
    after the other never used 400 MiB); memory held over time does, so a parent frame's memory-time
    is the sum of its children's, as every flame graph draws it."""
    return None if max_rss_kib is None else max_rss_kib * wall_ns // 1_000_000_000


WEIGHTS = {
    # name: (unit written on outputs, how to get it from an event)
    "wall": ("us", lambda e: e.wall_ns // 1000),
    "cpu": ("us", lambda e: None if e.cpu_ns is None else e.cpu_ns // 1000),
    "rss": ("KiB*s", lambda e: memory_time(e.max_rss_kib, e.wall_ns)),
}
# what each weight measures, in words, for help texts, titles and stderr notes
WEIGHT_MEANING = {
    "wall": "wall-clock time in microseconds",
    "cpu": "user+sys CPU time in microseconds",
    "rss": "memory-time in KiB*s, peak RSS x wall time, since peaks do not add up",
}
GROUPINGS = ("path", "module", "flat", "tool", "file")
STD_ROOT = "std"
NO_PACKAGE = "(no-package)"


def is_std(pkg: str) -> bool:
    """Standard-library (and cmd/) import paths have no dot in their first element."""
    first = pkg.split("/", 1)[0]
    return "." not in first and first not in ("", "main", "command-line-arguments")


def split_variant(pkg: str) -> tuple[str, str | None]:
    """'p [p.test]' -> ('p', 'p.test'); a plain path has no variant."""
    if pkg.endswith("]") and " [" in pkg:
        base, variant = pkg[:-1].split(" [", 1)
        return base, variant
    return pkg, None


def clean_frame(name: str) -> str:
    # ';' separates frames and a newline ends a line in folded text; neither may be inside a name.
    return name.replace(";", ":").replace("\n", " ").replace("\r", " ")


def clean_frames(frames: Sequence[str]) -> tuple[str, ...]:
    """`clean_frame` of each frame; one test of them all first, since a name rarely needs it."""
    joined = "".join(frames)
    if ";" in joined or "\n" in joined or "\r" in joined:
        return tuple(clean_frame(f) for f in frames)
    return tuple(frames)


def package_frame(base: str) -> str:
    """The frame of a package (an import path without its test variant): the path itself, except
    that a one-element path named like a Go tool (a module called `link`) is written `pkg:link`, so
    that a package frame is never taken for a tool's (palette.py colours frames named like tools)."""
    if not base:
        return NO_PACKAGE
    return f"pkg:{base}" if base in TOOL_COLOURS else base


def package_label(pkg: str) -> str:
    """A package (with its test variant) as one name, for tables, timelines and slices (diff, chrome,
    speedscope's timeline): the package frame, then go's own ` [p.test]` for a test variant."""
    base, variant = split_variant(pkg)
    return package_frame(base) + (f" [{variant}]" if variant else "")


def package_frames(pkg: str, grouping: str = "path", directories: dict | None = None) -> list[str]:
    """The frames of a package between the root and the tool, for a grouping of GROUPINGS;
    `directories` keeps the directory frames made (see directory_frames)."""
    base, variant = split_variant(pkg)
    name = package_frame(base)
    if grouping == "path" and base:
        directory, slash, _ = base.rpartition("/")
        frames = list(directory_frames(directory, directories)) if slash else []
        frames.append(name)
        if is_std(base):
            frames.insert(0, STD_ROOT)
    elif grouping == "module" and base:
        # go's own pattern names: `std`, and `example.com/app/...` for a module and all below it
        frames = [STD_ROOT if is_std(base) else module_of(base) + "/...", name]
    else:
        frames = [name]
    if variant:
        frames.append(f"[{variant}]")
    return frames


def directory_frames(directory: str, made: dict | None = None) -> tuple[str, ...]:
    """The directory frames of a path's directory, outermost first: "a/b" -> ("a/", "a/b/").
    With `made`, each directory's frames are made once and shared (the same strings) by every path
    below it: a million-record trace names hundreds of thousands of packages in a few directories."""
    made = {} if made is None else made
    frames = made.get(directory)
    if frames is not None:
        return frames
    pending = []  # up to the nearest directory made already (a loop: a path may be very deep)
    while True:
        pending.append(directory)
        directory, slash, _ = directory.rpartition("/")
        if not slash:
            frames = ()
            break
        frames = made.get(directory)
        if frames is not None:
            break
    for directory in reversed(pending):
        frames = made[directory] = frames + (directory + "/",)
    return frames


def module_of(pkg: str) -> str:
    """A best guess at a package's module from its path: host/owner/repo for known hosts, else the
    first element (the trace does not name modules)."""
    parts = pkg.split("/")
    if "." in parts[0] and len(parts) >= 3 and parts[0] in ("github.com", "gitlab.com", "bitbucket.org"):
        return "/".join(parts[:3])
    if "." in parts[0] and len(parts) >= 2:
        return "/".join(parts[:2])
    return parts[0]


def stack_of(event: Event, grouping: str = "path", root: str | None = "build",
             directories: dict | None = None) -> tuple[str, ...]:
    """The stack of an invocation; `directories` keeps directory frames made (see directory_frames)."""
    if grouping == "tool":
        frames = [event.tool] + package_frames(event.pkg, "flat")
    elif grouping == "file":
        # as "path", and each C compiler run under its tool by the file it compiled
        from gotrace.analysis.coverage import c_compile_label, is_c_compile

        frames = package_frames(event.pkg, "path", directories) + [event.tool]
        if is_c_compile(event):
            frames.append(c_compile_label(event))
    else:
        frames = package_frames(event.pkg, grouping, directories) + [event.tool]
    if root:
        frames.insert(0, root)
    return clean_frames(frames)


def kind_stacks(kinds: Sequence[tuple[str, str, str]], grouping: str = "path",
                root: str | None = "build") -> list[tuple[str, ...]]:
    """`stack_of` each (build, package, tool) of a columns view (Spans.kinds), for any grouping but
    "file": the frames of a package made once for all its tools, of a directory once for all below it."""
    directories: dict = {}
    if grouping == "tool":
        return [stack_of(Event(build=build, tool=tool, pkg=pkg, start_ns=0, wall_ns=0), grouping, root, directories)
                for build, pkg, tool in kinds]
    packages: dict[str, tuple[str, ...]] = {}
    tools: dict[str, tuple[str, ...]] = {}
    stacks = []
    for _, pkg, tool in kinds:
        head = packages.get(pkg)
        if head is None:
            head = packages[pkg] = clean_frames(([root] if root else []) + package_frames(pkg, grouping, directories))
        tail = tools.get(tool)
        if tail is None:
            tail = tools[tool] = clean_frames((tool,))
        stacks.append(head + tail)
    return stacks


class ColumnFold(NamedTuple):
    """The folds of a columns view: its distinct stacks, and for each weight asked for, the weight
    of each stack, None where no invocation of the stack has one (as fold_events leaves it out)."""
    stacks: list[tuple[str, ...]]
    weights: list[list[int | None]]

    def as_dicts(self) -> list[dict[tuple[str, ...], int]]:
        return [{stack: value for stack, value in zip(self.stacks, values) if value is not None}
                for values in self.weights]


def fold_columns(spans: Spans, weights: Sequence[str] = ("wall",), *, grouping: str = "path",
                 root: str | None = "build", tools: Iterable[str] = (), package: str | None = None) -> ColumnFold:
    """`fold_events(filter_events(events, tools=..., package=...), weight=w, grouping=...)` for each
    weight w, from the columns view of the same invocations, for any grouping but "file" (which
    needs each C compile's file): a stack made once per (build, package, tool) and the sums in numpy,
    about a third less CPU than the events view and fold_events per invocation."""
    import numpy as np

    from gotrace.analysis.phases import phase_frames

    def column(values, dtype):
        return np.frombuffer(values, dtype) if len(values) else np.zeros(0, dtype)

    kind = column(spans.kind, np.intc)
    if tools or package is not None:
        selects = selection(tools, package)
        chosen = np.fromiter((selects(tool, pkg) for _, pkg, tool in spans.kinds), bool, len(spans.kinds))
        of_kind = [stack if keep else None for stack, keep in zip(kind_stacks(spans.kinds, grouping, root), chosen)]
        rows = np.flatnonzero(chosen[kind])  # the invocations of the tools and packages asked for
    else:  # every invocation (a Python step per kind less: 0.2 s at 1M records)
        of_kind = kind_stacks(spans.kinds, grouping, root)
        rows = np.arange(len(kind))
    ids = dict(zip(dict.fromkeys(filter(None, of_kind)), count()))
    stacks = list(ids)
    if len(stacks) == len(of_kind):  # each kind a stack of its own (one build, no filter): in order
        stack_of_kind = np.arange(len(stacks))
    else:
        stack_of_kind = np.fromiter((ids.get(stack, -1) for stack in of_kind), np.int64, len(of_kind))
    del of_kind
    stack = stack_of_kind[kind[rows]]
    wall = column(spans.wall_ns, np.int64)[rows]
    out = []
    for weight in weights:
        children: dict[tuple[int, str], int] = {}
        if weight == "wall":
            value = wall // 1000
            with_children = np.zeros(len(value), bool)  # rows whose compile phases are frames of their own
            if spans.phases:
                at = {row: i for i, row in enumerate(rows.tolist()) if row in spans.phases}
                for row, i in at.items():
                    build, pkg, tool = spans.kinds[spans.kind[row]]
                    event = Event(build=build, tool=tool, pkg=pkg, start_ns=0, wall_ns=int(wall[i]),
                                  phases=spans.phases[row])
                    for name, part in phase_frames(event, unit_ns=1000):
                        key = (int(stack[i]), clean_frame(name))
                        children[key] = children.get(key, 0) + part
                        value[i] -= part
                        with_children[i] = True
            # as in fold_events, a row puts its stack in the fold unless its phases took all its time
            counted = (value > 0) | ~with_children
            np.maximum(value, 0, out=value)
            huge = np.zeros(0, np.int64)
        elif weight == "cpu":
            cpu = column(spans.cpu_ns, np.int64)[rows]
            counted = cpu != spans.UNKNOWN
            value = cpu // 1000
            huge = np.zeros(0, np.int64)
        else:  # rss: memory_time; a product that could pass 2^63 (never in a real build) is left to Python
            peak = column(spans.max_rss_kib, np.int64)[rows]
            counted = peak != spans.UNKNOWN
            safe = peak.astype(np.float64) * wall < 2.0 ** 62
            value = peak * np.where(safe, wall, 0) // 1_000_000_000  # 0 where added below
            huge = np.flatnonzero(counted & ~safe)
        sums = np.zeros(len(stacks), np.int64)
        np.add.at(sums, stack[counted], value[counted])
        present = np.zeros(len(stacks), bool)
        present[stack[counted]] = True
        weighted: list[int | None] = sums.tolist()
        for i in np.flatnonzero(~present).tolist():
            weighted[i] = None
        for i in huge.tolist():
            weighted[stack[i]] += memory_time(int(peak[i]), int(wall[i]))
        for (s, name), part in sorted(children.items()):
            child = stacks[s] + (name,)
            c = ids.get(child)
            if c is None:
                c = ids[child] = len(stacks)
                stacks.append(child)
                for earlier in out:
                    earlier.append(None)
                weighted.append(None)
            weighted[c] = (weighted[c] or 0) + part
        out.append(weighted)
    for values in out:  # stacks added for a later weight's children
        values.extend([None] * (len(stacks) - len(values)))
    return ColumnFold(stacks, out)


def fold_events(events: Iterable[Event], *, weight: str = "wall", grouping: str = "path",
                root: str | None = "build", phases: bool = True) -> dict[tuple[str, ...], int]:
    """Sum a weight over identical stacks. Version probes and cached (zero-cost) records are left out;
    events whose weight is unknown (peak RSS of an imported action) are left out, not counted as 0.

    In wall time, a compile traced with `gotrace run --phases` gets its phases as child frames; the
    compile keeps as self time what they do not cover (process start, reading export data)."""
    from gotrace.analysis.phases import phase_frames

    value_of = WEIGHTS[weight][1]
    with_phases = phases and weight == "wall"
    stacks: dict[tuple[str, ...], int] = defaultdict(int)
    # a stack depends on the build, package and tool (and, by file, a C compile's file) only: made
    # once for each of those, not once per event (that was most of fold's time on big traces)
    made: dict[tuple, tuple[str, ...]] = {}
    directories: dict = {}
    by_file = grouping == "file"
    for event in events:
        if event.probe or event.cached:
            continue
        value = value_of(event)
        if value is None:
            continue
        kind = (event.build, event.pkg, event.tool, event.file, event.output) if by_file else \
            (event.build, event.pkg, event.tool)
        key = made.get(kind)
        if key is None:
            key = made[kind] = stack_of(event, grouping, root, directories)
        children = phase_frames(event, unit_ns=1000) if with_phases and event.phases else ()
        for name, child_value in children:
            stacks[key + (clean_frame(name),)] += child_value
            value -= child_value
        if value > 0 or not children:
            stacks[key] += value
    return dict(stacks)


def weight_unit(weight: str) -> str:
    return WEIGHTS[weight][0]


def filter_events(events: Iterable[Event], *, tools: Iterable[str] = (),
                  package: str | None = None) -> Iterator[Event]:
    """Events of the given tools (all when none given) whose package is `package` or below it.

    The prefix matches whole path elements (`internal/g` does not select `internal/geom`); `std`
    selects the standard library. Test variants match on their base path."""
    selects = selection(tools, package)
    for event in events:
        if selects(event.tool, event.pkg):
            yield event


def selection(tools: Iterable[str] = (), package: str | None = None) -> Callable[[str, str], bool]:
    """The test of `filter_events`, of a (tool, package)."""
    wanted = frozenset(tools)
    prefix = package.strip("/") if package else None

    def selects(tool: str, pkg: str) -> bool:
        if wanted and tool not in wanted:
            return False
        if prefix is not None:
            base = split_variant(pkg)[0]
            if prefix == STD_ROOT:
                return is_std(base)
            return base == prefix or base.startswith(prefix + "/")
        return True
    return selects


# Folded text: one stack per line, frames root to leaf joined by ';', then whitespace and a count:
#   build;std;fmt;compile 51234
# A count is an integer or a decimal fraction (`12`, `0.5`, `3.`); a line with two counts,
# `stack before after`, is one line of a differential profile. Blank lines and lines starting with
# '#' are skipped quietly; any other line that does not parse is skipped and counted, and so is a
# count of more than MAX_COUNT_DIGITS digits: no profile counts that much, but a corrupt one (5,000
# digits) would be too long for int() or overflow a float to inf (which JSON writes as null).
Count = Union[int, float]
MAX_COUNT_DIGITS = 18  # below 2^63, and exact in a float to one part in 10^15
_FRACTION = re.compile(rb"\d+\.\d*|\.\d+")


def parse_count(text: bytes) -> Count | None:
    """The count of a folded line, or None when it is not one (inf, nan, -5, 1e9, too many digits)."""
    if text.isdigit():
        return int(text) if len(text) <= MAX_COUNT_DIGITS else None
    if _FRACTION.fullmatch(text) and text.index(b".") <= MAX_COUNT_DIGITS:
        return float(text)
    return None


def format_count(value: Count) -> str:
    text = repr(value)
    if isinstance(value, float) and ("e" in text or "n" in text):
        # flamegraph.pl and speedscope accept digits and a dot only
        text = f"{value:f}"
    return text


class FoldedReader:
    """Streams (stack, count, before) from folded text: a binary stream, or lines as bytes. `before`
    is None except on differential lines. Counts malformed lines like TraceReader does for traces.

    >>> reader = FoldedReader(open("stacks.folded", "rb"))
    >>> for stack, count, before in reader: ...
    >>> reader.skipped, reader.first_bad_line, reader.differential
    """

    def __init__(self, source: IO[bytes] | Iterable[bytes], *, name: str = "folded input",
                 batch_size: int = 1 << 20):
        self.source = source
        self.name = name
        self.batch_size = batch_size
        self.lines = 0
        self.skipped = 0
        self.first_bad_line: int | None = None
        self.differential = False

    def batches(self) -> Iterator[tuple[list[bytes], bool]]:
        """Lines without their newline, a batch at a time (one C-level split per batch is much cheaper
        than a readline per line), and whether the batch is free of tabs and '#' lines."""
        read = getattr(self.source, "read", None)
        if read is None:
            yield [line.rstrip(b"\n") for line in self.source], False
            return
        size = self.batch_size
        pending: list[bytes] = []   # the pieces of a line that has not ended yet
        while data := read(size):
            if b"\n" not in data:
                # a line longer than a batch: keep the pieces and read more at a time, so that a file
                # without newlines is joined once and read in log(n) calls, not rejoined per batch
                pending.append(data)
                size = min(size * 2, 1 << 28)
                continue
            size = self.batch_size
            if pending:
                pending.append(data)
                data = b"".join(pending)
                pending = []
            lines = data.split(b"\n")
            pending.append(lines.pop())
            yield lines, b"\t" not in data and b"\n#" not in data and data[:1] != b"#"
        if rest := b"".join(pending):
            yield [rest], False

    def __iter__(self) -> Iterator[tuple[bytes, Count, Count | None]]:
        number = self.lines
        for batch, plain in self.batches():
            for line in batch:
                number += 1
                # the common line, "a;b;c 123", takes a few C calls; anything else parse_line
                stack, _, count = line.rpartition(b" ")
                if (count.isdigit() and len(count) <= MAX_COUNT_DIGITS and stack and b" " not in stack
                        and (plain or (b"\t" not in line and stack[:1] != b"#"))):
                    yield stack, int(count), None
                else:
                    row = self.parse_line(line, number)
                    if row is not None:
                        yield row
        self.lines = number

    def parse_line(self, line: bytes, number: int) -> tuple[bytes, Count, Count | None] | None:
        """Any line: None for blank, comment and malformed lines (the last counted)."""
        parts = line.rsplit(None, 1)
        if len(parts) != 2 or parts[0][:1] == b"#":
            if parts and parts[0][:1] != b"#":
                self._skip(number)
            return None
        stack, count = parts
        value = parse_count(count)
        if value is None or not stack:
            self._skip(number)
            return None
        head = stack.rsplit(None, 1)
        if len(head) == 2 and (first := parse_count(head[1])) is not None:
            self.differential = True
            return head[0], value, first
        return stack, value, None

    def _skip(self, number: int) -> None:
        self.skipped += 1
        if self.first_bad_line is None:
            self.first_bad_line = number


class FoldedStacks(dict):
    """stack (tuple of frames) -> count, or (before, after) when the input was differential; plus
    how many lines were skipped. A dict, so it compares and iterates like one."""

    skipped = 0
    first_bad_line: int | None = None
    differential = False


def read_folded(lines: Iterable[str | bytes], *, name: str = "folded input") -> FoldedStacks:
    """Identical stacks are summed; names that are not UTF-8 are decoded with U+FFFD for bad bytes.
    In a differential input a line with one count is unchanged (before == after)."""
    reader = FoldedReader((ln.encode("utf-8", "surrogateescape") if isinstance(ln, str) else ln
                           for ln in lines), name=name)
    after: dict[tuple[str, ...], Count] = {}
    before: dict[tuple[str, ...], Count] = {}
    for stack, value, first in reader:
        key = tuple(stack.decode("utf-8", "replace").split(";"))
        after[key] = after.get(key, 0) + value
        before[key] = before.get(key, 0) + (value if first is None else first)
    stacks = FoldedStacks(((k, (before[k], v)) for k, v in after.items()) if reader.differential
                          else after)
    stacks.skipped, stacks.first_bad_line = reader.skipped, reader.first_bad_line
    stacks.differential = reader.differential
    return stacks


def write_folded(stacks: Mapping[tuple[str, ...], Count | tuple[Count, Count]], out: TextIO) -> int:
    """Sorted by stack, so the same stacks give the same bytes and flame graphs can stream them.
    Returns the number of lines written."""
    n = 0
    for key in sorted(stacks):
        value = stacks[key]
        if isinstance(value, tuple):
            text = f"{format_count(value[0])} {format_count(value[1])}"
        else:
            text = format_count(value)
        out.write(f"{';'.join(clean_frames(key))} {text}\n")
        n += 1
    return n
