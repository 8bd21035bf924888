"""`gotrace import` and `merge_into_trace`: the go command's own account of real builds of the samples.

One session fixture runs go four times with the same fresh cache, each time through the real shim
and with -debug-actiongraph and -debug-trace together: on samples/multi a cold build (the standard
library too), after one package changed a warm one, then `go test` (test variants, vet, test
links); then samples/broken, which fails to compile. The shim's traces are the reference the
imports are checked against.
"""
from __future__ import annotations

import io
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from gotrace.events import read_events
from gotrace.importers import UNNAMED_C_COMPILER, tool_name
from gotrace.importers.actiongraph import cache_stats, has_cache_facts, merge_into_trace, read_graph

from .conftest import copy_sample, run_gotrace
from .conftest import test_env as go_env

CHANGED = "example.com/multi/internal/geom"


@dataclass
class GoBuild:
    shim_trace: Path
    graph: Path
    debug_trace: Path
    imported: Path        # `gotrace import graph`
    imported_trace: Path  # `gotrace import debug_trace`


@pytest.fixture(scope="session")
def builds(go, shim, tmp_path_factory) -> dict[str, GoBuild]:
    tmp = tmp_path_factory.mktemp("import")
    multi = copy_sample("multi", tmp)
    env = go_env(GOCACHE=str(tmp / "gocache"))
    out = {}
    for name, module, subcommand in (("cold", multi, "build"), ("warm", multi, "build"),
                                     ("test", multi, "test"), ("broken", tmp / "broken", "build")):
        if name == "warm":
            with open(multi / "internal/geom/geom.go", "a") as f:
                f.write("\n// changed, so that this package (only) misses the cache\n")
        if name == "broken":
            copy_sample("broken", tmp)
        b = GoBuild(shim_trace=tmp / f"{name}.shim.jsonl", graph=tmp / f"{name}.graph.json",
                    debug_trace=tmp / f"{name}.trace.json", imported=tmp / f"{name}.imported.jsonl",
                    imported_trace=tmp / f"{name}.dt.jsonl")
        result = subprocess.run(
            [go, subcommand, f"-toolexec={shim}", f"-debug-actiongraph={b.graph}",
             f"-debug-trace={b.debug_trace}", "./..."],
            cwd=module, capture_output=True, check=False,
            env=dict(env, GOTRACE_FILE=str(b.shim_trace), GOTRACE_BUILD_ID=name))
        assert (result.returncode == 0) == (name != "broken"), result.stderr.decode()
        run_gotrace(["import", str(b.graph), "-o", str(b.imported)], check=True)
        run_gotrace(["import", str(b.debug_trace), "-o", str(b.imported_trace)], check=True)
        out[name] = b
    return out


def tool_pairs(events, *, go_tools_only: bool = False) -> set[tuple[str, str]]:
    return {(e.pkg, e.tool) for e in events
            if not e.cached and (not go_tools_only or "/pkg/tool/" in (e.path or ""))}


def raw_graph(path: Path) -> dict[str, dict]:
    return {str(a["ID"]): a for a in json.loads(path.read_text())}


# --- the action graph against the shim -----------------------------------------------------------

C_COMPILERS = {"gcc", "cc", "clang"}


def test_cold_graph_and_shim_agree_on_the_tools_that_ran(builds):
    shim_events, _ = read_events(str(builds["cold"].shim_trace))
    shim_pairs = tool_pairs(shim_events)
    assert len({pkg for pkg, tool in shim_pairs if tool == "compile"}) > 40  # the standard library too
    graph = read_graph(str(builds["cold"].graph))
    graph_pairs = {(a.pkg, tool_name(argv)) for a in graph.values() for argv in a.commands or ()}
    # The go command runs the C compiler itself, not through -toolexec: only the graph sees it.
    assert {(p, t) for p, t in graph_pairs if t not in C_COMPILERS} == shim_pairs
    assert {p for p, t in graph_pairs if t in C_COMPILERS} == {"runtime/cgo", "example.com/multi/internal/cgohash"}

    # The imported trace has one record per action, named for its main tool; the other tools of a
    # package's build action (asm, cgo -dynimport) run inside its compile record.
    imported, _ = read_events(str(builds["cold"].imported))
    imported_pairs = tool_pairs(imported)
    assert imported_pairs <= graph_pairs
    assert {p for p, _ in imported_pairs} == {p for p, _ in graph_pairs}
    for pkg, tool in shim_pairs - imported_pairs:
        assert tool in ("asm", "cgo") and (pkg, "compile") in imported_pairs, (pkg, tool)


