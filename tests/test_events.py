"""The trace reader: streams records, skips and counts what it cannot read, refuses future versions."""
from __future__ import annotations

import io

import orjson
import pytest

from gotrace.events import (
    FORMAT_VERSION,
    BuildInfo,
    Event,
    TraceError,
    TraceReader,
    event_from_dict,
    open_trace,
    write_events,
)
from tests.conftest import run_gotrace


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
