"""One build's invocations as the Gantt chart (`gotrace timeline`) needs them: columns, not Events.

`read_part` reads a trace (in two processes for a large file: commands._common.selected_in_parts)
and keeps, of each invocation that ran, its start, wall and CPU time, tool and package (as indexes
into lists of names), and the few facts the critical path wires nodes with (deps of compiles and
links, action ids); `chain_rows` (critical_path) finds the rows on the critical path from them.

Why not Events (issue 14: a 1,000,000-record trace at <= 3x the orjson decode floor, < 1 GiB).
Profiled (cProfile, tracemalloc, RSS per stage) on 100,000 and 1,000,000 real-derived records
(benchmarks/real_trace.py), the Event-based timeline spent, at 100k: 3.7 s reading Events in one
process, 2.3 s on the critical path's graph of Node objects (only to outline its steps), 0.6 s
sorting Events for the bars and labels, 0.45 s on lanes over lists of Event attributes, 1.4 s in
matplotlib (0.7 s drawing the concurrency curve); at 1M it held a million Event tuples (~630 MB).
What replaced it: the reader's "graph" view in two processes (~2.3x the floor's CPU, split in
two); the chart's order, labels and tool counts by numpy sorts over name ranks; lanes over int64
columns, turned into Python ints a chunk at a time; the critical path's rows over columns
(critical_path.chain_rows: numpy group-bys into nodes, a node's own time by a running maximum,
the same wiring rules and chain as critical_path, one node's edges at a time); the concurrency
steps kept as two int64 columns (parallelism.Steps: as a list of tuples they took ~190 MB).
What is left at 1M (CPU seconds, loaded machine): reading ~8-9 s per process, the chain 3.5-5 s
(Python work per node and per import name: node_inputs, heaviest_chain; 4.1 s on a quiet machine
since the graph's edges are resolved in one pass for plain packages and the chain's weights by a
C-level max per node: 5.8 s before), matplotlib ~2.5 s
(1.2 s drawing the curve's 3 million vertices), lanes ~1 s (a heap per row).
Measured with benchmarks/bench_scale.py --only timeline (2 cores shared with other work), before
-> after: 1M records 71.6 s -> 29.0 s wall (6.74x -> 3.98x the floor), 45.9 s -> 28.4 s CPU (6.68x
-> 4.28x), peak RSS 1,343 -> 753 MiB at load 5; at load ~1 (after the merge of main) 21.3 s, 2.99x
(one round) and 19.4 s, 3.26x (median of two), CPU 4.1-4.5x, 754 MiB. 100k records: 10.1 s ->
5.8 s wall (9.6x -> 6.5x: matplotlib's import and the interpreter's start are a second of it), 263
-> 189 MiB. Tried and dropped: the chain in a forked child (forked.Forked) beside the layout: at
load 3.5 it cost ~1 s more than it saved (in-process A/B, 1M records: 6.7-8.0 s serial, 7.8-9.7 s
forked). Every output the same bytes (tests/test_pinned_outputs.py; PNG and SVG of a dozen traces
compared with main's).
"""
from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from gotrace.analysis.critical_path import chain_rows, string_ranks
from gotrace.analysis.parallelism import Parallelism, parallelism
from gotrace.events import _UNKNOWN, BuildInfo, Event, RowEvents

if TYPE_CHECKING:
    from gotrace.commands._common import SelectedEvents

UNKNOWN = _UNKNOWN  # an unknown CPU time, as in Spans


@dataclass
class GanttRows:
    """The invocations that ran in one build, row i being one of them, in trace order."""

    UNKNOWN = UNKNOWN

    build: str
    start_ns: np.ndarray  # int64
    wall_ns: np.ndarray  # int64
    cpu_ns: np.ndarray  # int64, UNKNOWN where the trace does not know it
    tool: np.ndarray  # index into `tools`
    pkg: np.ndarray  # index into `pkgs`
    tools: list[str]
    pkgs: list[str]
    deps: dict[int, tuple[str, ...]] = field(default_factory=dict)  # compile and link rows -> deps
    actions: dict[int, str] = field(default_factory=dict)  # row -> action id (imported records)
    action_deps: dict[int, tuple[str, ...]] = field(default_factory=dict)  # row -> actions waited for

    def __len__(self) -> int:
        return len(self.start_ns)

    def parallelism(self, info: BuildInfo | None) -> Parallelism:
        """`parallelism.parallelism` of these invocations, from the columns."""
        return parallelism(self.events(), info, columns=(self.start_ns, self.wall_ns), cpu=self.cpu_ns,
                           only_ran=True)

    def on_critical_path(self) -> np.ndarray:
        """Whether each row is on the critical path (`critical_path.chain_rows`)."""
        return chain_rows(self.pkg, self.pkgs, self.tool, self.tools, self.start_ns, self.wall_ns, self.deps,
                          self.actions, self.action_deps)

    def events(self) -> Sequence[Event]:
        """The rows as Events, made one at a time when asked for (build, tool, package and times:
        what parallelism's serial stretches read)."""
        return RowEvents(self)

    def event(self, k: int) -> Event:
        """Row k as an Event: build, tool, package and times."""
        return Event(self.build, self.tools[self.tool[k]], self.pkgs[self.pkg[k]], int(self.start_ns[k]),
                     int(self.wall_ns[k]))


