"""How long `gotrace doctor` and `gotrace diff` take on large traces (synthetic, shaped like real ones).

Prints, for each size, the time to read the trace, to diagnose it, to compare two builds of that size,
to judge the noise-robust gate on their CPU time and to build the differential stacks; the
command-line figures include Python's start-up.

    python benchmarks/bench_doctor_diff.py [--sizes 10000,100000,300000]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from synth_trace import write_synthetic_trace  # noqa: E402 - found through sys.path above

from gotrace.analysis.diff import Threshold, compare, differential_stacks, gate  # noqa: E402
from gotrace.analysis.doctor import Context, diagnose  # noqa: E402
from gotrace.events import open_trace  # noqa: E402


def timed(fn, *args, **kwargs) -> float:
    t0 = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,300000")
    args = parser.parse_args()
    gotrace = Path(sys.executable).parent / "gotrace"
    print(f"{'records':>8} {'read':>7} {'doctor':>7} {'compare':>8} {'gate':>6} {'stacks':>7} {'cli doctor':>11} "
          f"{'cli diff':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            before, after = Path(tmp, f"b{n}.jsonl"), Path(tmp, f"a{n}.jsonl")
            write_synthetic_trace(str(before), n, seed=1)
            write_synthetic_trace(str(after), n, seed=2)
            reader = open_trace(str(after), include_probes=True)
            t0 = time.perf_counter()
            events = list(reader)
            t_read = time.perf_counter() - t0
            old = list(open_trace(str(before)))
            t_doctor = timed(diagnose, events, reader.builds, Context(machine_memory_kib=24 << 20))
            t_compare = timed(compare, old, events, "wall")
            cpu = compare(old, events, "cpu")
            t_gate = timed(gate, cpu, 0.1, Threshold())
            t_stacks = timed(differential_stacks, old, events)
            t_cli_doctor = timed(subprocess.run, [gotrace, "doctor", after], capture_output=True, check=False)
            t_cli_diff = timed(subprocess.run, [gotrace, "diff", before, after], capture_output=True, check=False)
            print(f"{n:>8} {t_read:>6.2f}s {t_doctor:>6.2f}s {t_compare:>7.2f}s {t_gate:>5.2f}s {t_stacks:>6.2f}s "
                  f"{t_cli_doctor:>10.2f}s {t_cli_diff:>8.2f}s")


if __name__ == "__main__":
    main()
