"""`gotrace summary`: totals, top packages, critical path, parallelism and compiler phases of one build.

`summarize(rows, info)` is pure (`rows`: one build's columns, build_rows.BuildRows, or its Events);
`render_summary_text` and `summary_to_json` write it out. The JSON
form is for scripts, so its keys are a promise (see JSON_KEYS and docs/usage/summary-timeline-report.md):
add keys, never rename or drop them; bump SCHEMA when the meaning of one changes.

Cost (issue 14: every analyzer near the cost of decoding the trace's lines). `summarize` reads the
start, wall and CPU columns of the invocations once (parallelism.time_columns, cpu_ns_column) and
shares them: concurrency steps are one numpy sort and running sum, CPU per bucket one np.add.at in
event order (the same float sums as the loop it replaced), coverage a sweep over sorted intervals,
the top tables a group-by per package then per row; the dependency graph is built once and kept in
`Summary.graph` for the report. Profiled with cProfile on a 100,000-record trace grown from a real
build (benchmarks/real_trace.py), the costs that went: per-event property calls in every pass, a
Python dict sweep per concurrency question (parallelism, critical path and what-if each built
their own, 1.2 s), the top tables in three passes (1.4 s), a second dependency graph in the report
and a pass over every pair of a package's tools there (13 s of the report's 20). What is left is
Python work per invocation that has no column form: grouping tools into nodes and resolving import
names (0.8 s of 100,000 records, about one decode floor), what-if's replay (not this module's).
Measured on a loaded 2-core machine (CPU seconds; the orjson decode floor was 0.9 s and 7.4 s),
main then this change merged with main: 100,000 records, summary 8.1 -> 5.5 s, --json 7.5 -> 5.0 s,
report 15.5 -> 9.2 s; 1,000,000 records, summary 95.6 -> 51.9 s (peak RSS 1.76 -> 1.52 GB), --json
99.1 -> 52.5 s, report 154.4 -> 89.9 s (2.04 -> 2.20 GB: the graph kept for the report is alive
while the flame graph is drawn); every output the same bytes.

Then (benchmarks/bench_scale.py, 1,000,000 records, wall with the second core, gc off as the CLI
runs): the per-invocation columns are made once (parallelism.Invocations: times, CPU, package and
tool ids) and shared by the graph, what-if and the top tables; the graph is columns
(critical_path.Graph: 15.9 s and ~450 MB of Node objects -> 4 s and tens of MB); phases and C
compiles read only their tools' rows; coverage keeps its 460,000 gaps as two columns; the what-if
replays cost 10.2 s of CPU, not 17.2 (whatif.ReplayPlan). Stages now: reading 12 s (1.8x the
floor, two processes), columns and graph ~5 s, the rest ~7 s beside the what-if child (sharing
~2 s, replays split with a grandchild), ~2.5 s waiting for it: 27.9 s, 4.5x the floor (was 6.2x),
1.3 GiB (was 1.5: the million Event tuples, ~630 MB, are most of it).

Then no Event per invocation: `gotrace summary` reads one build's columns (build_rows.read_part, the
reader's "build" view in two processes) with the whole Event of only the invocations whose record
says more than the columns (failures, C compiles, compiles with phases, action-graph facts: ~130,000
of the million) and the version probes; the CPU column is int64 everywhere (Invocations.cpu_ns);
the std rule runs once per distinct package for the top tables and the std row together
(`group_names`: 3.9 -> 1.5 s); C compiles are a group-by over their rows (2.8 -> 0.2 s). At 1M
(01:31, load ~1.4): 28.5 s, 4.1x the floor's 6.9 s, 968 MiB peak RSS (was 1,299 MiB): reading
13.1 s, the graph 4.2 s, then 9.1 s of the parent's work (~4 s) beside the what-if child, whose
replays are most of it (~10 s of CPU, split with a grandchild).

Then (2026-12-02, 05:17): the what-if sharing needs the graph's nodes, not its edges
(critical_path.Nodes), so a forked child measures it while this process wires the edges and the
what-if child starts straight with its replays, split by each -p's measured cost; each reading
process names its own kinds, so the merge maps only the helper's distinct names. At 1M: 21.5 s,
834 MiB (was 24.4 s, 962 MiB; bench_scale's docstring has the stages).

Then (2026-12-02, 11:10): never more processes than cores. A forked child measures the sharing
and makes the tables while this process wires the edges and walks the critical path, then the
replays are split between this process and one child; before, the sharing, the tables and the
what-if (with a grandchild) were three children beside this process, each at two thirds of a
core, with more of the fork's shared pages copied. A child's answer waits in memory (forked.py),
so a child ends when its work is done. At 1M (farm-bench, alternating pairs, same bytes): 0.93x
the time for the answers in memory, then 0.92x of that for two processes at a time; against the
stop before both, 0.93x (4 pairs) and 0.99x (6 pairs, spread 0.88-1.09): a few percent, within
this machine's noise, with less system time (2.6 s against 3.3 s: fewer shared pages copied).

Then (2026-12-02, 15:50): a C compile is read as its columns and its files (build_rows.BuildRows.
c_files: all `c_compiles_of` reads of it), not as a whole Event: at 1M, 0.97x the time and a peak
of 737 MiB, was 830 (farm-bench, 4 pairs, the same bytes).

Then (16:55): numpy's huge-page advice off in the command (pages.small_pages): the graph had taken
2.2-2.4 s, 1.1 s of it stalls while the kernel compacted memory for each fresh big array; 0.85x.

Then (18:10): the replays' plan is made while the child measures the sharing (whatif.replay_plan,
0.3 s at 1M), and the critical path is walked while the replays' child replays its share (work
beside, counted in the split: CRITICAL_PATH_COST); before, each left the other core idle for
about as long. 0.972x (farm-bench, 8 pairs, every pair quicker; the same bytes).
"""
from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, TextIO

