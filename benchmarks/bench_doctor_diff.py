"""`gotrace doctor` and `gotrace diff` on large traces made from a real build's records, against the
floor: decoding every line of the trace(s) with orjson.

Each trace is grown from a real trace by benchmarks/real_trace.py (tests/pinned/multi-p2.jsonl and
multi-p1.jsonl by default: cold builds of samples/multi). For each size it prints the floor's CPU
time (in this process; for diff, of both traces), each command's CPU time (user + sys of the child,
Python's start-up included) as a ratio to it, and the command's peak RSS. CPU time, not wall time:
the machine is shared and CPU time moves less with its load.

    python benchmarks/bench_doctor_diff.py [--sizes 100000,1000000] [--keep DIR]

Profile findings (cProfile and tracemalloc, 100,000 records of a real build, on a busy 2-core
machine), before -> after:
- doctor kept every Event (250 MB) and ran parallelism() twice per build (once for the cores check,
  once for the serial check), each sweeping and bucketing every event in Python: 5.9 s user.
  Now one pass over the records gathers per-build facts (analysis/doctor.py BuildFacts: columns of
  the invocations that ran, sets of versions, paths, flags and packages, interned names): 2.2 s
  user, 80 MB; at 1,000,000 records 24 s CPU (3.6x the floor) and 440 MB.
- diff built two lists of Events (366 MB) and computed package_label twice per event per metric.
  Now one pass per trace into a table of one row per package, tool and recorder (analysis/diff.py
  BuildTable, array columns), compared in one pass over the rows: 4.2 s user, 95 MB (a trace with
  itself); at 1,000,000 records 45 s CPU (3.5x the floor of both) and 630 MB.
- What is left is reading: TraceReader.records() costs 1.9x the floor (validation), and the
  per-record extraction 1x (diff) to 1.5x (doctor) more (a dict lookup per field read); the
  analyses after it take 0.2 to 0.5 s per 100,000 records.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from real_trace import grow_trace  # noqa: E402 - found through sys.path above

PINNED = HERE.parent / "tests" / "pinned"


def floor_cpu(*paths: Path) -> float:
    """CPU seconds to decode every line of the traces with orjson: what any command must spend."""
    loads = orjson.loads
    t0 = time.process_time()
    for path in paths:
        with open(path, "rb", buffering=1 << 20) as f:
            for line in f:
                loads(line)
    return time.process_time() - t0


def command_cpu(argv: list[str]) -> tuple[float, int]:
    """(CPU seconds, peak RSS in KiB: Linux's unit) of one run of a command, from its rusage."""
    with subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as child:
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--before", default=str(PINNED / "multi-p2.jsonl"), help="real trace to grow")
    parser.add_argument("--after", default=str(PINNED / "multi-p1.jsonl"), help="the other build, for diff")
    parser.add_argument("--keep", metavar="DIR", help="write the grown traces here and keep them")
    args = parser.parse_args()
    gotrace = str(Path(sys.executable).parent / "gotrace")
    print(f"{'records':>9} {'floor':>7} {'doctor':>7} {'ratio':>6} {'peak':>8} "
          f"{'floor x2':>8} {'diff':>7} {'ratio':>6} {'peak':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(args.keep or tmp)
        for n in (int(s) for s in args.sizes.split(",")):
            before, after = where / f"doctor-diff-{n}-a.jsonl", where / f"doctor-diff-{n}-b.jsonl"
            for source, path in ((args.before, before), (args.after, after)):
                if not path.exists():
                    grow_trace(source, str(path), n)
            floor = floor_cpu(before)
            doctor, doctor_rss = command_cpu([gotrace, "doctor", str(before), "--machine-memory", "8G"])
            floor2 = floor + floor_cpu(after)
            diff, diff_rss = command_cpu([gotrace, "diff", str(before), str(after)])
            print(f"{n:>9} {floor:>6.2f}s {doctor:>6.2f}s {doctor / floor:>5.2f}x {doctor_rss / 1024:>5.0f}MiB "
                  f"{floor2:>7.2f}s {diff:>6.2f}s {diff / floor2:>5.2f}x {diff_rss / 1024:>5.0f}MiB", flush=True)


if __name__ == "__main__":
    main()
