"""One build's columns (analysis/build_rows.py): read in two processes they are what one process reads,
the rows the timeline outlines as the critical path are exactly the steps of `critical_path`, on real
builds (plain, tests with vet and test variants, an imported action graph) and on random ones, and a
summary of the rows read is, to the byte, the summary of the build's Events."""
from __future__ import annotations

import functools
import gzip
import io
import random
from pathlib import Path

import numpy as np
import pytest

import gotrace.events
from gotrace.analysis.build_rows import BuildRows, read_part, rows_of_build
from gotrace.analysis.critical_path import critical_path
from gotrace.analysis.parallelism import parallelism
from gotrace.analysis.summary import render_summary_text, summarize, summary_to_json
from gotrace.commands._common import read_build, selected_in_parts
from gotrace.events import Event, read_events, write_events
from tests.conftest import ROOT, run_gotrace

PINNED = ROOT / "tests" / "pinned"


def gantt_of(path: Path, build: str | None = None, with_whole: bool = False) -> BuildRows:
    """The rows as the timeline reads them (no whole Events), or as summary does (`with_whole`)."""
    parts, _ = selected_in_parts(str(path), build, functools.partial(read_part, with_whole=with_whole))
    return rows_of_build(parts, build)


def path_rows_by_events(path: Path) -> list[tuple]:
    """(tool, package, start, wall) of each step of critical_path over the events of the last build."""
    events, reader = read_events(str(path))
    last = list(dict.fromkeys(e.build for e in events))[-1]
    ran = [e for e in events if e.build == last and not e.cached]
    steps = critical_path(ran, None).steps
    return sorted((s.event.tool, s.event.pkg, s.event.start_ns, s.event.wall_ns) for s in steps)


def path_rows_by_columns(path: Path) -> list[tuple]:
    rows = gantt_of(path)
    marked = np.flatnonzero(rows.on_critical_path()).tolist()
    return sorted((rows.tools[rows.tool[k]], rows.pkgs[rows.pkg[k]], int(rows.start_ns[k]), int(rows.wall_ns[k]))
                  for k in marked)


@pytest.mark.parametrize("trace", ["multi-p2.jsonl", "multi-p1.jsonl", "multi-alone-rounding.jsonl"])
def test_the_outlined_rows_are_the_critical_paths_steps_on_real_builds(trace):
    expected = path_rows_by_events(PINNED / trace)
    assert len(expected) > 5 and path_rows_by_columns(PINNED / trace) == expected


def test_the_outlined_rows_are_the_critical_paths_steps_with_tests_vet_and_variants(multi_test_build):
    events, _ = read_events(str(multi_test_build.trace))
    assert any("[" in e.pkg for e in events) and any(e.tool == "vet" for e in events)
    assert path_rows_by_columns(multi_test_build.trace) == path_rows_by_events(multi_test_build.trace)


def test_the_outlined_rows_are_the_critical_paths_steps_of_an_imported_action_graph(sequential_build, tmp_path):
    trace = tmp_path / "graph.jsonl"
    run_gotrace(["import", str(sequential_build.trace.parent / "graph.json"), "-o", str(trace)], check=True)
    events, _ = read_events(str(trace))
    assert sum(bool(e.action_deps) for e in events) > 20
    assert path_rows_by_columns(trace) == path_rows_by_events(trace)


def random_build(seed: int, n: int = 400) -> list[Event]:
    """Invocations on a coarse time grid (ties everywhere), packages with test variants, vets,
    links of test binaries, imports in both directions and, for some seeds, action ids."""
    rng = random.Random(seed)
    bases = [f"example.com/p{i}" for i in range(25)]
    names = bases + [f"{b} [{b}.test]" for b in bases[:6]] + [f"{b}.test" for b in bases[:3]]
    actions = seed % 3 == 0
    out = []
    for k in range(n):
        pkg = rng.choice(names)
        tool = ("link" if pkg.endswith(".test") else
                rng.choice(("compile", "compile", "asm", "gcc", "cgo", "vet", "pack")))
        deps = None
        if tool in ("compile", "link"):
            deps = tuple(rng.sample(bases, rng.randrange(0, 8 if tool == "compile" else 20)))
        start = rng.randrange(0, 30) * 2_000_000
        wall = rng.choice((0, 1_000_000, 2_000_000, 5_000_000, rng.randrange(0, 40_000_000)))
        out.append(Event(build="b", tool=tool, pkg=pkg, start_ns=start, wall_ns=wall, deps=deps,
                         user_ns=rng.choice((None, wall)), cached=rng.random() < 0.03,
                         action=str(k) if actions else None,
                         action_deps=tuple(str(rng.randrange(0, n)) for _ in range(rng.randrange(0, 3)))
                         if actions else None, source="actiongraph" if actions else "shim"))
    return out


