"""How long `gotrace summary`'s analyses, the timeline chart and the HTML report take as builds grow.

Synthetic traces (benchmarks/synth_trace.py: a cold build of thousands of packages run by 8 workers)
of 2,000, 20,000 and 200,000 invocations; each figure is the best of --repeat runs, in-process.

    python benchmarks/bench_summary.py [--sizes 2000,20000,200000] [--repeat 3]
    python benchmarks/bench_summary.py --replay /tmp/b100k.jsonl [--repeat 2]

--replay TRACE: the what-if replays of TRACE's graph (every -p of whatif.SLOTS, with the build's
cores), the replay before ReplayPlan (tests/test_whatif_replay.py's reference) and ReplayPlan's
alternately (old, new, old, new, ...), CPU seconds of this process, the plan's making counted once
per round with the new; each pair must give the same ints.
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from functools import partial

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from synth_trace import write_synthetic_trace

from gotrace.analysis.critical_path import critical_path
from gotrace.analysis.parallelism import parallelism
from gotrace.analysis.summary import summarize
from gotrace.events import read_events


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def bench_replay(path: str, rounds: int) -> None:
    import gc

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from gotrace.analysis.critical_path import Concurrency, dependency_graph
    from gotrace.analysis.whatif import SLOTS, ReplayPlan, action_overhead_ns, measure_sharing, replay_columns
    from tests.test_whatif_replay import reference_replay

    gc.disable()  # as the CLI runs (gotrace.cli.main)
    events, reader = read_events(path)
    ran = [e for e in events if not e.probe and not e.cached]
    info = reader.builds.get(ran[0].build) or next(iter(reader.builds.values()))
    graph = dependency_graph(ran)
    overhead = action_overhead_ns(graph, Concurrency(ran, info.parallelism))
    sharing = measure_sharing(graph, ran, info.cores)
    inputs, spans = replay_columns(graph)
    del events, ran, graph
    print(f"{len(inputs):,} nodes, {sum(map(len, inputs)):,} edges; CPU s, best of {rounds} (old / new)")
    old: dict = {}
    new: dict = {}
    for _ in range(rounds):
        t = time.process_time()
        plan = ReplayPlan(inputs, spans, overhead, sharing)
        new.setdefault("plan", []).append(time.process_time() - t)
        for s in SLOTS:
            t = time.process_time()
            before = reference_replay(inputs, spans, s, overhead, sharing)
            old.setdefault(s, []).append(time.process_time() - t)
            t = time.process_time()
            after = plan.replay(s)
            new.setdefault(s, []).append(time.process_time() - t)
            assert before == after, (s, before, after)
    for s in SLOTS:
        print(f"  -p {s or 'unlimited':>9}: {min(old[s]):6.3f} / {min(new[s]):6.3f}")
    total_old = sum(min(old[s]) for s in SLOTS)
    total_new = sum(min(v) for v in new.values())
    print(f"  every -p: {total_old:.2f} / {total_new:.2f} (plan {min(new['plan']):.3f} of it), "
          f"{total_old / total_new:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000,200000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--replay", metavar="TRACE", help="time the what-if replays of TRACE, old vs new")
    args = parser.parse_args()
    if args.replay:
        bench_replay(args.replay, args.repeat)
        return
    from gotrace.analysis.build_rows import BuildRows
    from gotrace.charts import render_timeline
    from gotrace.render.report import render_report

    print(f"{'records':>8} {'events':>8} {'read':>8} {'crit.path':>10} {'parallel.':>10} {'summary':>8} "
          f"{'timeline':>9} {'report':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            path = os.path.join(tmp, f"t{size}.jsonl")
            write_synthetic_trace(path, records=size, workers=8)
            t_read = best(partial(read_events, path), 1)
            events, reader = read_events(path)
            info = next(iter(reader.builds.values()), None)
            limit = info.parallelism if info else None
            t_path = best(partial(critical_path, events, limit), args.repeat)
            t_par = best(partial(parallelism, events, info), args.repeat)
            t_sum = best(partial(summarize, events, info), args.repeat)
            summary = summarize(events, info)
            rows = BuildRows.of_events(events)
            t_png = best(partial(render_timeline, rows, io.BytesIO(), "png", par=summary.par,
                                 on_path=rows.on_critical_path()), 1)
            t_html = best(partial(render_report, summary, io.StringIO()), 1)
            print(f"{size:>8} {len(events):>8} {t_read:>7.2f}s {t_path:>9.3f}s {t_par:>9.3f}s {t_sum:>7.2f}s "
                  f"{t_png:>8.2f}s {t_html:>7.2f}s", flush=True)


if __name__ == "__main__":
    main()
