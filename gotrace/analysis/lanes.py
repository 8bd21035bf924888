"""Lanes: invocations placed on rows so that no two in a row overlap in time.

Tools of one build run in parallel; viewers that want strictly nested events (speedscope's evented
profiles, a Gantt chart, Chrome's threads) get one row per lane. Greedy interval colouring in
start order, reusing the lane that freed up first, gives exactly as many lanes as the peak number
of invocations running at once.

An invocation occupies [start, end), and at least its first nanosecond: one that took no measurable
time still needs a lane, and two such at the same instant are two invocations running at once (the
semantics of parallelism.concurrency_steps, whose peak is the number of lanes).

`load_spans` reads a trace into `Spans`, the columns view of the one trace reader (gotrace.events),
for the timeline exports of million-record traces (two processes for a large file: events.read_in_parts).
"""
from __future__ import annotations

import functools
import heapq
from collections.abc import Iterable, Sequence

import numpy as np

from gotrace import quick_exit
from gotrace.analysis.parallelism import occupied_end, peak_concurrency  # noqa: F401 - one sweep
from gotrace.events import Event, Spans, TraceReader, read_in_parts

CHUNK = 1 << 16


def lanes_of(starts: Sequence[int], ends: Sequence[int]) -> list[int]:
    """`assign_lanes` over parallel sequences (or int64 arrays) of start and end times."""
    starts = np.asarray(starts, np.int64)
    ends = np.asarray(ends, np.int64)
    order = np.argsort(starts, kind="stable")  # ties keep input order, as sorted() did
    occupied = np.where(ends > starts, ends, starts + 1)  # occupied_end, down the columns
    free: list[int] = []  # lane numbers that are free, smallest first
    busy: list[tuple[int, int]] = []  # (end, lane)
    lanes = [0] * len(starts)
    next_lane = 0
    push, pop = heapq.heappush, heapq.heappop
    for at in range(0, len(order), CHUNK):  # as Python ints a chunk at a time: 3 x 40 B a row
        rows = order[at:at + CHUNK]
        for i, start, end in zip(rows.tolist(), starts[rows].tolist(), occupied[rows].tolist()):
            while busy and busy[0][0] <= start:
                push(free, pop(busy)[1])
            if free:
                lane = pop(free)
            else:
                lane = next_lane
                next_lane += 1
            lanes[i] = lane
            push(busy, (end, lane))
    return lanes


def assign_lanes(events: Sequence[Event]) -> list[int]:
    """Lane number for each event (same order as `events`); lanes are numbered from 0."""
    return lanes_of([e.start_ns for e in events], [e.end_ns for e in events])


# The columns view of the one trace reader; the old name of its reader, for existing imports.
SpanReader = TraceReader


def load_spans(path: str, build: str | None = None, *, lines: Iterable[bytes] | None = None
               ) -> tuple[Spans, TraceReader]:
    """The invocations of a trace file (read in two processes when large), or of `lines` already
    opened (`path` then names them)."""
    if lines is not None:
        reader = TraceReader(lines, name=path)
        return reader.columns(build), reader
    parts, reader = read_in_parts(path, functools.partial(TraceReader.columns, build=build))
    spans = Spans.joined(parts)
    quick_exit.keep(spans)  # let go of by exiting (a million records' kinds)
    return spans, reader


def check_spans(spans: Spans, reader: TraceReader, path: str, build: str | None) -> None:
    """Raise the TraceError that explains why there is nothing to show, if there is nothing."""
    if not len(spans):
        raise reader.nothing_selected(build)