@pytest.mark.parametrize("seed", range(12))
def test_the_outlined_rows_are_the_critical_paths_steps_of_random_builds(seed, tmp_path):
    trace = tmp_path / "random.jsonl"
    with open(trace, "wb") as out:
        write_events(random_build(seed), out)
    assert path_rows_by_columns(trace) == path_rows_by_events(trace)


def _same_rows(a: BuildRows, b: BuildRows) -> None:
    assert a.build == b.build and len(a) == len(b) > 0
    for column in ("start_ns", "wall_ns", "cpu_ns"):
        assert getattr(a, column).tolist() == getattr(b, column).tolist(), column
    assert [a.tools[t] for t in a.tool.tolist()] == [b.tools[t] for t in b.tool.tolist()]
    assert [a.pkgs[p] for p in a.pkg.tolist()] == [b.pkgs[p] for p in b.pkg.tolist()]
    assert a.max_rss_kib.tolist() == b.max_rss_kib.tolist()
    assert (a.deps, a.actions, a.action_deps) == (b.deps, b.actions, b.action_deps)
    assert (a.whole, a.others, a.c_files) == (b.whole, b.others, b.c_files)


@pytest.mark.parametrize("build", [None, "first"])
def test_two_processes_read_the_rows_one_process_reads(tmp_path, monkeypatch, build):
    """Two builds, the second a -p 1 build, damaged lines in both halves: the same rows, counts and
    first bad line, and the chosen build (the last one, or the one asked for) from either reading."""
    lines = []
    for name in ("multi-p2.jsonl", "multi-p1.jsonl"):
        lines += (PINNED / name).read_bytes().splitlines(keepends=True)
    lines.insert(40, b'{"v":1,"build":"x","tool":"compile"\n')
    lines.insert(len(lines) - 30, b"not json\n")
    trace = tmp_path / "two.jsonl"
    trace.write_bytes(b"".join(lines))
    first = next(e.build for e in read_events(str(trace))[0])
    wanted = first if build == "first" else None
    read = functools.partial(read_part, with_whole=True)
    one_parts, one = selected_in_parts(str(trace), wanted, read, include_probes=True)
    monkeypatch.setattr(gotrace.events, "PARALLEL_BYTES", 1)
    two_parts, two = selected_in_parts(str(trace), wanted, read, include_probes=True)
    assert len(one_parts) == 1 and len(two_parts) == 2
    _same_rows(rows_of_build(one_parts, wanted), rows_of_build(two_parts, wanted))
    assert rows_of_build(two_parts, wanted).build == (first if wanted else read_events(str(trace))[0][-1].build)
    for count in ("lines", "skipped", "first_bad_line", "probes", "cached", "builds"):
        assert getattr(one, count) == getattr(two, count), count


def test_the_concurrency_of_the_columns_is_the_concurrency_of_the_events():
    trace = PINNED / "multi-p2.jsonl"
    events, reader = read_events(str(trace))
    rows = gantt_of(trace)
    info = reader.builds.get(rows.build)
    assert rows.parallelism(info) == parallelism(events, info)


def test_a_build_served_from_the_cache_last_is_not_drawn_for_the_one_before(tmp_path):
    """The last build of the trace is drawn, even when it has nothing to draw (as summary chooses)."""
    trace = tmp_path / "t.jsonl"
    ran = Event(build="a", tool="compile", pkg="p", start_ns=0, wall_ns=5)
    cached = Event(build="b", tool="compile", pkg="p", start_ns=10, wall_ns=0, cached=True, source="actiongraph")
    buffer = io.BytesIO()
    write_events([ran, cached], buffer)
    trace.write_bytes(buffer.getvalue())
    assert len(gantt_of(trace)) == 0 and gantt_of(trace).build == "b"
    assert len(gantt_of(trace, "a")) == 1


