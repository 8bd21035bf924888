"""`gotrace chrome TRACE -o build.trace.json`: a build for Perfetto, chrome://tracing and speedscope."""
from __future__ import annotations

import click

from gotrace.commands._common import build_option, open_output, output_option, say, trace_argument
from gotrace.commands.speedscope import load_trace_spans
from gotrace.render.chrome import render_chrome


@click.command("chrome")
@trace_argument
@build_option
@output_option
def command(trace: str, build_id: str | None, output: str) -> None:
    """Write TRACE as a Chrome trace: one row per lane of tools, a counter of tools running.

    Each build is a process, each lane a thread holding tools that ran one after another; each
    tool invocation is a slice whose details give package, tool, CPU time, peak RSS and exit status.
    Open the file in https://ui.perfetto.dev, chrome://tracing or https://www.speedscope.app.

    \b
    Example:
      gotrace chrome gotrace.jsonl -o build.trace.json
      gotrace chrome gotrace.jsonl --build 20260101T120000-4242 -o one.trace.json
    """
    spans, name, titles = load_trace_spans(trace, build_id)
    with open_output(output, binary=True) as out:
        render_chrome(out, spans, name=name, titles=titles)
    if output != "-":
        say(f"gotrace: wrote {len(spans)} invocations of {name} -> {output} "
            "(open it in https://ui.perfetto.dev)")
