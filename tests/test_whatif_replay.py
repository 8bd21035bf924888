"""The what-if replay made cheaper (ReplayPlan: dependents made once, a queue for the go command's
work, a merge for ready nodes, grouped ties when unlimited) gives the replay it replaced to the
nanosecond: compared with that replay, kept here as the reference, on real traces and on graphs
full of ties (zero overhead, zero-length nodes, nodes of equal length starting together)."""
from __future__ import annotations

import gzip
import heapq
import math
import random

import pytest

from gotrace.analysis import whatif
from gotrace.analysis.critical_path import Concurrency, dependency_graph
from gotrace.analysis.whatif import (
    SLOTS,
    ReplayPlan,
    Sharing,
    action_overhead_ns,
    measure_sharing,
    predict,
    predict_columns,
    replay_columns,
)
from gotrace.events import TraceReader
from tests.conftest import ROOT

PINNED = ROOT / "tests" / "pinned"


def reference_replay(inputs, spans, slots, overhead_ns, sharing):
    """The replay before ReplayPlan (heaps of ready nodes, of (time, node) starting and finishing,
    dependents rebuilt per replay), reading the same columns: the bar the plan must meet."""
    if not inputs:
        return 0, False
    durations = sharing.alone_ns if sharing else [float(s) for s in spans]
    demands = sharing.demand if sharing else [0.0] * len(inputs)
    capacity = sharing.capacity if sharing else None
    waiting = [len(d) for d in inputs]
    dependents = [[] for _ in inputs]
    for i, d in enumerate(inputs):
        for j in d:
            dependents[j].append(i)
    ready = [i for i, w in enumerate(waiting) if w == 0]
    heapq.heapify(ready)
    starting, tools = [], []
    busy = 0
    now = virtual = load = 0.0
    held_back = False
    while ready or starting or tools:
        while ready and (slots is None or busy < slots):
            busy += 1
            heapq.heappush(starting, (now + overhead_ns, heapq.heappop(ready)))
        held_back = held_back or bool(ready)
        rate = 1.0 if capacity is None or load <= capacity else capacity / load
        finish = now + (tools[0][0] - virtual) / rate if tools else math.inf
        if starting and starting[0][0] <= finish:
            t, i = heapq.heappop(starting)
            virtual += (t - now) * rate
            now = t
            heapq.heappush(tools, (virtual + durations[i], i))
            load += demands[i]
            continue
        virtual, i = heapq.heappop(tools)
        now = finish
        load = load - demands[i] if tools else 0.0
        busy -= 1
        for k in dependents[i]:
            waiting[k] -= 1
            if waiting[k] == 0:
                heapq.heappush(ready, k)
    return round(now), held_back


def assert_replays_match(inputs, spans, overhead_ns, sharing):
    plan = ReplayPlan(inputs, spans, overhead_ns, sharing)
    for slots in SLOTS:
        assert plan.replay(slots) == reference_replay(inputs, spans, slots, overhead_ns, sharing), slots


def _real(name):
    path = PINNED / name
    reader = TraceReader(gzip.open(path, "rb") if name.endswith(".gz") else open(path, "rb"), name=str(path))
    events = list(reader)
    (info,) = reader.builds.values()
    return events, info


@pytest.mark.parametrize("name", ["cmd-go-p2.jsonl.gz", "cmd-go-p1.jsonl.gz", "multi-p2.jsonl", "multi-p1.jsonl",
                                  "multi-alone-rounding.jsonl"])
def test_the_plan_replays_real_traces_as_the_reference_does_to_the_nanosecond(name):
    events, info = _real(name)
    graph = dependency_graph(events)
    inputs, spans = replay_columns(graph)
    sharing = measure_sharing(graph, events, info.cores)
    overhead = action_overhead_ns(graph, Concurrency([e for e in events if not e.probe and not e.cached],
                                                     info.parallelism))
    assert sharing is not None and overhead > 0
    for with_overhead in (overhead, 0):
        for with_sharing in (sharing, None):
            assert_replays_match(inputs, spans, with_overhead, with_sharing)
    # predict (and its columns twin) take the first replay no slot held back for every larger -p
    slots = list(SLOTS)
    expected = []
    for s in slots:
        expected.append(reference_replay(inputs, spans, s, overhead, sharing)[0])
    assert [p.wall_ns for p in predict(graph, slots, overhead, sharing)] == expected
    assert [p.wall_ns for p in predict_columns(inputs, spans, slots, overhead, sharing)] == expected


