"""The few totals `gotrace run` prints when a build ends (`gotrace summary` goes much further)."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from gotrace.events import Event


@dataclass(frozen=True)
class RunTotals:
    invocations: dict[str, int]  # tool -> count, most first
    failed: int
    wall_ns: int
    cpu_ns: int
    slowest: list[tuple[str, int]]  # (package, wall ns summed over its tools)
    peak: Event | None


def run_totals(events: Sequence[Event], wall_ns: int, top: int = 5) -> RunTotals:
    ran = [e for e in events if not e.probe and not e.cached]
    per_tool = Counter(e.tool for e in ran)
    per_pkg: dict[str, int] = defaultdict(int)
    for e in ran:
        if e.pkg:
            per_pkg[e.pkg] += e.wall_ns
    slowest = sorted(per_pkg.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    with_rss = [e for e in ran if e.max_rss_kib is not None]
    peak = max(with_rss, key=lambda e: (e.max_rss_kib, e.pkg)) if with_rss else None
    return RunTotals(
        invocations=dict(sorted(per_tool.items(), key=lambda kv: (-kv[1], kv[0]))),
        failed=sum(1 for e in ran if e.failed),
        wall_ns=wall_ns,
        cpu_ns=sum(e.cpu_ns or 0 for e in ran),
        slowest=slowest,
        peak=peak,
    )


def seconds(ns: int) -> str:
    return f"{ns / 1e9:.2f}s"


def mebibytes(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def render_run_summary(events: Sequence[Event], wall_ns: int, trace: str, out: TextIO) -> None:
    t = run_totals(events, wall_ns)
    tools = ", ".join(f"{n} {tool}" for tool, n in t.invocations.items()) or "none"
    out.write(f"gotrace: {sum(t.invocations.values())} tool invocations ({tools})")
    out.write(f"; {t.failed} failed\n" if t.failed else "\n")
    out.write(f"gotrace: wall {seconds(t.wall_ns)}, tools' CPU {seconds(t.cpu_ns)}")
    if t.peak is not None:
        out.write(f", peak RSS {mebibytes(t.peak.max_rss_kib)} ({t.peak.tool} {t.peak.pkg or '-'})")
    out.write("\n")
    if t.slowest:
        out.write("gotrace: slowest packages:\n")
        width = max(len(p) for p, _ in t.slowest)
        for pkg, ns in t.slowest:
            out.write(f"  {pkg:<{width}}  {seconds(ns):>8}\n")
    out.write(f"gotrace: trace written to {trace}\n")
