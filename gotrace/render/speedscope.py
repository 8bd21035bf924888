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

Profiled (cProfile, then CPU time of each step with the CLI's GC off, on the 1,000,000-record trace
of benchmarks/real_trace.py: 925,465 invocations, 546,586 distinct (build, package, tool), 1.1 M
distinct frames; a busy 2-core machine): on top of reading the columns, the renderer took 17.8 s
CPU: a Python call per frame use (`_Frames.__call__`, 6.8 M calls, the largest cost), a stand-in
Event and `stack_of` per (build, package, tool), two sorts of the 546 k stack tuples, a weights list
by dict lookup per stack, and a Python loop per invocation to sort the lanes and per event to encode
them. Now: the folds are `collapse.fold_columns` (sums in numpy, a stack per package and its tools,
directory frames made once and shared); one sort of the distinct stacks, fed in trace order (long
sorted runs: 0.3 s, where the same tuples in hash order took 3 s); one sample list per stack for
both profiles; frame indices given a block of names at a time (dict.fromkeys in C, then a step per
new name only); lanes put in start order by two stable numpy sorts; each chunk of events encoded by
one C-level map of %-formatting over zipped columns. Renderer 17.8 s -> 13 s CPU; the command
(benchmarks/bench_scale.py) 53.7 s wall, 5.97x the decode floor, 36.6 s CPU (5.69x), 873 MiB ->
23.7 s, 3.69x, 26.9 s CPU (4.19x), 718 MiB. What is left: reading the columns (two processes,
about 2.5x the floor's CPU), `kind_stacks` (a Python step per distinct package, ~2.5 s), lanes_of
(~2 s), the samples and the events' encoding (~1.5 s each). Tried and dropped: a string sort of the
NUL-joined stacks (slower than the tuple sort on input in trace order), a dict of frames rebuilt per
block (slower than updating it), and folding in the two reading processes (the helper's folds
pickled back cost more than the parent saved: 28 s CPU against 24.5 s).
Then the child that assigns the lanes also names the timeline's packages and tools
(`_timeline_parts`: package_label per package, each kind's name as an index), beside the folds:
the parent's step between the folds and the writing went from 2.1 to 1.1 s, the command at 1M from
19.6-23 s to 17.8 s (bench_scale, medians of two).
2026-12-02 (14:10): the timeline's events (four million, 158 MB of JSON at 1M) are encoded by a
second forked child, once the frames are numbered, into a file in memory (memfd) while this process
writes the frames and the folds (each ~0.55 s); the kernel then copies it onto the output
(sendfile, 0.07 s). Half of that encoding was tried before with its bytes sent back pickled: no
faster, and 941 MiB at peak; this way peak RSS stays 722 MiB. With fold_columns' unfiltered path:
7.22 s against 8.10 s (farm-bench, 4 pairs, same bytes).
Then the lanes' rows put in order (two stable sorts per build) by the child that assigns the lanes:
0.97x. Tried and dropped: the samples made beside the encoder child, once every frame is numbered
(1.02x slower: this process then made 546,000 lists in pages it shared with that child, each page
copied before it was written).
Then (17:30) the frames are written from the list of their names encoded at once (`_write_frames`),
not from a dict per frame (1.1 M dicts, ~200 MB), and nothing big is sliced or joined; the child
sends the package labels as the kinds where each first appears, so that the frame lookups meet this
process's own strings (0.38 -> 0.23 s): peak RSS 602 against 703 MiB, wall within the noise
(farm-bench: 0.985x and 1.02x in two runs), the same bytes.
"""
from __future__ import annotations

import contextlib
import io
import os
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import chain
from operator import itemgetter
from typing import IO

import numpy as np
import orjson

from gotrace import __version__
from gotrace.analysis.lanes import Spans
from gotrace.collapse import ColumnFold, fold_columns, package_label
from gotrace.forked import Forked, can_fork, file_in_memory
from gotrace.names import add_names, indexes, name_column

SCHEMA = "https://www.speedscope.app/file-format-schema.json"
UNITS = ("none", "nanoseconds", "microseconds", "milliseconds", "seconds", "bytes")
_CHUNK = 1 << 14  # invocations (four timeline events each) encoded per write
LANES_APART = 50_000  # invocations from which the lanes are assigned by a forked child
EVENTS_APART = 50_000  # invocations from which the timeline's events are encoded by a forked child
MEMORY_PROFILE = "Memory-time by package and tool, KiB*s (peak RSS x wall time; peaks do not add up)"

_OPEN_CLOSE = (b'{"type":"O","frame":%d,"at":%d},{"type":"O","frame":%d,"at":%d},'
               b'{"type":"C","frame":%d,"at":%d},{"type":"C","frame":%d,"at":%d}')


class _Frames:
    """Frame names -> index in the file's shared frame list, each name once, in order of first use."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def add(self, names: Iterable[str]) -> None:
        """Give the names not seen yet the next indices (gotrace.names: a million-record trace has
        millions of frame uses)."""
        add_names(self.index, dict.fromkeys(names))

    def stacks(self, stacks: Sequence[Sequence[str]]) -> list[list[int]]:
        self.add(chain.from_iterable(stacks))
        find = self.index.__getitem__
        return [list(map(find, stack)) for stack in stacks]

    def of(self, names: Sequence[str]) -> np.ndarray:
        self.add(names)
        return indexes(self.index, names)


def _column(values: array, dtype) -> np.ndarray:
    return np.frombuffer(values, dtype) if len(values) else np.zeros(0, dtype)


def fold_spans(spans: Spans) -> tuple[dict[tuple[str, ...], int], dict[tuple[str, ...], int]]:
    """(wall µs, memory-time KiB*s) per stack, exactly as `fold_events(weight="wall")` and
    `fold_events(weight="rss")` give them for the same invocations."""
    time_stacks, rss_stacks = fold_columns(spans, ("wall", "rss")).as_dicts()
    return time_stacks, rss_stacks


def _sampled(name: str, unit: str, stacks: Mapping[tuple[str, ...], int | float], frames: _Frames) -> dict:
    keys = sorted(stacks)
    weights = [stacks[k] for k in keys]
    return {"type": "sampled", "name": name, "unit": unit, "startValue": 0, "endValue": sum(weights),
            "samples": frames.stacks(keys), "weights": weights}


def _sampled_profiles(folded: ColumnFold, frames: _Frames) -> list[dict]:
    """The time profile, and the memory profile when the trace knows peak memory: `_sampled` of each
    fold, with one sort of the stacks and one sample (list of frame indices) per stack for both."""
    stacks = folded.stacks
    # the stacks in trace order hold long sorted runs: a sort of them is many times quicker
    order = sorted(range(len(stacks)), key=stacks.__getitem__)
    profiles = []
    time, rss = folded.weights
    for name, unit, weights in (("Wall time by package and tool (what `gotrace fold` shows)", "microseconds",
                                 time), (MEMORY_PROFILE, "none", rss)):
        kept = [i for i in order if weights[i] is not None]
        if not kept and profiles:  # an imported trace (go -debug-actiongraph) does not know peak memory
            continue
        # the memory profile's stacks are the time profile's but where a compile's phases took it all
        new = [i for i in kept if time[i] is None] if profiles else kept
        frames.add(chain.from_iterable(map(stacks.__getitem__, new)))
        kept_weights = list(map(weights.__getitem__, kept))
        profiles.append({"type": "sampled", "name": name, "unit": unit, "startValue": 0,
                         "endValue": sum(kept_weights), "samples": kept, "weights": kept_weights})
    find = frames.index.__getitem__
    samples = [list(map(find, stack)) for stack in stacks]
    for profile in profiles:
        profile["samples"] = list(map(samples.__getitem__, profile["samples"]))
    return profiles


def _write_file(out: IO[bytes], name: str, active: int, frames: _Frames, profiles: list,
                timeline: list | None = None, apart: bool = False) -> None:
    """`profiles` are dicts; `timeline` (evented, written last) are (profile header, chunks). A big
    timeline's events are encoded by a forked child into a file in memory while this process
    writes the frames and the folds (1M records: ~0.55 s each)."""
    timeline = timeline or []
    held = file_in_memory("gotrace-speedscope-timeline") if apart and timeline and can_fork() else None
    if held is None:
        _write_head(out, name, active, frames, profiles)
        _write_timeline(out, timeline)
    else:
        try:
            with Forked(lambda: _timeline_into(held, timeline)) as encoder:
                _write_head(out, name, active, frames, profiles)
            encoder.result()
            _copy_into(out, held)
        finally:
            os.close(held)
    out.write(b"]}\n")


def _write_head(out: IO[bytes], name: str, active: int, frames: _Frames, profiles: list) -> None:
    """The file up to its timeline: its head, the shared frames and the sampled `profiles`, each
    part written as orjson makes it (a big trace's frames and samples are tens of MB: joined, or
    sliced, each was copied again, and a dict per frame took ~200 MB)."""
    head = {"$schema": SCHEMA, "exporter": f"gotrace@{__version__}", "name": name,
            "activeProfileIndex": active}
    out.write(memoryview(orjson.dumps(head))[:-1])
    out.write(b',"shared":{"frames":')
    _write_frames(out, list(frames.index))
    out.write(b'},"profiles":[')
    for k, profile in enumerate(profiles):
        if k:
            out.write(b",")
        out.write(orjson.dumps(profile))


def _write_frames(out: IO[bytes], names: list[str]) -> None:
    """orjson.dumps([{"name": n} for n in names]) onto `out`, from the list of names encoded at
    once: where no name holds a quote, '","' is found only between two names, so each becomes
    '"},{"name":"'."""
    listed = orjson.dumps(names)
    if not names or listed.count(b'"') != 2 * len(names):  # a quote in a name: one dict per frame
        out.write(orjson.dumps([{"name": n} for n in names]))
        return
    out.write(b'[{"name":')
    out.write(memoryview(listed.replace(b'","', b'"},{"name":"'))[1:-1])
    out.write(b"}]")


def _write_timeline(out: IO[bytes], timeline: list) -> None:
    for header, chunks in timeline:
        out.write(b"," + orjson.dumps(header)[:-1] + b',"events":[')
        first = True
        for chunk in chunks:
            if chunk:
                out.write(chunk if first else b"," + chunk)
                first = False
        out.write(b"]}")


def _timeline_into(held: int, timeline: list) -> None:
    """`_write_timeline` into the file in memory `held`, from its start (written again here when a
    child died before it answered)."""
    os.ftruncate(held, 0)
    with os.fdopen(held, "wb", buffering=1 << 20, closefd=False) as sink:
        sink.seek(0)
        _write_timeline(sink, timeline)


def _copy_into(out: IO[bytes], held: int) -> None:
    """What the file in memory `held` holds, onto `out`: by the kernel where it can (sendfile), else
    a MiB at a time."""
    out.flush()
    size, at = os.fstat(held).st_size, 0
    with contextlib.suppress(AttributeError, OSError, io.UnsupportedOperation):  # (no file: BytesIO)
        target = out.fileno()
        while at < size and (sent := os.sendfile(target, held, at, size - at)):
            at += sent
    while piece := os.pread(held, 1 << 20, at):
        out.write(piece)
        at += len(piece)


def _lane_chunks(rows: np.ndarray, starts: np.ndarray, ends: np.ndarray, t0: int, kind: np.ndarray,
                 pkg_frame: np.ndarray, tool_frame: np.ndarray) -> Iterator[bytes]:
    """The open and close events of a lane's rows (in start order), encoded a chunk at a time."""
    form = _OPEN_CLOSE
    for i in range(0, len(rows), _CHUNK):
        chunk = rows[i:i + _CHUNK]
        opens = ((starts[chunk] - t0) // 1000).tolist()
        closes = ((ends[chunk] - t0) // 1000).tolist()
        kinds = kind[chunk]
        p, t = pkg_frame[kinds].tolist(), tool_frame[kinds].tolist()
        yield b",".join(map(form.__mod__, zip(p, opens, t, opens, t, closes, p, closes)))


def _timeline_parts(spans: Spans, builds: Sequence[str]) -> tuple[list[tuple[np.ndarray, list[int]]], tuple, tuple]:
    """What the timeline needs beside the folds: each build's rows lane by lane, each lane's in
    start order (ties in trace order), with where each lane begins among them; the package names
    (`package_label`) and tool names, each as (the distinct names in order of first use, each
    kind's among them)."""
    starts = _column(spans.start_ns, np.int64)
    lanes = []
    for build in builds:
        rows = spans.rows_of(build)
        of_row = np.array(spans.lanes(rows), np.int64)
        rows = np.arange(len(spans)) if isinstance(rows, range) else np.array(rows, np.int64)
        at = np.argsort(starts[rows], kind="stable")  # by start, then (stable) by lane
        at = at[np.argsort(of_row[at], kind="stable")]
        lanes.append((rows[at], np.searchsorted(of_row[at], np.arange(int(of_row.max()) + 2)).tolist()))
    packages = list(map(itemgetter(1), spans.kinds))
    label = {pkg: package_label(pkg) for pkg in dict.fromkeys(packages)}
    labels, label_of_kind = name_column(list(map(label.__getitem__, packages)))
    # a label is its package's name but for test variants and tool-named packages: the others are
    # named by the kind where each first appears, so that the parent's frame lookups find its own
    # strings (the fold's frames), not copies pickled back (at 1M records 0.38 -> 0.23 s). Labels
    # are numbered in order of first use: a kind is a label's first when its number passes every
    # number before it.
    first_kind = np.flatnonzero(label_of_kind > np.maximum.accumulate(np.r_[-1, label_of_kind[:-1]]))
    odd = {k: name for k, (name, first) in enumerate(zip(labels, map(packages.__getitem__, first_kind.tolist())))
           if name is not first}
    tools = list(map(itemgetter(2), spans.kinds))
    return lanes, (first_kind, odd, label_of_kind), name_column(tools)


def render_speedscope(out: IO[bytes], spans: Spans, *, name: str) -> None:
    """A speedscope file of the invocations in `spans` (one build or several)."""
    frames = _Frames()
    builds = spans.builds()
    # a big trace's lanes (a heap per row, then its rows lane by lane) and the timeline's package
    # names are made by a forked child meanwhile
    # speedscope has no unit for memory x time: "none", and the profile's name says what the numbers are
    with Forked(lambda: _timeline_parts(spans, builds), fork=len(spans) >= LANES_APART) as parts:
        profiles = _sampled_profiles(fold_columns(spans, ("wall", "rss")), frames)
    lanes_of_builds, (first_kind, odd, label_of_kind), (tools, tool_of_kind) = parts.result()
    labels = list(map(itemgetter(1), map(spans.kinds.__getitem__, first_kind.tolist())))
    for k, name in odd.items():
        labels[k] = name
    # the timeline's frames are the fold's package and tool frames: one name, one frame
    pkg_frame = frames.of(labels)[label_of_kind]
    tool_frame = frames.of(tools)[tool_of_kind]
    kind = _column(spans.kind, np.intc)
    starts = _column(spans.start_ns, np.int64)
    ends = starts + _column(spans.wall_ns, np.int64)
    timeline = []
    for build, (by_lane, bounds) in zip(builds, lanes_of_builds):
        t0 = int(starts[by_lane].min())
        end = (int(ends[by_lane].max()) - t0) // 1000
        lane_count = len(bounds) - 1
        for lane in range(lane_count):
            title = f"Timeline lane {lane + 1} of {lane_count}"
            if len(builds) > 1:
                title += f" (build {build})"
            header = {"type": "evented", "name": title, "unit": "microseconds", "startValue": 0,
                      "endValue": end}
            lane_rows = by_lane[bounds[lane]:bounds[lane + 1]]
            timeline.append((header, _lane_chunks(lane_rows, starts, ends, t0, kind, pkg_frame, tool_frame)))
    _write_file(out, name, 0, frames, profiles, timeline, apart=len(spans) >= EVENTS_APART)


def render_folded_speedscope(out: IO[bytes], stacks: Mapping[tuple[str, ...], int | float], *, name: str,
                             unit: str = "none") -> None:
    """A speedscope file with one sampled profile of folded stacks (any folded file)."""
    frames = _Frames()
    profile = _sampled(name, unit, stacks, frames)
    _write_file(out, name, 0, frames, [profile])
