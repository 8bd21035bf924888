"""Folded stacks summed per stack and sorted, in bounded memory: runs spilled to temporary files
and merged back as they are read (as sort(1) does)."""
from __future__ import annotations

import heapq
import tempfile
from collections.abc import Iterable, Iterator
from operator import itemgetter
from typing import IO

from gotrace.collapse import Count


def sorted_stacks(records: Iterable[tuple[bytes, Count, Count | None]], *, reverse: bool = False,
                  run_keys: int = 150_000) -> tuple[Iterator[tuple[bytes, Count, Count | None]], Count]:
    """(stack, count, before) records summed per stack and sorted frame by frame, frames joined by
    NUL (which makes byte order frame order: "a;b;c" before "a;b.x"), and their total. Past
    `run_keys` distinct stacks the sums so far are sorted into a temporary file, and the runs are
    merged as they are read back (as sort(1) does), so memory stays bounded for any input."""
    records = iter(records)   # each run goes on where the last one stopped
    runs: list[IO[bytes]] = []
    total: Count = 0
    while True:
        after: dict[bytes, Count] = {}
        extra: dict[bytes, Count] = {}   # before - after, for differential lines only
        full = False
        for stack, value, before in records:
            key = b"\0".join(stack.split(b";")[::-1]) if reverse else stack.replace(b";", b"\0")
            after[key] = after.get(key, 0) + value
            if before is not None:
                extra[key] = extra.get(key, 0) + (before - value)
            if len(after) >= run_keys:
                full = True
                break
        total += sum(after.values())
        if not full and not runs:
            return ((key, after[key], after[key] + extra[key] if key in extra else None)
                    for key in sorted(after)), total
        if after:
            runs.append(_spill(after, extra, tempfile.TemporaryFile()))  # noqa: SIM115 (closed by merged())
        if not full:
            break

    def merged() -> Iterator[tuple[bytes, Count, Count | None]]:
        try:
            # equal stacks from different runs come out next to each other; layout() adds them up
            yield from heapq.merge(*(_read_run(run) for run in runs), key=itemgetter(0))
        finally:
            for run in runs:
                run.close()

    return merged(), total


def _spill(after: dict, extra: dict, run: IO[bytes]) -> IO[bytes]:
    run.writelines(b"%s %s %s\n" % (repr(after[k]).encode(), repr(after[k] + extra[k]).encode()
                                    if k in extra else b"-", k) for k in sorted(after))
    after.clear()
    extra.clear()
    run.seek(0)
    return run


def _read_run(run: IO[bytes]) -> Iterator[tuple[bytes, Count, Count | None]]:
    for line in run:
        value, before, key = line[:-1].split(b" ", 2)
        yield (key, int(value) if value.isdigit() else float(value),
               None if before == b"-" else int(before) if before.isdigit() else float(before))
