"""A synthetic trace of any size, shaped like a real one, for benchmarks.

Records look like what shim/gotrace-shim writes for a large cold build: a build record, a version
probe per tool, then compile/asm/cgo/link invocations of a few thousand packages (standard library
and modules) run by `workers` parallel slots, with CPU, peak RSS, exit status, deps and a short
argv. Same arguments, same bytes.

    python benchmarks/synth_trace.py -n 1000000 -o /tmp/big.jsonl

    from synth_trace import write_synthetic_trace
    write_synthetic_trace(path, records=1_000_000)
"""
from __future__ import annotations

import argparse
import heapq
import random
import sys
from typing import IO

import orjson

_STD = ["runtime", "internal/abi", "sync", "fmt", "net/http", "encoding/json", "os", "io", "strings",
        "crypto/tls", "reflect", "math/big", "syscall", "time", "sort", "bufio", "net", "regexp"]
_HOSTS = ["github.com/acme", "github.com/example", "golang.org/x", "example.com/corp"]
_TOOLS = [("compile", 80), ("asm", 8), ("cgo", 4), ("vet", 5), ("link", 2), ("pack", 1)]


def _packages(count: int, rng: random.Random) -> list[str]:
    packages = list(_STD)
    while len(packages) < count:
        if rng.random() < 0.3:
            packages.append(f"{rng.choice(_STD)}/sub{len(packages)}")
        else:
            host = rng.choice(_HOSTS)
            packages.append(f"{host}/repo{rng.randrange(60)}/pkg{len(packages)}/internal/x")
    return packages


def write_synthetic_trace(out: IO[bytes] | str, records: int = 1_000_000, *, builds: int = 1,
                          workers: int = 8, packages: int = 3000, argv_len: int = 12,
                          failures: float = 0.001, seed: int = 1) -> int:
    """Write `records` lines (build records and probes included) to a path or binary stream."""
    if isinstance(out, str):
        with open(out, "wb", buffering=1 << 20) as f:
            return write_synthetic_trace(f, records, builds=builds, workers=workers, packages=packages,
                                         argv_len=argv_len, failures=failures, seed=seed)
    rng = random.Random(seed)
    pkgs = _packages(packages, rng)
    tools, tool_weights = zip(*_TOOLS)
    per_build = max(1, records // builds)
    written = 0
    clock = 1_790_000_000_000_000_000
    for b in range(builds):
        build = f"synth-{b + 1}"
        build_start = clock
        todo = min(per_build, records - written) if b < builds - 1 else records - written
        header = {"v": 1, "kind": "build", "build": build, "argv": ["go", "build", "./..."],
                  "cwd": "/src/synth", "start_ns": build_start, "cores": workers, "parallelism": workers,
                  "cold": True, "goversion": "go1.27.3", "goos": "linux", "goarch": "amd64"}
        out.write(orjson.dumps(header) + b"\n")
        written += 1
        todo -= 1
        slots = [(build_start, w) for w in range(workers)]  # (free at ns, worker)
        heapq.heapify(slots)
        for i in range(todo):
            free_at, worker = heapq.heappop(slots)
            start = free_at + rng.randrange(0, 200_000)
            tool = tools[i] if i < len(tools) else rng.choices(tools, tool_weights)[0]
            pkg = pkgs[rng.randrange(len(pkgs))]
            record: dict = {"v": 1, "build": build, "tool": tool, "pkg": pkg}
            if i < len(tools):
                # the go command probes each tool once to key its cache
                record.update(pkg="", probe=True, start_ns=start, wall_ns=rng.randrange(2_000_000, 9_000_000),
                              version=f"{tool} version go1.27.3")
            else:
                wall = int(rng.lognormvariate(17.5, 1.0))  # median ~40 ms, a long tail of seconds
                cpu = int(wall * rng.uniform(0.6, 2.5))
                exit_status = 2 if rng.random() < failures else 0
                record.update(
                    start_ns=start, wall_ns=wall, user_ns=cpu * 9 // 10, sys_ns=cpu // 10,
                    max_rss_kib=rng.randrange(8_000, 400_000 if tool != "link" else 2_000_000),
                    exit=exit_status, pid=100_000 + i % 4_000_000, ppid=4242,
                    goos="linux", goarch="amd64", goversion="go1.27.3",
                    argv=[f"/usr/lib/go/pkg/tool/linux_amd64/{tool}", "-p", pkg] +
                         [f"-flag{j}=value{j}" for j in range(max(0, argv_len - 3))],
                    cwd="/src/synth")
                if tool == "compile":
                    record["deps"] = [pkgs[rng.randrange(len(pkgs))] for _ in range(rng.randrange(0, 6))]
                    record["go_files"] = rng.randrange(1, 40)
            out.write(orjson.dumps(record) + b"\n")
            written += 1
            heapq.heappush(slots, (record["start_ns"] + record["wall_ns"], worker))
        clock = max(t for t, _ in slots) + 60_000_000_000
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a synthetic gotrace trace (JSON lines).")
    parser.add_argument("-n", "--records", type=int, default=1_000_000, help="lines to write (default 1000000)")
    parser.add_argument("-o", "--output", default="-", help="file to write; - is stdout")
    parser.add_argument("--builds", type=int, default=1, help="builds in the trace (default 1)")
    parser.add_argument("--workers", type=int, default=8, help="tools run at once (default 8)")
    parser.add_argument("--packages", type=int, default=3000, help="distinct packages (default 3000)")
    parser.add_argument("--argv-len", type=int, default=12, help="argv words per record (default 12)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    options = {"builds": args.builds, "workers": args.workers, "packages": args.packages,
               "argv_len": args.argv_len, "seed": args.seed}
    if args.output == "-":
        n = write_synthetic_trace(sys.stdout.buffer, args.records, **options)
    else:
        n = write_synthetic_trace(args.output, args.records, **options)
    print(f"wrote {n} records to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
