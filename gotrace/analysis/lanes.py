"""Lanes: invocations placed on rows so that no two in a row overlap in time.

Tools of one build run in parallel; viewers that want strictly nested events (speedscope's evented
profiles, a Gantt chart, Chrome's threads) get one row per lane. Greedy interval colouring in
start order, reusing the lane that freed up first, gives exactly as many lanes as the peak number
of invocations running at once.

An invocation occupies [start, end), and at least its first nanosecond: one that took no measurable
time still needs a lane, and two such at the same instant are two invocations running at once.

`Spans` holds what the timeline exports need of a trace as typed columns rather than one `Event`
per record: a million-record trace then fits in tens of megabytes, not gigabytes.
"""
from __future__ import annotations

import heapq
import os
import sys
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import orjson

from gotrace.events import Event, LineBookkeeping, TraceError


def _occupied_end(start: int, end: int) -> int:
    return end if end > start else start + 1


def lanes_of(starts: Sequence[int], ends: Sequence[int]) -> list[int]:
    """`assign_lanes` over parallel sequences of start and end times."""
    order = sorted(range(len(starts)), key=starts.__getitem__)  # stable: ties keep input order
    free: list[int] = []  # lane numbers that are free, smallest first
    busy: list[tuple[int, int]] = []  # (end, lane)
    lanes = [0] * len(starts)
    next_lane = 0
    push, pop = heapq.heappush, heapq.heappop
    for i in order:
        start = starts[i]
        while busy and busy[0][0] <= start:
            push(free, pop(busy)[1])
        if free:
            lane = pop(free)
        else:
            lane = next_lane
            next_lane += 1
        lanes[i] = lane
        push(busy, (_occupied_end(start, ends[i]), lane))
    return lanes


def assign_lanes(events: Sequence[Event]) -> list[int]:
    """Lane number for each event (same order as `events`); lanes are numbered from 0."""
    return lanes_of([e.start_ns for e in events], [e.end_ns for e in events])


def peak_concurrency(events: Sequence[Event]) -> int:
    """Most invocations running at one instant (an end at t does not overlap a start at t; a
    zero-length invocation runs for its first nanosecond)."""
    # ends sort before starts at the same instant: -1 < 1
    points = sorted([(e.start_ns, 1) for e in events]
                    + [(_occupied_end(e.start_ns, e.end_ns), -1) for e in events])
    running = peak = 0
    for _, delta in points:
        running += delta
        peak = max(peak, running)
    return peak


_UNKNOWN = -(1 << 63)  # an absent optional number in a column
_NUMBERS = ("start_ns", "wall_ns", "cpu_ns", "max_rss_kib", "exit", "signal")


@dataclass
class Spans:
    """The invocations of a trace (version probes and cache hits left out) as columns, row i being
    one invocation. `kind[i]` indexes `kinds`, the distinct (build, package, tool) triples; optional
    numbers the trace does not know are `UNKNOWN`."""

    UNKNOWN = _UNKNOWN
    kinds: list[tuple[str, str, str]] = field(default_factory=list)
    kind: array = field(default_factory=lambda: array("i"))
    start_ns: array = field(default_factory=lambda: array("q"))
    wall_ns: array = field(default_factory=lambda: array("q"))
    cpu_ns: array = field(default_factory=lambda: array("q"))
    max_rss_kib: array = field(default_factory=lambda: array("q"))
    exit: array = field(default_factory=lambda: array("q"))
    signal: array = field(default_factory=lambda: array("q"))
    errors: dict[int, str] = field(default_factory=dict)  # row -> why the tool could not start
    phases: dict[int, dict[str, int]] = field(default_factory=dict)  # row -> compiler phases (--phases)

    def __len__(self) -> int:
        return len(self.kind)

    def builds(self) -> list[str]:
        """Build ids in order of first appearance."""
        return list(dict.fromkeys(build for build, _, _ in self.kinds))

    def rows_of(self, build: str) -> Sequence[int]:
        """The rows of one build, in trace order."""
        wanted = {k for k, (b, _, _) in enumerate(self.kinds) if b == build}
        if len(wanted) == len(self.kinds):
            return range(len(self))
        return [i for i, k in enumerate(self.kind) if k in wanted]

    def lanes(self, rows: Sequence[int]) -> list[int]:
        """The lane of each of `rows` (one build's invocations), as `assign_lanes` gives it."""
        starts, walls = self.start_ns, self.wall_ns
        if isinstance(rows, range) and rows == range(len(self)):
            return lanes_of(starts, [s + w for s, w in zip(starts, walls)])
        return lanes_of([starts[i] for i in rows], [starts[i] + walls[i] for i in rows])