def test_imported_records_carry_the_time_of_the_shims_invocations(builds):
    from collections import defaultdict

    shim_events, _ = read_events(str(builds["cold"].shim_trace))
    imported, _ = read_events(str(builds["cold"].imported))
    totals = {name: defaultdict(lambda: [0, 0]) for name in ("shim", "imported")}
    for name, events in (("shim", shim_events), ("imported", imported)):
        for e in events:
            if not e.probe:
                totals[name][e.pkg][0] += e.wall_ns
                totals[name][e.pkg][1] += e.user_ns
    assert totals["shim"].keys() == totals["imported"].keys()
    for pkg, (wall, user) in totals["shim"].items():
        # the go command times the shim around the tool, and counts the C compiler the shim misses
        assert totals["imported"][pkg][0] >= wall and totals["imported"][pkg][1] >= user, pkg


def test_test_build_names_test_variants_as_the_shim_does(builds):
    shim_events, _ = read_events(str(builds["test"].shim_trace))
    imported, _ = read_events(str(builds["test"].imported))
    shim_pairs, imported_pairs = tool_pairs(shim_events), tool_pairs(imported)
    variant = "example.com/multi/internal/geom [example.com/multi/internal/geom.test]"
    assert {(variant, "compile"), (variant, "vet"), ("example.com/multi/internal/geom.test", "link"),
            ("example.com/multi/internal/geom", "vet")} <= imported_pairs
    assert imported_pairs <= shim_pairs
    for pkg, tool in shim_pairs - imported_pairs:
        assert tool == "asm" and (pkg, "compile") in imported_pairs, (pkg, tool)


def test_failed_build_marks_the_compile_that_failed(builds):
    from gotrace.events import open_trace

    shim_events, _ = read_events(str(builds["broken"].shim_trace))
    reader = open_trace(str(builds["broken"].imported))
    imported = list(reader)
    def failed(events):
        return {(e.pkg, e.tool) for e in events if e.failed}
    assert failed(imported) == failed(shim_events) == {("example.com/broken/bad", "compile")}
    assert reader.builds[imported[0].build].exit == 1
    ok = next(e for e in imported if e.pkg == "example.com/broken/ok")
    assert not ok.failed and ok.action in next(e for e in imported if e.failed).action_deps


def test_warm_graph_shows_a_cache_hit_for_every_package_the_shim_saw_no_compile_for(builds):
    shim_events, _ = read_events(str(builds["warm"].shim_trace))
    imported, _ = read_events(str(builds["warm"].imported))
    compiled = {e.pkg for e in shim_events if e.tool == "compile"}
    assert compiled == {CHANGED}
    graph_packages = {a["Package"] for a in raw_graph(builds["warm"].graph).values() if a["Mode"] == "build"}
    hits = {e.pkg for e in imported if e.cached and e.tool == "compile"}
    assert hits == graph_packages - compiled
    assert len(hits) > 40
    hit_count, misses, per_package = cache_stats(imported)
    assert (hit_count, misses) == (len(hits), 1) and per_package[CHANGED] is False


