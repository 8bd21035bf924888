"""What the report page's script draws, as compact JSON: one build's invocations on their lanes,
what each waited for, the packages each depended on, the critical path, concurrency and CPU use,
and one row per package.

Invocations are columns (one list per field, row i of every list being invocation i), not one
object per bar: a 20,000-invocation build is then about a megabyte of JSON that the browser parses
in milliseconds. Times are integer microseconds from the first tool's start, unknown numbers are -1,
names are indexes into lists of distinct names. Same events, same bytes. The long columns are numpy
arrays until orjson writes them (OPT_SERIALIZE_NUMPY): the same JSON, without a Python int per value.

Cost (issue 14), at 1,000,000 records grown from a real build (01:40-02:15, cProfile and RSS per
stage): the page read Events (a million, ~630 MB) and spent ~9 s on what each invocation waited
for (a Python walk of every node and row), ~9 s on the package rows (a dict per row, a sort per
row's tools) and ~8 s on the flame graph, and held its data, its JSON as bytes and as text at
once. Now it reads the summary's columns (build_rows.BuildRows): what each invocation waited for
is numpy group-bys over the graph, but for nodes whose last inputs tie and nodes of several
tools (`dependency_facts`, ~4 s; the node walk is kept as tests/test_report_dependencies.py's
reference); package rows are a group-by with a tool list per distinct mix of tools (~3.5 s); the
flame graph is drawn by a forked child meanwhile (report.py); the data is written in pieces, each
part let go once written (`page_json`). The report at 1M went from 10.5x to about 6x the decode
floor, 1,831 -> ~1,015 MiB.

2026-12-02 (13:20-13:45, the CPU of each maker with its process's clock; line profilers inflate
Python calls several times over, so each figure is checked that way): the page's child made the
package rows and the curve (1.8 s) while this process made the whole timeline (2.6 s: its
dependency facts 1.75 s). Now the child makes the dependency facts and this process the rest
(1.6 s); a node whose tools ran one after another waits for the tool before, found for all such
nodes at once (`_chained`: 89% of the 111,804 nodes of several tools; `dependency_facts` 1.18 ->
0.94 s); the tool mixes of the package rows are grouped by one lexsort (`distinct_rows`: numpy's
unique rows took 0.58 s, this 0.04 s). The report 12.9 s against 13.8 s (farm-bench, 4 pairs).
"""
from __future__ import annotations

import heapq
import itertools
from collections import Counter
from collections.abc import Callable, Sequence
from itertools import compress
from typing import NamedTuple

import numpy as np
import orjson

from gotrace.analysis.build_rows import BuildRows, rows_in_order
from gotrace.analysis.cache import cache_stats, has_cache_facts
from gotrace.analysis.critical_path import CLOCK_SLACK_NS, Graph, Step, listed_steps, string_ranks
from gotrace.analysis.lanes import lanes_of
from gotrace.analysis.parallelism import Invocations
from gotrace.analysis.phases import phase_times
from gotrace.analysis.summary import STD_GROUP, Summary, group_names
from gotrace.events import _UNKNOWN as UNKNOWN_CPU
from gotrace.forked import Forked
from gotrace.palette import tool_colour
from gotrace.text import printable_json

UNKNOWN = -1
# How an invocation depends on the one it waited for (critical_path's edge names); index 0: nothing.
EDGES = ("", "import", "link", "package", "action", "slot")
PACKAGE_EDGE = EDGES.index("package")
PAGE_APART = 50_000  # invocations from which the timeline's dependency facts are made by a forked child
_NODES_AT_ONCE = 1 << 15  # nodes of several tools whose rows' figures are made into lists at once


def us(ns: int) -> int:
    return ns // 1000


def critical_steps(summary: Summary) -> list[tuple[Step, bool]]:
    """The critical path's steps, each with whether `gotrace summary` lists it (the rest are behind
    "show all"). The one place the page reads the critical path."""
    if summary.path is None:
        return []
    listed = {id(s) for s in listed_steps(summary.path)}
    return [(s, id(s) in listed) for s in summary.path.steps]