import numpy as np

from gotrace.analysis.build_rows import BuildRows
from gotrace.analysis.cache import cache_stats, has_cache_facts
from gotrace.analysis.coverage import CCompileRow, Coverage, c_compiles_of, coverage_of
from gotrace.analysis.critical_path import (
    Concurrency,
    CriticalPath,
    Graph,
    critical_path,
    listed_steps,
)
from gotrace.analysis.parallelism import Invocations, Parallelism, parallelism, time_columns, total_cpu
from gotrace.analysis.phases import PhaseTable, phase_table
from gotrace.analysis.whatif import PARALLEL_NODES, Sharing, WhatIf, measure_sharing, replay_plan, what_if
from gotrace.collapse import NO_PACKAGE, is_std, split_variant
from gotrace.endings import interruption, signal_name
from gotrace.events import _UNKNOWN as UNKNOWN_CPU
from gotrace.events import C_COMPILERS, BuildInfo, Event
from gotrace.forked import Forked
from gotrace.text import mebibytes, percent, seconds, seconds_or_unknown, write_table

SCHEMA = 1
# The stable keys of `gotrace summary --json`, top level and one level down.
JSON_KEYS = {
    "schema": None,
    "build": ("id", "command", "cwd", "goversion", "goos", "goarch", "cores", "parallelism", "cold",
              "go_wall_ns", "exit", "interrupted", "builds_in_trace"),
    "totals": ("wall_ns", "cpu_ns", "invocations", "invocations_by_tool", "failed", "failures",
               "cached", "cache_hit_packages", "cache_packages", "peak_rss_kib", "peak_rss_tool", "peak_rss_pkg"),
    "grouping": ("depth", "std"),
    "top": ("wall", "cpu", "rss"),
    "critical_path": ("span_ns", "work_ns", "slot_wait_ns", "packages", "steps", "length_ns", "wall_ns",
                      "off_path_ns", "go_work_ns", "untraced_ns", "slots"),
    "bounds": ("floor_ns", "resource_ns", "cpu_ns", "cores", "wall_ns"),
    "what_if": ("predictions", "measured_slots", "overhead_ns", "measured_wall_ns", "replayed_wall_ns",
                "measured_error", "cores", "shared_cores", "alone_rates"),
    "queue": ("total_ns", "packages", "top"),
    "parallelism": ("cores", "cores_source", "limit", "average_concurrency", "peak_concurrency",
                    "cpu_utilisation", "cpu_cores_busy", "serial_stretches"),
    "phases": ("compiles", "compiles_without_phases", "phases"),
    "coverage": ("span_ns", "covered_ns", "share", "longest_gap_ns", "gaps"),
    "c_compiles": None,
}
# a summary's critical path walk, in whatif.REPLAY_COST's units (a replay at -p 8): 0.31 s beside
# 0.43 s at 1,000,000 records
CRITICAL_PATH_COST = 0.7
STD_GROUP = "std"
# how every text output of a summary (summary, report, run's closing lines) says to expand the std row
STD_EXPAND = "the standard library is one row, std; --std lists its packages"
QUEUE_TOP = 10


