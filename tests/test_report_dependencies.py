"""What each invocation waited for on the report's timeline (report_data.dependency_facts, numpy
group-bys over the graph) is what a walk of the graph node by node finds (`reference_facts`, the
implementation it replaced, kept here): on real builds (plain, tests with vet and test variants, an
imported action graph) and on random builds with ties everywhere."""
from __future__ import annotations

import random

import numpy as np
import pytest

from gotrace.analysis.build_rows import BuildRows, rows_in_order
from gotrace.analysis.critical_path import CLOCK_SLACK_NS
from gotrace.analysis.critical_path import EDGES as GRAPH_EDGES
from gotrace.events import Event, read_events
from gotrace.render.report_data import EDGES, UNKNOWN, _latest_earlier, dependency_facts
from tests.conftest import ROOT, run_gotrace
from tests.test_build_rows import random_build

PINNED = ROOT / "tests" / "pinned"


def reference_facts(rows: BuildRows, position: np.ndarray) -> tuple[list[int], list[int], list[tuple[str, ...]]]:
    """The per-node walk: for each node, its input that ended last (ties by the whole rank), then
    each of its tools, which may wait for an earlier tool of its own package instead."""
    graph = rows.graph()
    n = len(rows)
    at = position.tolist()
    wait, edge_of = [UNKNOWN] * n, [0] * n
    edge_id = {edge: i for i, edge in enumerate(EDGES)}
    deps: list[tuple[str, ...]] = [()] * n
    ends, pkgs = graph.end_ns.tolist(), graph.pkg
    offsets, sources = graph.input_offsets.tolist(), graph.input_node.tolist()
    edges = [GRAPH_EDGES[k] for k in graph.input_edge.tolist()]
    order, firsts, counts = graph.order.tolist(), graph.first.tolist(), graph.count.tolist()
    starts = rows.start_ns.tolist()
    row_ends = (rows.start_ns + rows.wall_ns).tolist()
    tool_of = [rows.tools[t] for t in rows.tool.tolist()]
    pkg_of = [rows.pkgs[p] for p in rows.pkg.tolist()]

    def rank(option):
        last, edge = option
        return (row_ends[last], edge != "package", tool_of[last], pkg_of[last])

    for i in range(len(graph)):
        inputs = list(zip(sources[offsets[i]:offsets[i + 1]], edges[offsets[i]:offsets[i + 1]]))
        latest = max((ends[j] for j, _ in inputs), default=None)
        options_in = [(max(order[firsts[j]:firsts[j] + counts[j]], key=row_ends.__getitem__), edge)
                      for j, edge in inputs if ends[j] == latest]
        best_input = max(options_in, key=rank, default=None)
        names = tuple(sorted({pkgs[j] for j, edge in inputs if edge != "package"}))
        tools = order[firsts[i]:firsts[i] + counts[i]]
        earlier = _latest_earlier([starts[r] for r in tools], [row_ends[r] for r in tools],
                                  [tool_of[r] for r in tools]) if len(tools) > 1 else [-1]
        for r, d in zip(tools, earlier):
            k = at[r]
            deps[k] = names
            best = best_input
            if d >= 0:
                best = max(((tools[d], "package"), best_input), key=rank) if best_input else (tools[d], "package")
            if best is not None:
                wait[k], edge_of[k] = at[best[0]], edge_id[best[1]]
    return wait, edge_of, deps


def same_facts(rows: BuildRows) -> None:
    order = rows_in_order(rows)
    position = np.empty(len(order), np.int64)
    position[order] = np.arange(len(order))
    wait, edge, deps = dependency_facts(rows, None, position)
    expected = reference_facts(rows, position)
    assert (wait.tolist(), edge.tolist(), deps) == expected
    assert sum(w >= 0 for w in expected[0]) > len(rows) // 3


@pytest.mark.parametrize("trace", ["multi-p2.jsonl", "multi-p1.jsonl", "multi-alone-rounding.jsonl"])
def test_what_each_invocation_waited_for_is_the_node_walks_on_real_builds(trace):
    same_facts(BuildRows.of_events(read_events(str(PINNED / trace))[0]))


def test_what_each_invocation_waited_for_is_the_node_walks_with_tests_vet_and_variants(multi_test_build):
    same_facts(BuildRows.of_events(read_events(str(multi_test_build.trace))[0]))


