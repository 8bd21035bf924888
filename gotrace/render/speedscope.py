"""speedscope files (https://www.speedscope.app/file-format-schema.json) of a build.

Profiles, in order: build time folded by package and tool (a sampled profile with the stacks and
weights of `gotrace fold`; the one shown first), memory-time (peak RSS x wall, KiB*s: the weights of
`gotrace fold --weight rss`, which add up as a flame graph needs, where peaks would not) when the
trace knows peak memory, then the timeline, one evented profile per lane: speedscope needs the events of a
profile to nest and close in order, which invocations that overlap in time do not, so each lane
holds invocations that never overlap.
Frames are shared between profiles and written once. A frame is its name, and its name is what
`gotrace.collapse` calls it (the whole import path of a package, `runtime/` for a directory), so
distinct packages and tools are distinct frames in every view, Sandwich included. Times are integer
microseconds from the start of the build.

The file is written piece by piece: a million invocations give four million timeline events, too
many to hold as Python objects.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import IO

import orjson

from gotrace import __version__
from gotrace.analysis.lanes import Spans
from gotrace.analysis.phases import phase_frames
from gotrace.collapse import clean_frame, memory_time, package_label, stack_of
from gotrace.events import Event

SCHEMA = "https://www.speedscope.app/file-format-schema.json"
UNITS = ("none", "nanoseconds", "microseconds", "milliseconds", "seconds", "bytes")
_CHUNK = 4096  # timeline events encoded per write
MEMORY_PROFILE = "Memory-time by package and tool, KiB*s (peak RSS x wall time; peaks do not add up)"

_OPEN_CLOSE = (b'{"type":"O","frame":%d,"at":%d},{"type":"O","frame":%d,"at":%d},'
               b'{"type":"C","frame":%d,"at":%d},{"type":"C","frame":%d,"at":%d}')


class _Frames:
    """Frame names -> index in the file's shared frame list, each name once."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def __call__(self, name: str) -> int:
        found = self.index.get(name)
        if found is None:
            found = self.index[name] = len(self.index)
        return found

    def stack(self, names: Sequence[str]) -> list[int]:
        return [self(n) for n in names]


def fold_spans(spans: Spans) -> tuple[dict[tuple[str, ...], int], dict[tuple[str, ...], int]]:
    """(wall µs, memory-time KiB*s) per stack, exactly as `fold_events(weight="wall")` and
    `fold_events(weight="rss")` give them for the same invocations (compile phases included)."""
    count = len(spans.kinds)
    wall_us = [0] * count
    rss: list[int | None] = [None] * count
    phase_us: dict[tuple[int, str], int] = {}
    with_phases: set[int] = set()
    for row, (k, wall, peak) in enumerate(zip(spans.kind, spans.wall_ns, spans.max_rss_kib)):
        value = wall // 1000
        if row in spans.phases:
            build, pkg, tool = spans.kinds[k]
            event = Event(build=build, tool=tool, pkg=pkg, start_ns=0, wall_ns=wall, phases=spans.phases[row])
            for name, weight in phase_frames(event, unit_ns=1000):
                phase_us[(k, name)] = phase_us.get((k, name), 0) + weight
                value -= weight
                with_phases.add(k)
        wall_us[k] += max(value, 0)
        if peak != Spans.UNKNOWN:
            rss[k] = (rss[k] or 0) + memory_time(peak, wall)
    time_stacks: dict[tuple[str, ...], int] = {}
    rss_stacks: dict[tuple[str, ...], int] = {}
    stacks = []
    for k, value in enumerate(wall_us):
        build, pkg, tool = spans.kinds[k]
        # one stand-in Event per distinct (package, tool): collapse.stack_of stays the one definition
        stack = stack_of(Event(build=build, tool=tool, pkg=pkg, start_ns=0, wall_ns=0))
        stacks.append(stack)
        if value or k not in with_phases:
            time_stacks[stack] = time_stacks.get(stack, 0) + value
        if rss[k] is not None:
            rss_stacks[stack] = rss_stacks.get(stack, 0) + rss[k]
    for (k, name), value in sorted(phase_us.items()):
        child = stacks[k] + (clean_frame(name),)
        time_stacks[child] = time_stacks.get(child, 0) + value
    return time_stacks, rss_stacks