class SpanReader(LineBookkeeping):
    """Reads a trace into `Spans` without building an Event per record: the exports' fast path for
    traces of millions of records. It skips and counts what TraceReader does (same attributes:
    name, lines, skipped, first_bad_line, probes, builds), except that, like TraceReader does with
    argv, it does not look at the fields it does not use (deps, phases, ...)."""

    def __init__(self, lines: Iterable[bytes], *, name: str = "trace"):
        super().__init__(name)
        self.source = lines
        self.cached = 0
        self.seen_builds: dict[str, None] = {}

    def read(self, build: str | None = None) -> Spans:
        spans = Spans()
        kinds, kind_ids, errors = spans.kinds, {}, spans.errors
        add_kind = spans.kind.append
        numbers = array("q")
        add_numbers = numbers.extend
        loads, seen, unknown, none = orjson.loads, self.seen_builds, _UNKNOWN, type(None)
        for raw in self.source:
            self.lines += 1
            try:
                record = loads(raw)
            except orjson.JSONDecodeError:
                if raw.strip():
                    self._skip()
                continue
            if type(record) is not dict:
                self._skip()
                continue
            if not self._is_invocation(record):
                continue
            get = record.get
            # the checks of events.event_from_dict, on the fields used here (null is absent)
            name, pkg, tool, start, wall = get("build"), get("pkg"), get("tool"), get("start_ns"), get("wall_ns")
            user, sys_, rss, status, signal = (get("user_ns"), get("sys_ns"), get("max_rss_kib"),
                                               get("exit"), get("signal"))
            probe, cached, error = get("probe"), get("cached"), get("error")
            if (type(name) is not str or type(pkg) is not str or type(tool) is not str
                    or type(start) is not int or type(wall) is not int or wall < 0
                    or (type(user) is not int and user is not None)
                    or (type(sys_) is not int and sys_ is not None)
                    or (type(rss) is not int and rss is not None)
                    or (type(status) is not int and status is not None)
                    or (type(signal) is not int and signal is not None)
                    or type(probe) not in (bool, none) or type(cached) not in (bool, none)
                    or type(error) not in (str, none)):
                self._skip()
                continue
            if probe:
                self.probes += 1
                continue
            seen[name] = None
            if build is not None and name != build:
                continue
            if cached:
                self.cached += 1
                continue
            key = (name, pkg, tool)
            k = kind_ids.get(key)
            if k is None:
                k = kind_ids[key] = len(kinds)
                kinds.append(key)
            add_kind(k)
            add_numbers((start, wall, unknown if user is None and sys_ is None else (user or 0) + (sys_ or 0),
                         unknown if rss is None else rss, status or 0,  # absent exit: Event's 0
                         unknown if signal is None else signal))
            if error is not None:
                errors[len(spans.kind) - 1] = error
            phases = get("phases")
            if type(phases) is dict and all(type(v) is int for v in phases.values()):
                spans.phases[len(spans.kind) - 1] = phases
        for offset, column in enumerate(_NUMBERS):
            setattr(spans, column, numbers[offset::len(_NUMBERS)])
        return spans



PARALLEL_BYTES = 64 << 20  # traces larger than this are read by two processes where fork exists


