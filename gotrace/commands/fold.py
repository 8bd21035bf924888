"""`gotrace fold`: a trace as folded stacks, the text flamegraph.pl, inferno and speedscope read.

Profiled on the 1,000,000-record trace of benchmarks/bench_scale.py (a busy 2-core machine): folding
took 12.4 s CPU in each of the two reading processes, 3.9x the floor's CPU for its half: an Event of
34 fields per record, then fold_events per Event (a stack tuple hashed per record). Each part is
now read as columns and folded by `collapse.fold_columns` (numpy sums; a stack per (build, package,
tool)), for every grouping but `file`, which needs each C compile's file: fold 3.9x -> 2.8x the
floor's CPU (18.0 s, 243 MiB), flame 30.7 s CPU (4.77x), 322 MiB -> 23.2 s (3.48x), 260 MiB; flame's
drawing of 546,586 stacks is 3.6 s of it (sort 0.9, layout 1.9, the rest encoding and writing).
"""
from __future__ import annotations

import functools

import click

from gotrace.collapse import (
    GROUPINGS,
    WEIGHT_MEANING,
    WEIGHTS,
    filter_events,
    fold_columns,
    fold_events,
    write_folded,
)
from gotrace.commands._common import (
    DATA,
    Output,
    SelectedEvents,
    build_option,
    output_option,
    selected_in_parts,
    trace_argument,
    warn_skipped,
)
from gotrace.events import TraceReader, read_in_parts


def fold_options(func):
    """--weight, --grouping, --tool, --package: shared by `fold` and `flame`."""
    func = click.option("--package", "package", metavar="PREFIX",
                        help="Only packages at or below this import path ('std': the standard library).")(func)
    func = click.option("--tool", "tools", metavar="TOOL", multiple=True,
                        help="Only this tool (compile, asm, link, cgo, vet, ...); repeat for several.")(func)
    func = click.option("--grouping", type=click.Choice(GROUPINGS), default="path", show_default=True,
                        help="path: build;import;path;segments;tool.  module: build;module;package;tool.  "
                             "flat: build;package;tool.  tool: build;tool;package.  "
                             "file: as path, C compiles split by source file (build;...;gcc;FILE).")(func)
    func = click.option("--weight", type=click.Choice(tuple(WEIGHTS)), default="wall", show_default=True,
                        help="wall: elapsed us.  cpu: user+sys us.  rss: memory-time, peak RSS x wall "
                             "time in KiB*s (peaks do not add up in a flame graph; memory-time does).")(func)
    return func


def trace_stacks(path: str, build_id: str | None, *, weight: str, grouping: str, tools: tuple[str, ...],
                 package: str | None, ordered: bool = False) -> tuple[dict | list, TraceReader]:
    """Folded stacks of a trace after the filters; a clear error when nothing is left.
    Streams: memory grows with distinct stacks, not with the trace (no Event is kept per invocation).
    With `ordered`, one (stack, value) pair per invocation in start order (for a flame chart)."""
    if ordered:
        selection = SelectedEvents(path, build_id)
        timeline = sorted(filter_events(selection, tools=tools, package=package),
                          key=lambda e: (e.start_ns, e.tool, e.pkg))
        stacks: dict | list = [item for e in timeline
                               for item in fold_events([e], weight=weight, grouping=grouping).items()]
        selection.check()
        reader = selection.reader
    else:
        # folded stacks add up: each part of a large trace is folded by a process of its own, from
        # the columns view (all groupings but "file", which needs each C compile's file)
        parts = None
        if grouping != "file":
            parts, reader = read_in_parts(path, functools.partial(
                _fold_part, build_id=build_id, weight=weight, grouping=grouping, tools=tools, package=package))
            if not sum(rows for _, rows in parts):
                parts = None  # nothing to fold: read again as events, for the errors that explain it
            else:
                warn_skipped(reader)
                parts = [stacks for stacks, _ in parts]
        if parts is None:
            parts, reader = selected_in_parts(path, build_id, lambda events: fold_events(
                filter_events(events, tools=tools, package=package), weight=weight, grouping=grouping))
        stacks = parts[0]
        for more in parts[1:]:
            for key, value in more.items():
                stacks[key] = stacks.get(key, 0) + value
    if not stacks:
        what = [f"tool {', '.join(tools)}"] if tools else []
        what += [f"package {package}"] if package else []
        if what:
            raise click.ClickException(f"{path}: no tool invocation matches {' and '.join(what)}")
        raise click.ClickException(f"{path}: no record has a {weight} value ({WEIGHT_MEANING[weight]})")
    return stacks, reader


def _fold_part(reader: TraceReader, *, build_id: str | None, weight: str, grouping: str, tools: tuple[str, ...],
               package: str | None) -> tuple[dict, int]:
    """The folded stacks of a part of a trace, and how many invocations it read."""
    spans = reader.columns(build_id)
    (stacks,) = fold_columns(spans, (weight,), grouping=grouping, tools=tools, package=package).as_dicts()
    return stacks, len(spans)


@click.command("fold")
@trace_argument
@build_option
@fold_options
@output_option("folded text", DATA, "build.folded")
def command(trace: str, build_id: str | None, weight: str, grouping: str, tools: tuple[str, ...],
            package: str | None, output: Output) -> None:
    """Write a trace as folded stacks: one line per stack, frames root to leaf joined by ';', then a
    count (integers: microseconds for wall and cpu; for rss, memory-time in KiB*s, peak RSS x wall time,
    since peaks do not add up; the unit is named on stderr).
    Lines are sorted, so the same trace gives the same bytes. Output: -o FILE, or stdout when
    redirected or piped; on a terminal only with -o -.

    \b
    Example:
      gotrace fold gotrace.jsonl > build.folded
      gotrace fold gotrace.jsonl --weight rss --grouping flat | sort -k2 -n | tail
      gotrace fold gotrace.jsonl --tool compile --package github.com/you/app | flamegraph.pl > c.svg
      gotrace fold gotrace.jsonl --grouping file --tool gcc --tool g++   # cgo's C files, one by one
    """
    output.check()
    stacks, _ = trace_stacks(trace, build_id, weight=weight, grouping=grouping, tools=tools, package=package)
    with output.open() as out:
        n = write_folded(stacks, out)
    total = sum(stacks.values())
    output.done(f"of {n} stacks", f"counts: {WEIGHT_MEANING[weight]}; total {total:,} {WEIGHTS[weight][0]}")
