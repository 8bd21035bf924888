"""The dependency critical path on real traced builds: every step a real dependency, no longer than
the wall time, and an account of the wall time that adds up."""
from __future__ import annotations

import json

import pytest

from gotrace.analysis.critical_path import CLOCK_SLACK_NS, critical_path, dependency_graph
from gotrace.collapse import split_variant
from gotrace.events import Event, events_from_text, open_trace
from tests.conftest import run_gotrace

BUILDS = ["multi_build", "multi_test_build", "sequential_build"]


def load(traced):
    reader = open_trace(str(traced.trace))
    events = list(reader)
    (info,) = reader.builds.values()
    return events, info


def wall(events) -> int:
    return max(e.end_ns for e in events) - min(e.start_ns for e in events)


def base(pkg: str) -> str:
    return split_variant(pkg)[0]


def named_inputs(events, consumer: Event) -> set[str]:
    """Import paths the trace itself says `consumer` needed: its own -importcfg, else (cgo, asm of
    the same build action, or vet) the compile of its package's."""
    if consumer.deps is not None:
        return set(consumer.deps)
    return {d for e in events if e.pkg == consumer.pkg and e.tool == "compile" for d in e.deps or ()}


def check_real_edges(events, path):
    assert path.steps, "empty critical path"
    for before, after in zip(path.steps, path.steps[1:]):
        b, a = before.event, after.event
        if after.edge == "package":
            assert base(b.pkg) == base(a.pkg)
            continue
        assert b.end_ns <= a.start_ns + CLOCK_SLACK_NS, "a step started before its input ended"
        if after.edge in ("import", "link"):
            assert base(b.pkg) in named_inputs(events, a), f"{a.tool} {a.pkg} does not import {b.pkg}"
            variant = split_variant(a.pkg)[1] or (a.pkg if a.pkg.endswith(".test") else None)
            assert split_variant(b.pkg)[1] in (None, variant)
        elif after.edge == "action":
            assert b.action in (a.action_deps or ())
        else:
            pytest.fail(f"unexpected edge {after.edge!r}")


@pytest.mark.parametrize("fixture", BUILDS)
def test_every_step_of_the_critical_path_is_a_real_dependency(fixture, request):
    events, info = load(request.getfixturevalue(fixture))
    path = critical_path(events, info.parallelism)
    check_real_edges(events, path)
    packages = [s.event.pkg for s in path.steps]
    distinct = [p for i, p in enumerate(packages) if i == 0 or p != packages[i - 1]]
    assert len(distinct) >= 4  # internal/... -> runtime ... -> fmt -> the main package: a real chain


@pytest.mark.parametrize("fixture", BUILDS)
def test_the_floor_is_at_most_the_wall_and_the_account_adds_up_to_the_wall(fixture, request):
    events, info = load(request.getfixturevalue(fixture))
    path = critical_path(events, info.parallelism)
    assert path.wall_ns == wall(events)
    assert 0 < path.length_ns <= path.span_ns <= path.wall_ns
    assert path.work_ns == path.length_ns
    parts = path.length_ns + path.off_path_ns + path.slot_wait_ns + path.go_work_ns + path.untraced_ns
    assert abs(parts - path.wall_ns) <= CLOCK_SLACK_NS * len(path.steps)
    assert min(path.off_path_ns, path.slot_wait_ns, path.go_work_ns, path.untraced_ns) >= 0


def test_a_slot_is_never_a_step_so_a_sequential_build_has_a_floor_below_its_wall(sequential_build):
    events, info = load(sequential_build)
    assert info.parallelism == 1
    path = critical_path(events, info.parallelism)
    assert {s.edge for s in path.steps[1:]} <= {"import", "link", "package"}
    # one tool at a time: many packages off the path ran while the path's next step waited
    assert path.length_ns < 0.8 * path.wall_ns
    assert path.slot_wait_ns > path.go_work_ns


def test_main_package_and_link_end_the_build_path(multi_build):
    events, info = load(multi_build)
    steps = critical_path(events, info.parallelism).steps
    assert (steps[-1].event.tool, steps[-1].event.pkg) == ("link", "example.com/multi/cmd/multi")
    assert ("compile", "example.com/multi/cmd/multi") in {(s.event.tool, s.event.pkg) for s in steps}
    assert steps[-1].edge == "package"  # the link waited for its own package's build


def test_test_links_wait_for_the_packages_recompiled_for_their_test(multi_test_build):
    events, _ = load(multi_test_build)
    graph = dependency_graph(events)
    for i, (kind, pkg) in enumerate(zip(graph.kind, graph.pkg)):
        if kind == "link" and pkg.endswith(".test"):
            inputs = {graph.pkg[j] for j, _ in graph.inputs_of(i)}
            tested = pkg[:-len(".test")]
            assert f"{tested} [{pkg}]" in inputs and tested not in inputs


def test_summary_states_both_bounds_and_where_the_rest_of_the_wall_went(sequential_build):
    data = json.loads(run_gotrace(["summary", str(sequential_build.trace), "--json"], check=True).stdout)
    cp, bounds, totals = data["critical_path"], data["bounds"], data["totals"]
    assert bounds["floor_ns"] == cp["length_ns"] and bounds["wall_ns"] == totals["wall_ns"]
    assert bounds["resource_ns"] == totals["cpu_ns"] // bounds["cores"]
    assert cp["packages"][-1] == "example.com/multi/cmd/multi" and cp["slots"] == 1
    text = run_gotrace(["summary", str(sequential_build.trace)], check=True).stdout.decode()
    assert "Critical path" in text
    for line in ("floor ", "resource bound ", "waiting for a free -p slot", "go's own work between tools",
                 "no traced tool running", "waiting for inputs off the path"):
        assert line in text