def dependency_facts(rows: BuildRows, graph: Graph | None = None, position: np.ndarray | None = None
                     ) -> tuple[np.ndarray, np.ndarray, list[tuple[str, ...]]]:
    """For each invocation of `rows` (listed at its `position`; by default in row order): the
    position of the invocation it waited for or -1, the edge (an index into EDGES), and the packages
    of the trace it depended on. Both come from the one dependency graph the critical path walks
    (`rows.graph()`; pass `graph` when it is built, as `Summary.graph`): what an invocation waited
    for is, of its package's earlier tools and the inputs of its package, the one that finished
    last before it started.

    A node's inputs all ended before its first tool started (`critical_path.wired` keeps only those),
    so the last of them, and the packages, are found once per node, not once per invocation: by
    numpy group-bys over the graph's columns, but for the few nodes whose last inputs tie (ranked
    by `_rank`) and the nodes of several tools (`_latest_earlier`), one at a time."""
    graph = rows.graph() if graph is None else graph
    n, nodes = len(rows), len(graph)
    at = np.arange(n) if position is None else position
    wait, edge = np.full(n, UNKNOWN, np.int64), np.zeros(n, np.int64)
    deps: list[tuple[str, ...]] = [()] * n
    if not nodes:
        return wait, edge, deps
    row_ends = rows.start_ns + rows.wall_ns
    order, firsts, counts = graph.order, graph.first, graph.count
    # each node's last tool: its row that ended last (the first such in the node's order)
    ends_in_order = row_ends[order]
    node_of_place = np.repeat(np.arange(nodes), counts)
    latest_row = np.maximum.reduceat(ends_in_order, firsts)
    places = np.flatnonzero(ends_in_order == latest_row[node_of_place])
    last_tool = order[places[np.unique(node_of_place[places], return_index=True)[1]]]
    # each node's input that ended last; ties (rare) by the whole rank, as max over all of them would
    offsets, sources, codes = graph.input_offsets, graph.input_node, graph.input_edge.astype(np.int64) + 1
    fed = np.flatnonzero(np.diff(offsets) > 0)
    best_row = np.full(nodes, -1, np.int64)  # per node: the row of the input it waited for, -1: none
    best_edge = np.zeros(nodes, np.int64)
    if len(fed):
        node_of_input = np.repeat(np.arange(nodes), np.diff(offsets))
        input_ends = graph.end_ns[sources]
        latest = np.full(nodes, np.iinfo(np.int64).min)
        latest[fed] = np.maximum.reduceat(input_ends, offsets[fed])
        last = np.flatnonzero(input_ends == latest[node_of_input])  # the inputs that ended last
        owner = node_of_input[last]
        ties = np.bincount(owner, minlength=nodes)
        alone = last[ties[owner] == 1]
        best_row[node_of_input[alone]] = last_tool[sources[alone]]
        best_edge[node_of_input[alone]] = codes[alone]
        if (ties > 1).any():
            facts = _RowFacts(rows, row_ends)
            for i in np.flatnonzero(ties > 1).tolist():
                tied = last[np.searchsorted(owner, i):np.searchsorted(owner, i, "right")]  # (owner ascends)
                best_row[i], best_edge[i] = max(((int(last_tool[sources[k]]), int(codes[k])) for k in tied.tolist()),
                                                key=facts.rank)
    # the packages each node depended on: its inputs but its own package's build (names taken from
    # an object array: a list of a million edges' node numbers would be a million int objects)
    package_code = PACKAGE_EDGE
    other = codes != package_code
    named = np.array(graph.pkg, dtype=object)[sources[other]].tolist()
    off = np.r_[0, np.cumsum(other)][offsets].tolist()
    names_of = [tuple(sorted(set(named[off[i]:off[i + 1]]))) if off[i + 1] > off[i] else () for i in range(nodes)]
    del named
    # nodes of one tool (most): the row waited for is the node's input's
    single = counts == 1
    one_row = order[firsts[single]]
    has = best_row[single] >= 0
    wait[at[one_row[has]]] = at[best_row[single][has]]
    edge[at[one_row[has]]] = best_edge[single][has]
    for r, names in zip(at[one_row].tolist(), compress(names_of, single.tolist())):
        deps[r] = names
    # nodes of several tools: a tool may wait for an earlier tool of its package instead; their
    # rows' figures as lists, node by node
    facts = _RowFacts(rows, row_ends)
    several_nodes = np.flatnonzero(~single)
    for chunk in range(0, len(several_nodes), _NODES_AT_ONCE):  # (lists of a bounded number of rows)
        several = several_nodes[chunk:chunk + _NODES_AT_ONCE]
        sizes = counts[several]
        places = np.repeat(firsts[several] - np.cumsum(sizes) + sizes, sizes) + np.arange(int(sizes.sum()))
        their_rows = order[places]
        rows_of, at_of = their_rows.tolist(), at[their_rows].tolist()
        starts, ends = rows.start_ns[their_rows].tolist(), row_ends[their_rows].tolist()
        tool_of = facts.tool_of[their_rows].tolist()
        chained, before = _chained(rows.start_ns[their_rows], row_ends[their_rows], sizes)
        done = 0
        for i, size, one_after_another in zip(several.tolist(), sizes.tolist(), chained.tolist()):
            tools = rows_of[done:done + size]
            earlier = before[done:done + size] if one_after_another else _latest_earlier(
                starts[done:done + size], ends[done:done + size], tool_of[done:done + size])
            names = names_of[i]
            best_input = (int(best_row[i]), int(best_edge[i])) if best_row[i] >= 0 else None
            input_end = int(row_ends[best_input[0]]) if best_input else 0
            for k, d in zip(at_of[done:done + size], earlier):
                deps[k] = names
                best = best_input
                if d >= 0:  # an input and an earlier tool of the package never rank alike (the edge differs)
                    own = (tools[d], package_code)
                    if not best_input:
                        best = own
                    elif ends[done + d] != input_end:  # the later end ranks first (facts.rank), as most do
                        best = own if ends[done + d] > input_end else best_input
                    else:
                        best = max((own, best_input), key=facts.rank)
                if best is not None:
                    wait[k], edge[k] = at[best[0]], best[1]
            done += size
    return wait, edge, deps