def test_cache_hits_cost_nothing_and_measured_records_have_cpu(builds):
    imported, _ = read_events(str(builds["warm"].imported))
    cached = [e for e in imported if e.cached]
    assert cached and all(e.wall_ns == 0 and e.cpu_ns is None for e in cached)
    ran = [e for e in read_events(str(builds["cold"].imported))[0] if e.action and not e.cached]
    assert all(e.wall_ns > 0 and e.user_ns is not None and e.queue_ns is not None for e in ran)
    assert all(e.max_rss_kib is None for e in imported + ran)


def test_imported_compiles_name_the_packages_they_import(builds):
    shim_events, _ = read_events(str(builds["cold"].shim_trace))
    imported, _ = read_events(str(builds["cold"].imported))
    shim_deps = {e.pkg: set(e.deps or ()) for e in shim_events if e.tool == "compile"}
    graph_deps = {e.pkg: set(e.deps or ()) for e in imported if e.tool == "compile" and e.action}
    # importcfg also lists packages a package's imports need for inlining; the graph names direct imports.
    for pkg, deps in graph_deps.items():
        assert deps - {"unsafe"} <= shim_deps[pkg] | {"unsafe"}, pkg
    assert graph_deps["example.com/multi/cmd/multi"] >= {CHANGED, "fmt"}


def test_build_record_describes_the_imported_build(builds):
    from gotrace.events import open_trace

    reader = open_trace(str(builds["cold"].imported))
    events = list(reader)
    (info,) = reader.builds.values()
    assert info.build == events[0].build and info.exit == 0
    assert info.goversion.startswith("go1.") and info.goos and info.goarch
    assert info.start_ns <= min(e.start_ns for e in events)
    assert info.start_ns + info.wall_ns >= max(e.end_ns for e in events)


# --- dependency edges and the critical path -------------------------------------------------------

def graph_reaches(graph: dict[str, dict], src: str, dst: str) -> bool:
    stack, seen = [src], set()
    while stack:
        for d in map(str, graph[stack.pop()].get("Deps") or ()):
            if d == dst:
                return True
            if d not in seen:
                seen.add(d)
                stack.append(d)
    return False


def test_every_dependency_edge_is_a_real_edge_of_the_graph(builds):
    graph = raw_graph(builds["cold"].graph)
    imported, _ = read_events(str(builds["cold"].imported))
    by_action = {e.action: e for e in imported if e.action}
    edges = [(e.action, d) for e in by_action.values() for d in e.action_deps or ()]
    assert len(edges) > 100
    for a, d in edges:
        assert d in by_action, f"action {a} depends on {d}, which is no record"
        assert graph_reaches(graph, a, d)
        assert graph[d]["TimeDone"] <= graph[a]["TimeStart"]


def longest_chain(events) -> list:
    """The critical path by the graph's edges: from the record that ends last, back through the
    dependency that finished last, to a record with no dependencies."""
    by_action = {e.action: e for e in events if e.action}
    step = max(by_action.values(), key=lambda e: e.end_ns)
    chain = [step]
    while step.action_deps:
        step = max((by_action[d] for d in step.action_deps), key=lambda e: e.end_ns)
        chain.append(step)
    return chain[::-1]


def test_critical_path_of_an_imported_graph_is_a_chain_of_real_dependencies(builds):
    graph = raw_graph(builds["cold"].graph)
    imported, _ = read_events(str(builds["cold"].imported))
    chain = longest_chain(imported)
    assert chain[0].pkg.startswith("internal/") and chain[-1].tool == "link"
    assert len(chain) > 5
    for before, after in zip(chain, chain[1:]):
        assert before.action in after.action_deps and graph_reaches(graph, after.action, before.action)


def test_analysis_critical_path_of_an_imported_graph_follows_its_edges(builds):
    try:
        from gotrace.analysis.critical_path import critical_path
    except ImportError:
        pytest.skip("no gotrace.analysis.critical_path yet")
    graph = raw_graph(builds["cold"].graph)
    events, _ = read_events(str(builds["cold"].imported))
    steps = [s.event for s in critical_path(events).steps]
    actions = [e for e in steps if e.action]
    assert steps[-1].tool == "link" and len(actions) > 5 and steps[0].pkg.startswith("internal/")
    for before, after in zip(actions, actions[1:]):
        assert before.action in after.action_deps and graph_reaches(graph, after.action, before.action)
    assert actions == steps


