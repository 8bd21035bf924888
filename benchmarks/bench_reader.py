"""The one trace reader against the decode floor: the time of TraceReader's two views (columns, as
the exports read a trace; events, as summary, fold and doctor do) over a large synthetic trace, as a
ratio to merely decoding every line with orjson.loads (the least any command can do).

Each figure is the CPU time of this process (the machine may be shared: wall time would measure the
other work too), the best of --repeat runs, the file already in the page cache.

    python benchmarks/bench_reader.py                  # 1,000,000 records
    python benchmarks/bench_reader.py -n 200000 --keep /tmp/t.jsonl

Profile (cProfile of the columns view over 30,000 synthetic records, 2 busy cores): orjson.loads
was 14% of the time; checking every field against the rules by a loop over the rules cost about 2.4x
the decoding, so the checks are now compiled once per record shape (events.RecordRules): what is
left per record is one straight-line test of each field, about 1x the decoding; the columns view's
own loop (dict.get per optional field, array appends) is most of the rest. The events view spends
most of its time building frozen Event objects (a setattr per field): big inputs want columns.

Since (2026-12-01, 100,000 real-derived records of benchmarks/real_trace.py, load 5-8): the compiled
function of a shape also makes the row, an Event named tuple in one step (not a frozen dataclass's
34 setattr calls) or the columns tuple, interning repeated strings (build, package, tool, paths,
each dep: a million events share them); events view 7.1x -> 2.3x the floor, columns 2.75x -> 2.2x.
Tried and dropped: reading a batch of 4,096 lines, grouping by shape and checking each field down
its column with C-level passes (set of types, min/max). Keeping a batch's decoded records alive
made orjson.loads itself 2.5x slower (allocations leave the cache; even 64 records cost 1.6x), so
the batched reader ran at 9x: streaming one record at a time is the cheap shape for this work.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from synth_trace import write_synthetic_trace  # noqa: E402

from gotrace.events import TraceReader  # noqa: E402


def decode_floor(path: Path) -> int:
    loads = orjson.loads
    n = 0
    with open(path, "rb", buffering=1 << 20) as f:
        for line in f:
            loads(line)
            n += 1
    return n


def columns_view(path: Path) -> int:
    with open(path, "rb", buffering=1 << 20) as f:
        return len(TraceReader(f).columns())


def events_view(path: Path) -> int:
    with open(path, "rb", buffering=1 << 20) as f:
        return sum(1 for _ in TraceReader(f))


def best_of(repeat: int, func, path: Path) -> tuple[float, int]:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        result = func(path)
        times.append(time.process_time() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--records", type=int, default=1_000_000)
    parser.add_argument("--keep", metavar="FILE", help="write (or reuse, if present) the trace here")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gotrace-bench-") as tmp:
        trace = Path(args.keep) if args.keep else Path(tmp) / "trace.jsonl"
        if not trace.exists():
            write_synthetic_trace(str(trace), args.records)
        print(f"trace: {trace.stat().st_size / 1e6:.0f} MB; load average {os.getloadavg()[0]:.1f} "
              f"on {os.cpu_count()} cores; CPU seconds, best of {args.repeat}")
        floor, lines = best_of(args.repeat, decode_floor, trace)
        print(f"{'orjson.loads per line (floor)':<32}{floor:>7.2f}s  {lines:>9,} lines   1.00x")
        for name, func in (("reader, columns view", columns_view), ("reader, events view", events_view)):
            seconds, rows = best_of(args.repeat, func, trace)
            print(f"{name:<32}{seconds:>7.2f}s  {rows:>9,} rows  {seconds / floor:>6.2f}x")


if __name__ == "__main__":
    main()
