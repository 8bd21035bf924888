"""Options and helpers shared by the subcommands: reading traces, choosing a build, writing output."""
from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import IO, TYPE_CHECKING

import click

from gotrace import quick_exit
from gotrace.events import BuildInfo, Event, TraceReader, open_trace, read_in_parts
from gotrace.status import STATUS
from gotrace.text import PrintableJSON, PrintableText, printable

if TYPE_CHECKING:
    from gotrace.analysis.build_rows import BuildRows


def no_terminal_stdin(ctx, param, value):
    """'-' reads stdin, but never a terminal's: that would wait silently for a trace to be typed."""
    if value == "-" and sys.stdin.isatty():
        command = ctx.command_path if ctx is not None else "gotrace"
        raise click.UsageError(f"no input: give a file, or pipe one in (... | {command} -)")
    return value


def trace_argument(func):
    return click.argument("trace", metavar="TRACE", type=click.Path(dir_okay=False, allow_dash=True),
                          callback=no_terminal_stdin)(func)


def build_option(func):
    return click.option("--build", "build_id", metavar="ID",
                        help="Only this build of a trace that holds several (see `gotrace summary`).")(func)


def warn_skipped(reader: TraceReader) -> None:
    """One line on stderr when corrupt or truncated lines were skipped (a killed build leaves one)."""
    if reader.skipped:
        say(f"gotrace: warning: skipped {reader.skipped} unreadable line(s) in {reader.name} "
            f"(first at line {reader.first_bad_line})")


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

    def records(self) -> Iterator[dict]:
        """The same selection as decoded records, for a command that keeps a few facts of each
        invocation rather than its Event."""
        for record in self.reader.records(probes=self.reader.include_probes):
            if self.build_id is None or record["build"] == self.build_id:
                self.count += 1
                yield record

    def check(self, allow_empty: bool = False) -> None:
        # the error of an empty result says what was skipped itself: one line, not two
        if not self.count and (self.build_id is not None or not allow_empty):
            raise self.reader.nothing_selected(self.build_id)
        warn_skipped(self.reader)


def read_build(trace: str, build_id: str | None, *, with_whole: bool = True
               ) -> tuple[BuildRows, BuildInfo | None, list[str]]:
    """The rows of the chosen build (the last one when none was chosen; build_rows.BuildRows), in
    two processes for a large file; with the whole Events a summary reads and the version probes
    (tools the build waited for: they count for coverage, nowhere else) unless not `with_whole`
    (the timeline); its build record; every build id selected, in order of appearance."""
    from gotrace.analysis.build_rows import FIRST_SHARE, builds_of, read_part, rows_of_build

    parts, reader = selected_in_parts(trace, build_id, functools.partial(read_part, with_whole=with_whole),
                                      first_share=FIRST_SHARE, include_probes=with_whole)
    builds = builds_of(parts)
    chosen = build_id or builds[-1]
    rows = rows_of_build(parts, chosen)
    quick_exit.keep(rows)  # let go of by exiting (a million rows' deps and whole Events)
    return rows, reader.builds.get(chosen), builds


def selected_in_parts(path: str, build_id: str | None, work: Callable[[Iterable[Event]], object], *,
                      allow_empty: bool | Callable[[TraceReader], bool] = False, first_share: float = 0.5,
                      **options) -> tuple[list, TraceReader]:
    """`work(events)` over the events of one build of a trace (or of all), in two processes for a
    large file (events.read_in_parts, `first_share` of it read here): each part's result in file
    order, and the reader; the clear
    error when nothing was selected (unless `allow_empty`, or it says yes of the reader, and no
    build was asked for), the warning when lines were skipped. Results must pickle."""
    def part(reader: TraceReader) -> tuple[object, int]:
        selected = SelectedEvents.__new__(SelectedEvents)
        selected.path, selected.build_id, selected.reader, selected.count = path, build_id, reader, 0
        return work(selected), selected.count

    parts, reader = read_in_parts(path, part, first_share=first_share, **options)
    if callable(allow_empty):
        allow_empty = allow_empty(reader)
    if not sum(count for _, count in parts) and (build_id is not None or not allow_empty):
        raise reader.nothing_selected(build_id)
    warn_skipped(reader)
    return [result for result, _ in parts], reader