# --- -debug-trace ----------------------------------------------------------------------------------

def test_debug_trace_import_has_the_graphs_actions_and_edges(builds):
    from_trace, _ = read_events(str(builds["cold"].imported_trace))
    from_graph, _ = read_events(str(builds["cold"].imported))
    def compiled(events):
        return {e.pkg for e in events if e.tool == "compile" and e.action}
    assert compiled(from_trace) == compiled(from_graph)
    assert {e.source for e in from_trace} == {"debug-trace"}
    assert all(e.user_ns is None and e.queue_ns is None and e.max_rss_kib is None and not e.cached
               for e in from_trace)
    by_action = {e.action: e for e in from_trace}
    edges = [(by_action[d], e) for e in from_trace for d in e.action_deps or ()]
    assert len(edges) > 100
    assert all(dep.end_ns <= e.start_ns for dep, e in edges)
    link = next(e for e in from_trace if e.tool == "link")
    assert {by_action[d].pkg for d in link.action_deps} >= compiled(from_graph)


def test_debug_trace_of_a_killed_go_command_lacks_its_bracket_and_still_imports(builds, tmp_path):
    text = builds["cold"].debug_trace.read_bytes().rstrip()
    assert text.endswith(b"]")
    cut = tmp_path / "killed.json"
    cut.write_bytes(text[:-1])
    out = tmp_path / "killed.jsonl"
    run_gotrace(["import", str(cut), "-o", str(out)], check=True)
    whole, _ = read_events(str(builds["cold"].imported_trace))
    assert [e.to_dict() | {"build": ""} for e in read_events(str(out))[0]] == \
        [e.to_dict() | {"build": ""} for e in whole]


def test_import_output_is_deterministic(builds, tmp_path):
    again = tmp_path / "again.jsonl"
    run_gotrace(["import", str(builds["cold"].graph), "-o", str(again)], check=True)
    assert again.read_bytes() == builds["cold"].imported.read_bytes()


# --- merging a graph into the shim's trace --------------------------------------------------------

def merged_copy(build: GoBuild, tmp_path: Path, name: str, before: bytes = b"") -> Path:
    trace = tmp_path / f"{name}.jsonl"
    trace.write_bytes(before + build.shim_trace.read_bytes())
    return trace


OTHER_BUILD = (b'{"v":1,"kind":"build","build":"other","argv":["go","build"]}\n'
               b'{"v":1,"build":"other","tool":"compile","pkg":"cold","start_ns":1,"wall_ns":2}\n'
               b'{"v":1,"build":"cold","tool":"comp\n')  # a line cut short by a killed build


def test_merge_gives_each_shim_record_its_action_and_keeps_other_lines(builds, tmp_path):
    trace = merged_copy(builds["cold"], tmp_path, "cold", before=OTHER_BUILD)
    stats = merge_into_trace(str(trace), str(builds["cold"].graph), "cold")
    assert trace.read_bytes().startswith(OTHER_BUILD)
    events, reader = read_events(str(trace), build="cold")
    assert reader.skipped == 1
    shim = [e for e in events if e.source == "shim"]
    assert len(shim) == stats.matched and stats.unmatched == 0
    main_tools = [e for e in shim if e.tool in ("compile", "link")]
    assert main_tools and all(e.action is not None and e.queue_ns is not None for e in main_tools)
    actions = {e.action for e in events if e.action}
    assert all(set(e.action_deps or ()) <= actions for e in events)
    assert len(actions) == sum(1 for e in events if e.action)  # one record per action
    added = [e for e in events if e.source == "actiongraph"]
    assert len(added) == stats.added and {e.tool for e in added} <= {"gcc", "cc", "clang"}
    assert stats.cached == 0 and not any(e.cached for e in events)


