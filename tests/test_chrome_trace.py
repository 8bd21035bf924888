"""`gotrace chrome`: Chrome Trace Event files of real traced builds."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from gotrace import __version__
from gotrace.analysis.lanes import peak_concurrency
from gotrace.events import read_events
from gotrace.render.chrome import running_counts
from tests.conftest import run_gotrace


def export(trace: Path, out: Path, *args: str) -> dict:
    run_gotrace(["chrome", str(trace), "-o", str(out), *args], check=True)
    return json.loads(out.read_bytes())


@pytest.fixture(scope="module")
def multi_chrome(multi_build, tmp_path_factory) -> dict:
    return export(multi_build.trace, tmp_path_factory.mktemp("chrome") / "multi.trace.json")


def slices(document: dict) -> list[dict]:
    return [e for e in document["traceEvents"] if e["ph"] == "X"]


def test_every_invocation_is_one_complete_event_in_microseconds(multi_build, multi_chrome):
    events, _ = read_events(str(multi_build.trace))
    t0 = min(e.start_ns for e in events)
    expected = sorted((e.tool, e.pkg, (e.start_ns - t0) // 1000, (e.end_ns - t0) // 1000) for e in events)
    got = sorted((x["args"]["tool"], x["args"]["package"], x["ts"], x["ts"] + x["dur"])
                 for x in slices(multi_chrome))
    assert got == expected
    assert all(type(x["ts"]) is int and type(x["dur"]) is int and x["dur"] >= 0 for x in slices(multi_chrome))
    assert multi_chrome["otherData"]["start_unix_ns"] == t0
    assert multi_chrome["otherData"]["exporter"] == f"gotrace@{__version__}"


def test_slices_carry_package_tool_cpu_peak_rss_and_exit(multi_build, multi_chrome):
    events, _ = read_events(str(multi_build.trace))
    t0 = min(e.start_ns for e in events)
    for x in slices(multi_chrome):
        args = x["args"]
        # (two runs of one tool for one package, a cgo package's C compiles, can start in one microsecond)
        runs = [e for e in events
                if e.tool == args["tool"] and e.pkg == args["package"] and (e.start_ns - t0) // 1000 == x["ts"]]
        assert runs and x["name"] == f"{args['tool']} {args['package']}" and x["cat"] == args["tool"]
        assert any(args["cpu_us"] == e.cpu_ns // 1000 and args["peak_rss_kib"] == e.max_rss_kib and
                   args["exit"] == e.exit == 0 for e in runs)


def test_one_thread_per_lane_with_no_overlap_and_named(multi_build, multi_chrome):
    events, _ = read_events(str(multi_build.trace))
    by_thread: dict[int, list[tuple[int, int]]] = {}
    for x in slices(multi_chrome):
        by_thread.setdefault(x["tid"], []).append((x["ts"], x["ts"] + x["dur"]))
    assert len(by_thread) == peak_concurrency(events)
    for spans in by_thread.values():
        spans.sort()
        assert all(end <= start for (_, end), (start, _) in zip(spans, spans[1:]))
    meta = [e for e in multi_chrome["traceEvents"] if e["ph"] == "M"]
    thread_names = {e["tid"]: e["args"]["name"] for e in meta if e["name"] == "thread_name"}
    assert thread_names == {tid: f"lane {tid}" for tid in by_thread}
    [process] = [e for e in meta if e["name"] == "process_name"]
    assert "go build" in process["args"]["name"]


def test_counter_follows_the_number_of_tools_running(multi_build, multi_chrome):
    events, _ = read_events(str(multi_build.trace))
    counters = [e for e in multi_chrome["traceEvents"] if e["ph"] == "C"]
    times = [c["ts"] for c in counters]
    assert times == sorted(times) and len(set(times)) == len(times)
    values = [c["args"]["running"] for c in counters]
    assert max(values) == peak_concurrency(events) and values[-1] == 0
    xs = slices(multi_chrome)
    for c in counters:  # at each change the count is what the slices say runs from then on
        assert c["args"]["running"] == sum(1 for x in xs if x["ts"] <= c["ts"] < x["ts"] + x["dur"])


def test_running_counts_merges_changes_at_one_instant():
    def changes(starts, ends):
        return list(zip(*running_counts(starts, ends)))

    assert changes([0, 0, 5, 10], [5, 10, 10, 12]) == [(0, 2), (10, 1), (12, 0)]
    assert changes([3], [3]) == []  # a zero-length slice changes nothing
    assert changes([5, 0], [9, 2]) == [(0, 1), (2, 0), (5, 1), (9, 0)]  # any order


def test_a_failed_compile_keeps_its_exit_status(broken_build, tmp_path):
    document = export(broken_build.trace, tmp_path / "b.json")
    failed = [x for x in slices(document) if x["args"].get("exit")]
    events, _ = read_events(str(broken_build.trace))
    assert failed and len(failed) == sum(1 for e in events if e.exit)
    assert all(x["args"]["tool"] == "compile" for x in failed)


def test_each_build_of_a_trace_is_a_process(multi_build, broken_build, tmp_path):
    both = tmp_path / "both.jsonl"
    both.write_bytes(multi_build.trace.read_bytes() + broken_build.trace.read_bytes())
    document = export(both, tmp_path / "both.json")
    processes = {e["pid"]: e["args"]["name"] for e in document["traceEvents"] if e["name"] == "process_name"}
    assert len(processes) == 2
    builds = list(dict.fromkeys(e.build for e in read_events(str(both))[0]))
    assert [b in processes[pid] for pid, b in zip(sorted(processes), builds)] == [True, True]
    assert {x["pid"] for x in slices(document)} == set(processes)
    one = export(both, tmp_path / "one.json", "--build", builds[1])
    assert len({x["pid"] for x in slices(one)}) == 1
    assert len(slices(one)) == sum(1 for e in read_events(str(both), build=builds[1])[0])


def test_same_trace_gives_the_same_bytes(multi_build, tmp_path):
    export(multi_build.trace, tmp_path / "a.json")
    export(multi_build.trace, tmp_path / "b.json")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


def test_writes_to_stdout_by_default(multi_build):
    result = run_gotrace(["chrome", str(multi_build.trace)], check=True)
    assert slices(json.loads(result.stdout))
