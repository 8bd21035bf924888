"""Two builds compared: which packages and tools got slower, faster, bigger; which came or went.

Everything here is pure: `compare` turns two lists of events into a Comparison, `differential_stacks`
into the {stack: (before, after)} pairs that differential flame graphs and folded text are made of.

Like with like: `recording_differences` names what differs in how the two traces were recorded (the
action graph merged or not, Go version, -p, cores, cache state); such traces differ for reasons
that are not the code, and `comparable` keeps only the records both kinds of trace have.

Noise: two cold builds of the same commit differ, and on a shared machine by a lot: a busier
machine makes every tool slower, CPU time included (tens of percent between two runs here). A
change of code moves some packages; a change of load moves them all. So the gate measures the
machine-wide factor (`speed_factor`: the median, weighted by time, of the packages' after/before
ratios), takes it out, and calls a package (or the total) slower only past both the limit (and
twice the spread of the packages around the factor, `noise`) and an absolute floor.
"""
from __future__ import annotations

import math
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
    runs: int = 0  # tool invocations behind it, in the build that had more

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


def _runs(events: Iterable[Event], key) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for e in _ran(events):
        out[key(e)] += 1
    return out


def compare(before: Sequence[Event], after: Sequence[Event], metric: str = "wall",
            info_before: BuildInfo | None = None, info_after: BuildInfo | None = None) -> Comparison:
    changes = []
    for kind, key in (("package", lambda e: package_label(e.pkg)), ("tool", lambda e: e.tool)):
        b, a = aggregate(before, metric, key), aggregate(after, metric, key)
        rb, ra = _runs(before, key), _runs(after, key)
        changes += [Change(kind, name, b.get(name), a.get(name), max(rb.get(name, 0), ra.get(name, 0)))
                    for name in set(b) | set(a)]
    changes.sort(key=lambda c: (-abs(c.delta), c.kind, c.name))
    return Comparison(metric, total(before, metric, info_before), total(after, metric, info_after),
                      tuple(changes))


# A package's change counts for the gate only past this much (time metrics), whatever --threshold.
GATE_FLOOR_NS = 250_000_000
# ... and past this much per tool invocation of the package: every process start (the tool's and
# the shim's) costs tens of milliseconds more or less on a busier machine, so a package of many
# short runs (runtime/cgo: a C compile per file) drifts by more than one long compile does.
GATE_FLOOR_PER_RUN_NS = 40_000_000
NOISE_FACTOR = 2.0
NOISE_QUANTILE = 0.8
# Packages this small (before) say nothing about the machine: start-up dominates them.
FACTOR_MIN_NS = 20_000_000


def _weighted_quantile(pairs: list[tuple[float, float]], q: float) -> float | None:
    """The value at share q of the total weight of (value, weight) pairs."""
    pairs = sorted(p for p in pairs if p[1] > 0)
    total = sum(w for _, w in pairs)
    if not total:
        return None
    acc = 0.0
    for value, weight in pairs:
        acc += weight
        if acc >= q * total:
            return value
    return pairs[-1][0]


def _log_ratios(comparison: Comparison) -> list[tuple[float, float]]:
    """(log(after/before), weight) of the packages in both builds, weighted by sqrt(before x after):
    the same whichever build is called before, so the gate judges a pair alike both ways."""
    return [(math.log(c.after / c.before), math.sqrt(c.before * c.after)) for c in comparison.changes
            if c.kind == "package" and c.before and c.after and max(c.before, c.after) >= FACTOR_MIN_NS]


def speed_factor(comparison: Comparison) -> float:
    """How much slower (>1) or faster the after-build ran as a whole: the time-weighted median of
    the packages' after/before ratios. 1.0 for memory, which load does not inflate."""
    if comparison.unit != "ns":
        return 1.0
    median = _weighted_quantile(_log_ratios(comparison), 0.5)
    return 1.0 if median is None else math.exp(median)


def noise(comparison: Comparison, factor: float) -> float:
    """How far packages strayed from the machine-wide factor between these two builds: the share by
    which the packages holding NOISE_QUANTILE of the time (weighted by it) stayed within (0.05: 5%
    either way). A high quantile, not the median: on a busy machine a package's CPU time depends on
    what else ran beside it, so a few large packages stray far while most stay close."""
    shift = math.log(factor) if factor > 0 else 0.0
    spread = _weighted_quantile([(abs(r - shift), w) for r, w in _log_ratios(comparison)], NOISE_QUANTILE)
    return 0.0 if spread is None else math.exp(spread) - 1


