"""The trace reader: streams records, skips and counts what it cannot read, refuses future versions."""
from __future__ import annotations

import io
import os

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gotrace.events import (
    BUILD_RECORD,
    BUILD_RULES,
    EVENT_RECORD,
    EVENT_RULES,
    FORMAT_VERSION,
    BuildInfo,
    Event,
    EventList,
    TraceError,
    TraceReader,
    event_from_dict,
    looks_like_trace,
    open_trace,
    problem,
    read_events,
    record_line,
    write_events,
)
from tests.conftest import ROOT, run_gotrace, two_builds_with_damaged_lines


def record(**fields) -> bytes:
    base = {"v": 1, "build": "b1", "tool": "compile", "pkg": "example.com/m/a", "start_ns": 1_000,
            "wall_ns": 2_000, "user_ns": 1_500, "sys_ns": 100, "max_rss_kib": 4096, "exit": 0}
    base.update(fields)
    return orjson.dumps({k: v for k, v in base.items() if v is not None}) + b"\n"


def read(data: bytes, **options) -> tuple[list[Event], TraceReader]:
    reader = TraceReader(io.BytesIO(data), **options)
    return list(reader), reader


def test_records_become_events_with_every_field():
    events, reader = read(record(deps=["fmt", "os"], go_files=3, phases={"fe:parse": 10}))
    assert reader.skipped == 0
    (e,) = events
    assert (e.build, e.tool, e.pkg, e.start_ns, e.wall_ns) == ("b1", "compile", "example.com/m/a", 1000, 2000)
    assert e.cpu_ns == 1600 and e.end_ns == 3000
    assert e.deps == ("fmt", "os") and e.go_files == 3 and e.phases == {"fe:parse": 10}


def test_truncated_last_line_is_skipped_and_counted():
    data = record() + record(pkg="b") + record(pkg="c")[:40]
    events, reader = read(data)
    assert [e.pkg for e in events] == ["example.com/m/a", "b"]
    assert reader.skipped == 1 and reader.first_bad_line == 3


def test_garbage_and_wrong_types_are_skipped_and_counted():
    data = (b"not json at all\n" + record() + b"[1, 2]\n" + record(wall_ns="12") + record(deps="fmt")
            + record(exit=1.5) + b"\x00\xff\xfe\n" + record(pkg="ok2"))
    events, reader = read(data)
    assert [e.pkg for e in events] == ["example.com/m/a", "ok2"]
    assert reader.skipped == 6


def test_missing_required_field_is_skipped():
    data = record(tool=None) + record()
    events, reader = read(data)
    assert len(events) == 1 and reader.skipped == 1


def test_unknown_future_version_is_refused_with_advice():
    with pytest.raises(TraceError, match="version 2.*upgrade gotrace"):
        read(record(v=FORMAT_VERSION + 1))


def test_empty_file_reads_as_no_events():
    events, reader = read(b"")
    assert events == [] and reader.skipped == 0


def test_version_probes_are_hidden_unless_asked_for():
    data = record(probe=True, pkg="") + record()
    assert len(read(data)[0]) == 1
    assert len(read(data, include_probes=True)[0]) == 2


def test_argv_is_dropped_unless_kept():
    data = record(argv=["compile", "-o", "x.a"])
    assert read(data)[0][0].argv is None
    assert read(data, keep_argv=True)[0][0].argv == ("compile", "-o", "x.a")


def test_build_records_are_collected_not_returned_as_events():
    info = BuildInfo(build="b1", argv=("go", "build", "./..."), cores=2, cold=True, wall_ns=5)
    data = record() + orjson.dumps(info.to_dict()) + b"\n"
    events, reader = read(data)
    assert len(events) == 1
    assert reader.builds["b1"] == info and reader.builds["b1"].command == "go build ./..."