def _tied_graph(rng: random.Random, size: int):
    """A graph whose nodes often finish and start together: few distinct lengths (zero among them),
    bursts of nodes without inputs, inputs from a few recent nodes."""
    lengths = [0, 0, 5, 10, 10, 20]
    inputs, spans = [], []
    for i in range(size):
        deps = sorted(set(rng.sample(range(max(0, i - 8), i), min(i, rng.choice((0, 0, 1, 2, 3))))))
        inputs.append(deps)
        spans.append(rng.choice(lengths))
    return inputs, spans


def _tied_sharing(rng: random.Random, spans) -> Sharing:
    # alone times of few distinct values; demands that push the load past the shared cores
    alone = [float(s) * rng.choice((1.0, 0.5)) for s in spans]
    demand = [rng.choice((0.0, 0.5, 1.0, 1.5)) if a > 0 else 0.0 for a in alone]
    return Sharing(cores=2, capacity=1.9, alone_rates={}, alone_ns=alone, demand=demand)


def test_the_plan_replays_graphs_full_of_ties_as_the_reference_does(monkeypatch):
    calls = {"_insert": 0, "_tie": 0, "_untie": 0}

    def counting(name):
        made = getattr(whatif, name)

        def counted(*args):
            calls[name] += 1
            return made(*args)
        return counted

    for name in calls:  # each tie path must be taken, or this test checks less than it says
        monkeypatch.setattr(whatif, name, counting(name))
    rng = random.Random(14)
    for _ in range(60):
        inputs, spans = _tied_graph(rng, rng.choice((1, 2, 7, 40, 300)))
        sharing = _tied_sharing(rng, spans)
        for overhead in (0, 3, 10):
            assert_replays_match(inputs, spans, overhead, sharing)
            assert_replays_match(inputs, spans, overhead, None)
    assert all(calls.values()), calls


def test_a_node_waiting_for_a_later_one_replays_as_the_reference_does():
    # dependency_graph's inputs are earlier nodes; the one-slot replay's order depends on it, so a
    # graph without it takes the general loop
    inputs, spans = [[2], [], [1], []], [10, 20, 30, 0]
    for overhead in (0, 5):
        assert_replays_match(inputs, spans, overhead, None)


def test_an_empty_graph_replays_to_nothing():
    assert ReplayPlan([], []).replay(None) == ReplayPlan([], []).replay(1) == (0, False)
    assert [p.wall_ns for p in predict_columns([], [], [1, None])] == [0, 0]


@pytest.mark.parametrize("forked", [True, False])
def test_work_beside_the_replays_runs_once_and_leaves_them_as_they_were(forked, monkeypatch):
    monkeypatch.setattr(whatif, "PARALLEL_NODES", 0 if forked else 1 << 60)
    rng = random.Random(7)
    inputs, spans = _tied_graph(rng, 300)
    sharing = _tied_sharing(rng, spans)
    alone = [p.wall_ns for p in predict_columns(inputs, spans, SLOTS, 3, sharing)]
    ran = []
    beside = (lambda: ran.append(len(ran)), 0.7)
    assert [p.wall_ns for p in predict_columns(inputs, spans, SLOTS, 3, sharing, beside)] == alone
    assert ran == [0]


def test_work_beside_takes_its_share_of_the_replays():
    here, there = whatif._halves(SLOTS, here=0.7)
    cost = [0.7 + sum(whatif.REPLAY_COST.get(s, 1.0) for s in here),
            sum(whatif.REPLAY_COST.get(s, 1.0) for s in there)]
    assert sorted(here + there, key=whatif.slot_order) == list(SLOTS)
    assert abs(cost[0] - cost[1]) <= max(whatif.REPLAY_COST.values())  # as even as whole replays allow
    assert len(here) < len(there) or cost[0] - 0.7 < cost[1]  # fewer replays here, for the work beside
