"""`gotrace summary`: what a build spent, what held it up, how well it used the machine."""
from __future__ import annotations

import click
import orjson

from gotrace import quick_exit
from gotrace.analysis.summary import render_summary_text, summarize, summary_to_json
from gotrace.commands._common import TEXT, Output, build_option, output_option, read_build, trace_argument
from gotrace.text import printable_json


def positive(ctx, param, value):
    if value is not None and value < 1:
        raise click.BadParameter("must be 1 or more")
    return value


@click.command("summary")
@trace_argument
@build_option
@output_option("summary", TEXT, "summary.txt")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output with stable keys.")
@click.option("-n", "--top", default=10, show_default=True, type=int, callback=positive,
              help="Rows in each top table and in the C compiles table.")
@click.option("--depth", type=int, callback=positive, metavar="N",
              help="Roll packages up to their first N import-path elements.")
@click.option("--std", is_flag=True, help="List standard-library packages one by one, not as one 'std' row.")
def command(trace: str, build_id: str | None, output: Output, as_json: bool, top: int, depth: int | None,
            std: bool) -> None:
    """Totals, top packages, critical path, parallelism and compiler phases of a traced build.

    A trace holding several builds is summarised for its last build unless --build says which.
    The standard library is one row, `std (N packages)`, unless --std lists its packages (as in
    `gotrace report` and `gotrace run`'s closing summary); peak RSS rows are peaks, never sums.

    \b
    Example:
      gotrace summary gotrace.jsonl
      gotrace summary gotrace.jsonl --depth 2 --top 5
      gotrace summary gotrace.jsonl --json | jq .critical_path.packages
    """
    rows, info, builds = read_build(trace, build_id)
    summary = summarize(rows, info, top=top, depth=depth, std=std, builds_in_trace=builds)
    quick_exit.keep(summary)  # the graph and tables: let go of by exiting
    if as_json:
        with output.open() as out:
            out.write(printable_json(orjson.dumps(summary_to_json(summary),
                                                  option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)))
            out.write("\n")
    else:
        with output.open() as out:
            render_summary_text(summary, out)
    output.done()