def test_write_then_read_is_the_identity():
    original = [event_from_dict(orjson.loads(record(pkg=f"p{i}", deps=["fmt"], cached=True, queue_ns=7)))
                for i in range(3)]
    out = io.BytesIO()
    assert write_events(original, out) == 3
    again, reader = read(out.getvalue())
    assert again == original and reader.skipped == 0


def test_missing_trace_file_is_a_clear_error(tmp_path):
    with pytest.raises(TraceError, match="cannot read trace .*missing.jsonl"):
        open_trace(str(tmp_path / "missing.jsonl"))


@pytest.mark.parametrize("content, message", [
    (b"", b"no trace records"),
    (record(probe=True, pkg=""), b"only version probes"),
    (record(v=9), b"upgrade gotrace"),
])
def test_commands_reject_unusable_traces_in_one_line(tmp_path, content, message):
    trace = tmp_path / "t.jsonl"
    trace.write_bytes(content)
    result = run_gotrace(["fold", str(trace)])
    assert result.returncode != 0
    assert message in result.stderr
    assert b"Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


# --- valid ranges: one rule per field, enforced by the one reader (and the writers) ---------------

_NUMBERS = sorted(name for name, rule in EVENT_RULES.items() if rule.kind is int)


def _read_one(**fields) -> tuple[list[Event], TraceReader]:
    return read(record(**fields), include_probes=True)


@pytest.mark.parametrize("name", _NUMBERS)
def test_every_number_is_read_at_both_ends_of_its_range(name):
    rule = EVENT_RULES[name]
    for value in (rule.low, rule.high):
        events, reader = _read_one(**{name: value})
        assert reader.skipped == 0 and getattr(events[0], name) == value


@pytest.mark.parametrize("name", _NUMBERS)
def test_every_number_just_outside_its_range_skips_the_line(name):
    rule = EVENT_RULES[name]
    for value in (rule.low - 1, rule.high + 1):
        events, reader = _read_one(**{name: value})
        assert events == [] and reader.skipped == 1
        assert name in reader.first_problem and "out of range" in reader.first_problem


@pytest.mark.parametrize("fields, why", [
    ({"user_ns": -1}, "user_ns -1 is out of range"),
    ({"sys_ns": -5}, "sys_ns -5 is out of range"),
    ({"max_rss_kib": -1}, "max_rss_kib -1 is out of range"),
    ({"start_ns": (1 << 63) - 10}, "start_ns"),
    ({"wall_ns": (1 << 64) - 1}, "wall_ns"),
    ({"wall_ns": 2.0 ** 70}, "wall_ns"),  # what orjson makes of an integer beyond 64 bits
    ({"exit": -1}, "exit -1"),
    ({"exit": 1 << 32}, "exit"),
    ({"signal": 0}, "signal 0"),
    ({"signal": 128}, "signal 128"),
    ({"queue_ns": -3}, "queue_ns"),
    ({"phases": {"fe:parse": -1}}, "phases"),
    ({"phases": {"fe:parse": 1.5}}, "phases"),
], ids=["negative user CPU", "negative sys CPU", "negative RSS", "start near 2^63", "wall 2^64-1",
        "wall 2^70", "negative exit", "exit over 32 bits", "signal 0", "signal 128", "negative queue",
        "negative phase", "fractional phase"])
def test_corrupt_numbers_skip_the_line_and_say_which_field(fields, why):
    events, reader = _read_one(**fields)
    assert events == [] and reader.skipped == 1 and why in reader.first_problem


@pytest.mark.parametrize("fields", [
    {"start_ns": True}, {"wall_ns": 1.0}, {"exit": "0"}, {"pkg": 3}, {"tool": ["compile"]},
    {"deps": "oops"}, {"deps": ["fmt", 3]}, {"argv": [None]}, {"cflags": {}}, {"probe": 1},
    {"cached": "yes"}, {"phases": [1]}, {"error": False}, {"action_deps": [1]},
], ids=str)
def test_a_field_of_the_wrong_type_skips_the_line_whichever_field_it_is(fields):
    events, reader = _read_one(**fields)
    assert events == [] and reader.skipped == 1


