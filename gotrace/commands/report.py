"""`gotrace report`: one self-contained HTML file with everything gotrace knows about a build."""
from __future__ import annotations

import click

from gotrace import quick_exit
from gotrace.analysis.summary import summarize
from gotrace.commands._common import BINARY, Output, build_option, output_option, read_build, trace_argument


@click.command("report")
@trace_argument
@build_option
@output_option("report", BINARY, "report.html")
@click.option("-n", "--top", default=10, type=click.IntRange(1, 1000), hidden=True,
              help="Kept for old scripts: the package table now lists every package.")
@click.option("--depth", type=click.IntRange(1, 100), metavar="N",
              help="Roll packages up to their first N import-path elements in the package table.")
@click.option("--std", is_flag=True,
              help="List standard-library packages one by one (by default one 'std' row the page expands).")
def command(trace: str, build_id: str | None, output: Output, top: int, depth: int | None, std: bool) -> None:
    """Write one HTML file that opens offline: build facts, an interactive timeline (hover a bar for
    its figures, click it for what it depended on and unblocked, Ctrl + wheel to zoom), the critical
    path, every package in a sortable table, the flame graph, parallelism and compiler phases (when
    traced with --phases). The standard library is one 'std' row the page expands (--std lists its
    packages one by one). Output: -o FILE, or stdout when redirected (> report.html); never HTML onto
    a terminal.

    \b
    Example:
      gotrace report gotrace.jsonl -o report.html
      gotrace report gotrace.jsonl --build 20261126T203602-22369 --depth 2
    """
    from gotrace.render.report import flame_apart, render_report

    output.check()
    # version probes count for coverage (as in `gotrace summary`); the pictures show the work
    rows, info, builds = read_build(trace, build_id)
    with flame_apart(rows, info) as flame:  # the flame graph drawn beside the summary
        summary = summarize(rows, info, top=top, depth=depth, std=std, builds_in_trace=builds)
        quick_exit.keep(summary)  # the graph and tables: let go of by exiting
        with output.open() as out:
            render_report(summary, out, trace_name=trace, flame=flame)
    output.done()
