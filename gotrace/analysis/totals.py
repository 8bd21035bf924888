"""The few totals `gotrace run` prints when a build ends (`gotrace summary` goes much further).

Packages are grouped as `gotrace summary` groups them (analysis.summary.group_name): the standard
library is one row, so run, summary and report name the same rows.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from gotrace.analysis.summary import STD_EXPAND, STD_GROUP, row_label, std_packages, top_rows
from gotrace.events import Event, total_cpu_ns
from gotrace.text import mebibytes, seconds, seconds_or_unknown


@dataclass(frozen=True)
class RunTotals:
    invocations: dict[str, int]  # tool -> count, most first
    failed: int
    wall_ns: int
    cpu_ns: int | None
    slowest: list[tuple[str, int]]  # (row of the summary's top table, wall ns summed over its tools)
    peak: Event | None
    std_packages: int = 0


def run_totals(events: Sequence[Event], wall_ns: int, top: int = 5) -> RunTotals:
    ran = [e for e in events if not e.probe and not e.cached]
    per_tool = Counter(e.tool for e in ran)
    slowest = [(row.name, row.value) for row in top_rows([e for e in ran if e.pkg], "wall", top, None, False)]
    with_rss = [e for e in ran if e.max_rss_kib is not None]
    peak = max(with_rss, key=lambda e: (e.max_rss_kib, e.pkg)) if with_rss else None
    return RunTotals(
        invocations=dict(sorted(per_tool.items(), key=lambda kv: (-kv[1], kv[0]))),
        failed=sum(1 for e in ran if e.failed),
        wall_ns=wall_ns,
        cpu_ns=total_cpu_ns(ran),
        slowest=slowest,
        peak=peak,
        std_packages=std_packages(e.pkg for e in ran),
    )


def render_run_summary(events: Sequence[Event], wall_ns: int, trace: str, out: TextIO) -> None:
    t = run_totals(events, wall_ns)
    tools = ", ".join(f"{n} {tool}" for tool, n in t.invocations.items()) or "none"
    out.write(f"gotrace: {sum(t.invocations.values())} tool invocations ({tools})")
    out.write(f"; {t.failed} failed\n" if t.failed else "\n")
    out.write(f"gotrace: wall {seconds(t.wall_ns)}, tools' CPU {seconds_or_unknown(t.cpu_ns)}")
    if t.peak is not None:
        out.write(f", peak RSS {mebibytes(t.peak.max_rss_kib)} ({t.peak.tool} {t.peak.pkg or '-'})")
    out.write("\n")
    if t.slowest:
        expand = any(name == STD_GROUP for name, _ in t.slowest)
        out.write("gotrace: slowest packages" + (f" ({STD_EXPAND} in `gotrace summary`)" if expand else "")
                  + ":\n")
        labels = [row_label(name, t.std_packages) for name, _ in t.slowest]
        width = max(len(label) for label in labels)
        for label, (_, ns) in zip(labels, t.slowest):
            out.write(f"  {label:<{width}}  {seconds(ns):>8}\n")
    out.write(f"gotrace: trace written to {trace}\n")
