"""How fast folded stacks become a flame graph: `gotrace flame` side by side with flamegraph.pl.

    FLAMEGRAPH_PL=~/FlameGraph/flamegraph.pl python benchmarks/bench_flame.py --stacks 1000000
    python benchmarks/bench_flame.py          # gotrace alone: "flamegraph.pl skipped: set FLAMEGRAPH_PL"
    GOTRACE_BENCH_STACKS=1000000 make bench

Inputs (generated with one seed: same bytes every run):
  real distinct     N lines, each a line of FlameGraph's own test folds (test/results/*.txt beside
                    flamegraph.pl, or the folder FLAMEGRAPH_FOLDS names) cut to its first frames up to
                    ~100 bytes, under a unique first frame (u0000001;...): N distinct stacks, sorted
  real shuffled     the same lines in random order: summed per stack, sorted (spilled runs), laid out
  real repeated     the folds' whole lines drawn at random to the size of the first input
  hex distinct      N distinct stacks of depth 1..60 with two-hex-digit frames, sorted (flamegraph.pl
                    only up to 200,000: it needs ~10 KB of memory per such stack)
  trace -> folded   `gotrace fold` of an N-record synthetic trace (benchmarks/synth_trace.py)
Without FlameGraph's folds the "real" inputs use a built-in set of Go-like stacks (said in the output).

Each case runs the real console scripts in a child, A B A B (--repeat times each), and prints medians
of CPU time (user+sys: fair on a busy machine) and wall time, peak RSS against the input's size, and
the ratio flamegraph.pl CPU / gotrace CPU. The drawn frames (name and count of each) are compared.

Profile (py-spy record -r 100 on `gotrace flame` of 1,000,000 real distinct stacks, 66 MB, 2 cores
shared with other jobs): 96% of samples in layout_folded; the per-line loop is all of it, split
between FoldedReader.__iter__ (~30%: rpartition, isdigit, int per line) and layout() (~60%: the
common-prefix XOR, count of separators, the bisect at each close), about ten C calls per line; no
single line dominates. Frames under the width limit are never built (the bisect skips them), so the
drawing costs nothing here. flamegraph.pl instead splits every line into frames and keeps a hash
entry per frame of every distinct stack (2.1 GB peak for 66 MB), which is why it falls far behind on
distinct stacks; on repeated stacks its cost is the per-frame split and the in-memory sort.
Measured (this machine, CPU seconds, medians of A B A B): see the README's figures.
"""
from __future__ import annotations

import argparse
import collections
import glob
import json
import os
import random
import re
import statistics
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
# used when FlameGraph's test folds are not at hand: stacks shaped like a Go service's profile
BUILTIN_FOLDS = [
    b"main;runtime.main;main.main;net/http.(*Server).Serve;net/http.(*conn).serve;net/http.serverHandler."
    b"ServeHTTP;net/http.(*ServeMux).ServeHTTP;main.handle;encoding/json.Marshal;encoding/json.(*encodeState)"
    b".marshal;reflect.Value.Field 3",
    b"main;runtime.goexit;runtime.gcBgMarkWorker;runtime.gcDrain;runtime.scanobject;runtime.findObject 5",
    b"main;runtime.mcall;runtime.park_m;runtime.schedule;runtime.findRunnable;runtime.netpoll;"
    b"internal/runtime/syscall.EpollWait;entry_SYSCALL_64_after_hwframe_[k];do_syscall_64_[k];"
    b"__x64_sys_epoll_wait_[k] 2",
    b"main;runtime.main;main.main;main.load;os.ReadFile;syscall.Read;entry_SYSCALL_64_after_hwframe_[k];"
    b"ksys_read_[k];vfs_read_[k];ext4_file_read_iter_[k] 7",
]


def measure(command: list[str], output: Path) -> dict:
    result = subprocess.run([sys.executable, "-c", WRAPPER, str(output), *command],
                            capture_output=True, text=True, check=True)
    figures = json.loads(result.stdout)
    if figures["code"] != 0:
        sys.exit(f"bench_flame: {' '.join(command)} failed:\n{result.stderr}")
    return figures


def fold_lines(folds: str | None) -> tuple[list[bytes], str]:
    paths = sorted(glob.glob(os.path.join(folds, "*.txt"))) if folds else []
    lines = [line.rstrip(b"\n") for path in paths for line in open(path, "rb")
             if line.strip() and re.search(rb"\S \d+$", line)]
    if lines:
        return lines, f"{len(lines)} lines of {len(paths)} FlameGraph test folds in {folds}"
    return BUILTIN_FOLDS, "built-in Go-like stacks (FlameGraph's test folds not found)"


def write_real_distinct(path: Path, stacks: int, lines: list[bytes]) -> list[bytes]:
    heads = []
    for line in lines:
        stack, _, count = line.rpartition(b" ")
        frames = stack.split(b";")
        for k in range(1, len(frames) + 1):   # each line at several depths, up to ~100 bytes
            head = b";".join(frames[:k])
            if len(head) > 100 and k > 1:
                break
            heads.append(b"%s %s\n" % (head, count))
    out = [b"u%07d;%s" % (i, heads[i % len(heads)]) for i in range(stacks)]
    path.write_bytes(b"".join(out))
    return out