@dataclass(frozen=True)
class Row:
    name: str
    value: int  # ns for wall and cpu, KiB for rss
    pct: float  # wall/cpu: share of the build's total; rss: share of the build's peak
    cum_pct: float | None  # wall/cpu only: running total of pct down the table

    def to_dict(self) -> dict:
        out = {"name": self.name, "value": self.value, "pct": round(self.pct, 2)}
        if self.cum_pct is not None:
            out["cum_pct"] = round(self.cum_pct, 2)
        return out


@dataclass(frozen=True)
class Summary:
    info: BuildInfo
    builds_in_trace: list[str]
    wall_ns: int  # first tool start to last tool end
    cpu_ns: int | None  # None: no invocation says (an imported debug trace)
    by_tool: dict[str, int]
    failures: list[Event]
    cached: int
    cache_hits: int | None  # packages from the cache, when the trace knows (action graph)
    cache_packages: int | None
    cache_missed: list[str]
    peak: Event | None
    depth: int | None
    std: bool
    top: dict[str, list[Row]]  # "wall", "cpu", "rss"
    path: CriticalPath | None
    par: Parallelism
    phases: PhaseTable | None
    coverage: Coverage
    c_compiles: list[CCompileRow]
    std_packages: int = 0  # standard-library packages of the build (in the std row unless `std`)
    whatif: WhatIf | None = None
    queue: dict[str, int] | None = None  # package -> ns its actions waited ready, when the trace knows
    top_n: int = 10  # rows of each top table and of the text's C compiles table (-n)
    # the invocations that ran, and the dependency graph the critical path walked (its rows index
    # them, as the steps' `row` does): for the report's page (built once)
    rows: BuildRows | None = field(default=None, compare=False, repr=False)
    graph: Graph | None = field(default=None, compare=False, repr=False)

    @property
    def invocations(self) -> int:
        return sum(self.by_tool.values())


def group_name(pkg: str, depth: int | None = None, std: bool = False) -> str:
    """The row a package is counted in (`group_names`)."""
    return group_names((pkg,), depth, std).names[0]


class Groups(NamedTuple):
    names: list[str]  # the row each package is counted in
    in_std: list[bool]  # whether each package is of the standard library
    std_packages: int  # how many distinct standard-library packages there are among them


def group_names(packages: Iterable[str], depth: int | None = None, std: bool = False) -> Groups:
    """The row each of `packages` is counted in: its import path (test variants with their
    package), cut to `depth` elements; the standard library is one row unless `std`. The std policy
    of every table (summary, report, run's closing summary) is decided here."""
    names: list[str] = []
    in_std: list[bool] = []
    std_bases: set[str] = set()
    add, add_std = names.append, in_std.append
    for pkg in packages:
        base = split_variant(pkg)[0]
        if not base:
            add(NO_PACKAGE)
            add_std(False)
            continue
        of_std = is_std(base)
        add_std(of_std)
        if of_std:
            std_bases.add(base)
            if not std:
                add(STD_GROUP)
                continue
        if depth and base.count("/") >= depth:
            add("/".join(base.split("/")[:depth]) + "/...")
        else:
            add(base)
    return Groups(names, in_std, len(std_bases))


def std_packages(packages: Iterable[str]) -> int:
    """How many standard-library packages there are among `packages` (the names the events of a
    build touch, repeats allowed): what the std row holds."""
    return group_names(set(packages)).std_packages