class _RowFacts:
    """The figures of a build's invocations that rank what one waited for, by row (numpy: lists
    of a million rows' figures were ~200 MB while the page was made)."""

    def __init__(self, rows: BuildRows, row_ends: np.ndarray):
        self.ends = row_ends
        self.tool_of = np.array(rows.tools, dtype=object)[rows.tool]
        self.pkg_of = np.array(rows.pkgs, dtype=object)[rows.pkg]

    def rank(self, option: tuple[int, int]) -> tuple:
        """How (the row of an invocation waited for, the edge) ranks: the latest end, then an
        input's edge over its own package's, then the tool's name, then the package's."""
        row, edge = option
        return (int(self.ends[row]), edge != PACKAGE_EDGE, self.tool_of[row], self.pkg_of[row])


def _chained(starts: np.ndarray, ends: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Of nodes whose tools (`sizes` of them each, in start order: their `starts` and `ends`) follow
    one another, whether each node's did: each tool started after the one before it, ended after it,
    and no sooner than it ended (CLOCK_SLACK_NS); and, for every tool, the index within its node of
    the one before (-1 for the first). Of a node whose tools followed one another, that is the one
    each waited for (`_latest_earlier`): every earlier tool had ended by its start, the one before
    last of them. Most nodes of several tools (cgo's C compiles, asm and compile) are such: found
    at once, not one at a time (1M records: dependency_facts 1.18 -> 0.94 s of CPU)."""
    firsts = np.cumsum(sizes) - sizes
    follows = np.ones(len(starts), bool)
    follows[1:] = (starts[1:] > starts[:-1]) & (ends[1:] > ends[:-1]) & (ends[:-1] <= starts[1:] + CLOCK_SLACK_NS)
    follows[firsts] = True  # (a node's first tool follows nothing)
    before = np.arange(len(starts)) - np.repeat(firsts, sizes) - 1
    return np.logical_and.reduceat(follows, firsts) if len(firsts) else np.zeros(0, bool), before.tolist()


def _latest_earlier(starts: Sequence[int], ends: Sequence[int], tools: Sequence[str]) -> list[int]:
    """For each of one node's tools (in start order: their starts, ends and tool names), the index
    of the one it waited for among the others: started no later, ended by its start
    (CLOCK_SLACK_NS), the latest end, then the last tool name, then the first; -1 for none. A sweep
    in start order: the tools that qualify only grow, so a heap of the others by end and the best
    two so far answer each in O(log n)."""
    answer = [-1] * len(starts)
    pending: list[tuple[int, int]] = []  # (end, index) started, not yet ended by the current limit
    first = second = None  # the two highest (rank, index) so far
    at = 0
    while at < len(starts):
        start = starts[at]
        group = at
        while group < len(starts) and starts[group] == start:
            heapq.heappush(pending, (ends[group], group))
            group += 1
        limit = start + CLOCK_SLACK_NS
        while pending and pending[0][0] <= limit:
            end, d = heapq.heappop(pending)
            ranked = ((end, tools[d], -d), d)
            if first is None or ranked > first:
                first, second = ranked, first
            elif second is None or ranked > second:
                second = ranked
        for k in range(at, group):  # the best other than the tool itself
            other = first if first is not None and first[1] != k else second
            answer[k] = other[1] if other is not None else -1
        at = group
    return answer


def positions_of(order: np.ndarray) -> np.ndarray:
    """Each row's place in time order, of the rows in time order `order` (rows_in_order)."""
    position = np.empty(len(order), np.int64)
    position[order] = np.arange(len(order))
    return position


def timeline_bars(summary: Summary, position: np.ndarray, columns: Invocations) -> dict:
    """The timeline's columns of the bars: where each is drawn, its figures, the critical path
    (`position`: each row's place in time order, `columns` theirs in that order)."""
    rows = summary.rows
    n = len(rows)
    starts, walls = columns.times  # microseconds below by floor division, as `us`
    t0 = int(starts[0]) if n else 0
    tools = list(columns.runs_by_tool())
    place = {t: i for i, t in enumerate(tools)}
    tool_ids = np.array([place[t] for t in columns.tools], np.int64)  # column's tool id -> place in `tools`
    # assign_lanes(ran), columns read once; kept as int64 (a million Python ints are ~40 MB)
    lanes = np.array(lanes_of(starts.tolist(), (starts + walls).tolist()), np.int64)
    phase_names: dict[str, int] = {}
    phase_rows: list[int] = []
    phase_values: list[list[int]] = []
    whole = sorted((int(position[r]), e) for r, e in rows.whole.items())  # in time order
    for i, e in whole:
        times = phase_times(e) if e.phases else ()  # few invocations carry phases (and they are whole)
        if times:
            for name, _ in times:
                phase_names.setdefault(name, len(phase_names))
            phase_rows.append(i)
            phase_values.append([v for pair in ((phase_names[n], us(ns)) for n, ns in times) for v in pair])
    failed = [(i, e) for i, e in whole if e.failed]
    steps = critical_steps(summary)
    return {
        "span": us(int((starts + walls).max()) - t0) if n else 0,
        "lanes": int(lanes.max()) + 1 if n else 0,
        "tools": tools,
        "colours": [tool_colour(t) for t in tools],
        "pkgs": columns.pkgs,
        "pkg": columns.pkg,
        "tool": tool_ids[columns.tool] if n else [],
        "startDelta": _deltas((starts - t0) // 1000),  # in time order: each start after the one before
        "wall": walls // 1000,
        "cpu": np.where(columns.cpu_ns == UNKNOWN_CPU, UNKNOWN, columns.cpu_ns // 1000),
        "rss": np.where(columns.max_rss_kib == Invocations.NO_RSS, UNKNOWN, columns.max_rss_kib),
        "lane": lanes,
        "failed": [i for i, _ in failed],
        "why": [e.error or e.limit or (f"signal {e.signal}" if e.signal else f"exit {e.exit}") for _, e in failed],
        "edges": list(EDGES),
        "path": [int(position[s.row]) for s, _ in steps],
        "phaseNames": list(phase_names),
        "phaseRows": phase_rows,
        "phaseValues": phase_values,
    }


def timeline_dependencies(summary: Summary, position: np.ndarray, columns: Invocations) -> dict:
    """The timeline's columns of what each bar waited for (`wait`, its `edge`) and the packages it
    depended on (`deps`: an index into `depLists`, lists of indexes into the timeline's `pkgs`)."""
    n = len(summary.rows)
    wait, edge, deps = dependency_facts(summary.rows, summary.graph, position)
    dep_lists: dict[tuple[str, ...], int] = {}
    for names in deps:
        if names:
            dep_lists.setdefault(names, len(dep_lists))
    package_ids = {name: i for i, name in enumerate(columns.pkgs)}
    return {
        "wait": wait,
        "edge": edge,
        "deps": np.fromiter((dep_lists[names] if names else UNKNOWN for names in deps), np.int64, n),
        "depLists": [[package_ids[n] for n in names] for names in dep_lists],
    }


def parallelism_data(summary: Summary) -> dict:
    par = summary.par
    return {
        "atDelta": _deltas(par.steps.times // 1000),  # each step's time (µs) after the one before
        "running": par.steps.running,
        "cpu": [round(b, 3) for b in par.cpu_buckets],
        "cores": par.cores,
        "limit": par.limit,
        "peak": par.peak,
    }


def package_rows(build: BuildRows, depth: int | None, std: bool, order: np.ndarray | None = None,
                 columns: Invocations | None = None) -> dict:
    """One row per package of a build's invocations (rolled up to `depth` path elements when given).
    Unless `std`, the standard library's packages are children of one `std` row that sums them, as
    `gotrace summary` counts them; the page shows them when that row is expanded. `order` (the
    invocations in time order, build_rows.rows_in_order) and `columns` (theirs in that order), when
    the caller has them.

    A group-by over columns (a million-record build has hundreds of thousands of rows): each
    package's row found once, the figures added up per row by numpy, the tool lists made once per
    distinct mix of tools; only phases, which few invocations carry, are added one at a time."""
    order = rows_in_order(build) if order is None else order
    columns = build.in_order(order) if columns is None else columns
    n = len(order)
    t0 = int(columns.start_ns[0]) if n else 0
    # rows in order of their packages' first appearance in time (then packages only the cache knows)
    row_ids: dict[str, int] = {}
    groups = group_names(columns.pkgs, depth, std=True)
    row_of_package = np.fromiter(map(row_ids.setdefault, groups.names, itertools.count()), np.int64,
                                 len(groups.names))
    row_of_package = np.unique(row_of_package, return_inverse=True)[1].reshape(-1)
    row_std = np.zeros(len(row_ids), bool)
    row_std[row_of_package] = groups.in_std  # (a row's packages share their first path element)
    cache_facts = has_cache_facts(itertools.chain(build.wholes(), build.others))  # (an action id: whole)
    hits: dict[str, bool] = cache_stats(itertools.chain(build.events(), build.others))[2] if cache_facts else {}
    hit_groups = group_names(hits, depth, std=True)
    for name, of_std in zip(hit_groups.names, hit_groups.in_std):
        if name not in row_ids:
            row_ids[name] = len(row_ids)
            row_std = np.append(row_std, of_std)
    names = list(row_ids)
    in_std = row_std & (not std)
    ids = row_of_package[columns.pkg] if n else np.zeros(0, np.int64)
    figures = _add_up(columns, ids, len(names), t0)
    # in time order, the invocations with phases (few, and whole)
    position = positions_of(order)
    phases: dict[int, dict[str, int]] = {}
    for i, e in sorted((int(position[r]), e) for r, e in build.whole.items() if e.phases):
        of_row = phases.setdefault(int(ids[i]), {})
        for name, ns in phase_times(e):
            of_row[name] = of_row.get(name, 0) + us(ns)
    cache = [UNKNOWN] * len(names)
    for name, hit in zip(hit_groups.names, hits.values()):
        r = row_ids[name]
        cache[r] = 1 if hit and cache[r] != 0 else 0

    shown = np.lexsort((string_ranks(names), ~in_std)).tolist()  # the std packages first, by name
    std_rows = [r for r in shown if in_std[r]]
    tool_lists, runs = _tool_lists(figures.tools, columns.tools)
    start, wall, cpu, rss = (figures.start.tolist(), figures.wall.tolist(), figures.cpu.tolist(),
                             figures.rss.tolist())
    out_names = [names[r] for r in shown]
    out = {"start": [start[r] for r in shown], "wall": [wall[r] for r in shown], "cpu": [cpu[r] for r in shown],
           "rss": [rss[r] for r in shown], "runs": [runs[r] for r in shown], "tools": [tool_lists[r] for r in shown],
           "cache": [cache[r] for r in shown]}
    row_phases = [phases.get(r, {}) for r in shown]
    parent = [0 if in_std[r] else UNKNOWN for r in shown]
    if std_rows:  # the std row first, then its children, then the other packages
        known = [start[r] for r in std_rows if start[r] != UNKNOWN]
        known_cpu = [cpu[r] for r in std_rows if cpu[r] != UNKNOWN]
        peaks = [rss[r] for r in std_rows if rss[r] != UNKNOWN]
        std_tools, std_runs = _tool_lists(figures.tools[std_rows].sum(axis=0, keepdims=True), columns.tools)
        std_phases = sum((Counter(phases.get(r, {})) for r in std_rows), Counter())
        for key, value in (("start", min(known, default=UNKNOWN)), ("wall", sum(wall[r] for r in std_rows)),
                           ("cpu", sum(known_cpu) if known_cpu else UNKNOWN), ("rss", max(peaks, default=UNKNOWN)),
                           ("runs", std_runs[0]), ("tools", std_tools[0]), ("cache", UNKNOWN)):
            out[key].insert(0, value)
        out_names.insert(0, STD_GROUP)
        parent.insert(0, UNKNOWN)
        row_phases.insert(0, std_phases)
    phase_names = list(dict.fromkeys(p for of_row in row_phases for p in of_row))  # compiler order
    return {
        "name": out_names,
        "parent": parent,  # index of the row this one is a child of, -1 for a top-level row
        **{key: out[key] for key in ("start", "wall", "cpu", "rss", "runs", "tools")},
        "cache": out["cache"] if cache_facts else None,
        "phaseNames": phase_names,
        "phases": [[of_row.get(p, 0) for p in phase_names] for of_row in row_phases] if phase_names else None,
    }


class RowFigures(NamedTuple):
    start: np.ndarray  # first start, µs from the build's first (UNKNOWN: no invocation)
    wall: np.ndarray  # sum of each invocation's µs
    cpu: np.ndarray  # sum of each known CPU time's µs (UNKNOWN: none known)
    rss: np.ndarray  # peak RSS in KiB (UNKNOWN: none known)
    tools: np.ndarray  # runs of each tool: rows x tools


def _add_up(ran: Invocations, ids: np.ndarray, rows: int, t0: int) -> RowFigures:
    """Each row's first start, wall and CPU (sums of each invocation's microseconds), peak RSS and
    runs per tool, over the invocations `ran` (their columns), invocation i counting in row ids[i]."""
    starts, walls = ran.times
    cpus = ran.cpu_ns
    known = cpus != UNKNOWN_CPU
    first = np.full(rows, np.iinfo(np.int64).max)
    np.minimum.at(first, ids, (starts - t0) // 1000)
    first[first == np.iinfo(np.int64).max] = UNKNOWN
    wall = np.zeros(rows, np.int64)
    np.add.at(wall, ids, walls // 1000)
    cpu = np.zeros(rows, np.int64)
    np.add.at(cpu, ids[known], cpus[known] // 1000)
    cpu[np.bincount(ids[known], minlength=rows) == 0] = UNKNOWN
    rss = np.full(rows, UNKNOWN, np.int64)
    np.maximum.at(rss, ids, np.where(ran.max_rss_kib == Invocations.NO_RSS, UNKNOWN, ran.max_rss_kib))
    width = max(len(ran.tools), 1)
    tools = np.bincount(ids * width + ran.tool, minlength=rows * width).reshape(rows, width)
    return RowFigures(first, wall, cpu, rss, tools)


def _tool_lists(runs: np.ndarray, tools: Sequence[str]) -> tuple[list[str], list[int]]:
    """Each row's tools as the table lists them ("compile ×2, asm": most runs first, ties by name)
    from its runs per tool (rows x tools), made once per distinct mix; and each row's runs."""
    mixes, of = distinct_rows(runs)
    lists = [", ".join(t if k == 1 else f"{t} ×{k}" for t, k in
                       sorted(((t, k) for t, k in zip(tools, mix) if k), key=lambda tk: (-tk[1], tk[0])))
             for mix in mixes.tolist()]
    return [lists[m] for m in of.reshape(-1).tolist()], runs.sum(axis=1).tolist()


def distinct_rows(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`np.unique(matrix, axis=0, return_inverse=True)` of an integer matrix (its distinct rows in
    ascending order, and each row's index among them) by one lexsort of its columns: numpy's sort of
    rows as structured values took 0.58 s for a million-record build's 410,000 packages, this 0.04 s."""
    if not len(matrix):
        return matrix[:0], np.zeros(0, np.int64)
    by_row = np.lexsort(matrix.T[::-1])  # the first column the primary key
    ranked = matrix[by_row]
    starts = np.ones(len(ranked), bool)
    starts[1:] = (ranked[1:] != ranked[:-1]).any(axis=1)
    of = np.empty(len(matrix), np.int64)
    of[by_row] = np.cumsum(starts) - 1
    return ranked[starts], of


def page_data(summary: Summary) -> dict:
    """Everything the page script needs, of the summary's invocations (`Summary.rows`); the page
    writes it in parts (`page_json`)."""
    return {name: {key: value for make in makers for key, value in make().items()}
            for name, makers in _page_parts(summary, rows_in_order(summary.rows))}


def _page_parts(summary: Summary, order: np.ndarray) -> list[tuple[str, list[Callable[[], dict]]]]:
    """The parts of the page's data by name, in the order of their names, each the keys its makers
    make (each made when called); `order`: the invocations in time order (build_rows.rows_in_order)."""
    columns = summary.rows.in_order(order)  # read once for the timeline and the package rows
    position = positions_of(order)
    return [("packages", [lambda: named_by_index(package_rows(summary.rows, summary.depth, summary.std, order,
                                                              columns), columns.pkgs)]),
            ("parallelism", [lambda: parallelism_data(summary)]),
            ("timeline", [lambda: timeline_bars(summary, position, columns),
                          lambda: timeline_dependencies(summary, position, columns)])]


# The page's columns are written compactly, and its script (report.js) unpacks them as it starts: at a
# million invocations the page was 141 MB, 41 MB of it times from the build's start written whole
# (the timeline's starts and the concurrency steps' times: as differences from the one before, most
# have half the digits) and package names written twice (the package table's and the timeline's).


def _deltas(times: np.ndarray) -> np.ndarray:
    """Ascending times as the first one and each one's difference from the one before."""
    return np.diff(times, prepend=0) if len(times) else times


def named_by_index(rows: dict, pkgs: Sequence[str]) -> dict:
    """`package_rows` with each row's name written as its index in `pkgs` (the timeline's package
    names) where it is one of them; the std row, a --depth roll-up and a package only the cache
    knows keep their name."""
    index = {name: k for k, name in enumerate(pkgs)}
    return {**rows, "name": [index.get(name, name) for name in rows["name"]]}


JSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY


def script_json(data: object) -> str:
    """`data` as JSON to sit inside <script type="application/json">: '<', '>' and '&' are written
    as \\u escapes so that no name from a trace can close the element or open a comment."""
    return _escaped(orjson.dumps(data, option=JSON_OPTIONS))


def page_json(summary: Summary, order: np.ndarray) -> list[str]:
    """`script_json(page_data(summary))` (`order`: the invocations in time order) in pieces to write
    one after the other: each key of the data is made, written as JSON and let go before the next is
    made (a big build's columns and their JSON are each tens of megabytes or more). Compact JSON with
    sorted keys, so the pieces are the text of the whole. A big build's dependency facts are made
    by a forked child while this process makes the rest (and the report's flame graph is drawn by
    another): at 1M records they took 1.75 s of CPU, the rest 1.6 s (the package rows 0.85, the
    timeline's bars 0.45, the parallelism curve 0.3).
    """
    parts = dict(_page_parts(summary, order))
    apart = [parts["timeline"][1]]  # the timeline's dependency facts
    with Forked(lambda: [_json_values(make()) for make in apart], fork=len(summary.rows) >= PAGE_APART) as child:
        made = {make: _json_values(make()) for makers in parts.values() for make in makers if make not in apart}
    made.update(zip(apart, child.result()))
    return _object_pieces({name: _object_pieces({key: [value] for make in makers
                                                 for key, value in made.pop(make).items()})
                           for name, makers in parts.items()})


def _json_values(data: dict) -> dict[str, str]:
    """`script_json` of each value of `data`, by key, each value let go once written."""
    return {key: script_json(data.pop(key)) for key in sorted(data)}


def _object_pieces(values: dict[str, list[str]]) -> list[str]:
    """The pieces of the JSON object whose values, already written, are `values` (each in pieces;
    keys sorted)."""
    pieces = []
    for k, key in enumerate(sorted(values)):
        pieces += ["{" if k == 0 else ",", _escaped(orjson.dumps(key)), ":", *values[key]]
    return [*pieces, "}"] if pieces else ["{}"]


def _escaped(raw: bytes) -> str:
    """orjson's `raw` as script JSON: '<', '>', '&', and DEL and the C1 controls (which orjson
    writes as they are) as \\u escapes (`printable_json`), so that the page writes it without a
    second look for control characters (PrintableText.write_printable)."""
    for char, escape in ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026")):
        if char in raw:
            raw = raw.replace(char, escape)
    return printable_json(raw)
