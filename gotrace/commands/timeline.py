"""`gotrace timeline`: a Gantt chart of a build's tools, with the critical path and the concurrency curve."""
from __future__ import annotations

import os

import click

from gotrace.analysis.whatif import PARALLEL_NODES
from gotrace.commands._common import (
    BINARY,
    Output,
    build_option,
    output_option,
    read_build,
    trace_argument,
)
from gotrace.forked import Forked

FORMATS = ("png", "svg")


def chart_format(output: str | None, fmt: str | None) -> str:
    """--format, else the file's extension; PNG on stdout."""
    if fmt:
        return fmt
    if output in (None, "-"):
        return "png"
    ext = os.path.splitext(output)[1].lower().lstrip(".")
    if ext in FORMATS:
        return ext
    raise click.UsageError(f"cannot tell the image format from {output!r}: name it .png or .svg, or give --format")


@click.command("timeline")
@trace_argument
@build_option
@output_option("timeline image", BINARY, "timeline.png")
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="Image format (default: from the file name, .png or .svg; PNG on stdout).")
@click.option("--width", type=click.IntRange(400, 20_000), default=1400, show_default=True,
              help="Image width in pixels.")
@click.option("--height", type=click.IntRange(300, 20_000), default=None,
              help="Image height in pixels (default: grows with the number of lanes).")
def command(trace: str, build_id: str | None, output: Output, fmt: str | None, width: int,
            height: int | None) -> None:
    """Draw a build as a Gantt chart: one row per lane, bars coloured by tool, the critical path
    outlined, and under it the tools running and cores busy against the machine's cores.
    Output: -o FILE, or stdout when redirected (> timeline.png); never an image onto a terminal.

    \b
    Example:
      gotrace timeline gotrace.jsonl -o timeline.png
      gotrace timeline gotrace.jsonl -o timeline.svg --width 2000
      gotrace timeline gotrace.jsonl --format svg > timeline.svg
    """
    fmt = chart_format(output.path, fmt)
    output.check()
    from gotrace.charts import render_timeline

    rows, info, _ = read_build(trace, build_id, with_whole=False)
    if not len(rows):
        raise click.ClickException(f"{trace}: every action of this build came from the cache; nothing ran to draw")
    # a big build's critical path is found by a forked child while this process lays out the bars,
    # the labels and the concurrency curve; render_timeline asks for it last, before the drawing
    # itself. The graph's nodes are made first, here: at a million records the child then takes
    # ~1.8 s (2.5 s when it made them too: 0.6 s, copying the pages fork shares as it wrote), this
    # process ~1.9 s with them (the layout and drawing ~1.6 s)
    nodes = rows.nodes()
    with Forked(lambda: rows.on_critical_path(nodes), fork=len(rows) >= PARALLEL_NODES) as on_path:
        par = rows.parallelism(info)
        title = "Build timeline" + (f": {info.command}" if info and info.argv else f" {rows.build}")
        with output.open(binary=True) as out:
            render_timeline(rows, out, fmt, par=par, on_path=on_path.result, title=title, width_px=width,
                            height_px=height)
    output.done(f"({fmt.upper()})")
