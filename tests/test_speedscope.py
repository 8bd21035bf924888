"""`gotrace speedscope`: files valid against speedscope's own schema, with the stacks of `gotrace fold`,
a memory profile and a lane timeline, from real traced builds."""
from __future__ import annotations

import io
import json
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gotrace import __version__
from gotrace.analysis.lanes import peak_concurrency
from gotrace.collapse import fold_events
from gotrace.events import MAX_DURATION_NS, MAX_KIB, TraceReader, read_events
from gotrace.render.speedscope import fold_spans
from tests.conftest import ROOT, need, run_gotrace

SCHEMA = ROOT / "node_modules" / "speedscope" / "dist" / "release" / "file-format-schema.json"


@pytest.fixture(scope="module")
def schema() -> dict:
    need(SCHEMA.exists(), "speedscope npm package not installed: run `npm install`")
    return json.loads(SCHEMA.read_text())


def export(trace: Path, out: Path, *args: str) -> dict:
    run_gotrace(["speedscope", str(trace), "-o", str(out), *args], check=True)
    return json.loads(out.read_bytes())


@pytest.fixture(scope="module")
def multi_file(multi_build, tmp_path_factory) -> dict:
    return export(multi_build.trace, tmp_path_factory.mktemp("ss") / "multi.speedscope.json")


def validate(document: dict, schema: dict) -> None:
    import jsonschema

    jsonschema.Draft7Validator(schema).validate(document)


def sampled_stacks(document: dict, profile: dict) -> dict[tuple[str, ...], int]:
    names = [f["name"] for f in document["shared"]["frames"]]
    stacks: dict[tuple[str, ...], int] = {}
    for sample, weight in zip(profile["samples"], profile["weights"]):
        key = tuple(names[i] for i in sample)
        stacks[key] = stacks.get(key, 0) + weight
    return stacks


def timeline_spans(document: dict, profile: dict) -> list[tuple[str, str, int, int]]:
    """(package, tool, open, close) of a lane, checking that events nest and close in order."""
    names = [f["name"] for f in document["shared"]["frames"]]
    stack: list[tuple[int, int]] = []
    spans, last = [], profile["startValue"]
    for event in profile["events"]:
        assert event["at"] >= last, "events go back in time"
        last = event["at"]
        if event["type"] == "O":
            stack.append((event["frame"], event["at"]))
            assert len(stack) <= 2
        else:
            frame, opened = stack.pop()
            assert frame == event["frame"], "a frame closed while another was on top"
            if stack:
                spans.append((names[stack[-1][0]], names[frame], opened, event["at"]))
    assert not stack and last <= profile["endValue"]
    return spans


def all_numbers(value) -> list:
    if isinstance(value, dict):
        return [n for v in value.values() for n in all_numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in all_numbers(v)]
    return [value] if isinstance(value, (int, float)) and not isinstance(value, bool) else []


def test_export_of_a_real_build_is_valid_against_speedscope_schema(multi_file, schema):
    validate(multi_file, schema)
    assert multi_file["$schema"] == "https://www.speedscope.app/file-format-schema.json"
    assert multi_file["exporter"] == f"gotrace@{__version__}"


def test_file_is_named_for_the_go_command_that_was_traced(multi_build, multi_file):
    _, reader = read_events(str(multi_build.trace))
    [info] = reader.builds.values()
    assert info.command.startswith("go build") and info.command in multi_file["name"]
    assert f"in multi (build {info.build})" in multi_file["name"]


def test_time_profile_has_the_stacks_and_weights_of_gotrace_fold_and_is_shown_first(multi_build, multi_file):
    events, _ = read_events(str(multi_build.trace))
    active = multi_file["profiles"][multi_file["activeProfileIndex"]]
    assert active["type"] == "sampled" and active["unit"] == "microseconds"
    assert "time" in active["name"].lower()
    assert sampled_stacks(multi_file, active) == fold_events(events, weight="wall")
    assert active["endValue"] == sum(active["weights"])


