"""One line on a terminal's stderr saying what a long command is doing, rewritten in place.

Reading a million-record trace takes seconds, and analysing it as long again: on a terminal the user
sees how far the reading has got and what comes after it, instead of nothing for ten seconds. The
line is cleared before anything else is written to the terminal (`gotrace.commands._common.say`,
an output opened on stdout, an error), so it never mixes with a command's output. Nothing is
written when stderr is not a terminal (a pipe, a CI log), nor for work done within DELAY_S seconds,
nor by a forked child (the process that made the line owns it).
"""
from __future__ import annotations

import math
import os
import shutil
import sys
import time
from collections.abc import Callable
from typing import TextIO

from gotrace.text import printable

DELAY_S = 0.5  # nothing is shown for work done sooner than this
INTERVAL_S = 0.1  # the line is rewritten at most this often
# a test's (or a curious user's) delay before the line shows, in seconds
DELAY_VARIABLE = "GOTRACE_STATUS_DELAY"


class StatusLine:
    """The status line of this process on `stream` (stderr when None, looked up when used)."""

    def __init__(self, stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic,
                 delay: float | None = None):
        self._stream = stream
        self._clock = clock
        self._delay = delay
        self._started = clock()
        self._last = -math.inf  # (the first line may show at once)
        self._shown = False
        self._owner = os.getpid()

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    def _enabled(self) -> bool:
        if os.getpid() != self._owner:
            return False
        try:
            return self.stream.isatty()
        except (AttributeError, ValueError):  # no stream, or a closed one
            return False

    def _delay_s(self) -> float:
        if self._delay is not None:
            return self._delay
        try:
            return max(0.0, float(os.environ.get(DELAY_VARIABLE, DELAY_S)))
        except ValueError:
            return DELAY_S

    def show(self, text: str, *, now: bool = False) -> None:
        """Say `text` on the line: once the command has run DELAY_S, at most every INTERVAL_S
        (`now`: whenever past the delay, for a change of stage the user should see)."""
        t = self._clock()
        if t - self._started < self._delay_s() or (not now and t - self._last < INTERVAL_S):
            return
        if not self._enabled():
            return
        width = max(shutil.get_terminal_size((80, 24)).columns - 1, 10)
        line = printable(text)[:width]  # one row: a line that wraps cannot be rewritten in place
        self._write("\r" + line + "\x1b[K")
        self._last = t
        self._shown = True

    def clear(self) -> None:
        """Erase the line, if it shows anything, so that what comes next starts at the margin."""
        if self._shown and self._enabled():
            self._write("\r\x1b[K")
        self._shown = False

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a terminal that went away: the command goes on
            self._shown = False


STATUS = StatusLine()  # the one line of this process


def fraction(done: int, total: int) -> str:
    """`42%` of a task `done` of `total` long."""
    return f"{min(100, done * 100 // max(total, 1))}%"
