"""Lane assignment (gotrace/analysis/lanes.py) and the columns view of the trace reader the exports use."""
from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gotrace.events
from gotrace.analysis import doctor, lanes
from gotrace.analysis.lanes import Spans, assign_lanes, lanes_of, peak_concurrency
from gotrace.analysis.parallelism import parallelism
from gotrace.events import Event, TraceError, TraceReader, events_from_text
from tests.conftest import ROOT

# Small times so that starts, ends and zero-length invocations collide often.
intervals = st.lists(st.tuples(st.integers(0, 60), st.integers(0, 25)), max_size=60)


def _events(pairs) -> list[Event]:
    return [Event(build="b", tool="compile", pkg=f"p{i}", start_ns=s, wall_ns=d)
            for i, (s, d) in enumerate(pairs)]


def _occupied(e: Event) -> tuple[int, int]:
    # an invocation holds [start, end), and at least its first nanosecond
    return e.start_ns, max(e.end_ns, e.start_ns + 1)


def _brute_force_peak(events: list[Event]) -> int:
    spans = [_occupied(e) for e in events]
    return max((sum(1 for s, end in spans if s <= t < end) for t, _ in spans), default=0)


@settings(max_examples=300)
@given(intervals)
def test_no_lane_holds_overlapping_invocations(pairs):
    events = _events(pairs)
    lanes = assign_lanes(events)
    by_lane: dict[int, list[tuple[int, int]]] = {}
    for event, lane in zip(events, lanes):
        by_lane.setdefault(lane, []).append(_occupied(event))
    for held in by_lane.values():
        held.sort()
        for (_, end), (next_start, _) in zip(held, held[1:]):
            assert end <= next_start


@settings(max_examples=300)
@given(intervals)
def test_every_invocation_is_in_exactly_one_lane_numbered_from_zero(pairs):
    events = _events(pairs)
    lanes = assign_lanes(events)
    assert len(lanes) == len(events)
    assert all(type(lane) is int for lane in lanes)
    assert sorted(set(lanes)) == list(range(len(set(lanes))))


@settings(max_examples=300)
@given(intervals)
def test_lane_count_equals_peak_overlap(pairs):
    events = _events(pairs)
    lanes = assign_lanes(events)
    peak = _brute_force_peak(events)
    assert len(set(lanes)) == peak
    assert peak_concurrency(events) == peak


@given(intervals)
def test_lanes_of_columns_match_assign_lanes_of_events(pairs):
    events = _events(pairs)
    assert lanes_of([e.start_ns for e in events], [e.end_ns for e in events]) == assign_lanes(events)


def test_back_to_back_invocations_share_a_lane():
    events = _events([(0, 10), (10, 5), (15, 0), (16, 3)])
    assert assign_lanes(events) == [0, 0, 0, 0]
    assert peak_concurrency(events) == 1


def test_zero_length_invocations_at_one_instant_run_at_once():
    events = _events([(7, 0), (7, 0), (7, 0)])
    assert sorted(assign_lanes(events)) == [0, 1, 2]
    assert peak_concurrency(events) == 3


def test_lanes_summary_and_doctor_count_zero_length_tools_at_one_instant_alike():
    # they disagreed: the lanes' sweep said 2, the summary's 0
    events = _events([(7, 0), (7, 0)])
    assert len(set(assign_lanes(events))) == peak_concurrency(events) == parallelism(events).peak == 2
    assert doctor._peak_running(events) == 2
    assert parallelism(events).steps == [(0, 2), (1, 0)]


@settings(max_examples=200)
@given(intervals)
def test_the_summary_peak_is_the_number_of_lanes(pairs):
    events = _events(pairs)
    assert parallelism(events).peak == len(set(assign_lanes(events))) == _brute_force_peak(events)


_S = 1_000_000_000


def _tool(pkg: str, start_s: float, wall_s: float) -> Event:
    return Event(build="b", tool="compile", pkg=pkg, start_ns=int(start_s * _S), wall_ns=int(wall_s * _S))


def test_doctor_warns_about_the_serial_stretch_summary_lists():
    events = [_tool("example.com/big", 0, 10), _tool("example.com/x", 10, 1), _tool("example.com/y", 10, 1)]
    (stretch,) = parallelism(events).serial
    assert (stretch.alone, stretch.wall_ns, stretch.alone_ns) == ("compile example.com/big", 10 * _S, 10 * _S)
    (finding,) = doctor.check_serial(events, "b")
    assert finding.evidence == ("compile example.com/big ran alone for 10.0 s of the build's 11.0 s (91%)",)