def row_label(name: str, std_count: int) -> str:
    """A row's name as text shows it: the std row says how many packages it holds."""
    return f"{STD_GROUP} ({std_count} packages)" if name == STD_GROUP and std_count else name


WEIGHTS = ("wall", "cpu", "rss")


def top_tables(events: Sequence[Event], n: int, depth: int | None, std: bool, *,
               invocations: Invocations | None = None, groups: Sequence[str] | None = None
               ) -> dict[str, list[Row]]:
    """The top `n` rows by each of WEIGHTS. A group-by in numpy: summed (wall, CPU) or peaked (RSS)
    per package, then per row (a build has many invocations per package, many packages per row);
    only the rows that can make the top n are sorted by name. `invocations`: the events' columns,
    and `groups` the `group_names` of their packages, when the caller has them."""
    c = Invocations.of(events) if invocations is None else invocations
    groups = group_names(c.pkgs, depth, std).names if groups is None else groups
    cpus = np.where(c.cpu_ns == UNKNOWN_CPU, 0, c.cpu_ns)
    kib = np.maximum(c.max_rss_kib, 0)
    rows: dict[str, int] = {}
    row_of = np.fromiter(map(rows.setdefault, groups, itertools.count()), np.int64, len(groups))
    row_of = np.unique(row_of, return_inverse=True)[1].reshape(-1)[c.pkg]
    walls = c.wall_ns
    names = list(rows)
    tables = {}
    for weight, values in (("wall", walls), ("cpu", cpus), ("rss", kib)):
        per_row = np.zeros(len(names), np.int64)
        (np.maximum if weight == "rss" else np.add).at(per_row, row_of, values)
        tables[weight] = _ranked(names, per_row, weight, n)
    return tables


def _ranked(names: list[str], values: np.ndarray, weight: str, n: int) -> list[Row]:
    """The top `n` rows with a value, largest first, ties by name."""
    shown = np.flatnonzero(values > 0)
    if len(shown) > n:  # rows below the n-th largest value cannot make the table
        cut = np.partition(values[shown], len(shown) - n)[len(shown) - n]
        shown = shown[values[shown] >= cut]
    ranked = sorted(((names[i], v) for i, v in zip(shown.tolist(), values[shown].tolist())),
                    key=lambda kv: (-kv[1], kv[0]))[:n]
    if weight == "rss":
        peak = ranked[0][1] if ranked else 1
        return [Row(k, v, 100.0 * v / peak, None) for k, v in ranked]
    total = int(values.sum()) or 1
    rows, running = [], 0
    for k, v in ranked:
        running += v
        rows.append(Row(k, v, 100.0 * v / total, 100.0 * running / total))
    return rows


def top_rows(events: Sequence[Event], weight: str, n: int, depth: int | None, std: bool) -> list[Row]:
    return top_tables(events, n, depth, std)[weight]


