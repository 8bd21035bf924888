"""Compiler phases: what `gotrace run --phases` recorded inside each compile, under names users know.

The shim adds the compiler's own `-bench=FILE` flag and stores its timers in `Event.phases` under the
compiler's keys ("fe:parse", "be:compilefuncs", ... and "total"). The keys change between Go
releases, so unknown keys are kept under their own name rather than dropped.

`phase_frames(event)` is the one place that turns a record into child frames of `compile`; the fold,
flame-graph and speedscope renderers call it so that every view names and orders phases alike.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gotrace.events import Event

# compiler timer key -> user-facing name, in the order the compiler runs them. The names are frame
# names too (below `compile`), so they hold no space (`gotrace fold T | sort -k2 -n` must rank stacks)
# and none is the name of a Go tool.
PHASE_NAMES = {
    "fe:init": "startup",
    "fe:loadsys": "load-runtime-types",
    "fe:parse": "parse&typecheck",
    "fe:pgo-load-profile": "load-PGO-profile",
    "fe:devirtualize-and-inline": "inline&devirtualise",
    "fe:escapes": "escape-analysis",
    "be:compilefuncs": "SSA&codegen",
    "be:dumpobj": "write-object",
}
TOTAL_KEY = "total"


def phase_times(event: Event) -> list[tuple[str, int]]:
    """(phase name, ns) in compiler order for a compile that recorded phases; [] otherwise.

    Known phases come first in the compiler's order, unknown keys after them sorted by key."""
    if not event.phases:
        return []
    known = [(name, event.phases[key]) for key, name in PHASE_NAMES.items() if key in event.phases]
    unknown = sorted((key, ns) for key, ns in event.phases.items()
                     if key not in PHASE_NAMES and key != TOTAL_KEY)
    return [(name, ns) for name, ns in known + unknown if ns > 0]


def phase_frames(event: Event, unit_ns: int = 1) -> list[tuple[str, int]]:
    """Child frames of a `compile` frame: (phase name, weight in units of `unit_ns`).

    The weights never add up to more than the compile's wall time: the compiler's timers run inside
    the process whose wall time the shim measured, so any excess is clock noise, scaled away. What
    is left of the compile (process start, reading export data) stays the parent's self time."""
    times = phase_times(event)
    if not times:
        return []
    measured = sum(ns for _, ns in times)
    scale = min(1.0, event.wall_ns / measured) if measured else 1.0
    frames = []
    for name, ns in times:
        weight = int(ns * scale) // unit_ns
        if weight > 0:
            frames.append((name, weight))
    return frames


@dataclass(frozen=True)
class PhaseRow:
    phase: str
    total_ns: int
    pct: float  # of the time all compiles with phases spent in their phases
    slowest_pkg: str
    slowest_ns: int


@dataclass(frozen=True)
class PhaseTable:
    compiles: int  # compiles that recorded phases
    without: int  # compiles that did not (a build without --phases, or a failed compile)
    rows: list[PhaseRow]

    def to_dict(self) -> dict:
        return {
            "compiles": self.compiles,
            "compiles_without_phases": self.without,
            "phases": [{"phase": r.phase, "total_ns": r.total_ns, "pct": round(r.pct, 2),
                        "slowest_pkg": r.slowest_pkg, "slowest_ns": r.slowest_ns} for r in self.rows],
        }


def phase_table(events: Iterable[Event], *, compiles: int | None = None) -> PhaseTable | None:
    """Per-phase totals over all compiles among `events`, with the package where each phase took
    longest; None when no compile recorded phases. `compiles`: how many compiles the build ran,
    when `events` hold only some of them (those with phases, at least)."""
    ran = [e for e in events if e.tool == "compile" and not e.probe and not e.cached]
    recorded = [e for e in ran if e.phases]
    compiles = len(ran) if compiles is None else compiles
    if not recorded:
        return None
    totals: dict[str, int] = {}
    slowest: dict[str, tuple[int, str]] = {}
    for e in recorded:
        for name, ns in phase_times(e):
            totals[name] = totals.get(name, 0) + ns
            if (ns, e.pkg) > slowest.get(name, (-1, "")):
                slowest[name] = (ns, e.pkg)
    grand = sum(totals.values()) or 1
    order = {name: i for i, name in enumerate(PHASE_NAMES.values())}
    rows = [PhaseRow(name, ns, 100.0 * ns / grand, slowest[name][1], slowest[name][0])
            for name, ns in sorted(totals.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))]
    return PhaseTable(compiles=len(recorded), without=compiles - len(recorded), rows=rows)