def test_timeline_has_one_lane_per_concurrent_tool_and_every_invocation_once(multi_build, multi_file):
    events, _ = read_events(str(multi_build.trace))
    ran = [e for e in events if not e.cached]
    lanes = [p for p in multi_file["profiles"] if p["type"] == "evented"]
    assert len(lanes) == peak_concurrency(ran) >= 1
    assert all(p["unit"] == "microseconds" and "lane" in p["name"].lower() for p in lanes)
    t0 = min(e.start_ns for e in ran)
    shown = sorted(s for lane in lanes for s in timeline_spans(multi_file, lane))
    expected = sorted((e.pkg, e.tool, (e.start_ns - t0) // 1000, (e.end_ns - t0) // 1000) for e in ran)
    assert shown == expected
    assert {p["endValue"] for p in lanes} == {(max(e.end_ns for e in ran) - t0) // 1000}


def test_frames_are_shared_once_and_every_number_is_an_integer(multi_file):
    names = [f["name"] for f in multi_file["shared"]["frames"]]
    assert len(names) == len(set(names))
    used = {i for p in multi_file["profiles"] for s in p.get("samples", []) for i in s} | \
        {e["frame"] for p in multi_file["profiles"] for e in p.get("events", [])}
    assert used == set(range(len(names)))
    numbers = all_numbers(multi_file["profiles"])
    assert numbers and all(type(n) is int for n in numbers)


def test_same_trace_gives_the_same_bytes(multi_build, tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    export(multi_build.trace, a)
    export(multi_build.trace, b)
    assert a.read_bytes() == b.read_bytes()


def test_a_test_build_with_variants_vet_and_test_links_is_valid(multi_test_build, tmp_path, schema):
    document = export(multi_test_build.trace, tmp_path / "t.json")
    validate(document, schema)
    names = {f["name"] for f in document["shared"]["frames"]}
    assert "vet" in names and any(n.endswith(".test]") for n in names)


def test_several_builds_get_lanes_of_their_own(multi_build, broken_build, tmp_path, schema):
    both = tmp_path / "both.jsonl"
    both.write_bytes(multi_build.trace.read_bytes() + broken_build.trace.read_bytes())
    document = export(both, tmp_path / "both.json")
    validate(document, schema)
    builds = {e.build for e in read_events(str(both))[0]}
    assert len(builds) == 2
    lane_names = [p["name"] for p in document["profiles"] if p["type"] == "evented"]
    assert {b for b in builds if any(b in n for n in lane_names)} == builds
    first, second = sorted(builds)
    one = export(both, tmp_path / "one.json", "--build", first)
    assert all(second not in p["name"] for p in one["profiles"])


def test_folded_input_becomes_one_sampled_profile(multi_build, tmp_path, schema):
    folded = run_gotrace(["fold", str(multi_build.trace)], check=True).stdout
    (tmp_path / "build.folded").write_bytes(folded)
    document = export(tmp_path / "build.folded", tmp_path / "f.json", "--unit", "microseconds")
    validate(document, schema)
    [profile] = document["profiles"]
    assert profile["type"] == "sampled" and profile["unit"] == "microseconds"
    events, _ = read_events(str(multi_build.trace))
    assert sampled_stacks(document, profile) == fold_events(events, weight="wall")


def test_folded_stacks_on_stdin_are_read(tmp_path):
    out = tmp_path / "s.json"
    result = run_gotrace(["speedscope", "-", "-o", str(out)], input=b"a;b 3\na;c 4\n\na;b 2\n", check=True)
    assert result.returncode == 0
    document = json.loads(out.read_bytes())
    [profile] = document["profiles"]
    assert sampled_stacks(document, profile) == {("a", "b"): 5, ("a", "c"): 4}
    assert profile["unit"] == "none"


def test_names_with_quotes_and_markup_are_escaped(tmp_path, schema):
    name = 'evil "pkg" </script><b>&'
    line = {"v": 1, "build": "b", "tool": "compile", "pkg": name, "start_ns": 1, "wall_ns": 5000,
            "max_rss_kib": 3}
    trace = tmp_path / "t.jsonl"
    trace.write_bytes(orjson.dumps(line) + b"\n")
    document = export(trace, tmp_path / "t.json")
    validate(document, schema)
    assert name in {f["name"] for f in document["shared"]["frames"]}


def _error(args: list[str], **kwargs) -> str:
    result = run_gotrace(args, **kwargs)
    err = result.stderr.decode()
    assert result.returncode != 0, err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("command", ["speedscope", "chrome"])
def test_empty_trace_is_a_clear_error(command, tmp_path):
    trace = tmp_path / "empty.jsonl"
    trace.write_bytes(b"")
    assert "no trace records" in _error([command, str(trace), "-o", str(tmp_path / "o.json")])
    assert not (tmp_path / "o.json").exists()


@pytest.mark.parametrize("command", ["speedscope", "chrome"])
def test_trace_of_only_version_probes_is_a_clear_error(command, tmp_path):
    trace = tmp_path / "probes.jsonl"
    trace.write_bytes(b'{"v":1,"build":"b","tool":"compile","pkg":"","probe":true,"start_ns":1,"wall_ns":2}\n')
    assert "only version probes" in _error([command, str(trace)])


@pytest.mark.parametrize("command", ["speedscope", "chrome"])
def test_unknown_build_id_is_a_clear_error_naming_the_builds(command, multi_build):
    err = _error([command, str(multi_build.trace), "--build", "nope"])
    build = read_events(str(multi_build.trace))[0][0].build
    assert "no build 'nope'" in err and build in err


@pytest.mark.parametrize("command", ["speedscope", "chrome"])
def test_missing_trace_is_a_clear_error(command, tmp_path):
    assert "cannot read" in _error([command, str(tmp_path / "absent.jsonl")])


@pytest.mark.parametrize("command", ["speedscope", "chrome"])
def test_corrupt_lines_are_skipped_and_counted(command, multi_build, tmp_path):
    trace = tmp_path / "corrupt.jsonl"
    trace.write_bytes(b"garbage\n" + multi_build.trace.read_bytes() + b'{"v":1,"build":"x","tool"')
    result = run_gotrace([command, str(trace), "-o", str(tmp_path / "o.json")], check=True)
    assert "skipped 2 unreadable line(s)" in result.stderr.decode()
    assert json.loads((tmp_path / "o.json").read_bytes())


def test_build_option_is_refused_for_folded_input(tmp_path):
    (tmp_path / "x.folded").write_bytes(b"a;b 1\n")
    assert "--build" in _error(["speedscope", str(tmp_path / "x.folded"), "--build", "b"])


def test_unit_option_is_refused_for_a_trace(multi_build):
    assert "--unit" in _error(["speedscope", str(multi_build.trace), "--unit", "bytes"])


def test_input_that_is_neither_trace_nor_folded_is_a_clear_error(tmp_path):
    (tmp_path / "x.txt").write_bytes(b"hello world\nnot folded at all\n")
    assert "no stacks" in _error(["speedscope", str(tmp_path / "x.txt")])


@pytest.mark.parametrize("command", ["speedscope", "chrome"])
def test_help_has_an_example(command):
    out = run_gotrace([command, "--help"], check=True).stdout.decode()
    assert "Example:" in out and f"gotrace {command} " in out


def test_trace_without_peak_memory_has_no_memory_profile(tmp_path, schema):
    # what `gotrace import` makes of a go -debug-trace: spans, no rusage
    lines = [{"v": 1, "build": "b", "tool": "compile", "pkg": f"p{i}", "start_ns": i * 1000, "wall_ns": 5000,
              "source": "debug-trace"} for i in range(4)]
    trace = tmp_path / "t.jsonl"
    trace.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    document = export(trace, tmp_path / "t.json")
    validate(document, schema)
    assert [p["unit"] for p in document["profiles"]] == ["microseconds"] * (1 + 4)


def test_a_trace_on_stdin_is_read(multi_build, tmp_path, schema):
    out = tmp_path / "s.json"
    run_gotrace(["speedscope", "-", "-o", str(out)], input=multi_build.trace.read_bytes(), check=True)
    document = json.loads(out.read_bytes())
    validate(document, schema)
    assert document == export(multi_build.trace, tmp_path / "f.json")


# Records that take every path of the columns fold: several builds sharing stacks, test variants,
# compile phases (some taking all of a compile's time), unknown peak memory, zero walls, and peak x
# wall products past 2^63 (the bounds allow them; no real build has them).
folded_records = st.lists(st.fixed_dictionaries({
    "build": st.sampled_from(["b1", "b2"]),
    "tool": st.sampled_from(["compile", "link", "asm"]),
    "pkg": st.sampled_from(["", "fmt", "a.example/x/y", "a.example/x/z", "a.example/x/y [a.example/x/y.test]"]),
    "start_ns": st.integers(0, 10**6),
    "wall_ns": st.sampled_from([0, 999, 1000, 123_456_789, MAX_DURATION_NS]),
    "max_rss_kib": st.sampled_from([None, 0, 1, 70_000, MAX_KIB]),
    "phases": st.sampled_from([None, {"fe:parse": 5_000, "total": 9_000}, {"be:compilefuncs": MAX_DURATION_NS}]),
}), min_size=1, max_size=40)


@settings(max_examples=150, deadline=None)
@given(folded_records)
def test_columns_fold_has_the_stacks_and_weights_of_fold_events(records):
    lines = [orjson.dumps({"v": 1, **{k: v for k, v in r.items() if v is not None}}) for r in records]
    data = b"\n".join(lines) + b"\n"
    events = list(TraceReader(io.BytesIO(data)))
    spans = TraceReader(io.BytesIO(data)).columns()
    assert fold_spans(spans) == (fold_events(events, weight="wall"), fold_events(events, weight="rss"))


def test_a_file_whose_timeline_parts_a_forked_child_made_is_the_file_made_in_one_process(
        multi_test_build, broken_build, tmp_path, monkeypatch):
    from gotrace.analysis.lanes import load_spans
    from gotrace.render import speedscope

    both = tmp_path / "both.jsonl"  # test variants (package names with " [p.test]"), and two builds
    both.write_bytes(multi_test_build.trace.read_bytes() + broken_build.trace.read_bytes())
    spans, _ = load_spans(str(both))
    made = {}
    for threshold in (0, 1 << 60):  # lanes, package names and the events' encoding in forked children, or here
        monkeypatch.setattr(speedscope, "LANES_APART", threshold)
        monkeypatch.setattr(speedscope, "EVENTS_APART", threshold)
        out = io.BytesIO()
        speedscope.render_speedscope(out, spans, name="both")
        made[threshold] = out.getvalue()
    assert made[0] == made[1 << 60]
    assert b"Timeline lane 1 of" in made[0] and b".test]" in made[0]


def test_a_timeline_whose_encoding_child_died_is_encoded_here(multi_build, tmp_path, monkeypatch):
    """A child killed before it answered (the OOM killer) costs time, not the file: the events are
    encoded again here, into the same file in memory from its start; and the file written to disk
    (copied by the kernel: sendfile) is the file written into memory."""
    import os

    from gotrace.analysis.lanes import load_spans
    from gotrace.render import speedscope

    spans, _ = load_spans(str(multi_build.trace))
    here = io.BytesIO()
    speedscope.render_speedscope(here, spans, name="x")  # a small build: everything here
    assert b"Timeline lane 1 of" in here.getvalue()
    encode = speedscope._timeline_into
    parent = os.getpid()

    def dies_halfway(held, timeline):
        if os.getpid() != parent:  # the child: more than the whole timeline written, then killed
            os.write(held, b"half a timeline" * 700_000)
            os.kill(os.getpid(), 9)
        encode(held, timeline)

    monkeypatch.setattr(speedscope, "EVENTS_APART", 0)
    monkeypatch.setattr(speedscope, "_timeline_into", dies_halfway)
    again = io.BytesIO()
    speedscope.render_speedscope(again, spans, name="x")
    assert again.getvalue() == here.getvalue()
    monkeypatch.setattr(speedscope, "_timeline_into", encode)
    with open(tmp_path / "s.json", "wb") as out:
        speedscope.render_speedscope(out, spans, name="x")
    assert (tmp_path / "s.json").read_bytes() == here.getvalue()



@pytest.mark.parametrize("names", [[], ["build"], ["build", "std", "runtime"], ['a"b', "c"], ['x",', "y"],
                                   ['","', "z"], ["a\\", "b"], ["\n\x01", "ü", "\u2028"]])
def test_the_frames_are_written_as_a_dict_per_name_would_be(names):
    from gotrace.render.speedscope import _write_frames

    out = io.BytesIO()
    _write_frames(out, names)
    assert out.getvalue() == orjson.dumps([{"name": n} for n in names])
    assert [f["name"] for f in orjson.loads(out.getvalue())] == names