def summarize(build: BuildRows | Sequence[Event], info: BuildInfo | Mapping[str, BuildInfo] | None = None, *,
              top: int = 10, depth: int | None = None, std: bool = False,
              builds_in_trace: Sequence[str] = ()) -> Summary:
    """Everything `gotrace summary` shows, for one build: its rows (`build_rows.BuildRows`, read
    with their whole Events) or its events.

    `info` is the build's record, or `TraceReader.builds` to look it up in; without one, cores come
    from this machine and -p is unknown (the critical path then follows dependencies only)."""
    rows = build if isinstance(build, BuildRows) else BuildRows.of_events(build)
    if isinstance(info, Mapping):
        info = info.get(rows.build)
    info = info or BuildInfo(build=rows.build)
    # the columns are read once and shared by the sweeps below (see the module doc); Events are
    # made only of the few rows a table names (`ran`)
    ran = rows.events()
    # on a big build, a forked child measures the what-if model's sharing (it needs the graph's
    # nodes, not their edges) and makes the tables that need no graph, while this process wires
    # the graph and walks the critical path; then the what-if replays are split between this
    # process and a child of their own (whatif.predict_columns). Never more processes than the two
    # cores: with a third (the sharing, the tables and the replays each in a child of their own),
    # each ran at two thirds of a core and pages fork shared were copied as this process wrote them.
    nodes = rows.nodes()

    def apart() -> tuple[Sharing | None, dict]:
        shared = measure_sharing(nodes, ran, info.cores, invocations=rows) if info.cores else None
        return shared, _tables(rows, info, top, depth, std)

    with Forked(apart, fork=len(rows) >= PARALLEL_NODES) as child:
        graph = rows.graph(nodes)
        level = Concurrency(ran, info.parallelism, columns=rows.times)
        plan = replay_plan(graph, level)  # the replays' graph part, while the child measures their sharing
        shared, fields = child.result()
    # the critical path is walked while the replays' child replays its share (walked before the
    # replays, it took 0.3 s at 1M records that left the other core idle)
    paths = []
    whatif = what_if(ran, info.parallelism, graph=graph, cores=info.cores, level=level, invocations=rows,
                     sharing=shared, plan=plan,
                     beside=(lambda: paths.append(critical_path(ran, info.parallelism, graph, level=level)),
                             CRITICAL_PATH_COST))
    path = paths[0]
    return Summary(info=info, builds_in_trace=list(builds_in_trace) or [info.build], path=path,
                   whatif=whatif, rows=rows, graph=graph, top_n=top, **fields)


def _tables(rows: BuildRows, info: BuildInfo, top: int, depth: int | None, std: bool) -> dict:
    """The fields of a Summary that need no dependency graph: totals, failures, cache, top tables,
    parallelism, phases, coverage, C compiles and queue waits."""
    ran = rows.events()
    whole = rows.wholes()  # every failure, compile with phases, action-graph fact (a C compile: its files)
    columns = rows.times
    peak = rows.peak_rss_row(ran)
    cache: tuple[int | None, int | None, list[str]] = (None, None, [])
    if has_cache_facts(itertools.chain(whole, rows.others)):  # (a row with an action id is whole)
        hits, misses, per_package = cache_stats(itertools.chain(ran, rows.others))
        cache = (hits, hits + misses, [p for p, hit in per_package.items() if not hit])
    compiles = rows.rows_of_tools(("compile",))
    groups = group_names(rows.pkgs, depth, std)
    return dict(
        wall_ns=int((columns[0] + columns[1]).max() - columns[0].min()) if len(rows) else 0,
        cpu_ns=total_cpu(rows.cpu_ns),
        by_tool=rows.runs_by_tool(),
        failures=sorted((e for e in whole if e.failed), key=lambda e: (e.start_ns, e.tool, e.pkg)),
        cached=sum(1 for e in rows.others if e.cached),
        cache_hits=cache[0], cache_packages=cache[1], cache_missed=cache[2],
        peak=None if peak is None else ran[peak],
        depth=depth,
        std=std,
        top=top_tables(ran, top, depth, std, invocations=rows, groups=groups.names),
        par=parallelism(ran, info, columns=columns, cpu=rows.cpu_ns, only_ran=True),
        # only compiles have phases (and a compile with phases is whole)
        phases=phase_table(rows.wholes(compiles.tolist()), compiles=len(compiles)),
        std_packages=groups.std_packages,
        coverage=_coverage(rows.others, rows),
        c_compiles=c_compiles_of(rows, rows.rows_of_tools(C_COMPILERS), rows.event),
        queue=queue_waits(itertools.chain(whole, rows.others)),  # (a row with a queue time is whole)
    )


def _coverage(others: Sequence[Event], ran: Invocations) -> Coverage:
    """`coverage` of a build, from the columns of the invocations that ran and its few version probes."""
    probes = [e for e in others if e.probe and not e.cached]
    starts, walls = time_columns(probes)
    return coverage_of(np.concatenate((ran.start_ns, starts)), np.concatenate((ran.wall_ns, walls)),
                       np.arange(len(ran.start_ns) + len(probes)) >= len(ran.start_ns))


