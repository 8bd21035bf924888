"""Facts read from go's action graph: queue waits through the cache-check actions that gate a
package, and test-variant names of C compiles merged into a `go test` trace."""
from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest

from gotrace.events import read_events
from gotrace.importers.actiongraph import merge_into_trace, parse_time

from .conftest import run_gotrace
from .conftest import test_env as go_env


def raw_graph(path: Path) -> dict[int, dict]:
    return {a["ID"]: a for a in json.loads(path.read_text())}


def waited(action: dict) -> int:
    return parse_time(action["TimeStart"]) - parse_time(action["TimeReady"])


@pytest.fixture(scope="session")
def merged_sequential(sequential_build, tmp_path_factory) -> Path:
    """The -p 1 build's shim trace with its action graph merged in."""
    trace = tmp_path_factory.mktemp("merged") / "sequential.jsonl"
    shutil.copy(sequential_build.trace, trace)
    events, reader = read_events(str(trace))
    merge_into_trace(str(trace), str(sequential_build.trace.parent / "graph.json"), events[0].build)
    return trace


def test_a_compiles_queue_wait_includes_the_cache_check_that_gates_it(sequential_build, merged_sequential):
    graph = raw_graph(sequential_build.trace.parent / "graph.json")
    gate_of = {a["Package"]: a for a in graph.values() if a["Mode"] == "build check cache"}
    events, _ = read_events(str(merged_sequential))
    cgo = {a["Package"] for a in graph.values() if a["Mode"] == "cgo run"}
    compiles = [e for e in events if e.tool == "compile" and e.source == "shim" and e.action]
    assert len(compiles) > 40
    for e in compiles:
        build = graph[int(e.action)]
        if e.pkg in cgo:
            assert e.queue_ns >= waited(build)  # its cache check counts for its first record, the cgo run
        else:
            assert e.queue_ns == waited(build) + waited(gate_of[e.pkg]), e.pkg
    # one slot: packages waited for it while others compiled (before: every wait was <= 1 ms)
    assert sum(e.queue_ns > 100_000_000 for e in compiles) >= 10


def test_summary_lists_queue_waits_per_package_and_in_total(merged_sequential):
    events, _ = read_events(str(merged_sequential))
    data = json.loads(run_gotrace(["summary", str(merged_sequential), "--json"], check=True).stdout)
    queue = data["queue"]
    assert queue["total_ns"] == sum(e.queue_ns or 0 for e in events)
    top = queue["top"][0]
    assert top["value"] == max(sum(e.queue_ns or 0 for e in events if e.pkg == p) for p in {e.pkg for e in events})
    text = run_gotrace(["summary", str(merged_sequential)], check=True).stdout.decode()
    assert "Queue waits (go's action graph: ready to start)" in text and top["name"] in text


def test_a_shim_trace_alone_says_nothing_about_queue_waits(multi_build):
    data = json.loads(run_gotrace(["summary", str(multi_build.trace), "--json"], check=True).stdout)
    assert data["queue"] is None


def test_c_compiles_of_a_cgo_package_under_test_are_named_for_its_test_variant(go, tmp_path):
    module = tmp_path / "cgotest"
    (module / "c").mkdir(parents=True)
    (module / "go.mod").write_text("module example.com/cgotest\n\ngo 1.22\n")
    # a fresh comment: a new cache key, so cgo and the C compiler run even with a warm GOCACHE
    (module / "c" / "c.go").write_text(f'package c\n\n// int twice(int x) {{ return 2 * x; }}\nimport "C"\n\n'
                                       f'func Twice(x int) int {{ return int(C.twice(C.int(x))) }}\n\n// {uuid.uuid4()}\n')
    (module / "c" / "c_test.go").write_text('package c\n\nimport "testing"\n\nfunc TestTwice(t *testing.T) {\n'
                                            '\tif Twice(2) != 4 {\n\t\tt.Fatal("twice")\n\t}\n}\n')
    trace = tmp_path / "t.jsonl"
    result = run_gotrace(["run", "--actiongraph", "--trace", str(trace), "--progress", "never", "-q", "--",
                          "go", "test", "./..."], cwd=module, env=go_env())
    assert result.returncode == 0, result.stderr.decode()
    events, _ = read_events(str(trace))
    mine = [e for e in events if e.pkg.startswith("example.com/cgotest/c") and not e.cached]
    # the shim records the C compiles (gotrace run wraps the compiler); the graph adds any it missed
    c_compiles = [e for e in mine if e.tool in ("gcc", "cc", "clang")]
    assert c_compiles and {e.tool for e in mine} >= {"cgo", "compile", "link"}
    variant = "example.com/cgotest/c [example.com/cgotest/c.test]"
    assert {e.pkg for e in mine if e.tool != "link" and not e.pkg.endswith(".test")} == {variant}
