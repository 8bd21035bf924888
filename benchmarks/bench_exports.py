"""Time and peak memory of `gotrace speedscope` and `gotrace chrome` on a large synthetic trace.

Each export runs as the real console script in a child process; its peak RSS comes from wait4.
Target (issue 4): a 1,000,000-record trace in under 10 s and 1 GB per export.

    python benchmarks/bench_exports.py                  # 1,000,000 records
    python benchmarks/bench_exports.py -n 200000 --keep /tmp/t.jsonl
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth_trace import write_synthetic_trace

GOTRACE = Path(sys.executable).parent / "gotrace"
EXPORTS = {"speedscope": "build.speedscope.json", "chrome": "build.trace.json"}


def measure(args: list[str]) -> tuple[float, float, int, int]:
    """(wall seconds, CPU seconds, peak RSS in KiB, exit status) of one command."""
    start = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        sys.stderr.write(child.stderr.read().decode())
    child.stderr.close()
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, child.returncode


def calibrate() -> float:
    """CPU seconds of a fixed pure-Python loop: compares figures taken on busy and idle machines."""
    start, total = time.process_time(), 0
    for i in range(10_000_000):
        total += i
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--records", type=int, default=1_000_000)
    parser.add_argument("--keep", metavar="FILE", help="write (or reuse, if present) the trace here")
    parser.add_argument("--workers", type=int, default=8, help="tools the synthetic build runs at once")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gotrace-bench-") as tmp:
        trace = Path(args.keep) if args.keep else Path(tmp) / "trace.jsonl"
        if not trace.exists():
            write_synthetic_trace(str(trace), args.records, workers=args.workers)
        lines = sum(1 for _ in trace.open("rb"))
        print(f"trace: {lines:,} records, {trace.stat().st_size / 1e6:.0f} MB; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
              f"a 10M-step Python loop takes {calibrate():.2f}s CPU here")
        # CPU seconds tell what the export costs when other work shares the machine
        print(f"{'export':<12}{'wall':>8}{'CPU':>8}{'peak RSS':>11}{'output':>9}")
        failed = False
        for command, name in EXPORTS.items():
            out = Path(tmp) / name
            seconds, cpu, rss_kib, status = measure([str(GOTRACE), command, str(trace), "-o", str(out)])
            failed |= status != 0
            size = f"{out.stat().st_size / 1e6:.0f} MB" if out.exists() else "-"
            print(f"{command:<12}{seconds:>7.1f}s{cpu:>7.1f}s{rss_kib / 1024:>8.0f} MB{size:>9}"
                  + ("" if status == 0 else f"  (exit {status})"))
            out.unlink(missing_ok=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
