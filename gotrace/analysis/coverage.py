"""How much of a build the trace sees: coverage, the gaps in it, and the C compiles per package.

Coverage is the share of the span from the first tool's start to the last tool's end during which at
least one recorded tool ran (the union of their intervals). What is left are gaps: the go command's
own work between tools (loading packages, hashing, writing the cache) and anything that ran without
being recorded. A gap over a second is listed so that the next blind spot is visible.

C compiles are the records of the C/C++ compilers the go command runs for cgo packages (`gotrace
run` wraps them; see shim/gotrace-shim, compiler mode).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from gotrace.analysis.parallelism import Invocations, time_columns
from gotrace.events import C_COMPILERS, Event

GAP_LISTED_NS = 1_000_000_000  # gaps at least this long are listed


def is_c_compile(event: Event) -> bool:
    return event.tool in C_COMPILERS


def is_flag_check(event: Event) -> bool:
    """The go command asking the C compiler whether it takes a flag (`gcc -fflag ... -o /dev/null
    || true`): failing is an answer ("no"), not a failure."""
    return event.probe and event.output == "/dev/null" and is_c_compile(event)


@dataclass(frozen=True)
class Gap:
    start_ns: int  # from the first tool's start
    wall_ns: int

    def describe(self) -> str:
        return f"{self.wall_ns / 1e9:.1f} s at {self.start_ns / 1e9:.1f} s: nothing traced ran"

    def to_dict(self) -> dict:
        return {"start_ns": self.start_ns, "wall_ns": self.wall_ns}


@dataclass(frozen=True)
class Coverage:
    span_ns: int     # first tool start to last tool end
    covered_ns: int  # time in the span with at least one recorded tool running
    # every gap, longest first (ties: earliest first), as two columns: a build grown to a million
    # records has hundreds of thousands of gaps, and only the listed ones are read as Gaps
    gap_start_ns: tuple[int, ...] = ()
    gap_ns: tuple[int, ...] = ()

    @property
    def share(self) -> float:
        return self.covered_ns / self.span_ns if self.span_ns else 1.0

    @property
    def gaps(self) -> tuple[Gap, ...]:
        return tuple(map(Gap, self.gap_start_ns, self.gap_ns))

    @property
    def longest_gap_ns(self) -> int:
        return self.gap_ns[0] if self.gap_ns else 0

    def listed(self, at_least_ns: int = GAP_LISTED_NS) -> list[Gap]:
        listed = []
        for start, ns in zip(self.gap_start_ns, self.gap_ns):  # longest first
            if ns < at_least_ns:
                break
            listed.append(Gap(start, ns))
        return listed

    def to_dict(self) -> dict:
        return {"span_ns": self.span_ns, "covered_ns": self.covered_ns, "share": round(self.share, 4),
                "longest_gap_ns": self.longest_gap_ns,
                "gaps": [g.to_dict() for g in self.listed()]}


def coverage(events: Iterable[Event]) -> Coverage:
    """Coverage of one build over the span its tools ran in (first start to last end, as the
    summary's wall time). Version probes and flag checks count as covering time, since the go
    command waits for them, but do not stretch the span; cache hits ran nothing."""
    events = [e for e in events if not e.cached]
    starts, walls = time_columns(events)
    return coverage_of(starts, walls, np.fromiter((e.probe for e in events), bool, len(events)))


def coverage_of(starts: np.ndarray, walls: np.ndarray, probe: np.ndarray) -> Coverage:
    """`coverage` of invocations given as columns: start and wall time, whether a version probe."""
    ends = starts + walls
    work = ~probe
    if not work.any():
        return Coverage(0, 0)
    first, last = int(starts[work].min()), int(ends[work].max())
    inside = (ends >= first) & (starts <= last)
    begin, end = np.maximum(starts[inside], first), np.minimum(ends[inside], last)
    order = np.lexsort((end, begin))
    begin, end = begin[order], end[order]
    # a sweep in start order: a gap opens where a start passes every earlier end
    reach = np.maximum.accumulate(end)[:-1]
    opens = begin[1:] > reach
    gap_start, gap_ns = reach[opens] - first, begin[1:][opens] - reach[opens]
    covered = int(end.max() - begin[0] - gap_ns.sum())
    longest_first = np.lexsort((gap_start, -gap_ns))
    return Coverage(last - first, covered, tuple(gap_start[longest_first].tolist()),
                    tuple(gap_ns[longest_first].tolist()))


@dataclass(frozen=True)
class CCompileRow:
    pkg: str
    compiles: int   # C compiler runs (the C files and the _cgo_.o link of the package)
    wall_ns: int
    cpu_ns: int
    slowest_file: str  # the file (or output) of the longest run

    def to_dict(self) -> dict:
        return {"pkg": self.pkg, "compiles": self.compiles, "wall_ns": self.wall_ns, "cpu_ns": self.cpu_ns,
                "slowest_file": self.slowest_file}


def c_compile_label(event: Event) -> str:
    """What one C compiler run worked on: its source file, else its output (the _cgo_.o link)."""
    name = event.file or event.output or ""
    return name.rsplit("/", 1)[-1] or "-"


def c_compiles_of(columns: Invocations, rows: np.ndarray, event: Callable[[int], Event]) -> list[CCompileRow]:
    """Time in the C compiler per package, longest first, of the C compiles among the invocations
    `columns`, at `rows`: a group-by per package; `event(row)` gives a row's Event, asked only of
    each package's longest runs (for the label of the slowest)."""
    if not len(rows):
        return []
    packages, of = np.unique(columns.pkg[rows], return_inverse=True)
    of = of.reshape(-1)
    wall, cpu = columns.wall_ns[rows], columns.cpu_ns[rows]
    walls, cpus = np.zeros(len(packages), np.int64), np.zeros(len(packages), np.int64)
    np.add.at(walls, of, wall)
    np.add.at(cpus, of, np.where(cpu == columns.UNKNOWN, 0, cpu))
    longest = np.zeros(len(packages), np.int64)
    np.maximum.at(longest, of, wall)
    slowest: dict[int, str] = {}
    longest_runs = np.flatnonzero(wall == longest[of])
    for row, g in zip(rows[longest_runs].tolist(), of[longest_runs].tolist()):  # ties: the last label
        label = c_compile_label(event(row))
        if label > slowest.get(g, ""):
            slowest[g] = label
    out = [CCompileRow(columns.pkgs[p], n, w, c, slowest[g]) for g, (p, n, w, c) in
           enumerate(zip(packages.tolist(), np.bincount(of).tolist(), walls.tolist(), cpus.tolist()))]
    return sorted(out, key=lambda r: (-r.wall_ns, r.pkg))
