"""What the report page's script draws, as compact JSON: one build's invocations on their lanes,
what each waited for, the packages each depended on, the critical path, concurrency and CPU use,
and one row per package.

Invocations are columns (one list per field, row i of every list being invocation i), not one
object per bar: a 20,000-invocation build is then about a megabyte of JSON that the browser parses
in milliseconds. Times are integer microseconds from the first tool's start, unknown numbers are -1,
names are indexes into lists of distinct names. Same events, same bytes.
"""
from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Sequence

import numpy as np
import orjson

from gotrace.analysis.cache import cache_stats, has_cache_facts
from gotrace.analysis.critical_path import CLOCK_SLACK_NS, Graph, Step, dependency_graph, listed_steps
from gotrace.analysis.critical_path import EDGES as GRAPH_EDGES
from gotrace.analysis.lanes import lanes_of
from gotrace.analysis.parallelism import Invocations
from gotrace.analysis.phases import phase_times
from gotrace.analysis.summary import STD_GROUP, Summary, group_name
from gotrace.events import Event
from gotrace.palette import tool_colour

UNKNOWN = -1
# How an invocation depends on the one it waited for (critical_path's edge names); index 0: nothing.
EDGES = ("", "import", "link", "package", "action", "slot")


def us(ns: int) -> int:
    return ns // 1000


def in_time_order(events: Sequence[Event]) -> list[Event]:
    """The invocations that ran, in the order the timeline lists them."""
    return sorted((e for e in events if not e.probe and not e.cached),
                  key=lambda e: (e.start_ns, e.end_ns, e.tool, e.pkg))


def critical_steps(summary: Summary) -> list[tuple[Step, bool]]:
    """The critical path's steps, each with whether `gotrace summary` lists it (the rest are behind
    "show all"). The one place the page reads the critical path."""
    if summary.path is None:
        return []
    listed = {id(s) for s in listed_steps(summary.path)}
    return [(s, id(s) in listed) for s in summary.path.steps]


def dependency_facts(ran: Sequence[Event], graph: Graph | None = None, graph_events: Sequence[Event] = ()
                     ) -> tuple[list[tuple[int, str]], list[tuple[str, ...]]]:
    """For each invocation: (index of the invocation it waited for or -1, the edge), and the
    packages of the trace it depended on. Both come from the one dependency graph the critical
    path walks (`critical_path.dependency_graph`; pass `graph` when it is built, as `Summary.graph`,
    with the events its rows index, `Summary.ran`): what an invocation waited for is, of its
    package's earlier tools and the inputs of its package, the one that finished last before it started.

    A node's inputs all ended before its first tool started (`dependency_graph` keeps only those),
    so the last of them, and the packages, are found once per node, not once per invocation."""
    if graph is None:
        graph, graph_events = dependency_graph(ran), ran
    position = {id(e): i for i, e in enumerate(ran)}
    waited: list[tuple[int, str]] = [(UNKNOWN, "")] * len(ran)
    deps: list[tuple[str, ...]] = [()] * len(ran)
    ends, pkgs = graph.end_ns.tolist(), graph.pkg
    # the graph's columns as lists, read once: a node's inputs and rows are slices of them
    offsets, sources = graph.input_offsets.tolist(), graph.input_node.tolist()
    edges = [GRAPH_EDGES[k] for k in graph.input_edge.tolist()]
    order, firsts, counts = graph.order.tolist(), graph.first.tolist(), graph.count.tolist()

    def rank(option: tuple[Event, str]) -> tuple:
        last, edge = option
        return (last.end_ns, edge != "package", last.tool, last.pkg)

    def events_of(i: int) -> list[Event]:
        return [graph_events[r] for r in order[firsts[i]:firsts[i] + counts[i]]]

    last_of: list[Event | None] = [None] * len(graph)  # a node's last tool, found when first needed
    for i in range(len(graph)):
        inputs = list(zip(sources[offsets[i]:offsets[i + 1]], edges[offsets[i]:offsets[i + 1]]))
        # the input that ended last; ties (rare) by the whole rank, as max over all of them would
        last_input, latest, tied = None, -1, False
        for j, edge in inputs:
            end = ends[j]
            if end > latest:
                last_input, latest, tied = (j, edge), end, False
            elif end == latest:
                tied = True
        if last_input is None:
            candidates = []
        elif tied:
            candidates = [(j, edge) for j, edge in inputs if ends[j] == latest]
        else:
            candidates = [last_input]
        options_in = []
        for j, edge in candidates:
            last = last_of[j]
            if last is None:
                last = last_of[j] = max(events_of(j), key=lambda d: d.end_ns)
            options_in.append((last, edge))
        best_input = max(options_in, key=rank, default=None)
        names = tuple(sorted({pkgs[j] for j, edge in inputs if edge != "package"}))
        tools = events_of(i)
        earlier = _latest_earlier(tools) if len(tools) > 1 else [-1]
        for e, d in zip(tools, earlier):
            k = position[id(e)]
            deps[k] = names
            best = best_input
            if d >= 0:  # an input and an earlier tool of the package never rank alike (the edge differs)
                best = max(((tools[d], "package"), best_input), key=rank) if best_input else \
                    (tools[d], "package")
            if best is not None:
                waited[k] = (position[id(best[0])], best[1])
    return waited, deps