def test_null_reads_as_absent_and_absent_optional_fields_are_unknown():
    line = b'{"v":1,"build":"b","tool":"compile","pkg":"p","start_ns":1,"wall_ns":2,"user_ns":null,' \
           b'"sys_ns":null,"max_rss_kib":null,"deps":null,"phases":null}\n'
    events, reader = read(line)
    (e,) = events
    assert reader.skipped == 0 and e.cpu_ns is None and e.max_rss_kib is None and e.deps is None


def test_fields_the_format_does_not_name_are_ignored():
    events, reader = _read_one(future_field={"anything": [1, 2]})
    assert reader.skipped == 0 and len(events) == 1


def test_build_records_out_of_range_are_skipped_and_counted():
    bad = [{"cores": 0}, {"parallelism": -1}, {"wall_ns": (1 << 64) - 1}, {"start_ns": -1}, {"cold": 1}]
    for fields in bad:
        line = orjson.dumps({"v": 1, "kind": "build", "build": "b1", **fields}) + b"\n"
        events, reader = read(line + record())
        assert reader.builds == {} and reader.skipped == 1 and len(events) == 1, fields


def test_writers_refuse_a_record_the_reader_would_skip():
    with pytest.raises(TraceError, match="wall_ns"):
        write_events([Event(build="b", tool="compile", pkg="p", start_ns=1, wall_ns=-1)], io.BytesIO())
    with pytest.raises(TraceError, match="cores"):
        record_line(BuildInfo(build="b", cores=0).to_dict())


_values = st.one_of(st.none(), st.booleans(), st.integers(-(1 << 65), 1 << 65), st.floats(allow_nan=False),
                    st.text(max_size=3), st.lists(st.one_of(st.text(max_size=2), st.integers()), max_size=3),
                    st.dictionaries(st.text(max_size=2), st.integers(-2, 3), max_size=2))


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(EVENT_RULES) + ["other"]), _values, max_size=12))
def test_the_compiled_check_of_a_record_shape_agrees_with_the_field_by_field_rules(fields):
    record = {"build": "b", "tool": "t", "pkg": "p", "start_ns": 1, "wall_ns": 1, **fields}
    assert problem(record) == EVENT_RECORD.explain(record)
    build = {"build": "b", **{k: v for k, v in fields.items() if k in BUILD_RULES}}
    assert BUILD_RECORD.problem(build) == BUILD_RECORD.explain(build)


def test_the_format_document_states_the_valid_values_of_every_field():
    doc = (ROOT / "docs" / "trace-format.md").read_text()
    rows = {line.split("|")[1]: line for line in doc.splitlines() if line.startswith("| `")}
    for rules in (EVENT_RULES, BUILD_RULES):
        for name, rule in rules.items():
            row = [line for head, line in rows.items() if f"`{name}`" in head]
            assert row and any(rule.describe() in line for line in row), name


@pytest.mark.parametrize("head, trace", [
    (b'{"v":1,"build":"b"}\n', True),
    (b'{truncated\n{"v":1,"build":"b","tool":"compile"}\n', True),
    (b"", True),
    (b"main;runtime.main;foo 12\n", False),
    (b"{{closure}};foo 3\n", False),
    (b"\n\n  \n", True),
], ids=["record", "corrupt first line", "empty", "folded", "folded rust closure", "blank"])
def test_a_trace_is_told_from_folded_stacks_by_its_first_lines(head, trace):
    assert looks_like_trace(head) is trace


def events_in_parts(path: str, build: str | None = None, **options) -> tuple[list[Event], TraceReader]:
    """The events of a trace as commands._common.selected_in_parts reads them (two processes for a
    large file), the second part's crossing the pipe as columns (events.EventList)."""
    from gotrace.commands._common import selected_in_parts

    parts, reader = selected_in_parts(path, build, EventList, **options)
    return [e for part in parts for e in part], reader