# The one output rule, for every command that writes a file-like output:
#   -o FILE writes FILE (whole or not at all); -o - writes stdout;
#   without -o, stdout when it is redirected or piped (`gotrace flame T > build.svg`);
#   on a terminal, a clear error instead of SVG, PNG, HTML or a large export (-o - still prints
#   text that is only long, like folded stacks); a command's own text (summary, doctor, diff)
#   is for the terminal and goes there;
#   unless -q, one line on stderr says where a file-like output went.
TEXT, DATA, BINARY = "text", "data", "binary"  # terminal: yes; only with -o -; never


class Output:
    """Where a command's output goes, by the one rule above. `what` names it for messages
    ("flame graph (SVG)"); `example` is a file name for the error's advice."""

    def __init__(self, path: str | None, quiet: bool, what: str, kind: str, example: str):
        self.path, self.quiet, self.what, self.kind, self.example = path, quiet, what, kind, example

    @property
    def to_stdout(self) -> bool:
        return self.path in (None, "-")

    @property
    def where(self) -> str:
        return "stdout" if self.to_stdout else self.path

    def check(self) -> None:
        """Refuse a terminal before any work is done: nothing binary or huge is ever written onto one."""
        if not self.to_stdout or self.kind == TEXT or not sys.stdout.isatty():
            return
        if self.kind == DATA and self.path == "-":
            return
        ctx = click.get_current_context(silent=True)
        command = ctx.command_path if ctx is not None else "gotrace"
        raise click.UsageError(f"not writing the {self.what} onto the terminal: give -o FILE "
                               f"(-o {self.example}) or redirect ({command} ... > {self.example})")

    @contextlib.contextmanager
    def open(self, binary: bool = False) -> Iterator[IO]:
        """The stream to write to; text written to it has its control characters escaped."""
        self.check()
        STATUS.clear()  # (stdout may be the terminal the status line is on)
        with open_output("-" if self.to_stdout else self.path, binary=binary) as out:
            if not binary:
                yield PrintableText(out)
            elif self.to_stdout and sys.stdout.isatty():  # JSON data asked for with -o -
                shown = PrintableJSON(out)
                yield shown
                shown.close()
            else:
                yield out

    def done(self, details: str = "", hint: str = "") -> None:
        """`gotrace: flame graph (SVG) of 412 stacks written to build.svg (open it in a browser)`."""
        if self.quiet or (self.kind == TEXT and self.to_stdout):
            return
        say(f"gotrace: {self.what}{' ' + details if details else ''} written to {self.where}"
            + (f" ({hint})" if hint else ""))


def output_option(what: str, kind: str = DATA, example: str = "out"):
    """-o/--output and -q/--quiet; the command receives them as one `output: Output`."""
    def decorate(func):
        @functools.wraps(func)
        def command(*args, output_path: str | None, quiet: bool, **kwargs):
            return func(*args, output=Output(output_path, quiet, what, kind, example), **kwargs)

        command = click.option("-q", "--quiet", is_flag=True,
                               help="Do not say on stderr where the output went.")(command)
        where = ("Write to FILE; - is stdout (the default)" if kind == TEXT else
                 "Write to FILE; - is stdout. Without -o: stdout when redirected or piped, "
                 "an error on a terminal")
        return click.option("-o", "--output", "output_path", metavar="FILE", default=None,
                             type=click.Path(dir_okay=False, allow_dash=True), help=where + ".")(command)
    return decorate


@contextlib.contextmanager
def open_output(path: str, binary: bool = False) -> Iterator[IO]:
    """stdout for '-', else the file; a failed render leaves no half-written regular file behind."""
    if path == "-":
        yield sys.stdout.buffer if binary else sys.stdout
        return
    import os
    import stat
    import tempfile

    try:
        special = not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        special = False  # no such file yet: made below
    if special:
        # /dev/null, a FIFO, a terminal: write into it. Never the temporary file and rename below,
        # which would replace the device node itself with a regular file (as root, /dev/null too).
        with open(path, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8", "newline": "\n"})) as f:
            yield f
        return
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
    """Progress and where-to-look lines go to stderr, so stdout stays the command's output; names
    from a trace in them cannot drive the terminal. The status line (gotrace.status) is cleared
    first."""
    STATUS.clear()
    click.echo(printable(message), err=True)


def fail(message: str) -> None:
    raise click.ClickException(message)
