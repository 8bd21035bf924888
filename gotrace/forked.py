"""Work done in a forked child while this process does other work: the second of two cores.

The cost of a big trace is Python work per record, and a Python process runs on one core: where
the work splits (the two halves of a file, the what-if replays for different -p), a child made by
fork (it shares everything this process has built, copy-on-write) does one part while this
process does the other, and sends its result back pickled, so results had better be small or
pickle as columns. Linux only (fork after numpy and friends are loaded is safe there); elsewhere,
and on one core, the work runs in this process when its result is asked for.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


def can_fork() -> bool:
    return sys.platform == "linux" and (os.cpu_count() or 1) >= 2


class Forked(Generic[T]):
    """`work()` started in a forked child; `result()` waits for it (and raises what it raised)."""

    def __init__(self, work: Callable[[], T]):
        self._work = work
        self._child = None
        if can_fork():
            import multiprocessing

            context = multiprocessing.get_context("fork")
            self._incoming, outgoing = context.Pipe(duplex=False)
            self._child = context.Process(target=_run, args=(work, outgoing), daemon=True)
            self._child.start()
            outgoing.close()

    def result(self) -> T:
        if self._child is None:
            return self._work()
        try:
            failed, value = self._incoming.recv()
        finally:
            self._incoming.close()
            self._child.join()
        if failed:
            raise value
        return value

    def cancel(self) -> None:
        """Stop the child when its result is no longer wanted (this process failed meanwhile)."""
        if self._child is not None:
            self._child.kill()
            self._child.join()
            self._incoming.close()
            self._child = None


def _run(work: Callable, conn) -> None:
    try:
        value = (False, work())
    except Exception as e:  # the parent raises it where it asks for the result
        value = (True, e)
    conn.send(value)
    conn.close()