@pytest.mark.parametrize("build", [None, "second"])
def test_events_read_by_two_processes_are_the_events_one_reads(multi_build, tmp_path, monkeypatch, build):
    import pickle

    import gotrace.events

    events, _ = read_events(str(multi_build.trace), keep_argv=True)
    path = two_builds_with_damaged_lines(events, tmp_path / "two-builds.jsonl")
    read = {}
    for parallel in (False, True):
        monkeypatch.setattr(gotrace.events, "PARALLEL_BYTES", 0 if parallel else 1 << 60)
        for argv in (False, True):
            got, reader = events_in_parts(str(path), build, keep_argv=argv, include_probes=True)
            read[parallel, argv] = (got, reader.lines, reader.skipped, reader.first_bad_line, dict(reader.builds))
    for argv in (False, True):
        assert read[True, argv] == read[False, argv]
        assert all(type(e) is Event for e in read[True, argv][0])
        assert read[True, argv][2:4] == (2, len(events) + 1)
    # the columns a list of events crosses the pipe as rebuild it exactly, defaults and all
    assert pickle.loads(pickle.dumps(gotrace.events.EventList(events))) == events
    assert pickle.loads(pickle.dumps(gotrace.events.EventList())) == []


@pytest.mark.parametrize("half", ["first", "second"])
def test_a_newer_record_in_either_half_of_a_trace_read_by_two_processes_names_its_line(tmp_path, monkeypatch,
                                                                                       half):
    import gotrace.events

    lines = [record(pkg=f"p{i}", start_ns=i) for i in range(200)]
    bad = 20 if half == "first" else 180
    lines[bad] = record(v=FORMAT_VERSION + 1)
    path = tmp_path / "newer.jsonl"
    path.write_bytes(b"".join(lines))
    monkeypatch.setattr(gotrace.events, "PARALLEL_BYTES", 0)
    with pytest.raises(TraceError, match=f"line {bad + 1} is trace format version {FORMAT_VERSION + 1}"):
        events_in_parts(str(path))


def _wait_for(path, seconds: float = 60.0) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.01)


