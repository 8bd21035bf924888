"""`gotrace import FILE`: a build the go command described itself, as a gotrace trace."""
from __future__ import annotations

import click

from gotrace.commands._common import DATA, Output, output_option
from gotrace.events import write_build, write_events
from gotrace.importers import read_build


@click.command("import")
@click.argument("file", metavar="FILE", type=click.Path(dir_okay=False))
@output_option("trace", DATA, "build.jsonl")
@click.option("--build", "build_id", metavar="ID",
              help="Build id for the records (default: from the file's content).")
def command(file: str, output: Output, build_id: str | None) -> None:
    """Convert a go -debug-actiongraph or -debug-trace FILE into a trace.

    The kind of FILE is told from its content. An action graph gives one record per action that
    ran a tool (named for its main tool: compile, link, vet, cgo, the C compiler), with the
    action's dependencies, queue wait and CPU time, and a cache-hit record (no cost) for each
    package, link or vet the cache satisfied. A debug trace gives one record per action
    with its span and dependencies only. Neither measures peak memory: it stays unknown.
    Output: -o FILE, or stdout when redirected or piped; on a terminal only with -o -.

    \b
    Example:
      go build -debug-actiongraph=graph.json ./...
      gotrace import graph.json -o build.jsonl
      gotrace summary build.jsonl
    """
    output.check()
    imported = read_build(file, build_id)
    with output.open(binary=True) as out:
        write_build(imported.info, out)
        write_events(imported.events, out)
    records = [e for e in imported.events if not e.cached]
    if imported.kind == "debug-trace":
        what = f"{len(records)} records (a debug trace does not say which came from the cache)"
    else:
        what = f"{len(records)} ran a tool, {len(imported.events) - len(records)} from the cache"
    output.done(hint=f"imported {imported.actions} actions of build {imported.info.build}: {what}")