def test_the_rows_are_the_events_that_ran_field_by_field(tmp_path):
    """The graph view of the reader (TraceReader.products("graph")) against its events view, with
    lines that break the format's rules in between: the same records pass, the same fields."""
    lines = (PINNED / "multi-p2.jsonl").read_bytes().splitlines(keepends=True)
    lines[30:30] = [b'{"v":1,"build":"b","tool":"compile","pkg":"p","start_ns":1,"wall_ns":1,"deps":"oops"}\n',
                    b'{"v":1,"build":"b","tool":"compile","pkg":"p","start_ns":-1,"wall_ns":1}\n']
    trace = tmp_path / "t.jsonl"
    trace.write_bytes(b"".join(lines))
    events, reader = read_events(str(trace))
    ran = [e for e in events if not e.cached]
    rows = gantt_of(trace)
    assert reader.skipped == 2 and len(rows) == len(ran) > 20
    assert [(rows.tools[t], rows.pkgs[p], s, w, None if c == rows.UNKNOWN else c) for t, p, s, w, c in
            zip(rows.tool.tolist(), rows.pkg.tolist(), rows.start_ns.tolist(), rows.wall_ns.tolist(),
                rows.cpu_ns.tolist())] == [(e.tool, e.pkg, e.start_ns, e.wall_ns, e.cpu_ns) for e in ran]
    assert rows.deps == {k: e.deps for k, e in enumerate(ran) if e.deps is not None and e.tool in ("compile", "link")}
    assert rows.max_rss_kib.tolist() == [rows.NO_RSS if e.max_rss_kib is None else e.max_rss_kib for e in ran]
    # a row is kept whole when its record says more than the columns (the failures: none here); of
    # a C compile, its files are kept (all a summary reads of it)
    assert not rows.whole and not rows.c_files
    rows = gantt_of(trace, with_whole=True)
    assert all(rows.whole[k] == ran[k] for k in rows.whole)
    assert sorted(rows.whole) == [k for k, e in enumerate(ran) if e.failed]
    compiles = [k for k, e in enumerate(ran) if e.tool == "gcc"]
    assert len(compiles) > 10 and rows.c_files == {k: (ran[k].file, ran[k].output) for k in compiles}
    assert all((rows.event(k).file, rows.event(k).output) == (ran[k].file, ran[k].output) for k in compiles)


def _both_summaries(trace: Path, build: str | None = None) -> tuple[tuple, tuple]:
    """(JSON, text) of the summary of the rows `gotrace summary` reads, and of the build's Events."""
    rows, info, builds = read_build(str(trace), build)
    events, reader = read_events(str(trace), include_probes=True)
    chosen = build or builds[-1]
    mine = [e for e in events if e.build == chosen]
    out = []
    for of in (rows, mine):
        summary = summarize(of, info, top=5, builds_in_trace=builds)
        text = io.StringIO()
        render_summary_text(summary, text)
        out.append((summary_to_json(summary), text.getvalue()))
    return out[0], out[1]


@pytest.mark.parametrize("trace", ["multi-p2.jsonl", "multi-alone-rounding.jsonl", "cmd-go-march-native.jsonl.gz"])
@pytest.mark.parametrize("parts", [1, 2])
def test_the_summary_of_the_rows_read_is_the_summary_of_the_events(trace, parts, tmp_path, monkeypatch):
    """Read in one process or two, the columns, the whole Events kept and the version probes say
    what the Events say: cgo's C compiles, probes for coverage, a build of 2,000 invocations."""
    path = PINNED / trace
    if trace.endswith(".gz"):
        path = tmp_path / trace.removesuffix(".gz")
        path.write_bytes(gzip.decompress((PINNED / trace).read_bytes()))
    if parts == 2:
        monkeypatch.setattr(gotrace.events, "PARALLEL_BYTES", 1)
    mine, theirs = _both_summaries(path)
    assert mine == theirs
    assert mine[0]["coverage"]["span_ns"] > 0 and mine[0]["critical_path"]["steps"]


def test_the_summary_of_the_rows_read_is_the_summary_of_the_events_of_a_failed_build(broken_build):
    mine, theirs = _both_summaries(broken_build.trace)
    assert mine == theirs and mine[0]["totals"]["failed"] > 0


def test_the_summary_of_the_rows_read_is_the_summary_of_the_events_of_tests(multi_test_build):
    mine, theirs = _both_summaries(multi_test_build.trace)
    assert mine == theirs and mine[0]["totals"]["invocations_by_tool"]["vet"] > 0


