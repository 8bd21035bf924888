"""Parallelism: how many tools ran at once, how busy the machine's cores were, where the build went serial.

Concurrency is a step function of time (invocations running), computed by one sweep
(`concurrency_steps`) that the lanes, the summary, the timeline and the doctor share. An invocation
occupies [start, end), and at least its first nanosecond: an end at t does not overlap a start at t,
and two zero-length invocations at one instant run at once.

A *serial stretch* is a longest stretch of the build during which at most one tool ran (0: the go
command worked alone, or a C compiler it does not trace), lasting at least SERIAL_MIN_NS and
SERIAL_MIN_SHARE of the build; `summary` lists them and `doctor` warns about the ones where one
invocation ran alone long enough to matter.

CPU use per time bucket spreads each invocation's CPU time evenly over its run, which is all a
per-process rusage tells.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from gotrace.events import BuildInfo, Event, total_cpu_ns
from gotrace.text import percent

# A stretch counts as serial when at most one tool ran for this long and this share of the build.
SERIAL_MIN_NS = 200_000_000
SERIAL_MIN_SHARE = 0.02
BUCKETS = 100


@dataclass(frozen=True)
class Stretch:
    start_ns: int  # offset from the build's first start
    wall_ns: int
    running: int  # 0: the go command itself (or gcc, which is not traced); 1: one tool alone
    alone: str  # "tool pkg" of the invocation that ran alone longest in it, "" when none did
    alone_ns: int = 0  # how long that invocation ran (alone) in the stretch
    invocation: Event | None = field(default=None, compare=False, repr=False)  # that invocation

    def to_dict(self) -> dict:
        return {"start_ns": self.start_ns, "wall_ns": self.wall_ns, "running": self.running,
                "alone": self.alone}


@dataclass(frozen=True)
class Parallelism:
    cores: int
    cores_source: str  # "trace" (the build record) or "this machine"
    limit: int | None  # the build's -p when the trace says
    average: float
    peak: int
    utilisation: float | None  # CPU time / (span x cores); None when no invocation knows its CPU time
    steps: list[tuple[int, int]]  # (offset ns, invocations running from then on)
    cpu_buckets: list[float]  # cores busy on average in each of BUCKETS equal slices of the build
    serial: list[Stretch]

    @property
    def utilisation_text(self) -> str:
        """`CPU utilisation 41.0% of 2 cores`, or that it is unknown: never 0% for unknown."""
        if self.utilisation is None:
            return "CPU utilisation unknown: the trace has no CPU times"
        return f"CPU utilisation {percent(100 * self.utilisation)} of {self.cores} cores"

    def to_dict(self) -> dict:
        return {
            "cores": self.cores, "cores_source": self.cores_source, "limit": self.limit,
            "average_concurrency": round(self.average, 3), "peak_concurrency": self.peak,
            "cpu_utilisation": None if self.utilisation is None else round(self.utilisation, 4),
            "cpu_cores_busy": [round(b, 3) for b in self.cpu_buckets],
            "serial_stretches": [s.to_dict() for s in self.serial],
        }


def occupied_end(start_ns: int, end_ns: int) -> int:
    """Where an invocation stops occupying a slot: its end, or one nanosecond after a zero-length start."""
    return end_ns if end_ns > start_ns else start_ns + 1


def concurrency_steps(events: Sequence[Event]) -> list[tuple[int, int]]:
    """(time ns, invocations running from then on) at every change of the count."""
    points: dict[int, int] = {}
    for e in events:
        start = e.start_ns
        end = occupied_end(start, start + e.wall_ns)
        points[start] = points.get(start, 0) + 1
        points[end] = points.get(end, 0) - 1  # an end and a start at t net out: no overlap
    running = 0
    steps = []
    for t in sorted(points):
        running += points[t]
        if not steps or steps[-1][1] != running:
            steps.append((t, running))
    return steps


def peak_concurrency(events: Sequence[Event]) -> int:
    """Most invocations running at one instant."""
    return max((running for _, running in concurrency_steps(events)), default=0)


def cpu_per_bucket(events: Sequence[Event], start: int, span: int, buckets: int = BUCKETS) -> list[float]:
    """Average cores busy in each of `buckets` equal slices of [start, start + span)."""
    if span <= 0:
        return [0.0] * buckets
    width = span / buckets
    busy = [0.0] * buckets
    for e in events:
        cpu = e.cpu_ns
        if not cpu:
            continue
        if e.wall_ns <= 0:
            busy[min(buckets - 1, int((e.start_ns - start) / width))] += cpu
            continue
        rate = cpu / e.wall_ns
        a, b = e.start_ns - start, e.end_ns - start
        first, last = int(a / width), min(buckets - 1, int(b / width))
        for i in range(first, last + 1):
            overlap = min(b, (i + 1) * width) - max(a, i * width)
            if overlap > 0:
                busy[i] += rate * overlap
    return [ns / width for ns in busy]


def serial_threshold(span: int) -> int:
    """How long a stretch of at most one tool running must last to be a serial stretch."""
    return max(SERIAL_MIN_NS, int(span * SERIAL_MIN_SHARE))


def serial_stretches(events: Sequence[Event], steps: list[tuple[int, int]], start: int, span: int) -> list[Stretch]:
    """The build's serial stretches (see the module's docstring), longest first."""
    out = []
    threshold = serial_threshold(span)
    for i, (t, running) in enumerate(steps):
        if running > 1 or i + 1 >= len(steps):
            continue
        # merge consecutive low steps (0 then 1 then 0 ...) into one stretch
        if i and steps[i - 1][1] <= 1:
            continue
        j = i
        while j + 1 < len(steps) and steps[j + 1][1] <= 1:
            j += 1
        end = steps[j + 1][0] if j + 1 < len(steps) else steps[j][0]
        if end - t < threshold:
            continue
        # at most one tool runs in the stretch: its overlap with the stretch is time it ran alone
        inside = [e for e in events if e.start_ns < end and occupied_end(e.start_ns, e.end_ns) > t]
        longest = max(inside, key=lambda e: (min(e.end_ns, end) - max(e.start_ns, t), e.pkg), default=None)
        alone = f"{longest.tool} {longest.pkg}".strip() if longest else ""
        alone_ns = max(0, min(longest.end_ns, end) - max(longest.start_ns, t)) if longest else 0
        out.append(Stretch(t - start, end - t, max(r for _, r in steps[i:j + 1]), alone, alone_ns, longest))
    return sorted(out, key=lambda s: (-s.wall_ns, s.start_ns))


def machine_cores(info: BuildInfo | None) -> tuple[int, str]:
    if info is not None and info.cores:
        return info.cores, "trace"
    return os.cpu_count() or 1, "this machine"


def parallelism(events: Sequence[Event], info: BuildInfo | None = None) -> Parallelism:
    ran = [e for e in events if not e.probe and not e.cached]
    cores, source = machine_cores(info)
    limit = info.parallelism if info is not None else None
    if not ran:
        return Parallelism(cores, source, limit, 0.0, 0, 0.0, [], [0.0] * BUCKETS, [])
    start = min(e.start_ns for e in ran)
    span = max(e.end_ns for e in ran) - start
    steps = concurrency_steps(ran)
    busy = sum(e.wall_ns for e in ran)
    cpu = total_cpu_ns(ran)
    return Parallelism(
        cores=cores, cores_source=source, limit=limit,
        average=busy / span if span else float(len(ran)),
        peak=max((r for _, r in steps), default=0),
        utilisation=None if cpu is None else cpu / (span * cores) if span else 0.0,
        steps=[(t - start, r) for t, r in steps],
        cpu_buckets=[] if cpu is None else cpu_per_bucket(ran, start, span),
        serial=serial_stretches(ran, steps, start, span),
    )
