"""Parallelism: how many tools ran at once, how busy the machine's cores were, where the build went serial.

Concurrency is a step function of time (invocations running), computed by one sweep
(`concurrency_steps`) that the lanes, the summary, the timeline and the doctor share. An invocation
occupies [start, end), and at least its first nanosecond: an end at t does not overlap a start at t,
and two zero-length invocations at one instant run at once.

A *serial stretch* is a longest stretch of the build during which at most one tool ran (0: the go
command worked alone, or a C compiler it does not trace), lasting at least SERIAL_MIN_NS and
SERIAL_MIN_SHARE of the build; `summary` lists them and `doctor` warns about the ones where one
invocation ran alone long enough to matter.

CPU use per time bucket spreads each invocation's CPU time evenly over its run, which is all a
per-process rusage tells.
"""
from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from operator import attrgetter

import numpy as np

from gotrace.events import _UNKNOWN as UNKNOWN
from gotrace.events import BuildInfo, Event
from gotrace.text import percent

# A stretch counts as serial when at most one tool ran for this long and this share of the build.
SERIAL_MIN_NS = 200_000_000
SERIAL_MIN_SHARE = 0.02
BUCKETS = 100


@dataclass(frozen=True)
class Stretch:
    start_ns: int  # offset from the build's first start
    wall_ns: int
    running: int  # 0: the go command itself (or gcc, which is not traced); 1: one tool alone
    alone: str  # "tool pkg" of the invocation that ran alone longest in it, "" when none did
    alone_ns: int = 0  # how long that invocation ran (alone) in the stretch
    invocation: Event | None = field(default=None, compare=False, repr=False)  # that invocation

    def to_dict(self) -> dict:
        return {"start_ns": self.start_ns, "wall_ns": self.wall_ns, "running": self.running,
                "alone": self.alone}


class Steps(Sequence):
    """The concurrency steps, (offset ns, invocations running from then on), held as two int64
    columns (`times`, `running`): a million-record build has a million and a half of them, which
    as a list of tuples took ~190 MB. Iterates, indexes and compares as that list did."""

    def __init__(self, times: np.ndarray | None = None, running: np.ndarray | None = None):
        self.times = np.zeros(0, np.int64) if times is None else times
        self.running = np.zeros(0, np.int64) if running is None else running

    def __len__(self) -> int:
        return len(self.times)

    def __getitem__(self, k):
        if isinstance(k, slice):
            return list(zip(self.times[k].tolist(), self.running[k].tolist()))
        return int(self.times[k]), int(self.running[k])

    def __iter__(self):
        return zip(self.times.tolist(), self.running.tolist())

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None

    def __repr__(self) -> str:
        return f"Steps({list(self)!r})"


@dataclass(frozen=True)
class Parallelism:
    cores: int
    cores_source: str  # "trace" (the build record) or "this machine"
    limit: int | None  # the build's -p when the trace says
    average: float
    peak: int
    utilisation: float | None  # CPU time / (span x cores); None when no invocation knows its CPU time
    steps: Steps  # (offset ns, invocations running from then on)
    cpu_buckets: list[float]  # cores busy on average in each of BUCKETS equal slices of the build
    serial: list[Stretch]

    @property
    def utilisation_text(self) -> str:
        """`CPU utilisation 41.0% of 2 cores`, or that it is unknown: never 0% for unknown."""
        if self.utilisation is None:
            return "CPU utilisation unknown: the trace has no CPU times"
        return f"CPU utilisation {percent(100 * self.utilisation)} of {self.cores} cores"

    def to_dict(self) -> dict:
        return {
            "cores": self.cores, "cores_source": self.cores_source, "limit": self.limit,
            "average_concurrency": round(self.average, 3), "peak_concurrency": self.peak,
            "cpu_utilisation": None if self.utilisation is None else round(self.utilisation, 4),
            "cpu_cores_busy": [round(b, 3) for b in self.cpu_buckets],
            "serial_stretches": [s.to_dict() for s in self.serial],
        }


def occupied_end(start_ns: int, end_ns: int) -> int:
    """Where an invocation stops occupying a slot: its end, or one nanosecond after a zero-length start."""
    return end_ns if end_ns > start_ns else start_ns + 1


def time_columns(events: Sequence[Event]) -> tuple[np.ndarray, np.ndarray]:
    """(start ns, wall ns) of each event as int64 arrays: the sweeps below read them once, not
    through an attribute per event per pass."""
    n = len(events)
    return (np.fromiter(map(_START, events), np.int64, n), np.fromiter(map(_WALL, events), np.int64, n))


