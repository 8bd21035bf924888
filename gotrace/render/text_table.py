"""Plain-text tables for terminal output: columns padded to their widest cell, numbers right-aligned."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO


def write_table(out: TextIO, headers: Sequence[str], rows: Sequence[Sequence[str]], *,
                right: Sequence[int] = (), indent: str = "  ") -> None:
    """Write `rows` under `headers`; columns whose index is in `right` are right-aligned."""
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(cells: Sequence[str]) -> str:
        parts = [c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(cells)]
        return (indent + "  ".join(parts)).rstrip() + "\n"

    out.write(line(headers))
    for row in rows:
        out.write(line(row))


def seconds(ns: int) -> str:
    return f"{ns / 1e9:.2f}s"


def mebibytes(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def percent(value: float) -> str:
    return f"{value:.1f}%"