def _sampled(name: str, unit: str, stacks: Mapping[tuple[str, ...], int | float], frames: _Frames) -> dict:
    keys = sorted(stacks)
    weights = [stacks[k] for k in keys]
    return {"type": "sampled", "name": name, "unit": unit, "startValue": 0, "endValue": sum(weights),
            "samples": [frames.stack(k) for k in keys], "weights": weights}


def _write_file(out: IO[bytes], name: str, active: int, frames: _Frames, profiles: list,
                timeline: list | None = None) -> None:
    """`profiles` are dicts; `timeline` (evented, written last) are (profile header, chunks)."""
    head = {"$schema": SCHEMA, "exporter": f"gotrace@{__version__}", "name": name,
            "activeProfileIndex": active,
            "shared": {"frames": [{"name": n} for n in frames.index]}}
    out.write(orjson.dumps(head)[:-1] + b',"profiles":[')
    out.write(b",".join(orjson.dumps(p) for p in profiles))
    for header, chunks in timeline or ():
        out.write(b"," + orjson.dumps(header)[:-1] + b',"events":[')
        first = True
        for chunk in chunks:
            if chunk:
                out.write(chunk if first else b"," + chunk)
                first = False
        out.write(b"]}")
    out.write(b"]}\n")


def _lane_chunks(spans: Spans, rows: Sequence[int], t0: int, pkg_frame: list[int],
                 tool_frame: list[int]):
    starts, walls, kind, form = spans.start_ns, spans.wall_ns, spans.kind, _OPEN_CLOSE
    for i in range(0, len(rows), _CHUNK):
        chunk = rows[i:i + _CHUNK]
        opens = [(starts[r] - t0) // 1000 for r in chunk]
        closes = [(starts[r] + walls[r] - t0) // 1000 for r in chunk]
        frames = [(pkg_frame[kind[r]], tool_frame[kind[r]]) for r in chunk]
        yield b",".join([form % (p, at, t, at, t, end, p, end)
                         for (p, t), at, end in zip(frames, opens, closes)])


def render_speedscope(out: IO[bytes], spans: Spans, *, name: str) -> None:
    """A speedscope file of the invocations in `spans` (one build or several)."""
    frames = _Frames()
    time_stacks, rss_stacks = fold_spans(spans)
    profiles = [_sampled("Wall time by package and tool (what `gotrace fold` shows)", "microseconds",
                         time_stacks, frames)]
    if rss_stacks:  # an imported trace (go -debug-actiongraph) does not know peak memory
        # speedscope has no unit for memory x time: "none", and the name says what the numbers are
        profiles.append(_sampled(MEMORY_PROFILE, "none", rss_stacks, frames))
    # the timeline's frames are the fold's package and tool frames: one name, one frame
    pkg_frame = [frames(package_label(pkg)) for _, pkg, _ in spans.kinds]
    tool_frame = [frames(tool) for _, _, tool in spans.kinds]
    builds = spans.builds()
    timeline = []
    for build in builds:
        rows = spans.rows_of(build)
        lanes = spans.lanes(rows)
        starts, walls = spans.start_ns, spans.wall_ns
        t0 = min(starts[i] for i in rows)
        end = (max(starts[i] + walls[i] for i in rows) - t0) // 1000
        by_lane: list[list[int]] = [[] for _ in range(max(lanes) + 1)]
        for row, lane in zip(rows, lanes):
            by_lane[lane].append(row)
        for lane, lane_rows in enumerate(by_lane):
            lane_rows.sort(key=starts.__getitem__)
            title = f"Timeline lane {lane + 1} of {len(by_lane)}"
            if len(builds) > 1:
                title += f" (build {build})"
            header = {"type": "evented", "name": title, "unit": "microseconds", "startValue": 0,
                      "endValue": end}
            timeline.append((header, _lane_chunks(spans, lane_rows, t0, pkg_frame, tool_frame)))
    _write_file(out, name, 0, frames, profiles, timeline)


def render_folded_speedscope(out: IO[bytes], stacks: Mapping[tuple[str, ...], int | float], *, name: str,
                             unit: str = "none") -> None:
    """A speedscope file with one sampled profile of folded stacks (any folded file)."""
    frames = _Frames()
    profile = _sampled(name, unit, stacks, frames)
    _write_file(out, name, 0, frames, [profile])
