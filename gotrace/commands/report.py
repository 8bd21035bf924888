"""`gotrace report`: one self-contained HTML file with everything gotrace knows about a build."""
from __future__ import annotations

import click

from gotrace.analysis.summary import summarize
from gotrace.commands._common import build_option, load_events, open_output, say, trace_argument
from gotrace.commands.summary import one_build


@click.command("report")
@trace_argument
@build_option
@click.option("-o", "--output", metavar="FILE", type=click.Path(dir_okay=False, allow_dash=True),
              default="report.html", show_default=True, help="HTML file to write; - is stdout.")
@click.option("-n", "--top", default=10, show_default=True, type=click.IntRange(1, 1000),
              help="Rows in each top table.")
@click.option("--depth", type=click.IntRange(1, 100), metavar="N",
              help="Roll packages up to their first N import-path elements.")
@click.option("--std", is_flag=True, help="List standard-library packages one by one.")
def command(trace: str, build_id: str | None, output: str, top: int, depth: int | None, std: bool) -> None:
    """Write one HTML file that opens offline: build facts, the interactive flame graph, the timeline,
    top packages, the critical path, parallelism and compiler phases (when traced with --phases).

    \b
    Example:
      gotrace report gotrace.jsonl -o report.html
      gotrace report gotrace.jsonl --build 20261126T203602-22369 --depth 2
    """
    from gotrace.render.report import render_report

    # version probes count for coverage (as in `gotrace summary`); the pictures show the work
    events, reader = load_events(trace, build_id, include_probes=True)
    events, info, builds = one_build(events, reader, build_id)
    summary = summarize(events, info, top=top, depth=depth, std=std, builds_in_trace=builds)
    with open_output(output) as out:
        render_report([e for e in events if not e.probe], summary, out, trace_name=trace)
    if output != "-":
        say(f"gotrace: report written to {output}")