def queue_waits(events: Iterable[Event]) -> dict[str, int] | None:
    """Time each package's actions waited between ready and start (`queue_ns`, from the go
    command's action graph), largest first; None when no record says."""
    waits: dict[str, int] = defaultdict(int)
    known = False
    for e in events:
        if e.queue_ns is not None and not e.probe:
            known = True
            waits[e.pkg] += e.queue_ns
    if not known:
        return None
    return dict(sorted(waits.items(), key=lambda kv: (-kv[1], kv[0])))


def bounds(s: Summary) -> dict:
    """The two bounds on the build's wall time: its dependency floor (unlimited cores) and its
    resource bound (all tool CPU spread over the machine's cores)."""
    cores = s.par.cores
    resource_ns = None if s.cpu_ns is None else s.cpu_ns // max(cores, 1)  # unknown CPU: unknown bound
    return {"floor_ns": s.path.length_ns if s.path else 0, "resource_ns": resource_ns,
            "cpu_ns": s.cpu_ns, "cores": cores, "wall_ns": s.wall_ns}


def summary_to_json(s: Summary) -> dict:
    info = s.info
    return {
        "schema": SCHEMA,
        "build": {
            "id": info.build, "command": list(info.argv), "cwd": info.cwd, "goversion": info.goversion,
            "goos": info.goos, "goarch": info.goarch, "cores": info.cores, "parallelism": info.parallelism,
            "cold": info.cold, "go_wall_ns": info.wall_ns, "exit": info.exit, "interrupted": info.interrupted,
            "builds_in_trace": s.builds_in_trace,
        },
        "totals": {
            "wall_ns": s.wall_ns, "cpu_ns": s.cpu_ns, "invocations": s.invocations,
            "invocations_by_tool": s.by_tool, "failed": len(s.failures),
            "failures": [{"tool": e.tool, "pkg": e.pkg, "exit": e.exit, "signal": e.signal,
                          "error": e.error, "limit": e.limit} for e in s.failures],
            "cached": s.cached,
            "cache_hit_packages": s.cache_hits,
            "cache_packages": s.cache_packages,
            "peak_rss_kib": s.peak.max_rss_kib if s.peak else None,
            "peak_rss_tool": s.peak.tool if s.peak else None,
            "peak_rss_pkg": s.peak.pkg if s.peak else None,
        },
        "grouping": {"depth": s.depth, "std": s.std},
        "top": {w: [r.to_dict() for r in rows] for w, rows in s.top.items()},
        "critical_path": s.path.to_dict() if s.path else None,
        "bounds": bounds(s),
        "what_if": s.whatif.to_dict() if s.whatif else None,
        "queue": None if s.queue is None else {
            "total_ns": sum(s.queue.values()), "packages": len(s.queue),
            "top": [{"name": k, "value": v} for k, v in list(s.queue.items())[:QUEUE_TOP]]},
        "parallelism": s.par.to_dict(),
        "phases": s.phases.to_dict() if s.phases else None,
        "coverage": s.coverage.to_dict(),
        "c_compiles": [r.to_dict() for r in s.c_compiles],
    }


def _share(part: int, whole: int) -> str:
    return percent(100.0 * part / whole) if whole else "-"