def load_spans(path: str, build: str | None = None, *, lines: Iterable[bytes] | None = None
               ) -> tuple[Spans, SpanReader]:
    """The invocations of a trace file, or of `lines` already opened (`path` then names them)."""
    if lines is not None:
        reader = SpanReader(lines, name=path)
        return reader.read(build), reader
    try:
        size = os.path.getsize(path)
        if size > PARALLEL_BYTES and (os.cpu_count() or 1) > 1 and sys.platform == "linux":
            return _load_in_two(path, build, size)
        with open(path, "rb", buffering=1 << 20) as stream:
            reader = SpanReader(stream, name=path)
            return reader.read(build), reader
    except OSError as e:
        raise TraceError(f"cannot read trace {path}: {e.strerror}") from None


def _lines_between(path: str, start: int, stop: int) -> Iterator[bytes]:
    with open(path, "rb", buffering=1 << 20) as stream:
        stream.seek(start)
        for line in stream:
            if start >= stop:
                return
            start += len(line)
            yield line


def _read_part(path: str, start: int, stop: int, build: str | None, conn) -> None:
    try:
        reader = SpanReader(_lines_between(path, start, stop), name=path)
        spans = reader.read(build)
        reader.source = None
        conn.send((spans, reader))
    except TraceError as e:
        conn.send(e)
    conn.close()


def _load_in_two(path: str, build: str | None, size: int) -> tuple[Spans, SpanReader]:
    """Parsing JSON is most of the cost of a large trace: a forked helper reads the second half
    while this process reads the first, then the halves are joined as if read in one go."""
    import multiprocessing

    with open(path, "rb") as stream:
        stream.seek(size // 2)
        middle = size // 2 + len(stream.readline())
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    helper = context.Process(target=_read_part, args=(path, middle, size, build, send), daemon=True)
    helper.start()
    send.close()
    try:
        reader = SpanReader(_lines_between(path, 0, middle), name=path)
        spans = reader.read(build)
        second = receive.recv()
    finally:
        helper.join()
    if isinstance(second, TraceError):  # say which line, counted from the top: read it again in one go
        with open(path, "rb", buffering=1 << 20) as stream:
            reader = SpanReader(stream, name=path)
            return reader.read(build), reader
    more, other = second
    ids = {key: k for k, key in enumerate(spans.kinds)}
    for key in more.kinds:
        if key not in ids:
            ids[key] = len(spans.kinds)
            spans.kinds.append(key)
    remap = [ids[key] for key in more.kinds]
    spans.errors.update({len(spans) + row: error for row, error in more.errors.items()})
    spans.phases.update({len(spans) + row: phases for row, phases in more.phases.items()})
    spans.kind.extend(array("i", map(remap.__getitem__, more.kind)))
    for column in _NUMBERS:
        getattr(spans, column).extend(getattr(more, column))
    if reader.first_bad_line is None and other.first_bad_line is not None:
        reader.first_bad_line = reader.lines + other.first_bad_line
    reader.lines += other.lines
    reader.skipped += other.skipped
    reader.probes += other.probes
    reader.cached += other.cached
    reader.builds.update(other.builds)
    reader.seen_builds.update(other.seen_builds)
    return spans, reader


def check_spans(spans: Spans, reader: SpanReader, path: str, build: str | None) -> None:
    """Raise the TraceError that explains why there is nothing to show, if there is nothing."""
    if len(spans):
        return
    if build is not None and build not in reader.seen_builds:
        raise TraceError(f"{path}: no build {build!r}; builds in this trace: "
                         f"{', '.join(reader.seen_builds) or 'none'}")
    if reader.cached:
        raise TraceError(f"{path}: every action came from the build cache, no tool ran; trace a cold "
                         "build with `gotrace run --cold -- go build ./...`")
    if reader.probes:
        raise TraceError(f"{path}: only version probes, no tool ran: the build was fully cached; "
                         "trace a cold build with `gotrace run --cold -- go build ./...`")
    raise TraceError(f"{path}: no trace records; produce one with `gotrace run -- go build ./...`")