def test_the_summary_of_the_rows_read_is_the_summary_of_an_imported_action_graph(sequential_build, tmp_path):
    """Cache hits, queue waits and action ids come from the whole Events and the cache hits kept."""
    trace = tmp_path / "graph.jsonl"
    run_gotrace(["import", str(sequential_build.trace.parent / "graph.json"), "-o", str(trace)], check=True)
    mine, theirs = _both_summaries(trace)
    assert mine == theirs and mine[0]["queue"] is not None


@pytest.mark.parametrize("build", ["first", None])
def test_the_summary_of_the_rows_read_is_the_summary_of_the_chosen_build(build, tmp_path, monkeypatch):
    lines = []
    for name in ("multi-p2.jsonl", "multi-p1.jsonl"):
        lines += (PINNED / name).read_bytes().splitlines(keepends=True)
    trace = tmp_path / "two.jsonl"
    trace.write_bytes(b"".join(lines))
    first = next(e.build for e in read_events(str(trace))[0])
    monkeypatch.setattr(gotrace.events, "PARALLEL_BYTES", 1)
    mine, theirs = _both_summaries(trace, first if build == "first" else None)
    # (with --build, the trace is read for that build alone)
    assert mine == theirs and len(mine[0]["build"]["builds_in_trace"]) == (1 if build else 2)


@pytest.mark.parametrize("parallel", [False, True])
def test_the_rows_of_the_last_build_name_its_packages_in_its_own_order(tmp_path, monkeypatch, parallel):
    """A trace whose first build ran packages in another order than the last: the rows of the last
    build list its packages and tools in the order it ran them, as its Events do, read in one
    process or two."""
    def record(build: str, pkg: str, tool: str, start: int) -> Event:
        return Event(build=build, tool=tool, pkg=pkg, start_ns=start, wall_ns=10, deps=())

    first = [record("a", pkg, tool, k) for k, (pkg, tool) in
             enumerate([("p/x", "compile"), ("p/y", "asm"), ("p/z", "compile"), ("main", "link")])]
    last = [record("b", pkg, tool, 100 + k) for k, (pkg, tool) in
            enumerate([("p/z", "compile"), ("q", "cgo"), ("p/x", "compile"), ("main", "link")])]
    trace = tmp_path / "two.jsonl"
    with open(trace, "wb") as out:
        write_events(first * 50 + last * 50, out)
    if parallel:
        monkeypatch.setattr(gotrace.events, "PARALLEL_BYTES", 1)
    rows = gantt_of(trace)
    expected = BuildRows.of_events(last * 50)
    assert rows.build == "b"
    assert (rows.pkgs, rows.tools) == (expected.pkgs, expected.tools) == (["p/z", "q", "p/x", "main"],
                                                                          ["compile", "cgo", "link"])
    assert rows.pkg.tolist() == expected.pkg.tolist() and rows.tool.tolist() == expected.tool.tolist()


@pytest.mark.parametrize("extra", [
    {"tool": "gcc", "file": "a.c", "output": "a.o"},
    {"tool": "gcc", "output": "_cgo_.o"},
    {"tool": "clang", "file": "b.c"},
    {"tool": "gcc", "file": "a.c", "exit": 1},
    {"tool": "gcc", "file": None, "output": None},
    {"tool": "compile", "file": "x.go"},
    {"tool": "gcc"},
])
def test_a_build_row_keeps_a_c_compile_s_files_and_the_whole_event_of_a_failure_on_either_path(extra):
    """The compiled row maker and the reference path (events._slow_row) make the same build row: a C
    compile's (file, output), an Event only where the record says more (here a failure)."""
    from gotrace.events import _row_maker, _slow_row

    record = {"v": 1, "build": "b", "tool": "gcc", "pkg": "x.org/p", "start_ns": 5, "wall_ns": 7, **extra}
    made = _row_maker(tuple(record), "build", False)(record, {}.setdefault)
    assert made == _slow_row(record, "build", False)
    whole, files = made[7], made[8]
    assert (whole is not None) == bool(record.get("exit"))
    c_compile = record["tool"] in ("gcc", "clang") and ("file" in record or "output" in record)
    assert files == ((record.get("file"), record.get("output")) if c_compile else None)