def render_summary_text(s: Summary, out: TextIO) -> None:
    info = s.info
    out.write(f"build {info.build}")
    if info.argv:
        out.write(f": {info.command}")
    out.write("\n")
    facts = [f for f in (info.goversion, f"{info.goos}/{info.goarch}" if info.goos else None,
                         f"{s.par.cores} cores", f"-p {info.parallelism}" if info.parallelism else None,
                         "cold cache" if info.cold else None) if f]
    out.write("  " + ", ".join(facts) + "\n")
    if info.interrupted:
        out.write(f"  {interruption(info.interrupted)}: the go command stopped before the build finished\n")
    if len(s.builds_in_trace) > 1:
        out.write(f"  (the trace holds {len(s.builds_in_trace)} builds: {', '.join(s.builds_in_trace)}; "
                  "pick another with --build ID)\n")

    out.write("\nTotals\n")
    tools = ", ".join(f"{n} {t}" for t, n in s.by_tool.items()) or "none"
    out.write(f"  wall {seconds(s.wall_ns)} (first tool start to last tool end)")
    out.write(f"; go command {seconds(info.wall_ns)}\n" if info.wall_ns else "\n")
    out.write(f"  CPU {seconds_or_unknown(s.cpu_ns)} in {s.invocations} invocations: {tools}\n")
    if s.cache_hits is not None:
        missed = s.cache_missed
        out.write(f"  {s.cache_hits} of {s.cache_packages} packages from the cache"
                  + (f"; compiled: {', '.join(missed[:8])}{' ...' if len(missed) > 8 else ''}" if missed else "")
                  + "\n")
    if s.peak is not None:
        out.write(f"  peak RSS {mebibytes(s.peak.max_rss_kib)}: {s.peak.tool} {s.peak.pkg or '-'}\n")
    cov = s.coverage
    out.write(f"  coverage {percent(100 * cov.share)}: a recorded tool ran during {seconds(cov.covered_ns)} "
              f"of the {seconds(cov.span_ns)}")
    longest = cov.longest_gap_ns
    out.write(f"; longest gap {seconds(longest)}\n" if longest else "\n")
    for gap in cov.listed():
        out.write(f"    {gap.describe()}\n")
    out.write(f"  failed: {len(s.failures)}\n")
    for e in s.failures[:10]:
        why = e.error or e.limit or (signal_name(e.signal) if e.signal else f"exit {e.exit}")
        out.write(f"    {e.tool} {e.pkg or '-'}: {why}\n")

    titles = {"wall": "Top packages by wall time", "cpu": "Top packages by CPU time",
              "rss": "Top packages by peak RSS"}
    for weight, rows in s.top.items():
        if not rows:
            continue
        out.write(f"\n{titles[weight]}\n")
        if weight == "rss":
            write_table(out, ("package", "peak RSS", "of peak"),
                        [(row_label(r.name, s.std_packages), mebibytes(r.value), percent(r.pct)) for r in rows],
                        right=(1, 2))
        else:
            write_table(out, ("package", weight, "share", "cumulative"),
                        [(row_label(r.name, s.std_packages), seconds(r.value), percent(r.pct),
                          percent(r.cum_pct or 0)) for r in rows], right=(1, 2, 3))
    if not s.std and any(r.name == STD_GROUP for rows in s.top.values() for r in rows):
        out.write(f"  ({STD_EXPAND})\n")

    if s.c_compiles:
        # the longest first, as many rows as the top tables (a monorepo has hundreds of cgo packages)
        out.write("\nC compiles (cgo)\n")
        write_table(out, ("package", "runs", "wall", "CPU", "slowest file"),
                    [(r.pkg, str(r.compiles), seconds(r.wall_ns), seconds(r.cpu_ns), r.slowest_file)
                     for r in s.c_compiles[:s.top_n]], right=(1, 2, 3))
        more = len(s.c_compiles) - s.top_n
        if more > 0:
            out.write(f"  ({more} more package{'s' if more > 1 else ''} ran a C compiler: --json lists every one)\n")

    if s.path is not None:
        _write_path(s, out)
    if s.whatif is not None:
        _write_what_if(s.whatif, out)
    if s.queue is not None:
        _write_queue(s.queue, out)

    par = s.par
    out.write("\nParallelism\n")
    out.write(f"  average {par.average:.2f} tools at once, peak {par.peak}"
              f"{f' (-p {par.limit})' if par.limit else ''}; {par.utilisation_text}"
              f"{'' if par.utilisation is None else f' ({par.cores_source})'}\n")
    if par.serial:
        out.write("  serial stretches (at most one tool running):\n")
        for st in par.serial[:5]:
            who = f": {st.alone}" if st.alone else ""
            out.write(f"    at {seconds(st.start_ns)} for {seconds(st.wall_ns)}{who}\n")

    if s.phases is not None:
        t = s.phases
        out.write(f"\nCompiler phases ({t.compiles} compiles")
        out.write(f", {t.without} without phase times)\n" if t.without else ")\n")
        write_table(out, ("phase", "total", "share", "slowest package", ""),
                    [(r.phase, seconds(r.total_ns), percent(r.pct), r.slowest_pkg, seconds(r.slowest_ns))
                     for r in t.rows], right=(1, 2, 4))