@dataclass(frozen=True)
class Gate:
    limit: float
    factor: float  # speed_factor
    noise: float
    package_limit: float  # max(limit, NOISE_FACTOR x noise)
    floor: int  # absolute, in the metric's unit
    reasons: tuple[str, ...]  # empty: passed

    def to_dict(self) -> dict:
        return {"limit": self.limit, "speed_factor": round(self.factor, 4), "noise": round(self.noise, 4),
                "package_limit": round(self.package_limit, 4), "floor": self.floor,
                "failures": list(self.reasons)}


def gate(comparison: Comparison, limit: float, threshold: Threshold) -> Gate:
    """A CI gate at `limit` (0.1 = 10% slower), robust to run-to-run noise: the total and each
    package in both builds are judged after taking out the machine-wide speed factor; a package
    counts only past max(limit, NOISE_FACTOR x noise) and past an absolute floor (the larger of
    --threshold, GATE_FLOOR_NS and GATE_FLOOR_PER_RUN_NS per invocation, for time)."""
    factor = speed_factor(comparison)
    spread = noise(comparison, factor)
    package_limit = max(limit, NOISE_FACTOR * spread)
    floor = max(threshold.absolute, GATE_FLOOR_NS if comparison.unit == "ns" else 0)
    what = METRICS[comparison.metric][0]
    reasons = []
    if comparison.total_before:
        rel = comparison.total_after / (comparison.total_before * factor) - 1
        if rel > package_limit:  # the total strays from the factor as its packages do
            beyond = f" beyond the machine-wide {100 * (factor - 1):+.1f}%" if factor != 1.0 else ""
            reasons.append(f"total {what} grew {100 * rel:.1f}%{beyond}")
    for c in comparison.changes:
        if c.kind != "package" or c.status != "changed" or not c.before:
            continue
        expected = c.before * factor
        rel = c.after / expected - 1
        own_floor = max(floor, GATE_FLOOR_PER_RUN_NS * c.runs) if comparison.unit == "ns" else floor
        if c.after - expected >= own_floor and rel > package_limit:
            reasons.append(f"{c.name} grew {100 * rel:.1f}%" + (" beyond the machine-wide factor" if factor != 1.0 else ""))
    return Gate(limit, factor, spread, package_limit, floor, tuple(reasons))


def slower(comparison: Comparison, limit: float, threshold: Threshold) -> list[str]:
    """Why the gate at `limit` fails; empty when it passes (see `gate`)."""
    return list(gate(comparison, limit, threshold).reasons)


def action_graph_mode(events: Sequence[Event]) -> bool:
    """Whether a trace carries the go command's action graph (imported or merged)."""
    return any(e.action is not None or e.cached or e.source != "shim" for e in events)


def recording_differences(before: Sequence[Event], after: Sequence[Event], info_before: BuildInfo | None,
                          info_after: BuildInfo | None) -> list[str]:
    """What differs in how the two builds were recorded, each as "what: before vs after"; a fact
    one side does not know is no difference."""
    out = []
    modes = [action_graph_mode(before), action_graph_mode(after)]
    if modes[0] != modes[1]:
        name = {True: "with go's action graph", False: "shim only"}
        out.append(f"recording: {name[modes[0]]} vs {name[modes[1]]}")

    def goversion(events, info):
        return (info.goversion if info else None) or next((e.goversion for e in events if e.goversion), None)

    facts = [("Go", goversion(before, info_before), goversion(after, info_after)),
             ("-p", info_before and info_before.parallelism, info_after and info_after.parallelism),
             ("cores", info_before and info_before.cores, info_after and info_after.cores),
             ("cache", info_before and info_before.cold, info_after and info_after.cold)]
    for what, b, a in facts:
        if b is not None and a is not None and b != a:
            if what == "cache":
                b, a = ("cold" if b else "warm"), ("cold" if a else "warm")
            out.append(f"{what}: {b} vs {a}")
    return out


def comparable(events: Sequence[Event], other: Sequence[Event]) -> list[Event]:
    """`events` without the records only a trace with go's action graph has (the C compiles and
    other actions it adds) when `other` lacks them."""
    if action_graph_mode(other):
        return list(events)
    return [e for e in events if e.source == "shim"]


def differential_stacks(before: Iterable[Event], after: Iterable[Event], *, weight: str = "wall",
                        grouping: str = "path") -> dict[tuple[str, ...], tuple[int, int]]:
    """{stack: (before, after)} over the union of both builds' stacks; absent on one side is 0."""
    b = fold_events(before, weight=weight, grouping=grouping)
    a = fold_events(after, weight=weight, grouping=grouping)
    return {stack: (b.get(stack, 0), a.get(stack, 0)) for stack in set(b) | set(a)}
