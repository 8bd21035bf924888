"""Two builds compared: which packages and tools got slower, faster, bigger; which came or went.

Everything here is pure: `compare` turns two lists of events into a Comparison, `differential_stacks`
into the {stack: (before, after)} pairs that differential flame graphs and folded text are made of.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gotrace.collapse import fold_events, package_label
from gotrace.events import BuildInfo, Event

METRICS = {
    # name: (what it measures, unit of the values, value of one event)
    "wall": ("wall time", "ns", lambda e: e.wall_ns),
    "cpu": ("CPU time", "ns", lambda e: e.cpu_ns),
    "rss": ("peak RSS", "KiB", lambda e: e.max_rss_kib),
}


@dataclass(frozen=True)
class Change:
    kind: str  # "package" or "tool"
    name: str
    before: int | None  # None: not in that build
    after: int | None

    @property
    def status(self) -> str:
        if self.before is None:
            return "new"
        if self.after is None:
            return "vanished"
        return "changed" if self.before != self.after else "same"

    @property
    def delta(self) -> int:
        return (self.after or 0) - (self.before or 0)

    @property
    def relative(self) -> float | None:
        return self.delta / self.before if self.before else None

    def to_dict(self) -> dict:
        rel = self.relative
        return {"kind": self.kind, "name": self.name, "before": self.before, "after": self.after,
                "delta": self.delta, "relative": None if rel is None else round(rel, 6),
                "status": self.status}


@dataclass(frozen=True)
class Threshold:
    """The noise floor: a change smaller than this is not shown and never fails a gate."""
    absolute: int = 0  # in the metric's unit
    relative: float = 0.0  # 0.05 = 5 %

    def passes(self, change: Change) -> bool:
        # a new or vanished package changed by its whole value: infinitely in relative terms
        if change.delta == 0 or abs(change.delta) < self.absolute:
            return False
        return self.relative == 0 or change.relative is None or abs(change.relative) >= self.relative


@dataclass(frozen=True)
class Comparison:
    metric: str
    total_before: int
    total_after: int
    changes: tuple[Change, ...]  # every package and tool, largest change first

    @property
    def unit(self) -> str:
        return METRICS[self.metric][1]

    @property
    def total_relative(self) -> float | None:
        return (self.total_after - self.total_before) / self.total_before if self.total_before else None


def _ran(events: Iterable[Event]) -> list[Event]:
    return [e for e in events if not e.probe and not e.cached]


def aggregate(events: Iterable[Event], metric: str, key) -> dict[str, int]:
    """Metric per key: time summed over invocations, memory the largest peak."""
    value_of = METRICS[metric][2]
    out: dict[str, int] = defaultdict(int)
    for e in _ran(events):
        value = value_of(e)
        if value is None:
            continue
        k = key(e)
        out[k] = max(out[k], value) if metric == "rss" else out[k] + value
    return dict(out)


def total(events: Sequence[Event], metric: str, info: BuildInfo | None = None) -> int:
    """The build's figure: wall time from its build record (or first start to last end), CPU summed,
    memory the largest peak."""
    ran = _ran(events)
    if metric == "wall":
        if info is not None and info.wall_ns is not None:
            return info.wall_ns
        return max((e.end_ns for e in ran), default=0) - min((e.start_ns for e in ran), default=0)
    values = aggregate(ran, metric, lambda e: "")
    return values.get("", 0)


def compare(before: Sequence[Event], after: Sequence[Event], metric: str = "wall",
            info_before: BuildInfo | None = None, info_after: BuildInfo | None = None) -> Comparison:
    changes = []
    for kind, key in (("package", lambda e: package_label(e.pkg)), ("tool", lambda e: e.tool)):
        b, a = aggregate(before, metric, key), aggregate(after, metric, key)
        changes += [Change(kind, name, b.get(name), a.get(name)) for name in set(b) | set(a)]
    changes.sort(key=lambda c: (-abs(c.delta), c.kind, c.name))
    return Comparison(metric, total(before, metric, info_before), total(after, metric, info_after),
                      tuple(changes))


def slower(comparison: Comparison, limit: float, threshold: Threshold) -> list[str]:
    """Why a CI gate at `limit` (0.1 = 10 % slower) fails: the total, or a package present in both
    builds that grew by more than the limit and past the noise floor. Empty when it passes."""
    reasons = []
    rel = comparison.total_relative
    if rel is not None and rel > limit:
        reasons.append(f"total {METRICS[comparison.metric][0]} grew {100 * rel:.1f}%")
    for c in comparison.changes:
        if (c.kind == "package" and c.status == "changed" and c.delta > 0 and threshold.passes(c)
                and c.relative is not None and c.relative > limit):
            reasons.append(f"{c.name} grew {100 * c.relative:.1f}%")
    return reasons


def differential_stacks(before: Iterable[Event], after: Iterable[Event], *, weight: str = "wall",
                        grouping: str = "path") -> dict[tuple[str, ...], tuple[int, int]]:
    """{stack: (before, after)} over the union of both builds' stacks; absent on one side is 0."""
    b = fold_events(before, weight=weight, grouping=grouping)
    a = fold_events(after, weight=weight, grouping=grouping)
    return {stack: (b.get(stack, 0), a.get(stack, 0)) for stack in set(b) | set(a)}