def test_merge_of_a_warm_build_reports_which_packages_missed_the_cache(builds, tmp_path):
    trace = merged_copy(builds["warm"], tmp_path, "warm")
    stats = merge_into_trace(str(trace), str(builds["warm"].graph), "warm")
    events, _ = read_events(str(trace))
    assert has_cache_facts(events) and stats.cached > 40
    hits, misses, per_package = cache_stats(events)
    assert misses == 1 and [p for p, hit in per_package.items() if not hit] == [CHANGED]
    assert hits == len(per_package) - 1 == sum(1 for e in events if e.cached and e.tool == "compile")
    compile_ = next(e for e in events if e.tool == "compile" and e.pkg == CHANGED)
    assert compile_.source == "shim" and compile_.max_rss_kib and compile_.action


def test_merge_of_a_test_build_matches_test_variants(builds, tmp_path):
    trace = merged_copy(builds["test"], tmp_path, "test")
    stats = merge_into_trace(str(trace), str(builds["test"].graph), "test")
    events, _ = read_events(str(trace))
    assert stats.unmatched == 0
    for e in events:
        if e.source == "shim" and e.tool in ("compile", "link", "vet"):
            assert e.action is not None, (e.pkg, e.tool)
    link = next(e for e in events if e.tool == "link" and e.pkg.endswith("geom.test"))
    by_action = {e.action: e for e in events if e.action}
    linked = {by_action[d].pkg for d in link.action_deps}
    assert "example.com/multi/internal/geom [example.com/multi/internal/geom.test]" in linked
    assert "example.com/multi/internal/geom" not in linked


def test_merging_twice_gives_the_same_trace(builds, tmp_path):
    trace = merged_copy(builds["warm"], tmp_path, "warm")
    merge_into_trace(str(trace), str(builds["warm"].graph), "warm")
    once = trace.read_bytes()
    merge_into_trace(str(trace), str(builds["warm"].graph), "warm")
    assert trace.read_bytes() == once


def test_plain_shim_trace_has_no_cache_facts(builds):
    events, _ = read_events(str(builds["warm"].shim_trace))
    assert not has_cache_facts(events)


# --- bad input ---------------------------------------------------------------------------------------

