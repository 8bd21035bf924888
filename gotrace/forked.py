"""Work done in a forked child while this process does other work: the second of two cores.

The cost of a big trace is Python work per record, and a Python process runs on one core: where
the work splits (the two halves of a file, the what-if model beside the rest of a summary, its
replays for different -p), a child made by fork (it shares everything this process has built,
copy-on-write) does one part while this process does the other, and sends its result back
pickled (in a file in memory, read once it has ended), so results had better be small or pickle as
columns. A child may fork again.

Linux only (fork after numpy and friends are loaded is safe there); elsewhere, on one core, or for
work too small to pay for a process, the work runs in this process when its result is asked for.
A child that dies without a result (killed, out of memory) costs time, never the answer: the work
is done again here. A child ends with its parent (a parent killed alone leaves nobody to read the
answer), and so does its own child. Start children from the main thread: the kernel ties a child
to the thread that made it.
"""
from __future__ import annotations

import os
import pickle
import signal
import sys
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


def can_fork() -> bool:
    return sys.platform == "linux" and (os.cpu_count() or 1) >= 2


class Forked(Generic[T]):
    """`work()` started in a forked child; `result()` waits for it (and raises what it raised).
    With `fork=False` it runs here, when asked for. Used as a context manager (`with Forked(...)
    as child:`), the child is stopped when the block fails."""

    def __init__(self, work: Callable[[], T], fork: bool = True):
        self._work = work
        self._pid = None
        answer = file_in_memory("gotrace-answer") if fork and can_fork() else None
        if answer is not None:
            parent = os.getpid()
            pid = os.fork()
            if pid == 0:
                _stop_with(parent)
                _child(work, answer)  # never returns
            self._pid, self._answer = pid, answer

    def result(self) -> T:
        if self._pid is None:
            return self._work()
        _, status = os.waitpid(self._pid, 0)
        self._pid = None
        with os.fdopen(self._answer, "rb") as incoming:
            incoming.seek(0)  # (the child's writes moved the offset both share)
            data = incoming.read() if status == 0 else b""
        if not data:  # the child died before it could answer
            return self._work()
        failed, value = pickle.loads(data)
        if failed:
            raise value
        return value

    def __enter__(self) -> Forked[T]:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        """A block that fails (an exception, Ctrl-C) stops the child: its result is no longer wanted."""
        if kind is not None:
            self.cancel()

    def cancel(self) -> None:
        """Stop the child when its result is no longer wanted (this process failed meanwhile)."""
        if self._pid is not None:
            os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            os.close(self._answer)
            self._pid = None


def _stop_with(parent: int) -> None:
    """Have the kernel kill this child when its parent ends (PR_SET_PDEATHSIG): killed alone (`kill
    PID`, the OOM killer) or interrupted alone, the parent leaves nobody to read the answer, and
    the child would go on holding a core and its memory. (Ctrl-C in a terminal reaches the whole
    process group anyway.) Its own children do the same, so a grandchild stops after it."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # no prctl: the child finishes its work, as before
        return
    if os.getppid() != parent:  # the parent ended before the call took hold
        os._exit(1)


def file_in_memory(name: str) -> int | None:
    """A file in memory (memfd: not on disk, so a full disk does not matter) that a forked child
    writes and this process reads from its start once the child has ended; None where it cannot be
    made (the work is then done here). A child's answer waits in one (`Forked`): through a pipe, a
    child with a big answer (a reading helper's columns, tens of MB) waited until this process read
    it, holding its memory and the pages fork shares (each page this process writes while they are
    shared is copied first); at 1,000,000 records a summary took 0.93x the time with this
    (farm-bench, four alternating pairs: within this machine's noise, but less system time)."""
    try:
        return os.memfd_create(name, os.MFD_CLOEXEC)
    except (AttributeError, OSError):
        return None


def _child(work: Callable, answer: int) -> None:
    status = 1
    try:
        try:
            outcome = (False, work())
        except Exception as e:  # the parent raises it where it asks for the result
            outcome = (True, e)
        data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(answer, "wb") as outgoing:
            outgoing.write(data)
        status = 0
    finally:  # never back into the parent's code (its stack, its atexit handlers, its buffers)
        os._exit(status)
