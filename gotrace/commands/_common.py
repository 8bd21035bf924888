"""Options and helpers shared by the subcommands: reading traces, choosing a build, writing output."""
from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import IO

import click

from gotrace.events import Event, TraceReader, open_trace


def trace_argument(func):
    return click.argument("trace", metavar="TRACE", type=click.Path(dir_okay=False, allow_dash=True))(func)


def build_option(func):
    return click.option("--build", "build_id", metavar="ID",
                        help="Only this build of a trace that holds several (see `gotrace summary`).")(func)


def output_option(func):
    return click.option("-o", "--output", metavar="FILE", type=click.Path(dir_okay=False, allow_dash=True),
                        default="-", show_default=True, help="Where to write; - is stdout.")(func)


def warn_skipped(reader: TraceReader) -> None:
    """One line on stderr when corrupt or truncated lines were skipped (a killed build leaves one)."""
    if reader.skipped:
        click.echo(f"gotrace: warning: skipped {reader.skipped} unreadable line(s) in {reader.name} "
                   f"(first at line {reader.first_bad_line})", err=True)


class SelectedEvents:
    """Streams the events of one build of a trace (or of all its builds); once consumed, `check()`
    raises the clear error that explains an empty result (unknown build, only probes, nothing)."""

    def __init__(self, path: str, build_id: str | None = None, **options):
        self.path = path
        self.build_id = build_id
        self.reader = open_trace(path, **options)
        self.count = 0

    def __iter__(self) -> Iterator[Event]:
        for event in self.reader:
            if self.build_id is None or event.build == self.build_id:
                self.count += 1
                yield event

    def check(self, allow_empty: bool = False) -> None:
        warn_skipped(self.reader)
        if not self.count and (self.build_id is not None or not allow_empty):
            raise self.reader.nothing_selected(self.build_id)


def load_events(path: str, build_id: str | None = None, *, keep_argv: bool = False,
                include_probes: bool = False, allow_empty: bool = False) -> tuple[list[Event], TraceReader]:
    """Read a trace for a command; raise a clear error for an empty trace or an unknown build."""
    selection = SelectedEvents(path, build_id, keep_argv=keep_argv, include_probes=include_probes)
    events = list(selection)
    selection.check(allow_empty)
    return events, selection.reader


@contextlib.contextmanager
def open_output(path: str, binary: bool = False) -> Iterator[IO]:
    """stdout for '-', else the file; a failed render leaves no half-written file behind."""
    if path == "-":
        yield sys.stdout.buffer if binary else sys.stdout
        return
    import os
    import tempfile

    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".gotrace-")
    try:
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8", "newline": "\n"})) as f:
            yield f
        os.replace(tmp, path)
        os.chmod(path, 0o644)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def say(message: str) -> None:
    """Progress and where-to-look lines go to stderr, so stdout stays the command's output."""
    click.echo(message, err=True)


def fail(message: str) -> None:
    raise click.ClickException(message)
