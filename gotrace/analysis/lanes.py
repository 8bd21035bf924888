"""Lanes: invocations placed on rows so that no two in a row overlap in time.

Tools of one build run in parallel; viewers that want strictly nested events (speedscope's evented
profiles, a Gantt chart, Chrome's threads) get one row per lane. Greedy interval colouring in
start order, reusing the lane that freed up first, gives exactly as many lanes as the peak number
of invocations running at once.

An invocation occupies [start, end), and at least its first nanosecond: one that took no measurable
time still needs a lane, and two such at the same instant are two invocations running at once (the
semantics of parallelism.concurrency_steps, whose peak is the number of lanes).

`load_spans` reads a trace into `Spans`, the columns view of the one trace reader (gotrace.events),
for the timeline exports of million-record traces, using two processes for a large file.
"""
from __future__ import annotations

import heapq
import os
import sys
from collections.abc import Iterable, Iterator, Sequence

from gotrace.analysis.parallelism import occupied_end, peak_concurrency  # noqa: F401 - one sweep
from gotrace.events import Event, Spans, TraceError, TraceReader


def lanes_of(starts: Sequence[int], ends: Sequence[int]) -> list[int]:
    """`assign_lanes` over parallel sequences of start and end times."""
    order = sorted(range(len(starts)), key=starts.__getitem__)  # stable: ties keep input order
    free: list[int] = []  # lane numbers that are free, smallest first
    busy: list[tuple[int, int]] = []  # (end, lane)
    lanes = [0] * len(starts)
    next_lane = 0
    push, pop = heapq.heappush, heapq.heappop
    for i in order:
        start = starts[i]
        while busy and busy[0][0] <= start:
            push(free, pop(busy)[1])
        if free:
            lane = pop(free)
        else:
            lane = next_lane
            next_lane += 1
        lanes[i] = lane
        push(busy, (occupied_end(start, ends[i]), lane))
    return lanes


def assign_lanes(events: Sequence[Event]) -> list[int]:
    """Lane number for each event (same order as `events`); lanes are numbered from 0."""
    return lanes_of([e.start_ns for e in events], [e.end_ns for e in events])


# The columns view of the one trace reader; the old name of its reader, for existing imports.
SpanReader = TraceReader


PARALLEL_BYTES = 64 << 20  # traces larger than this are read by two processes where fork exists


def load_spans(path: str, build: str | None = None, *, lines: Iterable[bytes] | None = None
               ) -> tuple[Spans, TraceReader]:
    """The invocations of a trace file, or of `lines` already opened (`path` then names them)."""
    if lines is not None:
        reader = TraceReader(lines, name=path)
        return reader.columns(build), reader
    try:
        size = os.path.getsize(path)
        if size > PARALLEL_BYTES and (os.cpu_count() or 1) > 1 and sys.platform == "linux":
            return _load_in_two(path, build, size)
        with open(path, "rb", buffering=1 << 20) as stream:
            reader = TraceReader(stream, name=path)
            return reader.columns(build), reader
    except OSError as e:
        raise TraceError(f"cannot read trace {path}: {e.strerror}") from None


def _lines_between(path: str, start: int, stop: int) -> Iterator[bytes]:
    with open(path, "rb", buffering=1 << 20) as stream:
        stream.seek(start)
        for line in stream:
            if start >= stop:
                return
            start += len(line)
            yield line


def _read_part(path: str, start: int, stop: int, build: str | None, conn) -> None:
    try:
        reader = TraceReader(_lines_between(path, start, stop), name=path)
        spans = reader.columns(build)
        reader.stream = None
        conn.send((spans, reader))
    except TraceError as e:
        conn.send(e)
    conn.close()


def _load_in_two(path: str, build: str | None, size: int) -> tuple[Spans, TraceReader]:
    """Parsing JSON is most of the cost of a large trace: a forked helper reads the second half
    while this process reads the first, then the halves are joined as if read in one go."""
    import multiprocessing

    with open(path, "rb") as stream:
        stream.seek(size // 2)
        middle = size // 2 + len(stream.readline())
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    helper = context.Process(target=_read_part, args=(path, middle, size, build, send), daemon=True)
    helper.start()
    send.close()
    try:
        reader = TraceReader(_lines_between(path, 0, middle), name=path)
        spans = reader.columns(build)
        second = receive.recv()
    finally:
        helper.join()
    if isinstance(second, TraceError):  # say which line, counted from the top: read it again in one go
        with open(path, "rb", buffering=1 << 20) as stream:
            reader = TraceReader(stream, name=path)
            return reader.columns(build), reader
    more, later = second
    spans.extend(more)
    reader.absorb(later)
    return spans, reader


def check_spans(spans: Spans, reader: TraceReader, path: str, build: str | None) -> None:
    """Raise the TraceError that explains why there is nothing to show, if there is nothing."""
    if not len(spans):
        raise reader.nothing_selected(build)
