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
three times the spread of the packages around the factor, `noise`) and an absolute floor.
"""
from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from sys import intern

from gotrace.analysis.per_build import per_build
from gotrace.collapse import fold_events, package_label
from gotrace.events import BuildInfo, Event, event_from_dict

# A row of a BuildTable: one (package, tool, recorded by the shim) of a build, its invocations'
RUNS, WALL, CPU, CPU_KNOWN, RSS, FIRST_START, LAST_END = range(7)  # count, sums, largest peak (-1: none)

METRICS = {
    # name: (what it measures, unit of the values, a table's value of each row: None when unknown)
    "wall": ("wall time", "ns", lambda table: table.columns[WALL]),
    "cpu": ("CPU time", "ns", lambda table: (value if known else None for value, known
                                             in zip(table.columns[CPU], table.columns[CPU_KNOWN]))),
    "rss": ("peak RSS", "KiB", lambda table: (value if value >= 0 else None for value in table.columns[RSS])),
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

    @cached_property
    def log_ratios(self) -> list[tuple[float, float]]:
        """`_log_ratios`, once: the table and the gate each ask for the speed factor and the noise."""
        return _log_ratios(self)


class BuildTable:
    """One build's invocations as `compare` needs them, gathered in one pass over its records (`add`)
    and kept as one row per (package, tool, recorded by the shim or not): how many ran, their wall
    and CPU time summed, their largest peak RSS, their first start and last end. A million-record
    trace becomes as many rows as it has packages and tools; cache hits count only towards
    `action_graph`, version probes not at all. With `fold` (a weight of collapse.WEIGHTS) it also
    folds the invocations' stacks, per recorded-by-the-shim or not, for `differential_stacks`."""

    FOLD_CHUNK = 4096  # invocations folded at once: the stacks grow by a dict merge, not per event

    def __init__(self, build: str = "", fold: str | None = None):
        self.build = build
        # (pkg, tool, shim) -> its row: an index into the columns RUNS, WALL, CPU, CPU_KNOWN, RSS,
        # FIRST_START and LAST_END (arrays: a million-record trace has hundreds of thousands of rows)
        self.index: dict[tuple[str, str, bool], int] = {}
        self.columns = tuple(array("q") for _ in range(LAST_END + 1))
        self.action_graph = False  # the records carry the go command's action graph (`action_graph_mode`)
        self.goversion: str | None = None  # the first record's that names one
        self.fold = fold
        self.stacks: dict[bool, dict[tuple[str, ...], int]] = {True: {}, False: {}}
        self._unfolded: dict[bool, list[Event]] = {True: [], False: []}

    def add(self, record: dict) -> None:
        """One valid invocation record of this build (`TraceReader.records`), not a version probe."""
        get = record.get
        source, cached = get("source"), get("cached")
        shim = source is None or source == "shim"
        if not self.action_graph and (get("action") is not None or cached or not shim):
            self.action_graph = True
        if self.goversion is None:
            self.goversion = get("goversion") or None
        if cached:
            return
        start, wall = record["start_ns"], record["wall_ns"]
        user, sys_, rss = get("user_ns"), get("sys_ns"), get("max_rss_kib")
        runs, walls, cpus, cpu_known, peaks, firsts, lasts = self.columns
        pkg, tool = record["pkg"], record["tool"]
        row = self.index.get((pkg, tool, shim))
        if row is None:
            row = self.index[(pkg, intern(tool), shim)] = len(runs)
            for column, value in zip(self.columns, (0, 0, 0, 0, -1, start, start + wall)):
                column.append(value)
        runs[row] += 1
        walls[row] += wall
        if user is not None or sys_ is not None:  # Event.cpu_ns
            cpus[row] += (user or 0) + (sys_ or 0)
            cpu_known[row] = 1
        if rss is not None and rss > peaks[row]:
            peaks[row] = rss
        if start < firsts[row]:
            firsts[row] = start
        if start + wall > lasts[row]:
            lasts[row] = start + wall
        if self.fold is not None:
            unfolded = self._unfolded[shim]
            unfolded.append(event_from_dict(record, keep_argv=False))
            if len(unfolded) >= self.FOLD_CHUNK:
                self._fold(shim)

    def rows(self) -> Iterator[tuple[tuple[str, str, bool], list[int]]]:
        """(pkg, tool, shim) and its row: [RUNS, WALL, CPU, CPU_KNOWN, RSS, FIRST_START, LAST_END]."""
        columns = self.columns
        for key, row in self.index.items():
            yield key, [column[row] for column in columns]

    def merge(self, later: BuildTable) -> None:
        """Add the table of the same build's records that follow this table's (a trace read in parts)."""
        self.action_graph = self.action_graph or later.action_graph
        self.goversion = self.goversion or later.goversion
        runs, walls, cpus, cpu_known, peaks, firsts, lasts = self.columns
        for key, (n, wall, cpu, known, peak, first, last) in later.rows():
            row = self.index.get(key)
            if row is None:
                self.index[key] = len(runs)
                for column, value in zip(self.columns, (n, wall, cpu, known, peak, first, last)):
                    column.append(value)
                continue
            runs[row] += n
            walls[row] += wall
            cpus[row] += cpu
            cpu_known[row] |= known
            peaks[row] = max(peaks[row], peak)
            firsts[row] = min(firsts[row], first)
            lasts[row] = max(lasts[row], last)
        for shim in (True, False):
            self._fold(shim)
            later._fold(shim)
            stacks = self.stacks[shim]
            for stack, value in later.stacks[shim].items():
                stacks[stack] = stacks.get(stack, 0) + value

    def __getstate__(self) -> dict:
        for shim in (True, False):  # a table read by a helper process is sent folded
            self._fold(shim)
        return self.__dict__

    def _fold(self, shim: bool) -> None:
        if not self._unfolded[shim]:
            return
        stacks = self.stacks[shim]
        for stack, value in fold_events(self._unfolded[shim], weight=self.fold).items():
            stacks[stack] = stacks.get(stack, 0) + value
        self._unfolded[shim].clear()

    def folded(self, shim_only: bool = False) -> dict[tuple[str, ...], int]:
        """fold_events of the build's invocations (of those the shim recorded only, with `shim_only`)."""
        for shim in (True, False):
            self._fold(shim)
        if shim_only:
            return self.stacks[True]
        out = dict(self.stacks[True])
        for stack, value in self.stacks[False].items():
            out[stack] = out.get(stack, 0) + value
        return out

    def shim_only(self) -> BuildTable:
        """The rows of the invocations the shim recorded (what a trace without go's action graph has)."""
        table = BuildTable(self.build, self.fold)
        for key, row in self.rows():
            if key[2]:
                table.index[key] = len(table.columns[0])
                for column, value in zip(table.columns, row):
                    column.append(value)
        table.action_graph, table.goversion = self.action_graph, self.goversion
        table.stacks = {True: self.folded(shim_only=True), False: {}}
        return table


