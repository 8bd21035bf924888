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
from gotrace.analysis.whatif import SLOTS, replay, what_if
from tests.conftest import run_gotrace
from tests.test_critical_path import _trace, load


@pytest.mark.parametrize("fixture", ["multi_build", "multi_test_build", "sequential_build"])
def test_replaying_a_build_at_its_own_p_reproduces_its_wall_time_within_15_percent(fixture, request):
    events, info = load(request.getfixturevalue(fixture))
    w = what_if(events, info.parallelism)
    assert w.measured_slots == info.parallelism
    assert w.replayed_wall_ns == w.predicted(info.parallelism)
    assert abs(w.measured_error) <= 0.15, (w.replayed_wall_ns, w.measured_wall_ns)


def test_one_slot_runs_every_action_one_after_another(multi_build):
    events, info = load(multi_build)
    w = what_if(events, info.parallelism)
    nodes = dependency_graph([e for e in events if not e.cached])
    assert w.predicted(1) == sum(n.span_ns + w.overhead_ns for n in nodes)
    assert [p.slots for p in w.predictions] == list(SLOTS)  # -p 2 is in the list already
    assert w.predicted(None) <= w.predicted(2) <= w.predicted(1)


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
