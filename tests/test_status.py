"""The status line a long command keeps on a terminal's stderr (gotrace.status): what it shows, when,
and that it never reaches a pipe or mixes with what is written after it."""
from __future__ import annotations

import io
import os
import pty
import subprocess
import sys

from gotrace.status import StatusLine, fraction
from tests.conftest import ROOT


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_the_line_shows_only_after_the_delay_and_at_most_every_interval():
    out, clock = Terminal(), Clock()
    line = StatusLine(out, clock, delay=0.5)
    line.show("gotrace: reading t.jsonl: 1%")
    assert out.getvalue() == ""  # quick work shows nothing
    clock.t = 0.6
    line.show("gotrace: reading t.jsonl: 40%")
    clock.t = 0.65
    line.show("gotrace: reading t.jsonl: 41%")  # too soon after the last
    line.show("gotrace: read 10 lines of t.jsonl; working on them", now=True)  # a new stage shows at once
    assert out.getvalue() == ("\rgotrace: reading t.jsonl: 40%\x1b[K"
                              "\rgotrace: read 10 lines of t.jsonl; working on them\x1b[K")


def test_clearing_erases_a_line_shown_and_writes_nothing_otherwise():
    out = Terminal()
    line = StatusLine(out, Clock(), delay=0)
    line.clear()
    assert out.getvalue() == ""
    line.show("gotrace: reading")
    line.clear()
    line.clear()
    assert out.getvalue() == "\rgotrace: reading\x1b[K\r\x1b[K"


def test_nothing_reaches_a_stream_that_is_not_a_terminal():
    out = io.StringIO()
    line = StatusLine(out, Clock(), delay=0)
    line.show("gotrace: reading", now=True)
    line.clear()
    assert out.getvalue() == ""


def test_control_characters_of_a_file_name_are_escaped_and_the_line_fits_one_row(monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    out = Terminal()
    StatusLine(out, Clock(), delay=0).show("gotrace: reading \x1b]0;pwned\x07" + "x" * 100)
    shown = out.getvalue()[1:-3]
    assert "\x1b" not in shown and "\x07" not in shown
    assert len(shown) == 39


def test_a_forked_child_never_writes_the_parents_line():
    out = Terminal()
    line = StatusLine(out, Clock(), delay=0)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        line.show("from the child", now=True)
        os.write(write, out.getvalue().encode() or b"-")
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 100) == b"-"
    os.close(read)
    os.close(write)


def test_fraction_is_a_whole_percentage_never_above_100():
    assert [fraction(0, 10), fraction(5, 10), fraction(10, 10), fraction(11, 10), fraction(1, 0)] == \
        ["0%", "50%", "100%", "100%", "100%"]


# the console script with a big trace's reading (two processes) for any size of file
SCRIPT = "import sys, gotrace.events; gotrace.events.PARALLEL_BYTES = 0; from gotrace.cli import main; " \
         "sys.argv = ['gotrace'] + sys.argv[1:]; main()"


def run_with_stderr(args: list[str], terminal: bool) -> bytes:
    """Run gotrace (its trace read in two processes) with stderr a terminal (a pty) or a pipe;
    what it wrote there."""
    env = {**os.environ, "GOTRACE_STATUS_DELAY": "0", "COLUMNS": "200"}
    if not terminal:
        return subprocess.run([sys.executable, "-c", SCRIPT, *args], env=env, stderr=subprocess.PIPE,
                              check=True).stderr
    main, child = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, *args], env=env, stderr=child)
    os.close(child)
    written = b""
    while True:
        try:
            piece = os.read(main, 4096)
        except OSError:  # the child closed its end
            break
        if not piece:
            break
        written += piece
    os.close(main)
    assert proc.wait() == 0
    return written


def test_a_command_says_how_far_its_reading_has_got_on_a_terminal_and_clears_the_line(tmp_path):
    trace = ROOT / "tests" / "pinned" / "multi-p2.jsonl"
    on_terminal, piped = tmp_path / "a.txt", tmp_path / "b.txt"
    said = run_with_stderr(["summary", str(trace), "-o", str(on_terminal)], terminal=True).decode()
    assert "\rgotrace: reading " in said and "% of " in said
    assert f"\rgotrace: read {len(trace.read_bytes().splitlines()):,} lines of {trace}; working on them" in said
    # cleared before the command's own line, which starts at the margin
    assert said.endswith(f"\r\x1b[Kgotrace: summary written to {on_terminal}\r\n")
    # in a pipe: the command's line only; the output is the same either way
    assert run_with_stderr(["summary", str(trace), "-o", str(piped)], terminal=False).decode() == \
        f"gotrace: summary written to {piped}\n"
    assert on_terminal.read_bytes() == piped.read_bytes()