def tables(records: Iterable[dict], fold: str | None = None) -> dict[str, BuildTable]:
    """The table of each build in `records` (no version probes), in order of first appearance."""
    return per_build(records, lambda build: BuildTable(build, fold))


def table_of(events: BuildTable | Iterable[Event], fold: str | None = None) -> BuildTable:
    """One build's events as a table (the functions below take either)."""
    if isinstance(events, BuildTable):
        return events
    table = BuildTable("", fold)
    for e in events:
        if not e.probe:
            table.add(e.to_dict())
    return table


def aggregate(events: BuildTable | Iterable[Event], metric: str, key) -> dict[str, int]:
    """Metric per key (of a row's package and tool): time summed over invocations, memory the
    largest peak; a key none of whose invocations knows its value is left out."""
    table = table_of(events)
    out: dict[str, int] = {}
    for (pkg, tool, _), value in zip(table.index, METRICS[metric][2](table)):
        if value is None:
            continue
        k = key(pkg, tool)
        if k not in out:
            out[k] = value
        else:
            out[k] = max(out[k], value) if metric == "rss" else out[k] + value
    return out


def total(events: BuildTable | Iterable[Event], metric: str, info: BuildInfo | None = None) -> int:
    """The build's figure: wall time from its build record (or first start to last end), CPU summed,
    memory the largest peak."""
    table = table_of(events)
    if metric == "wall":
        if info is not None and info.wall_ns is not None:
            return info.wall_ns
        firsts, lasts = table.columns[FIRST_START], table.columns[LAST_END]
        return max(lasts, default=0) - min(firsts, default=0)
    return aggregate(table, metric, lambda pkg, tool: "").get("", 0)


def _per_name(table: BuildTable, metric: str, labels: dict[str, str]) -> tuple[dict[str, list], dict[str, list]]:
    """Per package (by its label) and per tool of the table: [the metric (as `aggregate`; None when
    unknown), invocations], in one pass over its rows."""
    largest = metric == "rss"
    packages: dict[str, list] = {}
    tools: dict[str, list] = {}
    for (pkg, tool, _), value, runs in zip(table.index, METRICS[metric][2](table), table.columns[RUNS]):
        label = labels.get(pkg)
        if label is None:
            label = labels[pkg] = package_label(pkg)
        for slot in (packages.get(label) or packages.setdefault(label, [None, 0]),
                     tools.get(tool) or tools.setdefault(tool, [None, 0])):
            slot[1] += runs
            if value is not None:
                slot[0] = value if slot[0] is None else max(slot[0], value) if largest else slot[0] + value
    return packages, tools