def _latest_earlier(events: Sequence[Event]) -> list[int]:
    """For each of one node's tools (in start order), the index of the one it waited for among the
    others: started no later, ended by its start (CLOCK_SLACK_NS), the latest end, then the last
    tool name, then the first; -1 for none. A sweep in start order: the tools that qualify only
    grow, so a heap of the others by end and the best two so far answer each in O(log n)."""
    starts = [e.start_ns for e in events]
    answer = [-1] * len(events)
    pending: list[tuple[int, int]] = []  # (end, index) started, not yet ended by the current limit
    first = second = None  # the two highest (rank, index) so far
    at = 0
    while at < len(events):
        start = starts[at]
        group = at
        while group < len(events) and starts[group] == start:
            heapq.heappush(pending, (start + events[group].wall_ns, group))
            group += 1
        limit = start + CLOCK_SLACK_NS
        while pending and pending[0][0] <= limit:
            end, d = heapq.heappop(pending)
            ranked = ((end, events[d].tool, -d), d)
            if first is None or ranked > first:
                first, second = ranked, first
            elif second is None or ranked > second:
                second = ranked
        for k in range(at, group):  # the best other than the tool itself
            other = first if first is not None and first[1] != k else second
            answer[k] = other[1] if other is not None else -1
        at = group
    return answer


