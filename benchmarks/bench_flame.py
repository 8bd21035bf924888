"""How fast folded stacks become a flame graph (`gotrace flame`), and a trace folded stacks (`gotrace fold`).

    python benchmarks/bench_flame.py                       # 200,000 stacks (~18 MB per input)
    python benchmarks/bench_flame.py --stacks 1000000      # the issue's size (~90 MB per input)
    GOTRACE_BENCH_STACKS=1000000 make bench

Inputs are generated (same seed, same bytes) in a temporary directory:
  distinct, sorted    N distinct stacks of depth 1..60, sorted as `gotrace fold`, stackcollapse and
                      inferno write them: the graph streams
  distinct, shuffled  the same lines in random order: summed per stack in a dict, sorted, laid out
  repeated            long stacks (depth 30..60, names like runtime.mallocgc) as raw samples: 2,000
                      distinct stacks repeated in random order to the same size as the first input
  trace -> folded     `gotrace fold` of an N-record synthetic trace (benchmarks/synth_trace.py)

Each case runs the real `gotrace` console script in a child; a small wrapper process per run reports
that child's wall time, CPU time and peak RSS (getrusage RUSAGE_CHILDREN), so runs do not see each
other's peaks. MB/s is given against both times: on a busy machine the CPU figure is the fair one.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
GOTRACE = str(Path(sys.executable).parent / "gotrace")
WRAPPER = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
with open(sys.argv[1], "wb") as out:
    code = subprocess.run(sys.argv[2:], stdout=out).returncode
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": code, "seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime,
                  "peak_kib": usage.ru_maxrss}))
"""


def measure(command: list[str], output: Path) -> dict:
    result = subprocess.run([sys.executable, "-c", WRAPPER, str(output), *command],
                            capture_output=True, text=True, check=True)
    figures = json.loads(result.stdout)
    if figures["code"] != 0:
        sys.exit(f"bench_flame: {' '.join(command)} failed:\n{result.stderr}")
    return figures


def write_distinct(path: Path, stacks: int, rng: random.Random) -> list[bytes]:
    """Frames are two hex digits, so byte order is frame order and sorted text streams."""
    seen: set[bytes] = set()
    while len(seen) < stacks:
        seen.add(rng.randbytes(1 + int(59 * rng.random() ** 1.15)))
    lines = [b"%s %d\n" % (ids.hex(";").encode(), rng.randrange(1, 1000)) for ids in sorted(seen)]
    path.write_bytes(b"".join(lines))
    return lines


def write_repeated(path: Path, size: int, rng: random.Random) -> None:
    packages = ["runtime", "net/http", "encoding/json", "main", "sync", "crypto/tls", "reflect", "bufio"]
    names = [f"{rng.choice(packages)}.{rng.choice(['(*Server)', '(*conn)', '', '(*Decoder)'])}"
             f"{rng.choice(['serve', 'read', 'mallocgc', 'handle', 'decode', 'Lock', 'write'])}{i}"
             for i in range(400)]
    trunk = ["runtime.goexit", "main.main", "main.run", "net/http.(*Server).Serve"]
    stacks = [";".join(trunk + [rng.choice(names) for _ in range(rng.randint(26, 56))]).encode()
              for _ in range(2000)]
    weights = [1 / (i + 1) for i in range(len(stacks))]   # a few hot paths, a long tail
    written = 0
    with open(path, "wb", buffering=1 << 20) as f:
        while written < size:
            batch = b"".join(b"%s 1\n" % s for s in rng.choices(stacks, weights, k=1000))
            f.write(batch)
            written += len(batch)


def report(name: str, input_path: Path, figures: dict, output: Path) -> None:
    mb = input_path.stat().st_size / 1e6
    peak = figures["peak_kib"] / 1024
    print(f"{name:19} {mb:6.1f} MB {figures['seconds']:6.2f} s {mb / figures['seconds']:6.1f} MB/s "
          f"{figures['cpu']:6.2f} s {mb / figures['cpu']:6.1f} MB/s {peak:7.1f} MiB "
          f"({100 * peak * 1.048576 / mb:4.0f}%) {output.stat().st_size / 1e3:8,.0f} kB", flush=True)


def python_speed() -> float:
    """CPU microseconds for a fixed piece of pure Python, best of 20: a yardstick between machines."""
    import time

    best = float("inf")
    for _ in range(20):
        start = time.process_time()
        for _ in range(500):
            sum(range(1000))
        best = min(best, (time.process_time() - start) / 500)
    return best * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stacks", type=int, default=int(os.environ.get("GOTRACE_BENCH_STACKS", "200000")),
                        help="distinct stacks and trace records (env GOTRACE_BENCH_STACKS; default 200000)")
    parser.add_argument("--keep", metavar="DIR", help="write the inputs here and keep them")
    args = parser.parse_args()
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.keep or tmp)
        work.mkdir(parents=True, exist_ok=True)
        print(f"generating inputs for {args.stacks:,} stacks in {work} ...", flush=True)
        distinct = work / "distinct.folded"
        lines = write_distinct(distinct, args.stacks, rng)
        shuffled = work / "shuffled.folded"
        rng.shuffle(lines)
        shuffled.write_bytes(b"".join(lines))
        del lines
        repeated = work / "repeated.folded"
        write_repeated(repeated, distinct.stat().st_size, rng)
        trace = work / "trace.jsonl"
        sys.path.insert(0, str(HERE))
        from synth_trace import write_synthetic_trace
        write_synthetic_trace(str(trace), records=args.stacks)

        print(f"this machine: {python_speed():.1f} us of CPU for sum(range(1000)) "
              "(a current desktop: about 8; scale the MB/s figures by the ratio)")
        base = measure([GOTRACE, "--version"], work / "version.txt")
        print(f"baseline: `gotrace --version` peaks at {base['peak_kib'] / 1024:.1f} MiB "
              f"(interpreter and imports)")
        print(f"{'':19} {'input':>9} {'wall clock':>18} {'CPU (user+sys)':>19} {'peak RSS (of input)':>20}"
              f" {'output':>10}")
        for name, path in (("distinct, sorted", distinct), ("distinct, shuffled", shuffled),
                           ("repeated samples", repeated)):
            svg = work / f"{path.stem}.svg"
            report(name, path, measure([GOTRACE, "flame", str(path), "-o", str(svg)], work / "log"), svg)
        folded = work / "trace.folded"
        figures = measure([GOTRACE, "fold", str(trace), "-o", str(folded)], work / "log")
        report("trace -> folded", trace, figures, folded)


if __name__ == "__main__":
    main()