def compare(before: BuildTable | Sequence[Event], after: BuildTable | Sequence[Event], metric: str = "wall",
            info_before: BuildInfo | None = None, info_after: BuildInfo | None = None) -> Comparison:
    """Every package and tool of either build whose metric is known on one side at least, largest
    change first (then by kind and name)."""
    before, after = table_of(before), table_of(after)
    labels: dict[str, str] = {}
    nothing = [None, 0]
    keyed = []
    for kind, b, a in zip(("package", "tool"), _per_name(before, metric, labels), _per_name(after, metric, labels)):
        for name in b.keys() | a.keys():
            (vb, rb), (va, ra) = b.get(name, nothing), a.get(name, nothing)
            if vb is not None or va is not None:
                keyed.append(((-abs((va or 0) - (vb or 0)), kind, name), Change(kind, name, vb, va, max(rb, ra))))
    keyed.sort(key=lambda pair: pair[0])  # (kind, name) is unique: the changes are never compared
    return Comparison(metric, total(before, metric, info_before), total(after, metric, info_after),
                      tuple(change for _, change in keyed))


# A package's change counts for the gate only past this much (time metrics), whatever --threshold.
GATE_FLOOR_NS = 250_000_000
# ... and past this much per tool invocation of the package: every process start (the tool's and
# the shim's) costs tens of milliseconds more or less on a busier machine, so a package of many
# short runs (runtime/cgo: a C compile per file) drifts by more than one long compile does.
GATE_FLOOR_PER_RUN_NS = 40_000_000
# Three times the noise, not two: the gate looks at every package, and the largest of dozens of
# deviations lies further out than the quantile that measures them (same-commit cold builds at load
# 10 here: `os` strayed 2.7x the noise, a compile made 2x slower strays 5x and more).
NOISE_FACTOR = 3.0
# The total is one comparison, not the largest of dozens: twice the noise, as before.
TOTAL_NOISE_FACTOR = 2.0
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
    median = _weighted_quantile(comparison.log_ratios, 0.5)
    return 1.0 if median is None else math.exp(median)


def noise(comparison: Comparison, factor: float) -> float:
    """How far packages strayed from the machine-wide factor between these two builds: the share by
    which the packages holding NOISE_QUANTILE of the time (weighted by it) stayed within (0.05: 5%
    either way). A high quantile, not the median: on a busy machine a package's CPU time depends on
    what else ran beside it, so a few large packages stray far while most stay close."""
    shift = math.log(factor) if factor > 0 else 0.0
    spread = _weighted_quantile([(abs(r - shift), w) for r, w in comparison.log_ratios], NOISE_QUANTILE)
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
        if rel > max(limit, TOTAL_NOISE_FACTOR * spread):  # the total strays as its packages do
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


def action_graph_mode(events: BuildTable | Iterable[Event]) -> bool:
    """Whether a trace carries the go command's action graph (imported or merged)."""
    return table_of(events).action_graph


def recording_differences(before: BuildTable | Sequence[Event], after: BuildTable | Sequence[Event],
                          info_before: BuildInfo | None, info_after: BuildInfo | None) -> list[str]:
    """What differs in how the two builds were recorded, each as "what: before vs after"; a fact
    one side does not know is no difference."""
    out = []
    before, after = table_of(before), table_of(after)
    modes = [before.action_graph, after.action_graph]
    if modes[0] != modes[1]:
        name = {True: "with go's action graph", False: "shim only"}
        out.append(f"recording: {name[modes[0]]} vs {name[modes[1]]}")

    def goversion(table, info):
        return (info.goversion if info else None) or table.goversion

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


def comparable(events: BuildTable, other: BuildTable) -> BuildTable:
    """`events` without the records only a trace with go's action graph has (the C compiles and
    other actions it adds) when `other` lacks them."""
    return events if other.action_graph else events.shim_only()


def differential_stacks(before: BuildTable | Iterable[Event], after: BuildTable | Iterable[Event], *,
                        weight: str = "wall", grouping: str = "path") -> dict[tuple[str, ...], tuple[int, int]]:
    """{stack: (before, after)} over the union of both builds' stacks; absent on one side is 0.
    Tables must have been gathered with `fold=weight` (and the default grouping)."""
    b, a = (side.folded() if isinstance(side, BuildTable) else fold_events(side, weight=weight, grouping=grouping)
            for side in (before, after))
    return {stack: (b.get(stack, 0), a.get(stack, 0)) for stack in set(b) | set(a)}
