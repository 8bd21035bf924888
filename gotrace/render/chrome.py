"""Chrome Trace Event files (Perfetto, chrome://tracing, speedscope) of a build.

Each build is a process and each lane a thread (invocations of a lane never overlap, so every
viewer draws them side by side instead of guessing a nesting); each invocation is a complete ("X")
event whose args say package, tool, CPU time, peak RSS and exit status; a counter ("C") track says
how many tools ran at once. Times are integer microseconds from the start of the trace's first
invocation (the absolute start is in otherData). Written event by event, not held in memory.

Profiled on the 1,000,000-record trace of benchmarks/bench_scale.py (cProfile on 100,000 first): past
the reading, the largest Python steps were the counter track (two million points put in a list,
sorted and accumulated a step each) and the start-order sort of the slices by a key per row; both are
numpy now (the same stable order, the same bytes): 23.4 s -> 22.0 s CPU and 671 -> 602 MiB for the
command, on a machine at load 7 (wall times meant nothing there). What is left is reading the
columns, lanes_of and the per-slice %-formatting.
"""
from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping, Sequence
from typing import IO

import numpy as np
import orjson

from gotrace import __version__
from gotrace.analysis.lanes import Spans
from gotrace.collapse import package_label

COUNTER = "tools running"
_CHUNK = 4096  # events encoded per write


def _meta(name: str, pid: int, tid: int, args: dict) -> dict:
    return {"name": name, "ph": "M", "pid": pid, "tid": tid, "args": args}


def _optional_args(spans: Spans, row: int) -> dict:
    """The args a slice has beyond package, tool and wall time: those the trace knows."""
    args: dict = {}
    unknown = Spans.UNKNOWN
    for key, column, scale in (("cpu_us", spans.cpu_ns, 1000), ("peak_rss_kib", spans.max_rss_kib, 1),
                               ("exit", spans.exit, 1), ("signal", spans.signal, 1)):
        value = column[row]
        if value != unknown:
            args[key] = value // scale
    if row in spans.errors:
        args["error"] = spans.errors[row]
    return args


def running_counts(starts: Sequence[int], ends: Sequence[int]) -> tuple[array, array]:
    """(times, counts): at each time the number of tools running changes, the number from then on."""
    # a start at t is 2t+1 and an end 2t, so that sorted, an instant's ends come before its starts;
    # numpy, not a Python step per point: a million invocations are two million points
    points = np.concatenate((np.asarray(starts, np.int64) * 2 + 1, np.asarray(ends, np.int64) * 2))
    points.sort()
    running = np.cumsum((points & 1) * 2 - 1)
    instants = points >> 1
    # the count after an instant's last change, kept where it differs from the count before
    last = np.append(instants[1:] != instants[:-1], True) if len(points) else np.zeros(0, bool)
    times, counts = instants[last], running[last]
    changed = counts != np.concatenate(([0], counts[:-1]))
    return _q(times[changed]), _q(counts[changed])


def _q(values: np.ndarray) -> array:
    out = array("q")
    out.frombytes(values.astype(np.int64).tobytes())
    return out


def _build_chunks(spans: Spans, build: str, pid: int, title: str, t0: int) -> Iterator[list[bytes]]:
    """The encoded events of one build, a list at a time: metadata, slices in start order, then
    the counter."""
    dumps = orjson.dumps
    rows = spans.rows_of(build)
    lanes = spans.lanes(rows)
    starts, walls, kind = spans.start_ns, spans.wall_ns, spans.kind
    cpu, rss, status, signal, errors = spans.cpu_ns, spans.max_rss_kib, spans.exit, spans.signal, spans.errors
    meta = [_meta("process_name", pid, 0, {"name": title}), _meta("process_sort_index", pid, 0, {"sort_index": pid})]
    for lane in range(max(lanes) + 1):
        meta.append(_meta("thread_name", pid, lane + 1, {"name": f"lane {lane + 1}"}))
        meta.append(_meta("thread_sort_index", pid, lane + 1, {"sort_index": lane + 1}))
    yield [dumps(m) for m in meta]
    # names are JSON-encoded once per (build, package, tool), not once per slice
    heads, tails = [], []
    for _, pkg, tool in spans.kinds:
        pkg = package_label(pkg)
        heads.append(b'{"name":%s,"cat":%s,"ph":"X","ts":' % (dumps(f"{tool} {pkg}"), dumps(tool)))
        tails.append(b',"args":{"package":%s,"tool":%s,"wall_us":' % (dumps(pkg), dumps(tool)))
    at = np.asarray(rows, np.int64) if not isinstance(rows, range) else np.arange(len(rows))
    start_ns = np.frombuffer(starts, np.int64)[at] if len(rows) else np.zeros(0, np.int64)
    order = np.argsort(start_ns, kind="stable").tolist()  # start order, ties in trace order
    unknown = Spans.UNKNOWN
    # the usual slice: CPU and peak RSS known, no signal, no start error
    usual = b'%s%d,"dur":%d,"pid":' + str(pid).encode() + b',"tid":%d%s%d,"cpu_us":%d,"peak_rss_kib":%d,"exit":%d}}'

    def unusual(row: int, tid: int) -> bytes:
        ts = (starts[row] - t0) // 1000
        head = b'%s%d,"dur":%d,"pid":%d,"tid":%d%s%d' % (heads[kind[row]], ts,
                                                           (starts[row] + walls[row] - t0) // 1000 - ts,
                                                           pid, tid, tails[kind[row]], walls[row] // 1000)
        return head + b"," + dumps(_optional_args(spans, row))[1:] + b"}"

    for i in range(0, len(order), _CHUNK):
        part = order[i:i + _CHUNK]
        rs = [rows[n] for n in part]
        tids = [lanes[n] + 1 for n in part]
        opens = [(starts[r] - t0) // 1000 for r in rs]
        closes = [(starts[r] + walls[r] - t0) // 1000 for r in rs]
        yield [usual % (heads[kind[r]], ts, end - ts, tid, tails[kind[r]], walls[r] // 1000, cpu[r] // 1000,
                        rss[r], status[r])
               if cpu[r] != unknown and rss[r] != unknown and signal[r] == unknown and r not in errors
               else unusual(r, tid)
               for r, tid, ts, end in zip(rs, tids, opens, closes)]
    del order
    times, counts = running_counts((start_ns - t0) // 1000,
                                   (start_ns + np.frombuffer(walls, np.int64)[at] - t0) // 1000)
    counter = b'{"name":"%s","ph":"C","ts":%%d,"pid":%d,"args":{"running":%%d}}' % (COUNTER.encode(), pid)
    for i in range(0, len(times), _CHUNK):
        yield [counter % change for change in zip(times[i:i + _CHUNK], counts[i:i + _CHUNK])]


def render_chrome(out: IO[bytes], spans: Spans, *, name: str, titles: Mapping[str, str] = {}) -> None:
    """A Chrome trace of the invocations in `spans`; `titles` names the processes (builds)."""
    t0 = min(spans.start_ns)
    other = {"exporter": f"gotrace@{__version__}", "name": name, "start_unix_ns": t0}
    out.write(b'{"displayTimeUnit":"ms","otherData":' + orjson.dumps(other) + b',"traceEvents":[\n')
    first = True
    for pid, build in enumerate(spans.builds(), 1):
        for chunk in _build_chunks(spans, build, pid, titles.get(build, f"build {build}"), t0):
            if chunk:
                out.write((b"" if first else b",\n") + b",\n".join(chunk))
                first = False
    out.write(b"\n]}\n")
