"""Flame graphs as standalone, interactive SVG: the flamegraph.pl drawing, from any folded stacks.

    render_svg(stacks, out, options)      stacks in memory, {("build", "std", "fmt", "compile"): 51234}
                                           or {stack: (before, after)} for a differential graph
    render_folded(stream, out, options)   folded text (a binary stream), the replacement for flamegraph.pl

The parts (layout, external sort, palettes, the SVG writer) are modules of gotrace.render.flame.
"""
from __future__ import annotations

from typing import IO, TextIO

from gotrace.collapse import FoldedReader
from gotrace.render.flame.layout import Frame, Layout, Stacks, guess_total, layout_folded, layout_stacks
from gotrace.render.flame.options import DEFAULT_OPTIONS, XPAD, FlameError, FlameOptions
from gotrace.render.flame.palettes import PALETTES, frame_fill
from gotrace.render.flame.writer import escape, format_value, write_layout

__all__ = ["PALETTES", "XPAD", "FlameError", "FlameOptions", "Frame", "Layout", "escape", "format_value",
           "frame_fill", "guess_total", "render_folded", "render_svg", "write_layout"]


def render_svg(stacks: Stacks, out: TextIO, options: FlameOptions = DEFAULT_OPTIONS) -> None:
    """Write the flame graph of in-memory stacks to `out`.

    stacks: {("a", "b"): count} or {("a", "b"): (before, after)} (a differential graph: widths from
    `after`, red where a frame grew, blue where it shrank), or an iterable of (stack, value) pairs,
    whose order is kept with options.flamechart. Raises FlameError when there is nothing to draw."""
    write_layout(layout_stacks(stacks, options), out, options)


def render_folded(stream: IO[bytes], out: TextIO, options: FlameOptions = DEFAULT_OPTIONS, *,
                  name: str = "folded input") -> FoldedReader:
    """Write the flame graph of folded text read from a binary stream; returns the reader, whose
    `skipped` counts the malformed lines. Raises FlameError when no line was valid."""
    result, reader = layout_folded(stream, options, name=name)
    if not result.frames and result.total == 0:
        if reader.skipped:
            raise FlameError(f"{name}: no valid line; all {reader.skipped} non-blank line(s) are malformed "
                             f"(first at line {reader.first_bad_line}); expected 'frame;frame;... count'")
        raise FlameError(f"{name}: no stacks (expected lines like 'main;parse;lex 42')")
    write_layout(result, out, options)
    return reader
