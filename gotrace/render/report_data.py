"""What the report page's script draws, as compact JSON: one build's invocations on their lanes,
what each waited for, the packages each depended on, the critical path, concurrency and CPU use,
and one row per package.

Invocations are columns (one list per field, row i of every list being invocation i), not one
object per bar: a 20,000-invocation build is then about a megabyte of JSON that the browser parses
in milliseconds. Times are integer microseconds from the first tool's start, unknown numbers are -1,
names are indexes into lists of distinct names. Same events, same bytes.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import orjson

from gotrace.analysis.cache import cache_stats, has_cache_facts
from gotrace.analysis.critical_path import CLOCK_SLACK_NS, Node, Step, dependency_graph, listed_steps
from gotrace.analysis.lanes import lanes_of
from gotrace.analysis.parallelism import cpu_ns_column, time_columns
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


def dependency_facts(ran: Sequence[Event], nodes: Sequence[Node] | None = None
                     ) -> tuple[list[tuple[int, str]], list[tuple[str, ...]]]:
    """For each invocation: (index of the invocation it waited for or -1, the edge), and the
    packages of the trace it depended on. Both come from the one dependency graph the critical
    path walks (`critical_path.dependency_graph`; pass `nodes` when it is built, as
    `Summary.graph`): what an invocation waited for is, of its package's earlier tools and the
    inputs of its package, the one that finished last before it started.

    A node's inputs all ended before its first tool started (`dependency_graph` keeps only those),
    so the last of them, and the packages, are found once per node, not once per invocation."""
    nodes = dependency_graph(ran) if nodes is None else nodes
    position = {id(e): i for i, e in enumerate(ran)}
    waited: list[tuple[int, str]] = [(UNKNOWN, "")] * len(ran)
    deps: list[tuple[str, ...]] = [()] * len(ran)

    def rank(option: tuple[Event, str]) -> tuple:
        last, edge = option
        return (last.end_ns, edge != "package", last.tool, last.pkg)

    for node in nodes:
        inputs = [(max(nodes[j].events, key=lambda d: d.end_ns), edge) for j, edge in node.deps]
        last_input = max(inputs, key=rank, default=None)
        names = tuple(sorted({nodes[j].pkg for j, edge in node.deps if edge != "package"}))
        for e in node.events:
            limit = e.start_ns + CLOCK_SLACK_NS
            options = [(d, "package") for d in node.events if d is not e and d.start_ns <= e.start_ns
                       and d.end_ns <= limit] if len(node.events) > 1 else []
            if last_input is not None:
                options.append(last_input)
            best = max(options, key=rank, default=None)
            i = position[id(e)]
            if best is not None:
                waited[i] = (position[id(best[0])], best[1])
            deps[i] = names
    return waited, deps


def timeline_data(ran: Sequence[Event], summary: Summary) -> dict:
    """Columns of the timeline: `ran` in time order (see `in_time_order`)."""
    t0 = ran[0].start_ns if ran else 0
    starts, walls = time_columns(ran)  # read once; microseconds below by floor division, as `us`
    runs = Counter(e.tool for e in ran)
    tools = sorted(runs, key=lambda t: (-runs[t], t))
    tool_ids = {t: i for i, t in enumerate(tools)}
    packages: dict[str, int] = {}
    for e in ran:
        packages.setdefault(e.pkg, len(packages))
    waited, deps = dependency_facts(ran, summary.graph)
    dep_lists: dict[tuple[str, ...], int] = {}
    for names in deps:
        if names:
            dep_lists.setdefault(names, len(dep_lists))
    lanes = lanes_of(starts.tolist(), (starts + walls).tolist())  # assign_lanes(ran), columns read once
    phase_names: dict[str, int] = {}
    phase_rows: list[int] = []
    phase_values: list[list[int]] = []
    for i, e in enumerate(ran):
        times = phase_times(e)
        if times:
            for name, _ in times:
                phase_names.setdefault(name, len(phase_names))
            phase_rows.append(i)
            phase_values.append([v for pair in ((phase_names[n], us(ns)) for n, ns in times) for v in pair])
    position = {id(e): i for i, e in enumerate(ran)}
    steps = critical_steps(summary)
    return {
        "span": us(int((starts + walls).max()) - t0) if ran else 0,
        "lanes": max(lanes, default=-1) + 1,
        "tools": tools,
        "colours": [tool_colour(t) for t in tools],
        "pkgs": list(packages),
        "pkg": [packages[e.pkg] for e in ran],
        "tool": [tool_ids[e.tool] for e in ran],
        "start": ((starts - t0) // 1000).tolist(),
        "wall": (walls // 1000).tolist(),
        "cpu": [UNKNOWN if cpu is None else us(cpu) for cpu in cpu_ns_column(ran)],
        "rss": [UNKNOWN if e.max_rss_kib is None else e.max_rss_kib for e in ran],
        "lane": lanes,
        "failed": [i for i, e in enumerate(ran) if e.failed],
        "why": [e.error or e.limit or (f"signal {e.signal}" if e.signal else f"exit {e.exit}")
                for e in ran if e.failed],
        "wait": [w for w, _ in waited],
        "edge": [EDGES.index(edge) for _, edge in waited],
        "edges": list(EDGES),
        "deps": [dep_lists[names] if names else UNKNOWN for names in deps],
        "depLists": [[packages[n] for n in names] for names in dep_lists],
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


def package_rows(events: Sequence[Event], ran: Sequence[Event], depth: int | None, std: bool) -> dict:
    """One row per package (rolled up to `depth` path elements when given). Unless `std`, the
    standard library's packages are children of one `std` row that sums them, as `gotrace summary`
    counts them; the page shows them when that row is expanded."""
    t0 = ran[0].start_ns if ran else 0
    rows: dict[str, dict] = {}
    in_std: dict[str, bool] = {}

    def row(pkg: str) -> dict:
        name = group_name(pkg, depth, std=True)
        if name not in rows:
            rows[name] = {"start": None, "wall": 0, "cpu": None, "rss": None, "tools": Counter(),
                          "phases": Counter(), "cache": UNKNOWN}
            in_std[name] = not std and group_name(pkg) == STD_GROUP
        return rows[name]

    row_of: dict[str, dict] = {}  # a build has many invocations per package: name each package once
    for e in ran:
        r = row_of.get(e.pkg)
        if r is None:
            r = row_of[e.pkg] = row(e.pkg)
        start = us(e.start_ns - t0)
        r["start"] = start if r["start"] is None else min(r["start"], start)
        r["wall"] += us(e.wall_ns)
        cpu = e.cpu_ns
        if cpu is not None:
            r["cpu"] = (r["cpu"] or 0) + us(cpu)
        if e.max_rss_kib is not None:
            r["rss"] = max(r["rss"] or 0, e.max_rss_kib)
        r["tools"][e.tool] += 1
        for name, ns in phase_times(e):
            r["phases"][name] += us(ns)
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
                 "tools": sum((rows[n]["tools"] for n in std_names), Counter()),
                 "phases": sum((rows[n]["phases"] for n in std_names), Counter()),
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


def _total(values) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _known(value: int | None) -> int:
    return UNKNOWN if value is None else value


def page_data(events: Sequence[Event], ran: Sequence[Event], summary: Summary) -> dict:
    """Everything the page script needs; `ran` is `in_time_order(events)`."""
    return {
        "timeline": timeline_data(ran, summary),
        "parallelism": parallelism_data(summary),
        "packages": package_rows(events, ran, summary.depth, summary.std),
    }


def script_json(data: dict) -> str:
    """`data` as JSON to sit inside <script type="application/json">: '<', '>' and '&' are written
    as \\u escapes so that no name from a trace can close the element or open a comment."""
    text = orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode("utf-8")
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