@pytest.mark.parametrize("slow", ["this process", "the helper"])
def test_the_reader_that_finishes_first_takes_over_half_of_what_the_other_has_left(multi_build, tmp_path, monkeypatch,
                                                                                   slow):
    """One reader is held at its first line until the other has read a part of the held one's
    lines: the parts are then more than two, and together they read as one process reads the file
    (events, line and skip counts, the first bad line, the build records)."""
    import gotrace.events
    import gotrace.file_parts

    events, _ = read_events(str(multi_build.trace), keep_argv=True)
    path = two_builds_with_damaged_lines(events, tmp_path / "two-builds.jsonl")
    monkeypatch.setattr(gotrace.events, "PARALLEL_BYTES", 1 << 60)
    alone = events_in_parts(str(path), include_probes=True)
    monkeypatch.setattr(gotrace.events, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(gotrace.file_parts, "STEP_BYTES", 2048)
    monkeypatch.setattr(gotrace.file_parts, "STEAL_BYTES", 8192)
    parent, released = os.getpid(), tmp_path / "released"
    calls: list[int] = []  # this process's calls of the work (a forked helper counts its own)

    def work(selected):
        calls.append(1)
        in_parent = os.getpid() == parent
        if len(calls) == 1 and in_parent == (slow == "this process"):
            _wait_for(released)  # held before its first line
        events = EventList(selected)
        if len(calls) == 2 and in_parent != (slow == "this process"):
            released.touch()  # the other's lines, read here
        return events

    from gotrace.commands._common import selected_in_parts

    parts, reader = selected_in_parts(str(path), None, work, include_probes=True)
    assert released.exists() and len(parts) >= 3
    got = [e for part in parts for e in part]
    assert got == alone[0]
    assert (reader.lines, reader.skipped, reader.first_bad_line, reader.probes, reader.cached, reader.builds,
            list(reader.seen_builds)) == (alone[1].lines, alone[1].skipped, alone[1].first_bad_line,
                                          alone[1].probes, alone[1].cached, alone[1].builds,
                                          list(alone[1].seen_builds))


def test_shared_parts_cover_the_file_once_in_whole_lines(tmp_path, monkeypatch):
    """The parts two readers end with, however they took them over, are the file's lines, each once."""
    import gotrace.file_parts
    from gotrace.file_parts import SharedParts

    # steps longer than the least remainder taken: a part may end within the step its reader reads
    monkeypatch.setattr(gotrace.file_parts, "STEP_BYTES", 400)
    monkeypatch.setattr(gotrace.file_parts, "STEAL_BYTES", 100)
    lines = [f"line {i} {'x' * (i % 37)}\n".encode() for i in range(400)]
    path = tmp_path / "lines"
    path.write_bytes(b"".join(lines))
    size = path.stat().st_size
    split = sum(map(len, lines[:200]))
    shared = SharedParts(str(path), size, split)
    parts = []
    first = shared.lines(0)
    parts.append([shared.start(0), [next(first) for _ in range(3)]])  # reader 0 is at its start
    parts.append([shared.start(1), list(shared.lines(1))])  # reader 1 reads all of its part
    assert parts[-1][1] == lines[200:]
    taken = 0
    while shared.steal(1):  # ... and takes over the later half of what reader 0 has left, again and again
        taken += 1
        parts.append([shared.start(1), list(shared.lines(1))])
    parts[0][1] += list(first)
    shared.close()
    assert taken >= 2
    in_order = [line for _, part in sorted(parts) for line in part]
    assert in_order == lines
    assert all(part for _, part in parts)


def test_columns_read_in_parts_and_joined_are_the_columns_of_the_whole():
    """Spans.joined of three consecutive parts: the same rows, kinds (in order of first appearance),
    errors and phases (at their rows) as one reader of every line."""
    from gotrace.events import Spans

    lines = [record(pkg=f"p{i % 7}", tool=("compile", "asm", "link")[i % 3], start_ns=i, build=f"b{i // 40}",
                    error="no such tool" if i % 11 == 5 else None, exit=2 if i % 11 == 5 else 0,
                    phases={"fe:parse": i} if i % 13 == 3 else None) for i in range(120)]
    whole = TraceReader(iter(lines)).columns()
    parts = [TraceReader(iter(lines[a:b])).columns() for a, b in ((0, 30), (30, 31), (31, 120))]
    joined = Spans.joined(parts)
    assert joined.kinds == whole.kinds and list(joined.kind) == list(whole.kind)
    assert joined.errors == whole.errors and joined.phases == whole.phases and whole.errors and whole.phases
    for column in ("start_ns", "wall_ns", "cpu_ns", "max_rss_kib", "exit", "signal"):
        assert getattr(joined, column) == getattr(whole, column), column


def test_a_trace_is_read_in_two_parts_when_no_temporary_file_can_be_made(multi_build, tmp_path, monkeypatch):
    """A full disk (or no temporary directory) leaves the two readers without their lock: they read
    the parts as split, none taken over, and the events are those one reader reads."""
    import errno
    import tempfile

    import gotrace.events

    events, _ = read_events(str(multi_build.trace), keep_argv=True)
    path = two_builds_with_damaged_lines(events, tmp_path / "two-builds.jsonl")
    monkeypatch.setattr(gotrace.events, "PARALLEL_BYTES", 1 << 60)
    alone = events_in_parts(str(path), include_probes=True)

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tempfile, "TemporaryFile", full_disk)
    monkeypatch.setattr(gotrace.events, "PARALLEL_BYTES", 0)
    from gotrace.commands._common import selected_in_parts

    parts, reader = selected_in_parts(str(path), None, EventList, include_probes=True)
    assert len(parts) == 2 and [e for part in parts for e in part] == alone[0]
    assert (reader.lines, reader.skipped, reader.first_bad_line) == (alone[1].lines, alone[1].skipped,
                                                                     alone[1].first_bad_line)
