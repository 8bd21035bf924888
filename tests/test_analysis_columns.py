"""The column (numpy) and sweep forms of the summary's and report's passes give what the plain loops
over events they replaced gave, to the last bit and the same tie-breaks, on invocations with many
coincident starts, ends and zero-length runs (the cases where a sweep can go wrong)."""
from __future__ import annotations

import random

import pytest

from gotrace.analysis.coverage import coverage
from gotrace.analysis.parallelism import concurrency_steps, cpu_per_bucket, occupied_end
from gotrace.analysis.summary import group_name, top_tables
from gotrace.events import Event
from gotrace.render.report_data import CLOCK_SLACK_NS, _latest_earlier

SEEDS = range(20)


def invocations(seed: int, n: int = 300) -> list[Event]:
    """Invocations on a coarse time grid, so starts, ends and zero-length runs coincide often."""
    rng = random.Random(seed)
    tools = ("compile", "asm", "gcc", "link")
    out = []
    for _ in range(n):
        start = rng.randrange(0, 40) * 1_000_000
        wall = rng.choice((0, 0, 1_000_000, 2_000_000, 3_500_000, rng.randrange(0, 30_000_000)))
        known = rng.random() < 0.8
        out.append(Event(build="b", tool=rng.choice(tools), pkg=rng.choice(("a.org/x", "b.io/c", "fmt", "d.io/d [d.io/d.test]", "", "os")),
                         start_ns=start, wall_ns=wall, user_ns=rng.randrange(0, 2 * wall + 2) if known else None,
                         sys_ns=rng.randrange(0, 1000) if known else None,
                         max_rss_kib=rng.choice((None, 0, rng.randrange(1, 10**6))), probe=rng.random() < 0.05))
    return out


def steps_by_loop(events: list[Event]) -> list[tuple[int, int]]:
    points: dict[int, int] = {}
    for e in events:
        end = occupied_end(e.start_ns, e.end_ns)
        points[e.start_ns] = points.get(e.start_ns, 0) + 1
        points[end] = points.get(end, 0) - 1
    steps, running = [], 0
    for t in sorted(points):
        running += points[t]
        if not steps or steps[-1][1] != running:
            steps.append((t, running))
    return steps


def buckets_by_loop(events: list[Event], start: int, span: int, buckets: int = 100) -> list[float]:
    width = span / buckets
    busy = [0.0] * buckets
    for e in events:
        cpu = e.cpu_ns
        if not cpu:
            continue
        if e.wall_ns <= 0:
            busy[min(buckets - 1, int((e.start_ns - start) / width))] += cpu
            continue
        rate = cpu / e.wall_ns
        a, b = e.start_ns - start, e.end_ns - start
        for i in range(int(a / width), min(buckets - 1, int(b / width)) + 1):
            overlap = min(b, (i + 1) * width) - max(a, i * width)
            if overlap > 0:
                busy[i] += rate * overlap
    return [ns / width for ns in busy]


@pytest.mark.parametrize("seed", SEEDS)
def test_concurrency_steps_and_cpu_per_bucket_match_the_loops_over_events(seed):
    events = invocations(seed)
    assert concurrency_steps(events) == steps_by_loop(events)
    start = min(e.start_ns for e in events)
    span = max(e.end_ns for e in events) - start
    assert cpu_per_bucket(events, start, span) == buckets_by_loop(events, start, span)


@pytest.mark.parametrize("seed", SEEDS)
def test_coverage_gaps_match_the_merge_of_sorted_intervals(seed):
    events = [e for e in invocations(seed, 60) if e.start_ns % 3_000_000]  # leave gaps
    work = [e for e in events if not e.probe]
    first, last = min(e.start_ns for e in work), max(e.end_ns for e in work)
    spans = sorted((max(e.start_ns, first), min(e.end_ns, last)) for e in events
                   if e.end_ns >= first and e.start_ns <= last)
    covered, gaps = 0, []
    run_start, run_end = spans[0]
    for start, end in spans[1:]:
        if start > run_end:
            covered += run_end - run_start
            gaps.append((run_end - first, start - run_end))
            run_start = start
        run_end = max(run_end, end)
    covered += run_end - run_start
    got = coverage(events)
    assert (got.span_ns, got.covered_ns) == (last - first, covered)
    assert [(g.start_ns, g.wall_ns) for g in got.gaps] == sorted(gaps, key=lambda g: (-g[1], g[0]))


@pytest.mark.parametrize("seed", SEEDS)
def test_top_tables_match_summing_per_row(seed):
    events = [e for e in invocations(seed) if not e.probe]
    tables = top_tables(events, 3, None, False)
    for weight in ("wall", "cpu", "rss"):
        values: dict[str, int] = {}
        for e in events:
            name = group_name(e.pkg)
            if weight == "rss":
                if e.max_rss_kib is not None:
                    values[name] = max(values.get(name, 0), e.max_rss_kib)
            else:
                values[name] = values.get(name, 0) + ((e.cpu_ns or 0) if weight == "cpu" else e.wall_ns)
        ranked = sorted(((k, v) for k, v in values.items() if v > 0), key=lambda kv: (-kv[1], kv[0]))[:3]
        assert [(r.name, r.value) for r in tables[weight]] == ranked


@pytest.mark.parametrize("seed", SEEDS)
def test_each_tool_waits_for_the_latest_earlier_tool_of_its_package(seed):
    # one package's tools in start order, as dependency_graph keeps a node's events
    events = sorted(invocations(seed, 40), key=lambda e: (e.start_ns, e.end_ns, e.tool))
    expected = []
    for k, e in enumerate(events):
        options = [(d.end_ns, d.tool, -i) for i, d in enumerate(events)
                   if i != k and d.start_ns <= e.start_ns and d.end_ns <= e.start_ns + CLOCK_SLACK_NS]
        expected.append(-max(options)[2] if options else -1)
    assert _latest_earlier([e.start_ns for e in events], [e.end_ns for e in events], [e.tool for e in events]) == expected
