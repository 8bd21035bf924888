"""What if more cores: a build's own graph and durations replayed through go's scheduler.

The check against real builds compares a trace with itself: replayed at its own -p, the model must
land within 15% of the wall time measured in the same run, whatever the machine's load (durations
and the go command's per-action work come from that run too). A prediction compared with another
build's measured time depends on the load of both runs: that is benchmarks/bench_whatif.py's job.
"""
from __future__ import annotations

import json

import pytest

from gotrace.analysis.critical_path import dependency_graph
from gotrace.analysis.parallelism import concurrency_steps
from gotrace.analysis.whatif import SLOTS, Timeline, measure_sharing, replay, what_if
from gotrace.events import total_cpu_ns
from tests.conftest import ROOT, run_gotrace
from tests.test_critical_path import _trace, load


@pytest.mark.parametrize("fixture", ["multi_build", "multi_test_build", "sequential_build"])
def test_replaying_a_build_at_its_own_p_reproduces_its_wall_time_within_15_percent(fixture, request):
    events, info = load(request.getfixturevalue(fixture))
    w = what_if(events, info.parallelism, cores=info.cores)
    assert w.measured_slots == info.parallelism and w.cores == info.cores
    assert w.replayed_wall_ns == w.predicted(info.parallelism)
    assert abs(w.measured_error) <= 0.15, (w.replayed_wall_ns, w.measured_wall_ns)


def test_one_slot_runs_every_action_one_after_another(multi_build):
    events, info = load(multi_build)
    graph = dependency_graph(events)
    w = what_if(events, info.parallelism)  # cores unknown: every node as long as it ran here
    assert w.cores is None
    assert w.predicted(1) == sum(span + w.overhead_ns for span in graph.span_ns.tolist())
    assert [p.slots for p in w.predictions] == list(SLOTS)  # -p 2 is in the list already
    assert w.predicted(None) <= w.predicted(2) <= w.predicted(1)


def test_one_slot_runs_every_action_for_its_time_with_the_cores_to_itself(multi_build):
    events, info = load(multi_build)
    ran = [e for e in events if not e.cached and not e.probe]
    nodes = dependency_graph(ran)
    sharing = measure_sharing(nodes, ran, info.cores)
    overhead = what_if(events, info.parallelism, cores=info.cores).overhead_ns
    one_by_one = sum(a + overhead for a in sharing.alone_ns)
    # one node at a time: each for its alone time, longer only when it alone wants more than the
    # cores the tools got
    assert replay(nodes, 1, overhead, sharing) >= one_by_one - len(nodes)
    wanting_more = [i for i, d in enumerate(sharing.demand) if d > sharing.capacity]
    if not wanting_more:
        assert replay(nodes, 1, overhead, sharing) <= one_by_one + len(nodes)
    # a node that shared the cores is shorter alone, never longer
    assert all(a <= span for span, a in zip(nodes.span_ns.tolist(), sharing.alone_ns))
    assert sum(sharing.alone_ns) < nodes.span_ns.sum()  # a -p 2 build on 2 cores shared


def test_predictions_with_the_builds_cores_shrink_with_more_slots_and_never_beat_the_cpu_bound(multi_build):
    events, info = load(multi_build)
    w = what_if(events, info.parallelism, cores=info.cores)
    assert w.cores == info.cores == 2
    assert w.predicted(1) >= w.predicted(2) >= w.predicted(None)
    cpu_bound = total_cpu_ns([e for e in events if not e.cached and not e.probe]) / info.cores
    # tools share the cores: however many run at once, the cores do at most their CPU time
    assert all(p.wall_ns >= cpu_bound for p in w.predictions), (cpu_bound, w.predictions)
    # without the cores, more slots than cores would run every tool as fast as alone
    unshared = what_if(events, info.parallelism)
    assert w.predicted(64) > unshared.predicted(64)


def test_a_sequential_build_is_predicted_to_gain_less_than_the_slots_when_tools_want_more_than_a_core(
        sequential_build):
    events, info = load(sequential_build)
    w = what_if(events, info.parallelism, cores=info.cores)
    # at -p 1 every tool ran alone: its duration is its own, and the replay keeps it
    assert abs(w.measured_error) <= 0.15
    assert w.alone_rates["compile"] > 0
    # two compiles at once share 2 cores: -p 2 cannot halve the -p 1 time
    assert w.predicted(2) > w.predicted(1) / 2