def timeline_data(ran: Sequence[Event], summary: Summary, columns: Invocations | None = None) -> dict:
    """Columns of the timeline: `ran` in time order (see `in_time_order`); `columns` are its
    `Invocations`, when the caller has them."""
    t0 = ran[0].start_ns if ran else 0
    columns = Invocations.of(ran) if columns is None else columns
    starts, walls = columns.times  # microseconds below by floor division, as `us`
    tools = list(columns.runs_by_tool())
    place = {t: i for i, t in enumerate(tools)}
    tool_ids = np.array([place[t] for t in columns.tools], np.int64)  # column's tool id -> place in `tools`
    waited, deps = dependency_facts(ran, summary.graph, summary.ran)
    dep_lists: dict[tuple[str, ...], int] = {}
    for names in deps:
        if names:
            dep_lists.setdefault(names, len(dep_lists))
    lanes = lanes_of(starts.tolist(), (starts + walls).tolist())  # assign_lanes(ran), columns read once
    phase_names: dict[str, int] = {}
    phase_rows: list[int] = []
    phase_values: list[list[int]] = []
    for i, e in enumerate(ran):
        times = phase_times(e) if e.phases else ()  # few invocations carry phases
        if times:
            for name, _ in times:
                phase_names.setdefault(name, len(phase_names))
            phase_rows.append(i)
            phase_values.append([v for pair in ((phase_names[n], us(ns)) for n, ns in times) for v in pair])
    position = {id(e): i for i, e in enumerate(ran)}
    package_ids = {name: i for i, name in enumerate(columns.pkgs)}
    steps = critical_steps(summary)
    edge_ids = {edge: i for i, edge in enumerate(EDGES)}
    return {
        "span": us(int((starts + walls).max()) - t0) if ran else 0,
        "lanes": max(lanes, default=-1) + 1,
        "tools": tools,
        "colours": [tool_colour(t) for t in tools],
        "pkgs": columns.pkgs,
        "pkg": columns.pkg.tolist(),
        "tool": tool_ids[columns.tool].tolist() if ran else [],
        "start": ((starts - t0) // 1000).tolist(),
        "wall": (walls // 1000).tolist(),
        "cpu": [UNKNOWN if cpu is None else us(cpu) for cpu in columns.cpu_ns],
        "rss": np.where(columns.max_rss_kib == Invocations.NO_RSS, UNKNOWN, columns.max_rss_kib).tolist(),
        "lane": lanes,
        "failed": [i for i, e in enumerate(ran) if e.failed],
        "why": [e.error or e.limit or (f"signal {e.signal}" if e.signal else f"exit {e.exit}")
                for e in ran if e.failed],
        "wait": [w for w, _ in waited],
        "edge": [edge_ids[edge] for _, edge in waited],
        "edges": list(EDGES),
        "deps": [dep_lists[names] if names else UNKNOWN for names in deps],
        "depLists": [[package_ids[n] for n in names] for names in dep_lists],
        "path": [position[id(s.event)] for s, _ in steps if id(s.event) in position],
        "phaseNames": list(phase_names),
        "phaseRows": phase_rows,
        "phaseValues": phase_values,
    }


def parallelism_data(summary: Summary) -> dict:
    par = summary.par
    return {
        "at": [us(t) for t, _ in par.steps],
        "running": [r for _, r in par.steps],
        "cpu": [round(b, 3) for b in par.cpu_buckets],
        "cores": par.cores,
        "limit": par.limit,
        "peak": par.peak,
    }


def package_rows(events: Sequence[Event], ran: Sequence[Event], depth: int | None, std: bool,
                 columns: Invocations | None = None) -> dict:
    """One row per package (rolled up to `depth` path elements when given). Unless `std`, the
    standard library's packages are children of one `std` row that sums them, as `gotrace summary`
    counts them; the page shows them when that row is expanded."""
    t0 = ran[0].start_ns if ran else 0
    rows: dict[str, dict] = {}
    in_std: dict[str, bool] = {}

    def row(pkg: str) -> dict:
        name = group_name(pkg, depth, std=True)
        if name not in rows:
            # (plain dicts: a million-record build has hundreds of thousands of rows)
            rows[name] = {"start": None, "wall": 0, "cpu": None, "rss": None, "tools": {}, "phases": {},
                          "cache": UNKNOWN}
            in_std[name] = not std and group_name(pkg) == STD_GROUP
        return rows[name]

    # a group-by over columns: each package's row found once, the figures added up per row by
    # numpy; only phases, which few invocations carry, are added one invocation at a time
    columns = Invocations.of(ran) if columns is None else columns
    packages, names_of_packages = columns.pkg, columns.pkgs  # in order of first appearance
    counted: list[dict] = []
    numbers: dict[int, int] = {}  # id(row) -> number
    row_of_package = []
    for pkg in names_of_packages:
        r = row(pkg)
        k = numbers.get(id(r))
        if k is None:
            k = numbers[id(r)] = len(counted)
            counted.append(r)
        row_of_package.append(k)
    ids = np.array(row_of_package, np.int64)[packages] if ran else np.zeros(0, np.int64)
    for i in [i for i, e in enumerate(ran) if e.phases]:
        phases = counted[ids[i]]["phases"]
        for name, ns in phase_times(ran[i]):
            phases[name] = phases.get(name, 0) + us(ns)
    if ran:
        _add_up(columns, ids, counted, t0)
    if has_cache_facts(events):
        for pkg, hit in cache_stats(events)[2].items():
            r = row(pkg)
            r["cache"] = 1 if hit and r["cache"] != 0 else 0

    names = sorted(rows, key=lambda n: (not in_std[n], n))
    std_names = [n for n in names if in_std[n]]
    if std_names:  # the std row first, then its children, then the other packages
        group = {"start": min((rows[n]["start"] for n in std_names if rows[n]["start"] is not None), default=None),
                 "wall": sum(rows[n]["wall"] for n in std_names),
                 "cpu": _total(rows[n]["cpu"] for n in std_names),
                 "rss": max((rows[n]["rss"] for n in std_names if rows[n]["rss"] is not None), default=None),
                 "tools": sum((Counter(rows[n]["tools"]) for n in std_names), Counter()),
                 "phases": sum((Counter(rows[n]["phases"]) for n in std_names), Counter()),
                 "cache": UNKNOWN}
        rows = {STD_GROUP: group, **rows}
        names = [STD_GROUP, *names]
    phase_names = list(dict.fromkeys(p for r in rows.values() for p in r["phases"]))  # compiler order
    parent = [UNKNOWN if n == STD_GROUP or not in_std.get(n) else 0 for n in names]
    return {
        "name": names,
        "parent": parent,  # index of the row this one is a child of, -1 for a top-level row
        "start": [_known(rows[n]["start"]) for n in names],
        "wall": [rows[n]["wall"] for n in names],
        "cpu": [_known(rows[n]["cpu"]) for n in names],
        "rss": [_known(rows[n]["rss"]) for n in names],
        "runs": [sum(rows[n]["tools"].values()) for n in names],
        "tools": [", ".join(t if k == 1 else f"{t} ×{k}" for t, k in
                            sorted(rows[n]["tools"].items(), key=lambda tk: (-tk[1], tk[0]))) for n in names],
        "cache": [rows[n]["cache"] for n in names] if has_cache_facts(events) else None,
        "phaseNames": phase_names,
        "phases": [[rows[n]["phases"].get(p, 0) for p in phase_names] for n in names] if phase_names else None,
    }


def _add_up(ran: Invocations, ids: np.ndarray, rows: list[dict], t0: int) -> None:
    """Each row's first start, wall and CPU (sums of each invocation's microseconds), peak RSS and
    runs per tool, over the invocations `ran` (their columns), invocation i counting in row ids[i]."""
    n = len(rows)
    starts, walls = ran.times
    cpus = ran.cpu_ns
    known = np.fromiter((c is not None for c in cpus), bool, len(cpus))
    first = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first, ids, (starts - t0) // 1000)
    wall = np.zeros(n, np.int64)
    np.add.at(wall, ids, walls // 1000)
    cpu = np.zeros(n, np.int64)
    np.add.at(cpu, ids[known], np.fromiter((c for c in cpus if c is not None), np.int64) // 1000)
    has_cpu = np.bincount(ids[known], minlength=n) > 0
    rss = np.full(n, -1, np.int64)  # -1: no invocation of the row knows its peak
    np.maximum.at(rss, ids, ran.max_rss_kib)  # (NO_RSS is -1)
    tool_of, names = ran.tool, ran.tools
    pairs, runs = np.unique(ids * len(names) + tool_of, return_counts=True)
    for pair, count in zip(pairs.tolist(), runs.tolist()):
        rows[pair // len(names)]["tools"][names[pair % len(names)]] = count
    for r, start, w, c, has, peak in zip(rows, first.tolist(), wall.tolist(), cpu.tolist(), has_cpu.tolist(),
                                         rss.tolist()):
        r["start"], r["wall"] = start, w
        r["cpu"] = c if has else None
        r["rss"] = None if peak < 0 else peak


def _total(values) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _known(value: int | None) -> int:
    return UNKNOWN if value is None else value


def page_data(events: Sequence[Event], ran: Sequence[Event], summary: Summary) -> dict:
    """Everything the page script needs; `ran` is `in_time_order(events)`."""
    columns = Invocations.of(ran)  # read once for the timeline and the package rows
    return {
        "timeline": timeline_data(ran, summary, columns),
        "parallelism": parallelism_data(summary),
        "packages": package_rows(events, ran, summary.depth, summary.std, columns),
    }


def script_json(data: dict) -> str:
    """`data` as JSON to sit inside <script type="application/json">: '<', '>' and '&' are written
    as \\u escapes so that no name from a trace can close the element or open a comment."""
    text = orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode("utf-8")
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