def write_repeated(path: Path, size: int, lines: list[bytes], rng: random.Random) -> None:
    written = 0
    with open(path, "wb", buffering=1 << 20) as f:
        while written < size:
            batch = b"".join(line + b"\n" for line in rng.choices(lines, k=1000))
            f.write(batch)
            written += len(batch)


def write_hex_distinct(path: Path, stacks: int, rng: random.Random) -> None:
    """Frames are two hex digits, so byte order is frame order and sorted text streams."""
    seen: set[bytes] = set()
    while len(seen) < stacks:
        seen.add(rng.randbytes(1 + int(59 * rng.random() ** 1.15)))
    path.write_bytes(b"".join(b"%s %d\n" % (ids.hex(";").encode(), rng.randrange(1, 1000))
                              for ids in sorted(seen)))


def drawn_frames(svg: Path) -> collections.Counter:
    """(name, count) of every frame drawn, from the <title>s both tools write."""
    text = svg.read_text(encoding="utf-8", errors="replace")
    return collections.Counter((m.group(1), m.group(2).replace(",", "")) for m in
                               re.finditer(r"<title>(.*?) \(([\d,.]+) samples, [\d.]+%\)</title>", text))


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


def side_by_side(name: str, path: Path, work: Path, flamegraph: str | None, repeat: int) -> None:
    mb = path.stat().st_size / 1e6
    commands = {"gotrace": [GOTRACE, "flame", str(path)]}
    if flamegraph:
        commands["flamegraph.pl"] = ["perl", flamegraph, str(path)]
    runs: dict[str, list[dict]] = {tool: [] for tool in commands}
    for _ in range(repeat):          # A B A B: both see the same machine, turn about
        for tool, command in commands.items():
            runs[tool].append(measure(command, work / f"{path.stem}.{tool}.svg"))
    cpu = {tool: statistics.median(r["cpu"] for r in rs) for tool, rs in runs.items()}
    for tool, rs in runs.items():
        wall = statistics.median(r["seconds"] for r in rs)
        peak = max(r["peak_kib"] for r in rs) / 1024
        print(f"{name:15} {tool:13} {mb:6.1f} MB  CPU {cpu[tool]:7.2f} s {mb / cpu[tool]:6.1f} MB/s  "
              f"wall {wall:7.2f} s  peak {peak:7.1f} MiB ({100 * peak * 1.048576 / mb:4.0f}% of input)",
              flush=True)
    if flamegraph:
        same = drawn_frames(work / f"{path.stem}.gotrace.svg") == drawn_frames(work / f"{path.stem}.flamegraph.pl.svg")
        print(f"{name:15} ratio: gotrace is {cpu['flamegraph.pl'] / cpu['gotrace']:.1f}x flamegraph.pl's speed "
              f"(CPU); drawn frames {'the same' if same else 'DIFFER'}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stacks", type=int, default=int(os.environ.get("GOTRACE_BENCH_STACKS", "200000")),
                        help="distinct stacks and trace records (env GOTRACE_BENCH_STACKS; default 200000)")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each command, alternating (default 2)")
    parser.add_argument("--keep", metavar="DIR", help="write the inputs here and keep them")
    args = parser.parse_args()
    flamegraph = os.environ.get("FLAMEGRAPH_PL")
    folds = os.environ.get("FLAMEGRAPH_FOLDS") or (
        str(Path(flamegraph).resolve().parent / "test" / "results") if flamegraph else None)
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.keep or tmp)
        work.mkdir(parents=True, exist_ok=True)
        lines, source = fold_lines(folds)
        print(f"generating inputs for {args.stacks:,} stacks in {work} from {source} ...", flush=True)
        distinct = work / "real-distinct.folded"
        shuffled_lines = write_real_distinct(distinct, args.stacks, lines)
        shuffled = work / "real-shuffled.folded"
        rng.shuffle(shuffled_lines)
        shuffled.write_bytes(b"".join(shuffled_lines))
        del shuffled_lines
        repeated = work / "real-repeated.folded"
        write_repeated(repeated, distinct.stat().st_size, lines, rng)
        hexes = work / "hex-distinct.folded"
        write_hex_distinct(hexes, args.stacks, rng)
        trace = work / "trace.jsonl"
        sys.path.insert(0, str(HERE))
        from synth_trace import write_synthetic_trace
        write_synthetic_trace(str(trace), records=args.stacks)

        print(f"this machine: {python_speed():.1f} us of CPU for sum(range(1000)) "
              "(a current desktop: about 8; scale the MB/s figures by the ratio)")
        if not flamegraph:
            print("flamegraph.pl skipped: set FLAMEGRAPH_PL to its path to measure it side by side")
        for name, path in (("real distinct", distinct), ("real shuffled", shuffled),
                           ("real repeated", repeated)):
            side_by_side(name, path, work, flamegraph, args.repeat)
        # flamegraph.pl keeps ~10 KB per distinct deep stack (1 GB at 100,000): past 200,000, gotrace alone
        side_by_side("hex distinct", hexes, work, flamegraph if args.stacks <= 200_000 else None, args.repeat)
        figures = measure([GOTRACE, "fold", str(trace)], work / "trace.folded")
        mb = trace.stat().st_size / 1e6
        print(f"{'trace -> folded':15} {'gotrace fold':13} {mb:6.1f} MB  CPU {figures['cpu']:7.2f} s "
              f"{mb / figures['cpu']:6.1f} MB/s  peak {figures['peak_kib'] / 1024:7.1f} MiB")


if __name__ == "__main__":
    main()