def test_a_zero_length_tool_beside_a_long_one_hides_no_serial_stretch():
    # doctor's own sweep let a zero-length tool at the start count as running for ever
    events = [_tool("example.com/gen", 0, 0), _tool("example.com/big", 0, 10), _tool("example.com/x", 10, 1),
              _tool("example.com/y", 10, 1)]
    (stretch,) = parallelism(events).serial
    assert stretch.alone == "compile example.com/big"
    (finding,) = doctor.check_serial(events, "b")
    assert finding.evidence[0].startswith("compile example.com/big ran alone for 10.0 s")


def test_no_invocations_need_no_lanes():
    assert assign_lanes([]) == []
    assert peak_concurrency([]) == 0


# --- the columns view of the reader must keep and skip exactly what the events view does ---------

_TRACE = b"""\
{"v":1,"kind":"build","build":"b1","argv":["go","build","./..."],"cwd":"/src/app","cores":2}
{"v":1,"build":"b1","tool":"compile","pkg":"","probe":true,"start_ns":1,"wall_ns":5}
{"v":1,"build":"b1","tool":"compile","pkg":"a","start_ns":10,"wall_ns":5000,"user_ns":3000,"max_rss_kib":100}

{"v":1,"build":"b1","tool":"compile","pkg":"b","start_ns":12,"wall_ns":7000,"sys_ns":9,"exit":2,"deps":["a"]}
{"v":1,"build":"b1","tool":"link","pkg":"c","start_ns":20,"wall_ns":1,"signal":9,"exit":137,"error":null}
{"v":1,"build":"b1","tool":"asm","pkg":"d","start_ns":30,"wall_ns":1,"error":"exec: not found","exit":null}
{"v":1,"build":"b2","tool":"compile","pkg":"a","start_ns":99,"wall_ns":2,"phases":{"fe":1,"total":2}}
{"v":1,"build":"b2","tool":"compile","pkg":"a","start_ns":99,"wall_ns":0,"cached":true,"source":"actiongraph"}
{"v":1,"build":"b1","tool":"compile","pkg":"e","start_ns":1,"wall_ns":1,"argv":[1,2]}
{"v":1,"build":"b1","tool":"compile","pkg":"bad-exit","start_ns":1,"wall_ns":1,"exit":"1"}
{"v":1,"build":"b1","tool":"compile","pkg":"bad-rss","start_ns":1,"wall_ns":1,"max_rss_kib":1.5}
{"v":1,"build":"b1","tool":"compile","pkg":"bad-probe","start_ns":1,"wall_ns":1,"probe":1}
{"v":1,"build":"b1","tool":"compile","pkg":"bad-error","start_ns":1,"wall_ns":1,"error":["x"]}
{"v":1,"build":3,"tool":"compile","pkg":"bad-build","start_ns":1,"wall_ns":1}
{"v":1,"build":"b1","tool":"compile","pkg":"bool-as-int","start_ns":true,"wall_ns":1}
{"v":1,"build":"b1","tool":"compile","pkg":"negative","start_ns":1,"wall_ns":-1}
{"v":1,"build":"b1","tool":"compile","start_ns":1,"wall_ns":1}
{"v":1,"build":"b1","tool":"compile","pkg":null,"start_ns":1,"wall_ns":1}
{"v":0,"build":"b1","tool":"compile","pkg":"old","start_ns":1,"wall_ns":1}
{"v":1,"kind":"build","build":5}
[1,2,3]
{"v":1,"build":"b1","tool":"compile","pkg":"trunc
"""


def _columns_from_events(events: list[Event]) -> list[tuple]:
    u = Spans.UNKNOWN
    return [(e.build, e.pkg, e.tool, e.start_ns, e.wall_ns, u if e.cpu_ns is None else e.cpu_ns,
             u if e.max_rss_kib is None else e.max_rss_kib, u if e.exit is None else e.exit,
             u if e.signal is None else e.signal, e.error) for e in events if not e.cached]


def _columns_from_spans(spans: Spans) -> list[tuple]:
    return [(*spans.kinds[spans.kind[i]], spans.start_ns[i], spans.wall_ns[i], spans.cpu_ns[i],
             spans.max_rss_kib[i], spans.exit[i], spans.signal[i], spans.errors.get(i))
            for i in range(len(spans))]


def _both(data: bytes, build: str | None = None):
    trace_reader = TraceReader(io.BytesIO(data))
    events = [e for e in trace_reader if build is None or e.build == build]
    span_reader = TraceReader(io.BytesIO(data))
    return events, trace_reader, span_reader.columns(build), span_reader


def test_columns_keep_and_skip_the_records_events_do():
    events, trace_reader, spans, span_reader = _both(_TRACE)
    assert _columns_from_spans(spans) == _columns_from_events(events)
    assert (span_reader.skipped, span_reader.first_bad_line, span_reader.probes, span_reader.lines) == \
        (trace_reader.skipped, trace_reader.first_bad_line, trace_reader.probes, trace_reader.lines)
    assert span_reader.builds == trace_reader.builds
    assert span_reader.cached == 1