def bad_inputs(builds, tmp_path: Path) -> dict[str, tuple[Path, str]]:
    graph = builds["cold"].graph.read_bytes()
    actions = json.loads(graph)
    broken_deps = [dict(a) for a in actions]
    broken_deps[3]["Deps"] = ["b001"]
    dangling = [a for a in actions if a["ID"] != 5]
    node_package = Path(__file__).resolve().parent.parent / "node_modules/speedscope/package.json"
    cases = {
        "truncated": (graph[: len(graph) // 2], "truncated or corrupt"),
        "garbage": (b"\x00\x01PK\x03\x04 not json", "not valid JSON"),
        "empty": (b"", "empty file"),
        "foreign object": (node_package.read_bytes() if node_package.exists() else b'{"name": "x"}',
                           "neither a go -debug-actiongraph"),
        "foreign list": (b"[1, 2, 3]", "neither a go -debug-actiongraph"),
        "gotrace trace": (builds["cold"].shim_trace.read_bytes(), "already a gotrace trace"),
        "bad deps": (json.dumps(broken_deps).encode(), "action 3 of the action graph is malformed"),
        "dangling dep": (json.dumps(dangling).encode(), "not in the graph"),
        "bad time": (json.dumps([dict(actions[0], TimeStart="yesterday")]).encode(), "bad time"),
        # cut inside an event (in its "ts" key): a cut that happens to fall between two events is a
        # debug trace whose go command was killed, which reads (test_debug_trace_of_a_killed_go_command...)
        "truncated trace": (_cut_inside_an_event(builds["cold"].debug_trace.read_bytes(), 5000), "not valid JSON"),
        # which of the two would a Deps entry mean? the importer refuses rather than keep the last
        "duplicate id": (json.dumps(actions + [dict(actions[4])]).encode(),
                         f"ID {actions[4]['ID']} is also the ID of an earlier action"),
        # what the importer writes is checked against the format's ranges, as the reader checks it
        "time past 2100": (json.dumps([dict(a, TimeStart="9999-12-31T00:00:00Z") if a.get("TimeStart")
                                       else a for a in actions]).encode(), "start_ns"),
    }
    out = {}
    for name, (data, message) in cases.items():
        path = tmp_path / (name.replace(" ", "_") + ".json")
        path.write_bytes(data)
        out[name] = (path, message)
    return out


def _cut_inside_an_event(data: bytes, near: int) -> bytes:
    """`data` cut inside the first "ts" key at or after byte `near`: inside a string, so no closing
    bracket can make it JSON again."""
    return data[:data.index(b'"ts":', near) + 3]


@pytest.mark.parametrize("case", ["truncated", "garbage", "empty", "foreign object", "foreign list",
                                  "gotrace trace", "bad deps", "dangling dep", "bad time",
                                  "truncated trace", "duplicate id", "time past 2100"])
def test_bad_input_is_one_clear_line(builds, tmp_path, case):
    path, message = bad_inputs(builds, tmp_path)[case]
    result = run_gotrace(["import", str(path), "-o", str(tmp_path / "out.jsonl")])
    err = result.stderr.decode()
    assert result.returncode == 1
    assert err.count("\n") == 1 and message in err and str(path) in err, err
    assert not (tmp_path / "out.jsonl").exists()


def test_missing_file_is_one_clear_line(tmp_path):
    result = run_gotrace(["import", str(tmp_path / "nope.json")])
    assert result.returncode != 0 and "nope.json" in result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()


def test_merge_with_a_bad_graph_leaves_the_trace_alone(builds, tmp_path):
    from gotrace.events import TraceError

    trace = merged_copy(builds["cold"], tmp_path, "cold")
    before = trace.read_bytes()
    bad = tmp_path / "bad.json"
    bad.write_bytes(builds["cold"].graph.read_bytes()[:1000])
    with pytest.raises(TraceError, match="truncated or corrupt"):
        merge_into_trace(str(trace), str(bad), "cold")
    assert trace.read_bytes() == before


# --- every analyzer on an imported trace ---------------------------------------------------------

# A memory figure of zero: what an analyzer shows when it takes unknown peak RSS for 0.
ZERO_MEMORY = re.compile(rb"(?<![\d.])0(\.0+)?\s?(B|KiB|MiB|GiB|kB|KB|MB|GB)\b")
ANALYZERS = ["fold", "flame", "speedscope", "chrome", "summary", "timeline", "report", "doctor", "diff"]
EXTENSIONS = {"flame": "svg", "speedscope": "json", "chrome": "json", "timeline": "svg", "report": "html"}


def zero_memory_in_json(node, key: str = "") -> bool:
    if isinstance(node, dict):
        return any(zero_memory_in_json(v, k) for k, v in node.items())
    if isinstance(node, list):
        return any(zero_memory_in_json(v, key) for v in node)
    return node == 0 and any(word in key.lower() for word in ("rss", "mem"))


@pytest.mark.parametrize("name", ANALYZERS)
def test_analyzer_reads_an_imported_trace(builds, tmp_path, name):
    help_ = run_gotrace([name, "--help"])
    if help_.returncode != 0 and b"No such command" in help_.stderr:
        pytest.skip(f"gotrace {name} does not exist yet")
    traces = [str(builds["cold"].imported)]
    if name == "diff":
        traces.append(str(builds["warm"].imported))
    args = [name, *traces]
    out_file = None
    if b"--output" in help_.stdout:
        out_file = tmp_path / f"out.{EXTENSIONS.get(name, 'txt')}"
        args += ["-o", str(out_file)]
    result = run_gotrace(args)
    assert result.returncode == 0, result.stderr.decode()
    assert b"Traceback" not in result.stderr
    output = out_file.read_bytes() if out_file and out_file.exists() else result.stdout
    assert output
    assert not ZERO_MEMORY.search(output), ZERO_MEMORY.search(output).group(0)
    try:
        doc = json.loads(output)
    except (ValueError, UnicodeDecodeError):
        return
    assert not zero_memory_in_json(doc)


@pytest.mark.parametrize("name", ["fold", "flame"])
def test_memory_weight_of_an_imported_trace_is_unknown_not_zero(builds, tmp_path, name):
    help_ = run_gotrace([name, "--help"])
    if help_.returncode != 0 or b"rss" not in help_.stdout:
        pytest.skip(f"gotrace {name} has no --weight rss yet")
    out = tmp_path / "out.svg"
    result = run_gotrace([name, str(builds["cold"].imported), "--weight", "rss", "-o", str(out)])
    if result.returncode == 0:
        assert not re.search(rb"\s0$", out.read_bytes(), re.MULTILINE)  # no stack weighs zero KiB
    else:
        err = result.stderr.decode()
        assert err.count("\n") == 1 and "rss" in err and "Traceback" not in err, err


def test_debug_trace_import_reads_cpu_and_cache_as_unknown_never_zero(builds, tmp_path):
    # A debug trace measures no CPU time and does not say what came from the cache.
    trace = str(builds["cold"].imported_trace)
    text = run_gotrace(["summary", trace], check=True).stdout.decode()
    assert "CPU unknown in" in text and "CPU 0.00s" not in text
    assert "from the cache" not in text
    assert "CPU utilisation unknown" in text and "CPU utilisation 0.0%" not in text
    summary = json.loads(run_gotrace(["summary", "--json", trace], check=True).stdout)
    assert summary["totals"]["cpu_ns"] is None
    assert summary["totals"]["cache_hit_packages"] is None and summary["totals"]["cache_packages"] is None
    assert summary["parallelism"]["cpu_utilisation"] is None and summary["parallelism"]["cpu_cores_busy"] == []
    page = tmp_path / "report.html"
    run_gotrace(["report", trace, "-o", str(page)], check=True)
    html = page.read_text()
    assert "tools&#x27; CPU</dt><dd>unknown<" in html and "CPU utilisation unknown" in html
    assert "from the cache</dt>" not in html
    # the closing lines of `gotrace run` say the same of the same records
    from gotrace.analysis.totals import render_run_summary
    events, _ = read_events(trace)
    out = io.StringIO()
    render_run_summary(events, 1, trace, out)
    assert "tools' CPU unknown" in out.getvalue()


def test_the_graph_import_still_knows_cpu_and_cache(builds):
    summary = json.loads(run_gotrace(["summary", "--json", str(builds["warm"].imported)], check=True).stdout)
    assert summary["totals"]["cpu_ns"] > 0
    assert 0 < summary["totals"]["cache_hit_packages"] < summary["totals"]["cache_packages"]
    assert 0 < summary["parallelism"]["cpu_utilisation"]


def test_c_compiles_are_named_for_what_ran_when_the_source_says(builds):
    graph, _ = read_events(str(builds["cold"].imported), keep_argv=True)
    debug, _ = read_events(str(builds["cold"].imported_trace))
    c_tools = {"gcc", "cc", "clang"}
    c_compiles = [e for e in graph if e.tool in c_tools]
    assert c_compiles and all(e.tool == tool_name(e.argv) for e in c_compiles)
    assert {e.tool for e in c_compiles} == {"gcc"}  # go's C compiler here, as the shim names it
    # a debug trace does not say which C compiler ran: one name for that, not a guess
    assert {e.tool for e in debug if e.tool in c_tools} == {UNNAMED_C_COMPILER}
