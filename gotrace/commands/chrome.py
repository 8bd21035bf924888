"""`gotrace chrome TRACE -o build.trace.json`: a build for Perfetto, chrome://tracing and speedscope."""
from __future__ import annotations

import click

from gotrace.commands._common import DATA, Output, build_option, output_option, trace_argument
from gotrace.commands.speedscope import load_trace_spans
from gotrace.render.chrome import render_chrome


@click.command("chrome")
@trace_argument
@build_option
@output_option("Chrome trace", DATA, "build.trace.json")
def command(trace: str, build_id: str | None, output: Output) -> None:
    """Write TRACE as a Chrome trace: one row per lane of tools, a counter of tools running.

    Each build is a process, each lane a thread holding tools that ran one after another; each
    tool invocation is a slice whose details give package, tool, CPU time, peak RSS and exit status.
    Open the file in https://ui.perfetto.dev, chrome://tracing or https://www.speedscope.app.
    Output: -o FILE, or stdout when redirected or piped; on a terminal only with -o -.

    \b
    Example:
      gotrace chrome gotrace.jsonl -o build.trace.json
      gotrace chrome gotrace.jsonl --build 20260101T120000-4242 -o one.trace.json
    """
    output.check()
    spans, name, titles = load_trace_spans(trace, build_id)
    with output.open(binary=True) as out:
        render_chrome(out, spans, name=name, titles=titles)
    output.done(f"of {len(spans)} invocations of {name}", "open it in https://ui.perfetto.dev")
