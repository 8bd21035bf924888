"""`gotrace speedscope TRACE -o build.speedscope.json`: a build (or any folded stacks) for speedscope."""
from __future__ import annotations

import contextlib
import itertools
import os
import sys
from collections.abc import Iterable, Iterator

import click

from gotrace.analysis.lanes import SpanReader, Spans, check_spans, load_spans
from gotrace.collapse import read_folded
from gotrace.commands._common import (
    DATA,
    Output,
    build_option,
    fail,
    output_option,
    say,
    trace_argument,
    warn_skipped,
)
from gotrace.events import HEAD_BYTES, TraceError, looks_like_trace
from gotrace.render.speedscope import UNITS, render_folded_speedscope, render_speedscope


@contextlib.contextmanager
def _input(path: str) -> Iterator[tuple[Iterator[bytes], bool]]:
    """The input's lines, and whether it is a trace (JSON lines) rather than folded stacks."""
    with contextlib.ExitStack() as stack:
        if path == "-":
            stream = sys.stdin.buffer
        else:
            try:
                stream = stack.enter_context(open(path, "rb", buffering=1 << 20))
            except OSError as e:
                raise TraceError(f"cannot read {path}: {e.strerror}") from None
        head: list[bytes] = []
        size = 0
        for line in stream:
            head.append(line)
            size += len(line)
            if size >= HEAD_BYTES:
                break
        yield itertools.chain(head, stream), looks_like_trace(b"".join(head))


def build_titles(reader: SpanReader, spans: Spans) -> dict[str, str]:
    """What each build was: its go command and directory when `gotrace run` recorded them."""
    titles = {}
    for build in spans.builds():
        info = reader.builds.get(build)
        if info is not None and info.argv:
            where = f" in {os.path.basename(info.cwd.rstrip('/'))}" if info.cwd else ""
            titles[build] = f"{info.command}{where} (build {build})"
        else:
            titles[build] = f"build {build}"
    return titles


def load_trace_spans(path: str, build_id: str | None, lines: Iterable[bytes] | None = None
                     ) -> tuple[Spans, str, dict[str, str]]:
    """The invocations of a trace for an export, a name for the file and a title per build."""
    spans, reader = load_spans(path, build_id, lines=lines)
    check_spans(spans, reader, path, build_id)
    warn_skipped(reader)
    titles = build_titles(reader, spans)
    if len(titles) == 1:
        name = next(iter(titles.values()))
    else:
        name = f"{len(titles)} builds from {os.path.basename(path) if path != '-' else 'stdin'}"
    return spans, name, titles


@click.command("speedscope")
@trace_argument
@build_option
@output_option("speedscope file", DATA, "build.speedscope.json")
@click.option("--unit", type=click.Choice(UNITS), default=None,
              help="Unit of the counts of a folded input, default none (`gotrace fold` writes "
                   "microseconds of wall time by default, KiB for --weight rss).")
def command(trace: str, build_id: str | None, output: Output, unit: str | None) -> None:
    """Write a speedscope file of TRACE: time and memory flame graphs and a timeline.

    TRACE is a gotrace trace (then the file holds three kinds of profile: wall time by package and
    tool, shown first; memory-time by package and tool, peak RSS x wall in KiB*s, since peaks do not
    add up; a timeline, one profile per lane of tools that ran one after another) or any
    folded-stacks file (then one profile of its stacks). Frames are named as `gotrace fold` names
    them: the package `runtime`, the directory `runtime/` and the tool `cgo` are distinct frames.
    Open the file at https://www.speedscope.app or with `npx speedscope FILE`.
    Output: -o FILE, or stdout when redirected or piped; on a terminal only with -o -.

    \b
    Example:
      gotrace speedscope gotrace.jsonl -o build.speedscope.json
      npx speedscope build.speedscope.json
      gotrace fold gotrace.jsonl | gotrace speedscope --unit microseconds - -o fold.speedscope.json
    """
    output.check()
    with _input(trace) as (lines, is_trace):
        if is_trace:
            if unit is not None:
                fail("--unit applies to folded input; a trace's profiles have their units")
            # a file is opened again by the reader, which may share a large one between processes
            spans, name, _ = load_trace_spans(trace, build_id, lines if trace == "-" else None)
        else:
            if build_id is not None:
                fail("--build applies to traces; this input is folded stacks")
            stacks = read_folded(lines, name=trace)
    if is_trace:
        with output.open(binary=True) as out:
            render_speedscope(out, spans, name=name)
        done = f"{len(spans)} invocations of {name}"
    else:
        if stacks.skipped:
            say(f"gotrace: warning: skipped {stacks.skipped} unreadable line(s) in {trace} "
                f"(first at line {stacks.first_bad_line})")
        if not stacks:
            fail(f"{trace}: no stacks: expected a trace (JSON lines) or folded stacks (`a;b;c 12`)")
        weights = {k: v[1] if isinstance(v, tuple) else v for k, v in stacks.items()}
        name = os.path.basename(trace) if trace != "-" else "folded stacks"
        with output.open(binary=True) as out:
            render_folded_speedscope(out, weights, name=name, unit=unit or "none")
        done = f"{len(weights)} stacks of {name}"
    output.done(f"of {done}", "open it at https://www.speedscope.app")