@dataclass
class GanttPart:
    """What one process read: every build's rows, and the builds in order of first appearance."""

    builds: dict[str, None]  # of the events selected, cache hits included (as summary.one_build)
    kinds: list[tuple[str, str, str]]  # (build, package, tool)
    kind: array  # per row, index into kinds
    times: array  # per row: start, wall, cpu
    deps: dict[int, tuple[str, ...]]
    actions: dict[int, str]
    action_deps: dict[int, tuple[str, ...]]


def read_part(selected: SelectedEvents) -> GanttPart:
    """The rows of one part of a trace (TraceReader.products("graph")): the work of
    commands._common.selected_in_parts, counting what it selects as its events would be counted."""
    wanted = selected.build_id
    builds: dict[str, None] = {}
    kind_ids: dict[tuple[str, str, str], int] = {}
    kinds: list[tuple[str, str, str]] = []
    kind, times = array("i"), array("q")
    add_kind, add_times = kind.append, times.extend
    deps: dict[int, tuple[str, ...]] = {}
    actions: dict[int, str] = {}
    action_deps: dict[int, tuple[str, ...]] = {}
    last_build = None
    row = selected_count = 0
    for key, numbers, names, action, _, cached, waited in selected.reader.products("graph"):
        build = key[0]
        if build is not last_build:
            if wanted is not None and build != wanted:
                continue
            builds[build] = None
            last_build = build
        selected_count += 1
        if cached:
            continue
        k = kind_ids.get(key)
        if k is None:
            k = kind_ids[key] = len(kinds)
            kinds.append(key)
        add_kind(k)
        add_times(numbers)
        if names is not None and (key[2] == "compile" or key[2] == "link"):
            deps[row] = names
        if action is not None:
            actions[row] = action
        if waited:
            action_deps[row] = waited
        row += 1
    selected.count += selected_count
    return GanttPart(builds, kinds, kind, times, deps, actions, action_deps)


def rows_of_build(parts: list[GanttPart], build: str | None = None) -> GanttRows:
    """The rows of one build (the last one seen when None) from the parts of a trace, in file order."""
    builds: dict[str, None] = {}
    for part in parts:
        builds.update(part.builds)
    return _rows_of(parts, build or list(builds)[-1])


def _rows_of(parts: list[GanttPart], build: str) -> GanttRows:
    tool_ids: dict[str, int] = {}
    pkg_ids: dict[str, int] = {}
    starts, walls, cpus, tools, pkgs = [], [], [], [], []
    deps: dict[int, tuple[str, ...]] = {}
    actions: dict[int, str] = {}
    action_deps: dict[int, tuple[str, ...]] = {}
    offset = 0
    for part in parts:
        # per kind: whether it is of this build, and its tool and package indexes
        mine = np.array([b == build for b, _, _ in part.kinds], bool)
        tool_of = np.array([tool_ids.setdefault(t, len(tool_ids)) for _, _, t in part.kinds], np.int32)
        pkg_of = np.array([pkg_ids.setdefault(p, len(pkg_ids)) for _, p, _ in part.kinds], np.int32)
        kind = np.frombuffer(part.kind, np.int32) if len(part.kind) else np.zeros(0, np.int32)
        times = (np.frombuffer(part.times, np.int64) if len(part.times) else np.zeros(0, np.int64)).reshape(-1, 3)
        keep = mine[kind] if len(mine) else np.zeros(len(kind), bool)
        every = bool(keep.all())
        if not every:
            kind, times = kind[keep], times[keep]
        starts.append(times[:, 0])
        walls.append(times[:, 1])
        cpus.append(times[:, 2])
        tools.append(tool_of[kind] if len(kind) else np.zeros(0, np.int32))
        pkgs.append(pkg_of[kind] if len(kind) else np.zeros(0, np.int32))
        # row numbers of the part -> of the build's rows
        renumber = (lambda r, offset=offset: r + offset) if every else _renumbering(keep, offset)
        for mine_of, theirs in ((deps, part.deps), (actions, part.actions), (action_deps, part.action_deps)):
            for r, value in theirs.items():
                at = renumber(r)
                if at is not None:
                    mine_of[at] = value
        offset += len(kind)
    return GanttRows(build, np.concatenate(starts), np.concatenate(walls), np.concatenate(cpus),
                     np.concatenate(tools), np.concatenate(pkgs), list(tool_ids), list(pkg_ids),
                     deps, actions, action_deps)


def _renumbering(keep: np.ndarray, offset: int):
    index = (np.cumsum(keep) - 1 + offset).tolist()
    kept = keep.tolist()
    return lambda r: index[r] if kept[r] else None


def rows_in_order(rows: GanttRows) -> np.ndarray:
    """The rows sorted as the chart draws them: by start, end, tool, package, then trace order."""
    tool_rank = string_ranks(rows.tools)[rows.tool]
    pkg_rank = string_ranks(rows.pkgs)[rows.pkg]
    return np.lexsort((pkg_rank, tool_rank, rows.start_ns + rows.wall_ns, rows.start_ns))

