"""The critical path on real traced builds: a real chain of dependencies, bounded by the wall time."""
from __future__ import annotations

import json

import pytest

from gotrace.analysis.critical_path import CLOCK_SLACK_NS, DependencyIndex, critical_path
from gotrace.collapse import split_variant
from gotrace.events import events_from_text, open_trace
from tests.conftest import run_gotrace, traced_build


@pytest.fixture(scope="session")
def sequential_build(go, tmp_path_factory):
    """A cold `go build -p 1 ./...` of samples/multi: one tool at a time."""
    traced = traced_build(tmp_path_factory.mktemp("sequential"), "multi", ["build", "-p", "1", "./..."])
    assert traced.result.returncode == 0, traced.result.stderr.decode()
    return traced


def load(traced):
    reader = open_trace(str(traced.trace))
    events = list(reader)
    (info,) = reader.builds.values()
    return events, info


def wall(events) -> int:
    return max(e.end_ns for e in events) - min(e.start_ns for e in events)


def imports_of(index: DependencyIndex, event) -> set[str]:
    """What the trace says `event` needed, as trace package names."""
    return {index.resolve(event, d) for d in index.deps_of(event)} - {None}


def check_chain(events, path, parallelism):
    index = DependencyIndex(events, parallelism)
    assert path.steps, "empty critical path"
    for before, after in zip(path.steps, path.steps[1:]):
        b, a = before.event, after.event
        assert b.end_ns <= a.start_ns + CLOCK_SLACK_NS, "a step started before the one it waited for ended"
        if after.edge in ("import", "link"):
            assert b.pkg in imports_of(index, a), f"{a.tool} {a.pkg} does not import {b.pkg}"
        elif after.edge == "package":
            assert b.pkg == a.pkg
        elif after.edge == "slot":
            assert parallelism and index.running_at_end(b) >= parallelism
        else:
            pytest.fail(f"unexpected edge {after.edge!r}")


@pytest.mark.parametrize("fixture", ["multi_build", "multi_test_build"])
def test_critical_path_steps_are_real_dependencies_or_waits_for_a_slot(fixture, request):
    events, info = load(request.getfixturevalue(fixture))
    path = critical_path(events, info.parallelism)
    check_chain(events, path, info.parallelism)
    assert path.steps[-1].event.end_ns == max(e.end_ns for e in events)


@pytest.mark.parametrize("fixture", ["multi_build", "multi_test_build"])
def test_without_slots_each_package_on_the_path_imports_the_next(fixture, request):
    events, _ = load(request.getfixturevalue(fixture))
    path = critical_path(events)
    check_chain(events, path, None)
    assert {s.edge for s in path.steps[1:]} <= {"import", "link", "package"}
    index = DependencyIndex(events)
    packages = [s.event for s in path.steps]
    distinct = [e for i, e in enumerate(packages) if i == 0 or e.pkg != packages[i - 1].pkg]
    for before, after in zip(distinct, distinct[1:]):
        assert before.pkg in imports_of(index, after)
    assert len(distinct) >= 4  # runtime ... fmt -> cmd/multi -> link: a real chain, not one package


@pytest.mark.parametrize("fixture", ["multi_build", "multi_test_build", "sequential_build"])
def test_critical_path_is_at_most_the_wall_time(fixture, request):
    events, info = load(request.getfixturevalue(fixture))
    for parallelism in (None, info.parallelism):
        path = critical_path(events, parallelism)
        assert 0 < path.span_ns <= wall(events)
        assert path.work_ns <= path.span_ns


def test_sequential_build_critical_path_is_the_whole_build(sequential_build):
    events, info = load(sequential_build)
    assert info.parallelism == 1
    path = critical_path(events, info.parallelism)
    assert path.span_ns == pytest.approx(wall(events), rel=0.02)
    # one tool at a time: every invocation waited for the one before it
    assert len(path.steps) == len(events)


def test_sequential_summary_reports_the_path_against_the_wall(sequential_build):
    data = json.loads(run_gotrace(["summary", str(sequential_build.trace), "--json"], check=True).stdout)
    cp, totals = data["critical_path"], data["totals"]
    assert cp["span_ns"] == pytest.approx(totals["wall_ns"], rel=0.02)
    assert data["parallelism"]["peak_concurrency"] == 1
    assert cp["packages"][-1] == "example.com/multi/cmd/multi"


def test_main_package_and_link_end_the_build_path(multi_build):
    events, info = load(multi_build)
    steps = critical_path(events, info.parallelism).steps
    assert (steps[-1].event.tool, steps[-1].event.pkg) == ("link", "example.com/multi/cmd/multi")
    assert ("compile", "example.com/multi/cmd/multi") in {(s.event.tool, s.event.pkg) for s in steps}


def test_test_variants_resolve_to_the_recompiled_package(multi_test_build):
    events, _ = load(multi_test_build)
    index = DependencyIndex(events)
    links = [e for e in events if e.tool == "link" and e.pkg.endswith(".test")]
    assert links
    for link in links:
        base = link.pkg[:-len(".test")]
        resolved = index.resolve(link, base)
        assert split_variant(resolved) == (base, link.pkg), resolved
        assert index.resolve(link, "fmt") == "fmt"


def _trace(*records: dict):
    return events_from_text("".join(json.dumps({"v": 1, "build": "b", **r}) + "\n" for r in records))


def test_imported_action_edges_are_followed():
    events = _trace(
        {"tool": "compile", "pkg": "x.org/a", "start_ns": 0, "wall_ns": 100, "action": "1"},
        {"tool": "compile", "pkg": "x.org/slow", "start_ns": 0, "wall_ns": 150, "action": "3"},
        {"tool": "compile", "pkg": "x.org/b", "start_ns": 200, "wall_ns": 50, "action": "2",
         "action_deps": ["1"]},
    )
    path = critical_path(events)
    assert [(s.event.pkg, s.edge, s.wait_ns) for s in path.steps] == [("x.org/a", "", 0), ("x.org/b", "action", 100)]
    assert (path.span_ns, path.work_ns) == (250, 150)


def test_a_full_build_waits_for_a_slot_not_for_an_unrelated_package():
    # -p 1: b needs nothing but could only start when a freed the one slot
    events = _trace(
        {"tool": "compile", "pkg": "x.org/a", "start_ns": 0, "wall_ns": 100, "deps": []},
        {"tool": "compile", "pkg": "x.org/b", "start_ns": 110, "wall_ns": 50, "deps": []},
    )
    assert [s.event.pkg for s in critical_path(events).steps] == ["x.org/b"]
    steps = critical_path(events, parallelism=1).steps
    assert [(s.event.pkg, s.edge) for s in steps] == [("x.org/a", ""), ("x.org/b", "slot")]
    assert [s.event.pkg for s in critical_path(events, parallelism=2).steps] == ["x.org/b"]


def test_zero_length_records_of_one_package_do_not_cut_the_path_short():
    from gotrace.analysis.critical_path import critical_path
    from gotrace.events import Event

    def ev(tool, pkg, start, wall, deps=None):
        return Event(build="b", tool=tool, pkg=pkg, start_ns=start, wall_ns=wall, deps=deps)

    events = [ev("compile", "a", 0, 100), ev("asm", "b", 150, 0), ev("compile", "b", 150, 0, deps=("a",)),
              ev("link", "main", 200, 50, deps=("a", "b"))]
    path = critical_path(events)
    assert [s.event.pkg for s in path.steps][0] == "a" and path.steps[-1].event.tool == "link"