def test_summary_shows_the_curve_in_text_and_json(multi_build):
    data = json.loads(run_gotrace(["summary", str(multi_build.trace), "--json"], check=True).stdout)
    curve = data["what_if"]
    assert [p["slots"] for p in curve["predictions"]] == [1, 2, 4, 8, 16, 32, 64, None]
    assert curve["measured_slots"] == data["build"]["parallelism"]
    text = run_gotrace(["summary", str(multi_build.trace)], check=True).stdout.decode()
    assert "What if: predicted wall time by -p" in text
    header = next(line for line in text.splitlines() if line.strip().startswith("-p "))
    assert header.split() == ["-p", "1", "2", "4", "8", "16", "32", "64", "unlimited"]
    assert "at its own -p 2 the model gives" in text
    assert curve["cores"] == data["build"]["cores"] and curve["alone_rates"]["compile"] > 0


def test_replay_waits_for_dependencies_and_for_slots():
    events = _trace(
        {"tool": "compile", "pkg": "a", "start_ns": 0, "wall_ns": 100, "deps": []},
        {"tool": "compile", "pkg": "b", "start_ns": 0, "wall_ns": 100, "deps": []},
        {"tool": "compile", "pkg": "c", "start_ns": 100, "wall_ns": 50, "deps": ["a"]},
    )
    nodes = dependency_graph(events)
    assert [replay(nodes, s) for s in (1, 2, 3, None)] == [250, 150, 150, 150]
    assert replay(nodes, 1, overhead_ns=10) == 280


def test_a_trace_without_p_is_predicted_but_not_checked():
    events = _trace({"tool": "compile", "pkg": "a", "start_ns": 0, "wall_ns": 100})
    w = what_if(events)
    assert w.measured_slots is None and w.measured_error is None
    assert {p.wall_ns for p in w.predictions} == {100}


def test_tools_that_shared_the_cores_run_faster_alone_and_slower_together():
    # 2 cores: a compile alone kept 1.5 of them busy; two compiles at once got 1 core each, so
    # alone each takes 1/1.5 of its time; replayed two at once they share again (demand 3 on 2 cores)
    events = _trace(
        {"tool": "compile", "pkg": "a", "start_ns": 0, "wall_ns": 300, "user_ns": 450, "deps": []},
        {"tool": "compile", "pkg": "b", "start_ns": 300, "wall_ns": 300, "user_ns": 300, "deps": []},
        {"tool": "compile", "pkg": "c", "start_ns": 300, "wall_ns": 300, "user_ns": 300, "deps": []},
    )
    nodes = dependency_graph(events)
    sharing = measure_sharing(nodes, events, cores=2)
    assert sharing.alone_rates == {"compile": 1.5}
    assert [round(a) for a in sharing.alone_ns] == [300, 200, 200]
    # -p 1: 300 + 200 + 200. -p 2: a and b at 2/3 speed, b done at 300 (a 200 of 300 along); a and c
    # at 2/3, a done at 450 (c 100 along); c alone to 550. Unlimited: all three at 2/4.5, b and c
    # done at 450 (a 200 along), a alone to 550.
    assert [round(replay(nodes, s, sharing=sharing)) for s in (1, 2, None)] == [700, 550, 550]
    # without the cores: durations as measured
    assert [replay(nodes, s) for s in (1, 2, None)] == [900, 600, 300]


def test_the_sharing_grid_counts_running_tools_as_the_concurrency_sweep_does(multi_test_build):
    # one meaning of "running" (parallelism.concurrency_steps): [start, end), at least 1 ns
    events, _ = load(multi_test_build)
    ran = [e for e in events if not e.cached and not e.probe]
    grid = Timeline(ran)
    changes = [(t, c) for k, (t, c) in enumerate(zip(grid.times, grid.running))
               if k == 0 or c != grid.running[k - 1]]
    assert changes == concurrency_steps(ran)


def test_alone_time_never_exceeds_the_span_by_float_rounding():
    """A real cold trace (from a CI run) whose link, run alone, came out 2e-6 ns longer than its span
    from summed float progress: alone times are held to 0..span."""
    from gotrace.events import open_trace

    reader = open_trace(str(ROOT / "tests" / "pinned" / "multi-alone-rounding.jsonl"))
    events = list(reader)
    info = list(reader.builds.values())[-1]
    graph = dependency_graph(events)
    sharing = measure_sharing(graph, events, info.cores)
    assert all(0 <= a <= span for span, a in zip(graph.span_ns.tolist(), sharing.alone_ns))
