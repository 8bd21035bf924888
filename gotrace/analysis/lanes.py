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
from array import array
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import orjson

from gotrace.events import (_BOOL_FIELDS, _FIELD_NAMES, _INT_FIELDS, _LIST_FIELDS, _STR_FIELDS,
                            FORMAT_VERSION, REQUIRED, BuildInfo, Event, TraceError, build_info_from_dict)


def _occupied_end(start: int, end: int) -> int:
    return end if end > start else start + 1


def lanes_of(starts: Sequence[int], ends: Sequence[int]) -> list[int]:
    """`assign_lanes` over parallel sequences of start and end times."""
    order = sorted(range(len(starts)), key=lambda i: (starts[i], ends[i]))
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
    """Most invocations running at one instant (an end at t does not overlap a start at t)."""
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


# What TraceReader's event_from_dict checks, as one lookup per key: a record it would reject is
# rejected here too, so both readers skip (and count) the same lines.
_TYPE = {name: int for name in _INT_FIELDS} | {name: str for name in _STR_FIELDS} \
    | {name: list for name in _LIST_FIELDS} | {name: bool for name in _BOOL_FIELDS} | {"phases": dict}
del _TYPE["argv"]  # TraceReader does not look at argv unless asked to keep it
assert set(_TYPE) | {"argv"} == set(_FIELD_NAMES)


def _shape(names: tuple, types: tuple) -> tuple[str, ...] | None:
    """None if a record with these keys and value types is rejected; else the keys whose items
    still need checking (lists of strings, phases' integers)."""
    present = set()
    deep = []
    for name, kind in zip(names, types):
        expected = _TYPE.get(name)
        if kind is type(None):
            continue
        present.add(name)
        if expected is None:
            continue
        if kind is not expected:
            return None
        if kind is list or kind is dict:
            deep.append(name)
    if not present.issuperset(REQUIRED):
        return None
    return tuple(deep)


def _items_valid(record: dict, deep: tuple[str, ...]) -> bool:
    for name in deep:
        value = record[name]
        if type(value) is list:
            if not all(type(v) is str for v in value):
                return False
        elif not all(type(v) is int for v in value.values()):
            return False
    return True


class SpanReader:
    """Reads a trace into `Spans`, skipping and counting the lines TraceReader skips (same
    attributes: name, lines, skipped, first_bad_line, probes, builds) but building no Event: a
    fast path for the exports of traces with millions of records."""

    def __init__(self, lines: Iterable[bytes], *, name: str = "trace"):
        self.source = lines
        self.name = name
        self.lines = 0
        self.skipped = 0
        self.first_bad_line: int | None = None
        self.probes = 0
        self.cached = 0
        self.builds: dict[str, BuildInfo] = {}
        self.seen_builds: dict[str, None] = {}

    def read(self, build: str | None = None) -> Spans:
        spans = Spans()
        kinds, kind_ids, errors = spans.kinds, {}, spans.errors
        add_kind = spans.kind.append
        numbers = array("q")
        add_numbers = numbers.extend
        loads, seen, unknown = orjson.loads, self.seen_builds, _UNKNOWN
        shapes: dict[tuple, tuple[str, ...] | None] = {}
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
            version = record.get("v")
            if version != FORMAT_VERSION:
                if type(version) is int and version > FORMAT_VERSION:
                    raise TraceError(
                        f"{self.name}: line {self.lines} is trace format version {version}; this gotrace "
                        f"reads version {FORMAT_VERSION}: upgrade gotrace")
                self._skip()
                continue
            if "kind" in record and record["kind"] == "build":
                try:
                    info = build_info_from_dict(record)
                except ValueError:
                    self._skip()
                    continue
                self.builds[info.build] = info
                continue
            # records of one trace have few shapes (which keys, which value types): check each once
            signature = (tuple(record), tuple(map(type, record.values())))
            deep = shapes.get(signature, False)
            if deep is False:
                deep = shapes[signature] = _shape(*signature)
            if deep is None or (deep and not _items_valid(record, deep)) or record["wall_ns"] < 0:
                self._skip()
                continue
            get = record.get
            if get("probe"):
                self.probes += 1
                continue
            name = record["build"]
            seen[name] = None
            if build is not None and name != build:
                continue
            if get("cached"):
                self.cached += 1
                continue
            key = (name, record["pkg"], record["tool"])
            k = kind_ids.get(key)
            if k is None:
                k = kind_ids[key] = len(kinds)
                kinds.append(key)
            add_kind(k)
            user, sys_, rss, status, signal = (get("user_ns"), get("sys_ns"), get("max_rss_kib"),
                                               get("exit", 0), get("signal"))
            add_numbers((record["start_ns"], record["wall_ns"],
                         unknown if user is None and sys_ is None else (user or 0) + (sys_ or 0),
                         unknown if rss is None else rss, unknown if status is None else status,
                         unknown if signal is None else signal))
            if get("error") is not None:
                errors[len(spans.kind) - 1] = record["error"]
        for offset, column in enumerate(_NUMBERS):
            setattr(spans, column, numbers[offset::len(_NUMBERS)])
        return spans

    def _skip(self) -> None:
        self.skipped += 1
        if self.first_bad_line is None:
            self.first_bad_line = self.lines


def load_spans(path: str, build: str | None = None, *, lines: Iterable[bytes] | None = None
               ) -> tuple[Spans, SpanReader]:
    """The invocations of a trace file (or of `lines` read from it) with the errors `load_events`
    gives: an unknown build, an empty trace, a trace of version probes only."""
    if lines is None:
        try:
            lines = open(path, "rb", buffering=1 << 20)
        except OSError as e:
            raise TraceError(f"cannot read trace {path}: {e.strerror}") from None
    reader = SpanReader(lines, name=path)
    try:
        spans = reader.read(build)
    finally:
        close = getattr(lines, "close", None)
        if close is not None:
            close()
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