def test_a_malformed_field_the_exports_do_not_use_still_costs_the_record_in_both_views():
    # a record is valid or not whatever a command then reads of it: every command counts the same
    data = (b'{"v":1,"build":"b","tool":"compile","pkg":"a","start_ns":1,"wall_ns":1,"deps":["a",3]}\n'
            b'{"v":1,"build":"b","tool":"compile","pkg":"a","start_ns":1,"wall_ns":1,"argv":"oops"}\n')
    columns, events = TraceReader(io.BytesIO(data)), TraceReader(io.BytesIO(data))
    assert len(columns.columns()) == 0 and columns.skipped == 2
    assert list(events) == [] and events.skipped == 2


def test_columns_of_one_build():
    events, _, spans, reader = _both(_TRACE, build="b2")
    assert _columns_from_spans(spans) == _columns_from_events(events)
    assert list(reader.seen_builds) == ["b1", "b2"]


def test_columns_refuse_a_newer_trace_format_like_events():
    data = b'{"v":2,"build":"b","tool":"compile","pkg":"a","start_ns":1,"wall_ns":1}\n'
    with pytest.raises(TraceError, match="version 2.*upgrade gotrace"):
        TraceReader(io.BytesIO(data)).columns()


def test_columns_match_events_on_a_real_build(multi_build):
    data = multi_build.trace.read_bytes()
    events, trace_reader, spans, span_reader = _both(data)
    assert len(spans) > 20
    assert _columns_from_spans(spans) == _columns_from_events(events)
    assert span_reader.probes == trace_reader.probes > 0
    assert spans.lanes(range(len(spans))) == assign_lanes(events)


def test_spans_lanes_of_one_build_match_assign_lanes_of_its_events():
    text = "\n".join(
        f'{{"v":1,"build":"b{i % 2}","tool":"compile","pkg":"p{i}","start_ns":{i * 3},"wall_ns":{10 + i}}}'
        for i in range(12))
    spans = TraceReader(io.BytesIO(text.encode())).columns()
    for build in ("b0", "b1"):
        rows = spans.rows_of(build)
        events = [e for e in events_from_text(text) if e.build == build]
        assert [spans.kinds[spans.kind[r]][1] for r in rows] == [e.pkg for e in events]
        assert spans.lanes(rows) == assign_lanes(events)


def _synthetic(tmp_path, records: int):
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from synth_trace import write_synthetic_trace

    path = tmp_path / "synth.jsonl"
    write_synthetic_trace(str(path), records, builds=2, workers=4, packages=50, failures=0.05)
    return path


def _read(path, monkeypatch, parallel: bool, build=None):
    monkeypatch.setattr(gotrace.events, "PARALLEL_BYTES", 0 if parallel else 1 << 60)
    return lanes.load_spans(str(path), build)


@pytest.mark.parametrize("build", [None, "synth-2"])
def test_a_large_trace_read_by_two_processes_gives_what_one_reads(tmp_path, monkeypatch, build):
    path = _synthetic(tmp_path, 3000)
    data = path.read_bytes().splitlines(keepends=True)
    # corrupt lines in both halves, and a record that could not start a tool
    data.insert(10, b"{truncated\n")
    data.insert(2500, b'{"v":1,"build":"synth-2","tool":"asm","pkg":"x","start_ns":5,"wall_ns":1,"error":"boom"}\n')
    data.insert(2600, b"not json\n")
    path.write_bytes(b"".join(data))
    one, one_reader = _read(path, monkeypatch, parallel=False, build=build)
    two, two_reader = _read(path, monkeypatch, parallel=True, build=build)
    assert _columns_from_spans(two) == _columns_from_spans(one)
    assert len(one) > 1000 and "boom" in one.errors.values()
    for attribute in ("lines", "skipped", "first_bad_line", "probes", "cached", "builds"):
        assert getattr(two_reader, attribute) == getattr(one_reader, attribute), attribute
    assert list(two_reader.seen_builds) == list(one_reader.seen_builds) == ["synth-1", "synth-2"]


def test_a_newer_format_line_in_the_second_half_is_reported_at_its_line(tmp_path, monkeypatch):
    path = _synthetic(tmp_path, 2000)
    data = path.read_bytes().splitlines(keepends=True)
    data.insert(1800, b'{"v":9,"build":"b","tool":"compile","pkg":"a","start_ns":1,"wall_ns":1}\n')
    path.write_bytes(b"".join(data))
    with pytest.raises(TraceError, match="line 1801 is trace format version 9"):
        _read(path, monkeypatch, parallel=True)
