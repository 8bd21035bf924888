"""One build's invocations as columns, not Events: what the timeline, the summary and the report read.

`read_part` reads a trace (in two processes for a large file: commands._common.selected_in_parts)
and keeps, of each invocation that ran, its start, wall and CPU time, peak RSS, tool and package (as
indexes into lists of names), and the few facts the critical path wires nodes with (deps of compiles
and links, action ids); `chain_rows` (critical_path) finds the rows on the critical path from them.
Read `with_whole` (summary, report), it also keeps the whole Event of the few invocations whose
record says more than the columns (a failure, compiler phases, go's action-graph facts:
events._WHOLE_WHEN), the files of each C compile, and the build's version probes and cache hits:
everything else a summary reads, so that a million-record trace is summarised without a million
Events (~630 MB). (A C compile was kept whole until its files were all a summary read of it: at 1M
records, 130,000 Events that took a summary's peak RSS from ~730 to ~850 MiB.)

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
-> 189 MiB. The chain in a forked child (forked.Forked) beside the layout: at load 3.5 it cost ~1 s
more than it saved (in-process A/B, 1M records: 6.7-8.0 s serial, 7.8-9.7 s forked), so it was
dropped; on a quiet machine it saves ~1.7 s (2026-12-02, 1M records, four alternating runs of the
command: 14.2 s against 15.9 s), so the timeline command does it now. Every output the same
bytes (tests/test_pinned_outputs.py; PNG and SVG of a dozen traces compared with main's).
"""
from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import count
from typing import TYPE_CHECKING

import numpy as np

from gotrace.analysis.critical_path import Graph, Nodes, chain_rows, nodes_of_columns, string_ranks, wired
from gotrace.analysis.parallelism import Invocations, Parallelism, parallelism
from gotrace.events import _UNKNOWN, BuildInfo, Event, EventList, RowEvents, Spans
from gotrace.names import add_names, indexes, name_column

if TYPE_CHECKING:
    from gotrace.commands._common import SelectedEvents

UNKNOWN = _UNKNOWN  # an unknown CPU time, as in Spans and Invocations
# of a big trace read by two processes (commands._common.selected_in_parts), the share this process
# reads to start with, and keeps of what either takes over from the other (file_parts): the
# helper's columns of half a million records take 0.5-1.3 s to pickle, cross the pipe and load.
# (At 1M, 55% left the helper idle for 1.2-2.4 s in some runs and this process for 3 s in another,
# before the readers took over each other's lines; 50% with taking over: this process waited
# 1.6 s for the helper's result; 52%: the parts' results were in 9.3-10.3 s, 10.2-11.4 before.)
FIRST_SHARE = 0.52
DEPS_KEPT = frozenset({"compile", "link"})  # the tools whose deps the graph reads (imports; what a link linked)