# -- hand-made traces: the rules one by one ---------------------------------------------------------

def _trace(*records: dict):
    return events_from_text("".join(json.dumps({"v": 1, "build": "b", **r}) + "\n" for r in records))


def test_a_build_waiting_for_a_slot_is_not_a_dependency():
    # -p 1: b needs nothing but could only start when a freed the one slot
    events = _trace(
        {"tool": "compile", "pkg": "x.org/a", "start_ns": 0, "wall_ns": 100, "deps": []},
        {"tool": "compile", "pkg": "x.org/b", "start_ns": 110, "wall_ns": 50, "deps": []},
    )
    path = critical_path(events, parallelism=1)
    assert [s.event.pkg for s in path.steps] == ["x.org/a"]
    assert (path.length_ns, path.wall_ns) == (100, 160)
    assert (path.off_path_ns, path.untraced_ns) == (50, 10)  # b ran after the path ended


def test_the_heaviest_chain_wins_not_the_input_that_finished_last():
    events = _trace(
        {"tool": "compile", "pkg": "x.org/heavy", "start_ns": 0, "wall_ns": 300, "deps": []},
        {"tool": "compile", "pkg": "x.org/late", "start_ns": 250, "wall_ns": 100, "deps": []},
        {"tool": "compile", "pkg": "x.org/top", "start_ns": 400, "wall_ns": 100, "deps": ["x.org/heavy", "x.org/late"]},
    )
    path = critical_path(events, parallelism=2)
    assert [(s.event.pkg, s.edge) for s in path.steps] == [("x.org/heavy", ""), ("x.org/top", "import")]
    assert path.length_ns == 400
    assert path.off_path_ns == 50  # top waited for late, off the path, from 300 to 350


def test_c_compiles_run_side_by_side_count_once():
    events = _trace(
        {"tool": "gcc", "pkg": "x.org/c", "start_ns": 0, "wall_ns": 100},
        {"tool": "gcc", "pkg": "x.org/c", "start_ns": 0, "wall_ns": 100},
        {"tool": "compile", "pkg": "x.org/c", "start_ns": 100, "wall_ns": 50, "deps": []},
    )
    assert critical_path(events).length_ns == 150


def test_an_input_that_ended_after_its_dependent_started_is_no_edge():
    events = _trace(
        {"tool": "compile", "pkg": "x.org/a", "start_ns": 0, "wall_ns": 500_000_000, "deps": []},
        {"tool": "compile", "pkg": "x.org/b", "start_ns": 100_000_000, "wall_ns": 50_000_000, "deps": ["x.org/a"]},
    )
    assert [s.event.pkg for s in critical_path(events).steps] == ["x.org/a"]


def test_imported_action_edges_are_followed():
    events = _trace(
        {"tool": "compile", "pkg": "x.org/a", "start_ns": 0, "wall_ns": 100, "action": "1"},
        {"tool": "compile", "pkg": "x.org/slow", "start_ns": 0, "wall_ns": 150, "action": "3"},
        {"tool": "compile", "pkg": "x.org/b", "start_ns": 200, "wall_ns": 100, "action": "2",
         "action_deps": ["1"]},
    )
    path = critical_path(events)
    assert [(s.event.pkg, s.edge, s.wait_ns) for s in path.steps] == [("x.org/a", "", 0), ("x.org/b", "action", 100)]
    assert (path.span_ns, path.length_ns) == (300, 200)


def test_zero_length_records_of_one_package_do_not_cut_the_path_short():
    def ev(tool, pkg, start, wall, deps=None):
        return Event(build="b", tool=tool, pkg=pkg, start_ns=start, wall_ns=wall, deps=deps)

    events = [ev("compile", "a", 0, 100), ev("asm", "b", 150, 0), ev("compile", "b", 150, 0, deps=("a",)),
              ev("link", "main", 200, 50, deps=("a", "b"))]
    path = critical_path(events)
    assert [s.event.pkg for s in path.steps][0] == "a" and path.steps[-1].event.tool == "link"


def test_the_graph_of_events_with_probes_and_cache_hits_indexes_only_the_tools_that_ran():
    from pathlib import Path

    reader = open_trace(str(Path(__file__).parent / "pinned" / "multi-p2.jsonl"), include_probes=True)
    events = list(reader)
    ran = [e for e in events if not e.probe and not e.cached]
    # a cache hit between the tools, as an imported action graph has them
    events.insert(len(events) // 2, Event(ran[0].build, "compile", "cached/pkg", ran[0].start_ns, 0, cached=True))
    assert len(ran) < len(events) - 1  # the trace has version probes
    graph = dependency_graph(events)
    rows = [r for i in range(len(graph)) for r in graph.rows(i)]
    assert sorted(rows) == [k for k, e in enumerate(events) if not e.probe and not e.cached]
    assert [s.event for s in critical_path(events).steps] == [s.event for s in critical_path(ran).steps]
    # a node's rows are its package's tools, in start order
    for i in range(len(graph)):
        tools = [events[r] for r in graph.rows(i)]
        assert {e.pkg for e in tools} == {graph.pkg[i]}
        assert [e.start_ns for e in tools] == sorted(e.start_ns for e in tools)
        assert int(graph.start_ns[i]) == tools[0].start_ns
        assert int(graph.end_ns[i]) == max(e.end_ns for e in tools)
