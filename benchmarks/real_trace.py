"""A large trace made from a real build's records, for the scale benchmarks.

It takes a real trace (a cold `gotrace run` of samples/multi, say: compile, asm, cgo, gcc and link
records with their real argv, deps and sizes) and writes one build of as many records as asked:
copy k of the real build's records runs after copy k-1 (times shifted by the real build's span), its
packages renamed `k.copy.example/PKG` (copy 0 keeps the real names, so the standard library is
there once) and its deps renamed alike, so every copy keeps the real dependency graph. Each line
is a real record but for those names and times: the same shapes, field order and sizes the shim
writes, which is what the readers' cost depends on.

    python benchmarks/real_trace.py REAL.jsonl -n 1000000 -o /tmp/big.jsonl
"""
from __future__ import annotations

import argparse
import re
from typing import IO

import orjson

_VARIANT = re.compile(r"^(?P<base>[^ ]*)(?P<rest> \[(?P<inner>[^\]]*)\])?$")


def _renamer(k: int):
    if k == 0:
        return lambda name: name
    prefix = f"{k}.copy.example/"

    def rename(name: str) -> str:
        if not name:
            return name
        m = _VARIANT.match(name)
        if m is None:
            return prefix + name
        out = prefix + m["base"]
        if m["rest"]:
            out += f" [{prefix}{m['inner']}]"
        return out
    return rename


def grow_trace(source: str, out: IO[bytes] | str, records: int) -> int:
    """Write `records` lines (one build record and invocation records) made from `source`'s last build."""
    if isinstance(out, str):
        with open(out, "wb", buffering=1 << 20) as f:
            return grow_trace(source, f, records)
    lines = [orjson.loads(line) for line in open(source, "rb") if line.strip()]
    builds = [r for r in lines if r.get("kind") == "build"]
    if not builds:
        raise SystemExit(f"{source}: no build record; make it with `gotrace run`")
    header = builds[-1]
    build = header["build"]
    body = [r for r in lines if r.get("kind") != "build" and r.get("build") == build]
    if not body:
        raise SystemExit(f"{source}: no invocations in build {build}")
    first = min(r["start_ns"] for r in body)
    span = max(r["start_ns"] + r["wall_ns"] for r in body) - first + 50_000_000
    copies = -(-(records - 1) // len(body))
    header = {**header, "start_ns": min(header.get("start_ns", first), first),
              "wall_ns": header.get("wall_ns", span) + (copies - 1) * span}
    out.write(orjson.dumps(header) + b"\n")
    written = 1
    dumps = orjson.dumps
    for k in range(copies):
        rename = _renamer(k)
        shift = k * span
        for r in body:
            if written >= records:
                return written
            r = dict(r)
            r["pkg"] = rename(r["pkg"])
            r["start_ns"] += shift
            if "deps" in r and r["deps"] is not None:
                r["deps"] = [rename(d) for d in r["deps"]]
            out.write(dumps(r) + b"\n")
            written += 1
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="a real trace (gotrace run --cold ...)")
    parser.add_argument("-n", "--records", type=int, default=1_000_000)
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args()
    n = grow_trace(args.source, args.output, args.records)
    print(f"{args.output}: {n:,} records")


if __name__ == "__main__":
    main()
