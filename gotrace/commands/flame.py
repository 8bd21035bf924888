"""`gotrace flame`: an interactive SVG flame graph of a trace or of any folded-stacks file."""
from __future__ import annotations

import sys
from typing import IO

import click

from gotrace.collapse import WEIGHTS
from gotrace.commands._common import BINARY, Output, build_option, no_terminal_stdin, output_option, say
from gotrace.commands.fold import fold_options, trace_stacks
from gotrace.events import looks_like_trace
from gotrace.render.svg import PALETTES, FlameError, FlameOptions, render_folded, render_svg

TITLES = {"wall": "Build time", "cpu": "Build CPU time",
          "rss": "Memory-time of the build's tools (peak RSS x wall time)"}


def parse_minwidth(value: str) -> tuple[float, float | None]:
    """'0.1' pixels or '0.5%' of the total."""
    text = value.strip()
    try:
        if text.endswith("%"):
            return 0.0, float(text[:-1])
        return float(text), None
    except ValueError:
        raise click.BadParameter(f"{value!r} is neither pixels (0.1) nor a percentage (0.5%)",
                                 param_hint="--minwidth") from None


def open_input(path: str) -> IO[bytes]:
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb", buffering=1 << 20)
    except OSError as e:
        raise click.ClickException(f"cannot read {path}: {e.strerror}") from None


@click.command("flame")
@click.argument("source", metavar="TRACE_OR_FOLDED", required=False, default="-",
                type=click.Path(dir_okay=False, allow_dash=True), callback=no_terminal_stdin)
@output_option("flame graph (SVG)", BINARY, "build.svg")
@click.option("--title", help="Heading (default: what is measured).")
@click.option("--subtitle", default=None, help="Second heading (default for a trace: the go command).")
@click.option("--width", type=click.IntRange(100, 100_000), default=1200, show_default=True,
              help="Image width in pixels.")
@click.option("--height", type=click.IntRange(4, 200), default=16, show_default=True,
              help="Height of one frame in pixels.")
@click.option("--minwidth", default="0.1", show_default=True,
              help="Leave out frames thinner than this many pixels, or this share with a %: 0.5%.")
@click.option("--colors", type=click.Choice(PALETTES), default=None,
              help="Palette: flamegraph.pl's, 'go' by Go tool (default for traces), 'hash' a wide "
                   "spread of hues; every palette gives a name the same colour in every graph.")
@click.option("--countname", default=None, help="Unit of the counts (default: samples; for traces us, or KiB*s of memory-time).")
@click.option("--inverted", is_flag=True, help="Icicle graph: the root at the top.")
@click.option("--reverse", is_flag=True, help="Reverse each stack (leaf first) before merging.")
@click.option("--flamechart", is_flag=True, help="Keep the input order (a trace: tool start order) "
                                                  "instead of sorting; only neighbours merge.")
@click.option("--notes", default="", help="Text kept in a comment inside the SVG.")
@click.option("--fonttype", default="Verdana", show_default=True, help="Font family.")
@click.option("--fontsize", type=click.FloatRange(4, 72), default=12, show_default=True, help="Font size.")
@build_option
@fold_options
def command(source: str, output: Output, title: str | None, subtitle: str | None, width: int, height: int,
            minwidth: str, colors: str | None, countname: str | None, inverted: bool, reverse: bool,
            flamechart: bool, notes: str, fonttype: str, fontsize: float, build_id: str | None,
            weight: str, grouping: str, tools: tuple[str, ...], package: str | None) -> None:
    """Draw a flame graph as a standalone SVG: open it in a browser, hover for details, click to
    zoom, Search takes a regular expression (the view is kept in the URL).

    TRACE_OR_FOLDED is a gotrace trace (detected by its content) or folded stacks as flamegraph.pl
    reads them (also fractional counts and differential 'stack before after' lines, drawn red where
    a frame grew and blue where it shrank); '-' or nothing reads stdin (a pipe, never a terminal).
    The --weight, --grouping, --tool, --package and --build options apply to traces; --weight rss
    draws memory-time (peak RSS x wall time, KiB*s), since peaks do not add up.

    Output: -o FILE, or stdout when redirected (> build.svg); never SVG onto a terminal.

    \b
    Example:
      gotrace flame gotrace.jsonl -o build.svg
      gotrace flame gotrace.jsonl --weight rss --grouping flat -o memory.svg
      perf script | stackcollapse-perf.pl | gotrace flame --title CPU > cpu.svg
    """
    pixels, percent = parse_minwidth(minwidth)
    output.check()
    stream = open_input(source)
    name = "<stdin>" if source == "-" else source
    head = stream.peek(1 << 12)[: 1 << 12] if hasattr(stream, "peek") else b""
    options = {"subtitle": subtitle or "", "width": width, "frame_height": height, "minwidth": pixels,
               "minwidth_percent": percent, "inverted": inverted, "reverse": reverse, "flamechart": flamechart,
               "notes": notes, "fonttype": fonttype, "fontsize": fontsize}
    try:
        if looks_like_trace(head):
            stacks, reader = trace_stacks(source, build_id, weight=weight, grouping=grouping, tools=tools,
                                          package=package, ordered=flamechart)
            if subtitle is None and len(reader.builds) == 1:
                options["subtitle"] = next(iter(reader.builds.values())).command
            default_title = TITLES[weight] + (": tools in start order" if flamechart else "")
            flame = FlameOptions(title=default_title if title is None else title, colors=colors or "go",
                                 countname=WEIGHTS[weight][0] if countname is None else countname,
                                 nametype="Frame:", **options)
            with output.open() as out:
                render_svg(stacks, out, flame)
            output.done(f"of {len(stacks)} stacks", "open it in a browser")
        else:
            flame = FlameOptions(title=title, colors=colors or "hot",
                                 countname="samples" if countname is None else countname, **options)
            with output.open() as out:
                reader = render_folded(stream, out, flame, name=name)
            output.done(hint="open it in a browser")
            if reader.skipped:
                say(f"gotrace: warning: skipped {reader.skipped} malformed line(s) in {name} "
                    f"(first at line {reader.first_bad_line}); expected 'frame;frame;... count'")
    except FlameError as e:
        raise click.ClickException(str(e)) from None
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