def _write_path(s: Summary, out: TextIO) -> None:
    p, b = s.path, bounds(s)
    out.write("\nCritical path\n")
    out.write(f"  floor {seconds(p.length_ns)}: the longest chain of real dependencies, {len(p.packages)} "
              "packages at their own tool time; no number of cores builds faster\n")
    if b["resource_ns"] is None:
        out.write("  resource bound unknown: the trace does not know the tools' CPU time\n")
    else:
        out.write(f"  resource bound {seconds(b['resource_ns'])}: {seconds(s.cpu_ns)} of tool CPU on {b['cores']} cores\n")
    larger = max(b["floor_ns"], b["resource_ns"] or 0)
    ratio = f" = {s.wall_ns / larger:.2f}x the larger bound" if larger else ""
    out.write(f"  wall {seconds(s.wall_ns)}{ratio}; besides the path's own {seconds(p.length_ns)} it went to:\n")
    rows = [(seconds(p.off_path_ns), "waiting for inputs off the path that finished later"),
            (seconds(p.slot_wait_ns), "waiting for a free -p slot") if p.slots else None,
            (seconds(p.go_work_ns), "go's own work between tools (a slot was free)" if p.slots else
             "go's own work between tools, or waiting for a slot (-p unknown)"),
            (seconds(p.untraced_ns), "no traced tool running (go loading or checking, untraced tools)")]
    for value, what in filter(None, rows):
        out.write(f"    {value:>9}  {what}\n")
    write_table(out, ("start", "tool", "package", "wall", "after"),
                [(seconds(st.event.start_ns - p.steps[0].event.start_ns), st.event.tool, st.event.pkg or "-",
                  seconds(st.event.wall_ns), st.edge or "-")
                 for st in listed_steps(p)],
                right=(0, 3))
    out.write("  (steps under 1% of the path's tool time not listed; see --json)\n")


def _slots_name(slots: int | None) -> str:
    return "unlimited" if slots is None else str(slots)


def _write_what_if(w: WhatIf, out: TextIO) -> None:
    shared = f", tools sharing its {w.cores} cores" if w.cores else ""
    out.write(f"\nWhat if: predicted wall time by -p (this build's graph through go's scheduler{shared})\n")
    write_table(out, ("-p", *(_slots_name(p.slots) for p in w.predictions)),
                [("wall", *(seconds(p.wall_ns) for p in w.predictions))],
                right=tuple(range(1, len(w.predictions) + 1)))
    if w.replayed_wall_ns is not None:
        out.write(f"  at its own -p {w.measured_slots} the model gives {seconds(w.replayed_wall_ns)} for the "
                  f"measured {seconds(w.measured_wall_ns)} ({100 * (w.measured_error or 0):+.1f}%); ")
    else:
        out.write("  (the trace does not say its -p: nothing to check the model against); ")
    out.write(f"go's own work per action: {w.overhead_ns / 1e6:.0f} ms\n")
    out.write(f"  {sharing_text(w)}\n")


def sharing_text(w: WhatIf) -> str:
    """How the curve treats the machine's cores, in one line (summary and report)."""
    if not w.cores:
        return "tools keep the durations they had here: the trace does not say its cores or CPU times"
    rates = sorted(w.alone_rates.items(), key=lambda kv: (-kv[1], kv[0]))
    alone = ", ".join(f"{tool} {rate:.2f}" for tool, rate in rates) or "no tool ran alone"
    got = (f"the {w.cores} cores" if w.shared_cores is None or w.shared_cores >= w.cores - 0.005
           else f"the {w.shared_cores:.2f} of {w.cores} cores they got together here")
    return f"cores a tool kept busy running alone here: {alone}; tools running at once share {got}"


def _write_queue(queue: dict[str, int], out: TextIO) -> None:
    out.write(f"\nQueue waits (go's action graph: ready to start)\n  {seconds(sum(queue.values()))} in all "
              f"over {len(queue)} packages\n")
    rows = [(name or "-", seconds(ns)) for name, ns in list(queue.items())[:QUEUE_TOP] if ns > 0]
    if rows:
        write_table(out, ("package", "queued"), rows, right=(1,))