def test_what_each_invocation_waited_for_is_the_node_walks_of_an_imported_action_graph(sequential_build, tmp_path):
    trace = tmp_path / "graph.jsonl"
    run_gotrace(["import", str(sequential_build.trace.parent / "graph.json"), "-o", str(trace)], check=True)
    same_facts(BuildRows.of_events(read_events(str(trace))[0]))


def layered_build(seed: int) -> list[Event]:
    """Layers of packages whose tools (asm, cgo, compile; vet; links of test binaries) start and
    end on a coarse grid, so that a package's imports often end at the same instant: ties."""
    rng = random.Random(seed)
    layers = [[f"example.com/l{d}p{i}" for i in range(6)] for d in range(4)]
    out = []
    for depth, layer in enumerate(layers):
        for pkg in layer:
            imports = tuple(rng.sample([p for lower in layers[:depth] for p in lower], min(depth * 3, 8)))
            at = depth * 40_000_000 + rng.choice((0, 0, 2_000_000))
            for tool in rng.choice((("compile",), ("asm", "compile"), ("cgo", "gcc", "gcc", "compile"))):
                wall = rng.choice((5_000_000, 10_000_000, 10_000_000))
                out.append(Event(build="b", tool=tool, pkg=pkg, start_ns=at, wall_ns=wall,
                                 deps=imports if tool == "compile" else None))
                at += rng.choice((0, wall))
            if rng.random() < 0.3:
                out.append(Event(build="b", tool="vet", pkg=pkg, start_ns=at + 2_000_000, wall_ns=3_000_000))
    out.append(Event(build="b", tool="link", pkg="example.com/l3p0", start_ns=200_000_000, wall_ns=9_000_000,
                     deps=tuple(p for layer in layers for p in layer)))
    return out


@pytest.mark.parametrize("seed", range(12))
def test_what_each_invocation_waited_for_is_the_node_walks_of_random_builds(seed):
    same_facts(BuildRows.of_events(random_build(seed)))


@pytest.mark.parametrize("seed", range(6))
def test_what_each_invocation_waited_for_is_the_node_walks_when_inputs_end_together(seed):
    rows = BuildRows.of_events(layered_build(seed))
    graph = rows.graph()
    offsets, ends = graph.input_offsets.tolist(), graph.end_ns[graph.input_node].tolist()
    tied = [i for i in range(len(graph))
            if ends[offsets[i]:offsets[i + 1]].count(max(ends[offsets[i]:offsets[i + 1]], default=None)) > 1]
    assert len(tied) >= 3  # the coarse grid makes inputs that end together
    same_facts(rows)


def test_what_each_invocation_waited_for_is_the_same_made_a_few_nodes_at_a_time(monkeypatch):
    """A big build's nodes of several tools are taken in chunks (bounded lists): chunks of three."""
    import gotrace.render.report_data as report_data

    monkeypatch.setattr(report_data, "_NODES_AT_ONCE", 3)
    same_facts(BuildRows.of_events(layered_build(1)))
    same_facts(BuildRows.of_events(read_events(str(PINNED / "multi-p2.jsonl"))[0]))


def chained_build(seed: int) -> list[Event]:
    """Packages whose tools mostly run one after another, each starting about when the one before
    ended: exactly then, a little later, within the clock slack before, or further before; now and
    then a tool starts with the one before or ends inside it."""
    rng = random.Random(seed)
    out = []
    for p in range(40):
        at = rng.randrange(0, 50_000_000)
        for tool in ("cgo", "gcc", "gcc", "gcc", "compile")[rng.randrange(3):]:
            wall = rng.choice((1_000_000, 4_000_000, 9_000_000))
            out.append(Event(build="b", tool=tool, pkg=f"example.com/p{p}", start_ns=at, wall_ns=wall))
            step = rng.choice((wall, wall, wall + 1_000, wall - CLOCK_SLACK_NS // 2, wall - CLOCK_SLACK_NS,
                               wall - 2 * CLOCK_SLACK_NS, 0, wall // 3))
            at += step
    return out


@pytest.mark.parametrize("seed", range(8))
def test_what_each_invocation_waited_for_is_the_node_walks_when_tools_run_one_after_another(seed):
    rows = BuildRows.of_events(chained_build(seed))
    counts = rows.graph().count
    assert (counts >= 3).sum() >= 20  # packages of several tools, chained
    same_facts(rows)