_START, _WALL, _PKG, _TOOL, _RSS, _USER, _SYS = (attrgetter(name) for name in (
    "start_ns", "wall_ns", "pkg", "tool", "max_rss_kib", "user_ns", "sys_ns"))


def name_column(names: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Each of `names` as an index into the distinct names, listed in order of first appearance."""
    distinct = list(dict.fromkeys(names))
    index = {name: i for i, name in enumerate(distinct)}
    return np.fromiter(map(index.__getitem__, names), np.int64, len(names)), distinct


@dataclass(frozen=True)
class Invocations:
    """The columns of one build's invocations that summary, critical path and what-if read, each
    made once from the events (`of`): at a million invocations a pass of attribute reads costs
    about a second, and they were made three and four times over."""

    start_ns: np.ndarray  # int64
    wall_ns: np.ndarray  # int64
    cpu_ns: np.ndarray  # int64, UNKNOWN where the trace does not know it (`cpu_array`)
    pkg: np.ndarray  # int64 index into `pkgs`
    pkgs: list[str]
    tool: np.ndarray  # int64 index into `tools`
    tools: list[str]
    max_rss_kib: np.ndarray  # int64, NO_RSS where the trace does not know it

    NO_RSS = -1
    UNKNOWN = UNKNOWN  # an unknown CPU time in cpu_ns

    @classmethod
    def of(cls, events: Sequence[Event]) -> Invocations:
        start, wall = time_columns(events)
        pkg, pkgs = name_column(list(map(_PKG, events)))
        tool, tools = name_column(list(map(_TOOL, events)))
        rss = np.fromiter((cls.NO_RSS if kib is None else kib for kib in map(_RSS, events)), np.int64, len(events))
        return cls(start, wall, cpu_array(cpu_ns_column(events)), pkg, pkgs, tool, tools, rss)

    def in_order(self, order: np.ndarray) -> Invocations:
        """These invocations in `order` (row k being row order[k]), their names listed in order of
        first appearance there: what `of` makes of the events in that order."""
        pkg, pkgs = _renamed(self.pkg[order], self.pkgs)
        tool, tools = _renamed(self.tool[order], self.tools)
        return Invocations(self.start_ns[order], self.wall_ns[order], self.cpu_ns[order], pkg, pkgs, tool, tools,
                           self.max_rss_kib[order])

    def runs_by_tool(self) -> dict[str, int]:
        """Invocations per tool, most first, ties by name."""
        runs = np.bincount(self.tool, minlength=len(self.tools)).tolist()
        return dict(sorted(((t, n) for t, n in zip(self.tools, runs) if n), key=lambda kv: (-kv[1], kv[0])))

    def peak_rss_row(self, events: Sequence[Event]) -> int | None:
        """The row of the largest peak RSS (ties: the largest package, then tool, by name); None
        when no invocation knows its peak."""
        if not len(self.max_rss_kib) or self.max_rss_kib.max() == self.NO_RSS:
            return None
        rows = np.flatnonzero(self.max_rss_kib == self.max_rss_kib.max()).tolist()
        return max(rows, key=lambda r: (events[r].pkg, events[r].tool))

    @property
    def times(self) -> tuple[np.ndarray, np.ndarray]:
        """(start ns, wall ns), as `time_columns`."""
        return self.start_ns, self.wall_ns

    def rows_of_tools(self, tools: Collection[str]) -> np.ndarray:
        """The rows whose tool is one of `tools`, in order."""
        return np.flatnonzero(np.isin(self.tool, [i for i, tool in enumerate(self.tools) if tool in tools]))

    def of_tools(self, events: Sequence[Event], tools: Collection[str]) -> list[Event]:
        """Those of `events` (the ones these columns were made of) whose tool is one of `tools`, in order."""
        return [events[row] for row in self.rows_of_tools(tools).tolist()]


def _renamed(ids: np.ndarray, names: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """`ids` (indexes into `names`) renumbered into a list of the names they use, in order of first use."""
    used, first = np.unique(ids, return_index=True)
    used = used[np.argsort(first)]
    renumber = np.zeros(len(names), np.int64)
    renumber[used] = np.arange(len(used))
    return renumber[ids], [names[i] for i in used.tolist()]


def step_arrays(start: np.ndarray, wall: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`concurrency_steps` as two arrays (times, invocations running from then on): one sort of
    the starts and ends, a running sum, and the last count at each instant where it changed."""
    end = start + wall
    occupied = np.where(end > start, end, start + 1)
    times = np.concatenate((start, occupied))
    delta = np.concatenate((np.ones(len(start), np.int64), np.full(len(start), -1, np.int64)))
    order = np.argsort(times, kind="stable")
    times = times[order]
    running = np.cumsum(delta[order])
    last = np.ones(len(times), bool)  # the count after every start and end at one instant
    last[:-1] = times[1:] != times[:-1]
    times, running = times[last], running[last]
    changed = np.ones(len(times), bool)  # an end and a start at t net out: no step
    changed[1:] = running[1:] != running[:-1]
    return times[changed], running[changed]


def concurrency_steps(events: Sequence[Event]) -> list[tuple[int, int]]:
    """(time ns, invocations running from then on) at every change of the count."""
    times, running = step_arrays(*time_columns(events))
    return list(zip(times.tolist(), running.tolist()))


def peak_concurrency(events: Sequence[Event]) -> int:
    """Most invocations running at one instant."""
    return max((running for _, running in concurrency_steps(events)), default=0)


def cpu_ns_column(events: Sequence[Event]) -> list[int | None]:
    """Each event's CPU time (`Event.cpu_ns`), read once."""
    return [None if u is None and s is None else (u or 0) + (s or 0)
            for u, s in zip(map(_USER, events), map(_SYS, events))]


def cpu_array(column: Sequence[int | None]) -> np.ndarray:
    """A CPU column (`cpu_ns_column`) as int64, UNKNOWN where unknown: how columns hold it."""
    return np.fromiter((UNKNOWN if c is None else c for c in column), np.int64, len(column))


def cpu_of(events: Sequence[Event], cpu: np.ndarray | Sequence[int | None] | None) -> np.ndarray:
    """The CPU column (int64, UNKNOWN where unknown) of `events`: `cpu` as given (an array, or a
    `cpu_ns_column` list), else read from the events."""
    if isinstance(cpu, np.ndarray):
        return cpu
    return cpu_array(cpu_ns_column(events) if cpu is None else cpu)


def total_cpu(cpu: np.ndarray) -> int | None:
    """The sum of the known CPU times of a column, None when none is known (as total_cpu_ns:
    unknown, never 0); a sum of Python ints, exact past int64."""
    known = cpu[cpu != UNKNOWN]
    return sum(known.tolist()) if len(known) else None


def cpu_per_bucket(events: Sequence[Event], start: int, span: int, buckets: int = BUCKETS, *,
                   columns: tuple[np.ndarray, np.ndarray] | None = None,
                   cpu: np.ndarray | Sequence[int | None] | None = None) -> list[float]:
    """Average cores busy in each of `buckets` equal slices of [start, start + span).

    Each invocation adds rate x overlap to each slice it overlaps, in event order (np.add.at adds
    in the order given), so the sums are the float sums of a loop over events, to the last bit."""
    if span <= 0:
        return [0.0] * buckets
    width = span / buckets
    starts, walls = time_columns(events) if columns is None else columns
    cpu = cpu_of(events, cpu)
    cpus = np.where(cpu == UNKNOWN, 0, cpu)
    some = cpus != 0
    a = (starts[some] - start).astype(np.float64)
    wall = walls[some]
    b = a + wall.astype(np.float64)
    used = cpus[some].astype(np.float64)
    timed = wall > 0
    first = (a / width).astype(np.int64)
    first = np.where(timed, first, np.minimum(buckets - 1, first))  # no run time: one slice
    last = np.where(timed, np.minimum(buckets - 1, (b / width).astype(np.int64)), first)
    counts = np.maximum(last - first + 1, 0)
    of = np.repeat(np.arange(len(first)), counts)  # the invocation of each (invocation, slice)
    bucket = first[of] + (np.arange(len(of)) - np.repeat(np.cumsum(counts) - counts, counts))
    overlap = (np.minimum(b[of], (bucket + 1) * width) - np.maximum(a[of], bucket * width))
    rate = np.divide(used, wall, out=np.zeros(len(used)), where=timed)[of]
    zero = ~timed[of]
    value = np.where(zero, used[of], rate * overlap)
    take = zero | (overlap > 0)
    busy = np.zeros(buckets)
    np.add.at(busy, bucket[take], value[take])
    return (busy / width).tolist()


def serial_threshold(span: int) -> int:
    """How long a stretch of at most one tool running must last to be a serial stretch."""
    return max(SERIAL_MIN_NS, int(span * SERIAL_MIN_SHARE))


def serial_stretches(events: Sequence[Event], times: np.ndarray, levels: np.ndarray, start: int, span: int, *,
                     columns: tuple[np.ndarray, np.ndarray] | None = None) -> list[Stretch]:
    """The build's serial stretches (see the module's docstring), longest first, from the
    concurrency steps (`step_arrays`): runs of consecutive steps with at most one tool running."""
    low = levels <= 1
    if len(low) < 2:
        return []
    # run k covers steps first[k]..last[k]; a run starting at the last step lasts nothing
    first = np.flatnonzero(low & ~np.concatenate(([False], low[:-1])))
    last = np.flatnonzero(low & ~np.concatenate((low[1:], [False])))
    until = times[np.minimum(last + 1, len(times) - 1)]  # the next step's time, or the last step's
    long = (first < len(times) - 1) & (until - times[first] >= serial_threshold(span))
    out = []
    starts = ends = occupied = None
    for i, j, end in zip(first[long].tolist(), last[long].tolist(), until[long].tolist()):
        t = int(times[i])
        if starts is None:  # only a build with a serial stretch reads the columns
            starts, walls = time_columns(events) if columns is None else columns
            ends = starts + walls
            occupied = np.where(ends > starts, ends, starts + 1)
        # at most one tool runs in the stretch: its overlap with the stretch is time it ran alone
        inside = np.flatnonzero((starts < end) & (occupied > t))
        longest = None
        if len(inside):
            overlap = np.minimum(ends[inside], end) - np.maximum(starts[inside], t)
            tied = inside[overlap == overlap.max()]  # then the largest package name, the first one
            longest = max((events[k] for k in tied.tolist()), key=lambda e: e.pkg)
        alone = f"{longest.tool} {longest.pkg}".strip() if longest else ""
        alone_ns = max(0, min(longest.end_ns, end) - max(longest.start_ns, t)) if longest else 0
        out.append(Stretch(t - start, end - t, int(levels[i:j + 1].max()), alone, alone_ns, longest))
    return sorted(out, key=lambda s: (-s.wall_ns, s.start_ns))


def machine_cores(info: BuildInfo | None) -> tuple[int, str]:
    if info is not None and info.cores:
        return info.cores, "trace"
    return os.cpu_count() or 1, "this machine"


def load_of(starts: np.ndarray, walls: np.ndarray, cpu_total: int | None, cores: int
            ) -> tuple[int, float, float | None]:
    """(span, average tools running at once, CPU utilisation of `cores`) of invocations given as
    start and wall columns (at least one) and their total CPU time (None: unknown): the one place
    these figures are computed (`parallelism`, and doctor's check on the cores)."""
    span = int((starts + walls).max()) - int(starts.min())
    average = int(walls.sum()) / span if span else float(len(starts))
    utilisation = None if cpu_total is None else cpu_total / (span * cores) if span else 0.0
    return span, average, utilisation


def parallelism(events: Sequence[Event], info: BuildInfo | None = None, *,
                columns: tuple[np.ndarray, np.ndarray] | None = None,
                cpu: np.ndarray | Sequence[int | None] | None = None, only_ran: bool = False) -> Parallelism:
    """How the build used the machine. `columns` (`time_columns`) and `cpu` (`cpu_ns_column`) of
    the events that ran, when the caller has read them already; `only_ran` when `events` are
    those already (then, with both columns given, only a serial stretch's invocation is looked up:
    build_rows.BuildRows.events makes that one Event, not a million)."""
    ran = events if only_ran else [e for e in events if not e.probe and not e.cached]
    cores, source = machine_cores(info)
    limit = info.parallelism if info is not None else None
    if not ran:
        return Parallelism(cores, source, limit, 0.0, 0, 0.0, Steps(), [0.0] * BUCKETS, [])
    columns = starts, walls = time_columns(ran) if columns is None else columns
    start = int(starts.min())
    times, running = step_arrays(starts, walls)
    cpus = cpu_of(ran, cpu)
    cpu_total = total_cpu(cpus)
    span, average, utilisation = load_of(starts, walls, cpu_total, cores)
    return Parallelism(
        cores=cores, cores_source=source, limit=limit, average=average,
        peak=int(running.max()) if len(running) else 0, utilisation=utilisation,
        steps=Steps(times - start, running),
        cpu_buckets=[] if cpu_total is None else cpu_per_bucket(ran, start, span, columns=columns, cpu=cpus),
        serial=serial_stretches(ran, times, running, start, span, columns=columns),
    )
