"""A file's lines shared by two processes, each reading a part, where the one that finishes first takes
the later half of what the other has left.

Why (issue 14): a big trace is read by this process and a forked helper (events.read_in_parts),
and a fixed split left one of them idle for seconds. Measured at 1,000,000 records, one process read
its share at 14 and the other at 17.5 s per unit of the file in one run, the other way round in the
next (the machine's other work, which core each got): in a report the helper then waited 3 s for
this process, in a summary this process waited 1.2 s for the helper. So the split moves while they
read: each reads its part in steps of STEP_BYTES, and before each step it looks, under a lock, at
where its part ends now; one that has finished takes (`steal`) the later half of the other's
remainder (this process a little more, the helper a little less: the helper's result still has to
cross a pipe), beyond the step the other may be reading, as a part of its own. Every part is a run of
whole lines, the parts cover the file once, and sorted by where they start they are the file in
order: what each process made of its parts is put together as if one process had read them.

The two processes' (position, end) live in an anonymous shared mapping made before the fork, and the
lock is a POSIX record lock (fcntl.lockf: held per process, so a forked child does not share its
parent's, and a process that dies lets go of it) on an unnamed temporary file. Where none can be
made (a full disk) the readers keep the parts they started with.
"""
from __future__ import annotations

import fcntl
import mmap
import tempfile
from collections.abc import Callable, Iterator

STEP_BYTES = 1 << 20  # read between two looks at where a part ends
STEAL_BYTES = 16 << 20  # the least part worth taking over (each part has a result of its own to merge)


class SharedParts:
    """The current parts of two readers (0: this process, 1: its forked helper) of one file."""

    def __init__(self, path: str, size: int, split: int, bias: int = 0):
        """Reader 0 starts with the lines before `split` (a line start), reader 1 with the rest. Of
        any remainder taken over, reader 0 ends with `bias` bytes more than half: the helper's result
        has to be pickled and cross a pipe before this process can use it (events.read_in_parts)."""
        self.path = path
        self.size = size
        self.bias = bias
        self._memory = mmap.mmap(-1, 4 * 8)  # anonymous: shared with a child forked after this
        self._at = memoryview(self._memory).cast("q")  # position 0, end 0, position 1, end 1
        self._at[0], self._at[1], self._at[2], self._at[3] = 0, split, split, size
        try:
            self._lock_file = tempfile.TemporaryFile()
        except OSError:  # no room or no right in the temporary directory: nobody takes over a part
            self._lock_file = None

    def close(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()

    def _lock(self) -> None:
        if self._lock_file is not None:
            fcntl.lockf(self._lock_file.fileno(), fcntl.LOCK_EX)

    def _unlock(self) -> None:
        if self._lock_file is not None:
            fcntl.lockf(self._lock_file.fileno(), fcntl.LOCK_UN)

    def start(self, reader: int) -> int:
        """Where the current part of `reader` starts (before it reads any of it)."""
        return self._at[2 * reader]

    def lines(self, reader: int, on_step: Callable[[int], None] | None = None) -> Iterator[bytes]:
        """The lines of the current part of `reader`, up to its end as it stands at each step;
        `on_step(bytes)` is told, at each step, how much of the file both readers have read."""
        at = self._at
        with open(self.path, "rb", buffering=1 << 20) as stream:
            position = at[2 * reader]
            stream.seek(position)
            while True:
                self._lock()
                at[2 * reader] = position
                end = at[2 * reader + 1]
                left = at[1] - at[0] + at[3] - at[2]
                self._unlock()
                if on_step is not None:
                    on_step(self.size - left)
                if position >= end:
                    return
                # the other reader may end this part from `position` + STEP_BYTES on (`steal`), so
                # read no line that starts beyond that before looking again
                stop = min(end, position + STEP_BYTES)
                for line in stream:
                    yield line
                    position += len(line)
                    if position >= stop:
                        break
                else:
                    return

    def steal(self, reader: int) -> bool:
        """`reader` has finished its part: make the later part of the other's remainder its next part
        (half of it, give or take the bias), when that part is worth it. Whether it did."""
        if self._lock_file is None:  # (without the lock the ends never move: nothing to race)
            return False
        at, other = self._at, 1 - reader
        self._lock()
        try:
            position, end = at[2 * other], at[2 * other + 1]
            # the other may be reading up to STEP_BYTES past its published position
            free = position + STEP_BYTES
            remainder = end - free
            taken = (remainder + (self.bias if reader == 0 else -self.bias)) // 2
            if min(taken, remainder) < STEAL_BYTES:
                return False
            with open(self.path, "rb") as stream:
                stream.seek(end - taken)
                split = stream.tell() + len(stream.readline())  # the next line start
            if split >= end:
                return False
            at[2 * other + 1] = split
            at[2 * reader], at[2 * reader + 1] = split, end
            return True
        finally:
            self._unlock()
