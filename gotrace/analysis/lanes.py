"""Lanes: invocations placed on rows so that no two in a row overlap in time.

Tools of one build run in parallel; viewers that want strictly nested events (speedscope's evented
profiles, a Gantt chart, Chrome's threads) get one row per lane. Greedy interval colouring in
start order, reusing the lane that freed up first, gives exactly as many lanes as the peak number
of invocations running at once.
"""
from __future__ import annotations

import heapq
from typing import Sequence

from gotrace.events import Event


def assign_lanes(events: Sequence[Event]) -> list[int]:
    """Lane number for each event (same order as `events`); lanes are numbered from 0."""
    order = sorted(range(len(events)), key=lambda i: (events[i].start_ns, events[i].end_ns, i))
    free: list[int] = []  # lane numbers that are free, smallest first
    busy: list[tuple[int, int]] = []  # (end_ns, lane)
    lanes = [0] * len(events)
    next_lane = 0
    for i in order:
        start = events[i].start_ns
        while busy and busy[0][0] <= start:
            heapq.heappush(free, heapq.heappop(busy)[1])
        if free:
            lane = heapq.heappop(free)
        else:
            lane = next_lane
            next_lane += 1
        lanes[i] = lane
        heapq.heappush(busy, (events[i].end_ns, lane))
    return lanes


def peak_concurrency(events: Sequence[Event]) -> int:
    """Most invocations running at one instant (an end at t does not overlap a start at t)."""
    points = sorted([(e.start_ns, 1) for e in events] + [(e.end_ns, -1) for e in events],
                    key=lambda p: (p[0], p[1]))
    running = peak = 0
    for _, delta in points:
        running += delta
        peak = max(peak, running)
    return peak