@dataclass(frozen=True)
class BuildRows(Invocations):
    """The invocations that ran in one build, row i being one of them, in trace order: their
    columns (`Invocations`), by row the facts few rows have, the whole Event of the rows whose
    record says more (when read with them), and the build's version probes and cache hits."""

    build: str = ""
    deps: dict[int, tuple[str, ...]] = field(default_factory=dict)  # compile and link rows -> deps
    actions: dict[int, str] = field(default_factory=dict)  # row -> action id (imported records)
    action_deps: dict[int, tuple[str, ...]] = field(default_factory=dict)  # row -> actions waited for
    whole: dict[int, Event] = field(default_factory=dict)  # row -> its Event, where it says more
    others: list[Event] = field(default_factory=list)  # version probes and cache hits, in trace order
    c_files: dict[int, tuple[str | None, str | None]] = field(default_factory=dict)  # C compile -> (file, output)

    @classmethod
    def of_events(cls, events: Sequence[Event]) -> BuildRows:
        """The rows of one build's events (version probes and cache hits among them go to `others`),
        each row's whole Event kept: for callers that hold Events already."""
        ran = [e for e in events if not e.probe and not e.cached]
        c = Invocations.of(ran)
        deps = {k: e.deps for k, e in enumerate(ran) if e.deps is not None and e.tool in DEPS_KEPT}
        actions = {k: e.action for k, e in enumerate(ran) if e.action is not None}
        action_deps = {k: e.action_deps for k, e in enumerate(ran) if e.action_deps}
        build = ran[0].build if ran else (events[0].build if events else "")
        return cls(c.start_ns, c.wall_ns, c.cpu_ns, c.pkg, c.pkgs, c.tool, c.tools, c.max_rss_kib, build, deps,
                   actions, action_deps, dict(enumerate(ran)), [e for e in events if e.probe or e.cached])

    def __len__(self) -> int:
        return len(self.start_ns)

    def parallelism(self, info: BuildInfo | None) -> Parallelism:
        """`parallelism.parallelism` of these invocations, from the columns."""
        return parallelism(self.events(), info, columns=(self.start_ns, self.wall_ns), cpu=self.cpu_ns,
                           only_ran=True)

    def nodes(self) -> Nodes:
        """These invocations grouped into the graph's nodes, not yet wired (`critical_path.nodes_of_columns`)."""
        return nodes_of_columns(self.pkg, self.pkgs, self.tool, self.tools, self.start_ns, self.wall_ns)

    def graph(self, nodes: Nodes | None = None) -> Graph:
        """The dependency graph of these invocations (`critical_path.wired`); its rows are
        these rows. Pass `nodes` when they are made already (`nodes()`)."""
        if nodes is None:
            nodes = self.nodes()
        return wired(nodes, self.pkg, self.pkgs, self.tool, self.tools, self.deps, self.actions, self.action_deps)

    def on_critical_path(self, nodes: Nodes | None = None) -> np.ndarray:
        """Whether each row is on the critical path (`critical_path.chain_rows`); pass `nodes` when
        they are made already (`nodes()`)."""
        return chain_rows(self.graph(nodes), len(self))

    def events(self) -> Sequence[Event]:
        """The rows as Events, made one at a time when asked for (`event`)."""
        return RowEvents(self)

    def event(self, k: int) -> Event:
        """Row k as an Event: the whole one where kept, else made of the columns and facts kept
        (its CPU time as user time: the columns keep the sum; a C compile's files)."""
        whole = self.whole.get(k)
        if whole is not None:
            return whole
        cpu, rss = int(self.cpu_ns[k]), int(self.max_rss_kib[k])
        file, output = self.c_files.get(k, (None, None))
        return Event(self.build, self.tools[self.tool[k]], self.pkgs[self.pkg[k]], int(self.start_ns[k]),
                     int(self.wall_ns[k]), user_ns=None if cpu == UNKNOWN else cpu,
                     max_rss_kib=None if rss == self.NO_RSS else rss, deps=self.deps.get(k),
                     action=self.actions.get(k), action_deps=self.action_deps.get(k), file=file, output=output)

    def spans(self) -> Spans:
        """These rows as the reader's columns view (events.Spans; compile phases from the whole
        Events): what the folds read (collapse.fold_columns)."""
        width = max(len(self.tools), 1)
        distinct, kind = np.unique(self.pkg.astype(np.int64) * width + self.tool, return_inverse=True)
        kinds = [(self.build, self.pkgs[k // width], self.tools[k % width]) for k in distinct.tolist()]
        return Spans(kinds, kind.reshape(-1).astype(np.intc), self.start_ns, self.wall_ns, self.cpu_ns,
                     np.where(self.max_rss_kib == self.NO_RSS, UNKNOWN, self.max_rss_kib),
                     phases={k: e.phases for k, e in self.whole.items() if e.phases})

    def wholes(self, rows: Iterable[int] | None = None) -> list[Event]:
        """The Events kept whole, of `rows` (in the order given) or of every row (in row order)."""
        whole = self.whole
        return [whole[k] for k in (sorted(whole) if rows is None else rows) if k in whole]


# The names of a part's kinds, one of (build, package, tool): the distinct names in order of first
# appearance, and for each kind the index of its name among them (made in the process that read the
# part, so that the helper's are ready to merge and cross the pipe as one array and one list)
NameColumn = tuple[list[str], np.ndarray]


@dataclass
class ReadPart:
    """What one process read: every build's rows, and the builds in order of first appearance."""

    builds: dict[str, None]  # of the events selected, cache hits included (as summary.one_build)
    kind_build: NameColumn  # the distinct (build, package, tool) of the part's rows, a column each
    kind_pkg: NameColumn
    kind_tool: NameColumn
    kind: array  # per row, index into those kinds
    times: array  # per row: start, wall, cpu, rss
    deps: dict[int, tuple[str, ...]]
    actions: dict[int, str]
    action_deps: dict[int, tuple[str, ...]]
    whole_rows: array = field(default_factory=lambda: array("i"))  # rows kept whole, in order
    whole: EventList = field(default_factory=EventList)  # their Events (a pipe carries them as columns)
    others: EventList = field(default_factory=EventList)
    c_files: dict[int, tuple[str | None, str | None]] = field(default_factory=dict)  # C compiles' (file, output)


def read_part(selected: SelectedEvents, with_whole: bool = False) -> ReadPart:
    """The rows of one part of a trace (TraceReader.products "graph" or "build"): the work of
    commands._common.selected_in_parts, counting what it selects as its events would be counted.
    `with_whole`: keep the whole Events of the rows that say more than the columns, and the
    version probes (when the reader yields them) and cache hits (see the module doc)."""
    wanted = selected.build_id
    builds: dict[str, None] = {}
    kind_ids: dict[tuple[str, str, str], int] = {}
    kinds: list[tuple[str, str, str]] = []
    kind, times = array("i"), array("q")
    add_kind, add_times = kind.append, times.extend
    deps: dict[int, tuple[str, ...]] = {}
    actions: dict[int, str] = {}
    action_deps: dict[int, tuple[str, ...]] = {}
    whole_rows, whole, others = array("i"), EventList(), EventList()
    c_files: dict[int, tuple[str | None, str | None]] = {}
    last_build = None
    row = selected_count = 0
    view = "build" if with_whole else "graph"
    for key, numbers, names, action, probe, cached, waited, event, files in selected.reader.products(view):
        build = key[0]
        if build is not last_build:
            if wanted is not None and build != wanted:
                continue
            builds[build] = None
            last_build = build
        selected_count += 1
        if probe or cached:
            if with_whole:
                others.append(event)
            continue
        k = kind_ids.get(key)
        if k is None:
            k = kind_ids[key] = len(kinds)
            kinds.append(key)
        add_kind(k)
        add_times(numbers)
        if names is not None and key[2] in DEPS_KEPT:
            deps[row] = names
        if action is not None:
            actions[row] = action
        if waited:
            action_deps[row] = waited
        if event is not None and with_whole:
            whole_rows.append(row)
            whole.append(event)
        if files is not None:
            c_files[row] = files
        row += 1
    selected.count += selected_count
    columns = zip(*kinds) if kinds else ((), (), ())
    return ReadPart(builds, *map(name_column, columns), kind, times, deps, actions, action_deps, whole_rows, whole,
                    others, c_files)


def rows_of_build(parts: list[ReadPart], build: str | None = None) -> BuildRows:
    """The rows of one build (the last one seen when None) from the parts of a trace, in file order."""
    return _rows_of(parts, build or builds_of(parts)[-1])


def builds_of(parts: list[ReadPart]) -> list[str]:
    """The builds the parts selected events of, in order of first appearance."""
    builds: dict[str, None] = {}
    for part in parts:
        builds.update(part.builds)
    return list(builds)


def _rows_of(parts: list[ReadPart], build: str) -> BuildRows:
    tool_ids: dict[str, int] = {}
    pkg_ids: dict[str, int] = {}
    columns: list[np.ndarray] = []
    tools, pkgs = [], []
    deps: dict[int, tuple[str, ...]] = {}
    actions: dict[int, str] = {}
    action_deps: dict[int, tuple[str, ...]] = {}
    whole: dict[int, Event] = {}
    c_files: dict[int, tuple[str | None, str | None]] = {}
    others: list[Event] = []
    offset = 0
    for part in parts:
        # per kind: whether it is of this build, and its tool and package indexes
        # (names of this build's kinds only: the lists name the packages and tools of its rows)
        build_names, build_of = part.kind_build
        mine = build_of == build_names.index(build) if build in build_names else np.zeros(len(build_of), bool)
        every_kind = bool(mine.all())
        tool_of = _name_ids(part.kind_tool, tool_ids, None if every_kind else mine)
        pkg_of = _name_ids(part.kind_pkg, pkg_ids, None if every_kind else mine)
        kind = np.frombuffer(part.kind, np.int32) if len(part.kind) else np.zeros(0, np.int32)
        times = (np.frombuffer(part.times, np.int64) if len(part.times) else np.zeros(0, np.int64)).reshape(-1, 4)
        keep = mine[kind] if len(mine) else np.zeros(len(kind), bool)
        every = bool(keep.all())
        if not every:
            kind, times = kind[keep], times[keep]
        columns.append(times)
        tools.append(tool_of[kind] if len(kind) else np.zeros(0, np.int64))
        pkgs.append(pkg_of[kind] if len(kind) else np.zeros(0, np.int64))
        # row numbers of the part -> of the build's rows
        renumber = None if every else _renumbering(keep, offset)
        for mine_of, rows_of, values in ((deps, part.deps.keys(), part.deps.values()),
                                         (actions, part.actions.keys(), part.actions.values()),
                                         (action_deps, part.action_deps.keys(), part.action_deps.values()),
                                         (whole, part.whole_rows, part.whole),
                                         (c_files, part.c_files.keys(), part.c_files.values())):
            if renumber is None:
                mine_of.update(zip(map(offset.__add__, rows_of), values))
                continue
            for r, value in zip(rows_of, values):
                at = renumber(r)
                if at is not None:
                    mine_of[at] = value
        others.extend(e for e in part.others if e.build == build)
        offset += len(kind)
    times = np.concatenate(columns)
    return BuildRows(times[:, 0].copy(), times[:, 1].copy(), times[:, 2].copy(), np.concatenate(pkgs), list(pkg_ids),
                     np.concatenate(tools), list(tool_ids), np.where(times[:, 3] == UNKNOWN, Invocations.NO_RSS,
                                                                     times[:, 3]),
                     build, deps, actions, action_deps, whole, others, c_files)


def _name_ids(column: NameColumn, ids: dict[str, int], mine: np.ndarray | None) -> np.ndarray:
    """For each kind of a part, the index of its name (`column`) in `ids`, to which names are added
    in order of first appearance among the kinds `mine` selects (all when None); -1 for the kinds
    `mine` leaves out."""
    names, of_kind = column
    if mine is None:
        if not ids:  # the first part: its own indexes
            ids.update(zip(names, count()))
            return of_kind
        used, chosen = names, None
    else:
        distinct, first = np.unique(of_kind[mine], return_index=True)
        chosen = distinct[np.argsort(first, kind="stable")]  # in order of first appearance
        used = [names[i] for i in chosen.tolist()]
    add_names(ids, used)
    index = indexes(ids, used)
    if chosen is None:
        return index[of_kind]
    of_name = np.full(len(names), -1, np.int64)
    of_name[chosen] = index
    return np.where(mine, of_name[of_kind], -1)


def _renumbering(keep: np.ndarray, offset: int):
    index = (np.cumsum(keep) - 1 + offset).tolist()
    kept = keep.tolist()
    return lambda r: index[r] if kept[r] else None


def rows_in_order(rows: BuildRows) -> np.ndarray:
    """The rows sorted as the chart draws them: by start, end, tool, package, then trace order."""
    tool_rank = string_ranks(rows.tools)[rows.tool]
    pkg_rank = string_ranks(rows.pkgs)[rows.pkg]
    return np.lexsort((pkg_rank, tool_rank, rows.start_ns + rows.wall_ns, rows.start_ns))
