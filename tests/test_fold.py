"""Folded stacks: from a real traced build (`gotrace fold`) and as text (read_folded/write_folded)."""
from __future__ import annotations

import io
from collections import defaultdict

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gotrace.collapse import (
    GROUPINGS,
    WEIGHTS,
    filter_events,
    fold_columns,
    fold_events,
    kind_stacks,
    read_folded,
    stack_of,
    write_folded,
)
from gotrace.events import MAX_DURATION_NS, MAX_KIB, Event, TraceReader, read_events, write_events

from .conftest import run_gotrace, two_builds_with_damaged_lines

MODULE = "example.com/multi"


def events_of(traced):
    return read_events(str(traced.trace))[0]


def counted(events):
    return [e for e in events if not e.probe and not e.cached]


def folded_text(stacks) -> str:
    out = io.StringIO()
    write_folded(stacks, out)
    return out.getvalue()


@pytest.mark.parametrize("weight", sorted(WEIGHTS))
@pytest.mark.parametrize("grouping", GROUPINGS)
def test_every_grouping_and_weight_keeps_the_builds_total(multi_build, grouping, weight):
    events = counted(events_of(multi_build))
    value_of = WEIGHTS[weight][1]
    stacks = fold_events(events, weight=weight, grouping=grouping)
    per_stack: dict[tuple, list[int]] = defaultdict(list)
    for event in events:
        if value_of(event) is not None:
            per_stack[stack_of(event, grouping)].append(value_of(event))
    assert per_stack, "the traced build recorded no values"
    assert set(stacks) == set(per_stack)
    for key, values in per_stack.items():
        # memory too is a sum (of memory-time): a flame graph adds children up
        assert stacks[key] == sum(values), key
    assert all(type(v) is int and v >= 0 for v in stacks.values())
    assert all(key[0] == "build" for key in stacks)


def test_folded_text_round_trips_for_every_grouping_of_a_real_build(multi_build):
    events = events_of(multi_build)
    for grouping in GROUPINGS:
        text = folded_text(fold_events(events, grouping=grouping))
        assert folded_text(read_folded(text.splitlines(keepends=True))) == text
        assert read_folded(io.BytesIO(text.encode())) == fold_events(events, grouping=grouping)


def test_round_trip_keeps_fractions_differential_pairs_and_odd_names():
    text = ("a;b 1.5\n"
            "a;b;c 2\n"
            "x y;z\u00e9 0.25\n")
    assert folded_text(read_folded(text.splitlines(True))) == text
    diff = "a;b 3 5\na;c 4 0\n"
    stacks = read_folded(diff.splitlines(True))
    assert stacks.differential and stacks[("a", "b")] == (3, 5)
    assert folded_text(stacks) == diff


def test_identical_stacks_are_summed_and_totals_preserved():
    stacks = read_folded(["a;b 3\n", "a;c 4\n", "a;b 2\n", "a;b;c 1\n"])
    assert stacks == {("a", "b"): 5, ("a", "c"): 4, ("a", "b", "c"): 1}
    assert sum(stacks.values()) == 10


def test_lines_are_written_sorted_so_output_is_deterministic():
    stacks = {("b",): 1, ("a", "z"): 2, ("a",): 3}
    assert folded_text(stacks) == "a 3\na;z 2\nb 1\n"
    assert folded_text(dict(reversed(list(stacks.items())))) == folded_text(stacks)


def test_malformed_lines_are_skipped_and_counted_blank_and_comments_quietly():
    stacks = read_folded(["# produced by a profiler 3\n", "\n", "a;b 2\n", "no count here\n",
                          "a;b -4\n", "a;b 1e3\n", "a;c 7\n", "   \n"])
    assert stacks == {("a", "b"): 2, ("a", "c"): 7}
    assert stacks.skipped == 3 and stacks.first_bad_line == 4


def test_a_differential_input_treats_single_count_lines_as_unchanged():
    stacks = read_folded(["a;b 2\n", "a;c 1 3\n"])
    assert stacks == {("a", "b"): (2, 2), ("a", "c"): (1, 3)}


def test_non_utf8_names_read_with_replacement_characters():
    stacks = read_folded([b"a;\xff\xfe 3\n"])
    assert stacks == {("a", "\ufffd\ufffd"): 3}


def test_path_grouping_nests_directories_and_ends_in_the_whole_import_path(multi_build):
    stacks = fold_events(events_of(multi_build))
    dirs = ("build", "example.com/", "example.com/multi/", "example.com/multi/internal/")
    assert dirs + (f"{MODULE}/internal/geom", "compile") in stacks
    assert dirs + (f"{MODULE}/internal/asmsum", "asm") in stacks
    assert dirs + (f"{MODULE}/internal/cgohash", "cgo") in stacks
    assert ("build", "example.com/", "example.com/multi/", "example.com/multi/cmd/", f"{MODULE}/cmd/multi",
            "link") in stacks
    assert ("build", "std", "fmt", "compile") in stacks
    assert ("build", "std", "internal/", "internal/runtime/", "internal/runtime/atomic", "compile") in stacks
    assert not any(key[1] in ("fmt", "runtime") for key in stacks)


def test_other_groupings_put_module_package_or_tool_first(multi_build):
    events = events_of(multi_build)
    module = fold_events(events, grouping="module")
    assert ("build", f"{MODULE}/...", f"{MODULE}/internal/geom", "compile") in module
    assert ("build", "std", "runtime/cgo", "cgo") in module
    assert ("build", "std", "internal/fmtsort", "compile") in module
    flat = fold_events(events, grouping="flat")
    assert ("build", f"{MODULE}/internal/geom", "compile") in flat
    assert ("build", "fmt", "compile") in flat
    by_tool = fold_events(events, grouping="tool")
    assert ("build", "compile", f"{MODULE}/internal/geom") in by_tool
    assert ("build", "link", f"{MODULE}/cmd/multi") in by_tool


def test_filters_select_tools_and_whole_path_elements(multi_build):
    events = events_of(multi_build)
    asm = list(filter_events(events, tools=["asm"]))
    assert asm and all(e.tool == "asm" for e in asm)
    internal = list(filter_events(events, package=f"{MODULE}/internal"))
    assert {e.pkg.split("/")[3] for e in internal} == {"asmsum", "cgohash", "geom", "textutil"}
    assert not list(filter_events(events, package=f"{MODULE}/internal/g"))
    std = list(filter_events(events, package="std"))
    assert std and all("." not in e.pkg.split("/")[0] for e in std)


def test_fold_command_is_deterministic_and_names_the_unit(multi_build):
    first = run_gotrace(["fold", str(multi_build.trace)], check=True)
    second = run_gotrace(["fold", str(multi_build.trace)], check=True)
    assert first.stdout == second.stdout
    assert b"microseconds" in first.stderr
    expected = fold_events(events_of(multi_build))
    assert read_folded(io.BytesIO(first.stdout)) == expected
    rss = run_gotrace(["fold", str(multi_build.trace), "--weight", "rss"], check=True)
    assert b"memory-time" in rss.stderr and b"KiB*s" in rss.stderr


def test_fold_command_filters_by_tool_package_and_grouping(multi_build, tmp_path):
    out = tmp_path / "asm.folded"
    run_gotrace(["fold", str(multi_build.trace), "--tool", "asm", "--package", MODULE,
                 "--grouping", "flat", "-o", str(out)], check=True)
    assert out.read_text() == f"build;{MODULE}/internal/asmsum;asm " \
        f"{fold_events(events_of(multi_build), grouping='flat')[('build', f'{MODULE}/internal/asmsum', 'asm')]}\n"


def test_fold_command_picks_one_build_of_several(multi_build, tmp_path):
    events = events_of(multi_build)
    second = [e._replace(build="second") for e in events if e.tool == "compile"][:3]
    trace = tmp_path / "two.jsonl"
    with open(trace, "wb") as f:
        write_events(events + second, f)
    result = run_gotrace(["fold", str(trace), "--build", "second"], check=True)
    assert read_folded(io.BytesIO(result.stdout)) == fold_events(second)
    missing = run_gotrace(["fold", str(trace), "--build", "nope"])
    assert missing.returncode != 0 and b"Traceback" not in missing.stderr
    assert b"second" in missing.stderr and len(missing.stderr.splitlines()) == 1


def test_fold_command_rejects_a_filter_that_matches_nothing(multi_build):
    result = run_gotrace(["fold", str(multi_build.trace), "--tool", "nosuchtool"])
    assert result.returncode != 0 and result.stdout == b""
    assert b"nosuchtool" in result.stderr and b"Traceback" not in result.stderr


class CountingReads(io.BytesIO):
    """A binary stream that counts the read calls made on it."""

    reads = 0

    def read(self, size=-1):
        self.reads += 1
        return super().read(size)


@pytest.mark.parametrize("tail", [b"", b" 7"])
def test_a_line_longer_than_a_batch_is_read_in_growing_batches(tail):
    # a file without newlines used to be re-joined batch after batch (quadratic); reads that double
    # while no newline comes make the copying linear: n batches' worth of one line takes log2(n) reads
    from gotrace.collapse import FoldedReader

    batch = 4096
    line = b"a;" * (batch * 256 // 2) + tail        # 1 MiB: 256 batches
    source = CountingReads(line + b"\nb 1\n")
    reader = FoldedReader(source, batch_size=batch)
    rows = list(reader)
    assert source.reads <= 2 * 9 + 4, source.reads  # log2(256) doublings and a few more
    assert [stack for stack, _, _ in rows] == ([line[:-2]] if tail else []) + [b"b"]
    assert reader.skipped == (0 if tail else 1)


@pytest.mark.parametrize("build", [None, "second"])
def test_a_large_trace_folded_by_two_processes_gives_what_one_folds(multi_build, tmp_path, monkeypatch, build):
    import gotrace.events
    from gotrace.commands.fold import trace_stacks

    events, _ = read_events(str(multi_build.trace))
    path = two_builds_with_damaged_lines(events, tmp_path / "two-builds.jsonl")
    folds = {}
    for parallel in (False, True):
        monkeypatch.setattr(gotrace.events, "PARALLEL_BYTES", 0 if parallel else 1 << 60)
        for grouping in ("path", "file"):
            stacks, reader = trace_stacks(str(path), build, weight="wall", grouping=grouping, tools=(), package=None)
            folds[parallel, grouping] = (stacks, reader.lines, reader.skipped, reader.first_bad_line)
    for grouping in ("path", "file"):
        assert folds[True, grouping] == folds[False, grouping]
        assert folds[True, grouping][2:] == (2, len(events) + 1)


# Records that take every path of the columns fold: several builds sharing stacks, test variants,
# tools named like packages, compile phases (some taking all of a compile's time), unknown CPU time
# and peak memory, zero walls, and peak x wall products past 2^63 (the bounds allow them).
column_records = st.lists(st.fixed_dictionaries({
    "build": st.sampled_from(["b1", "b2"]),
    "tool": st.sampled_from(["compile", "link", "asm", "gcc"]),
    "pkg": st.sampled_from(["", "fmt", "link", "a.example/x/y", "a.example/x/z", "a.example/x/y [a.example/x/y.test]",
                            "a;b/c", "x/\ny", "/abs/p", "main", "odd]", "net/http"]),
    "start_ns": st.integers(0, 10**6),
    "wall_ns": st.sampled_from([0, 999, 1000, 123_456_789, MAX_DURATION_NS]),
    "user_ns": st.sampled_from([None, 0, 5_000_000]),
    "sys_ns": st.sampled_from([None, 1_000]),
    "max_rss_kib": st.sampled_from([None, 0, 1, 70_000, MAX_KIB]),
    "phases": st.sampled_from([None, {"fe:parse": 5_000, "total": 9_000}, {"be:compilefuncs": MAX_DURATION_NS}]),
}), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(column_records, st.sampled_from(["path", "module", "flat", "tool"]),
       st.sampled_from([(), ("compile",), ("link", "gcc")]), st.sampled_from([None, "std", "a.example/x"]))
def test_the_columns_fold_is_fold_events_of_the_same_invocations(records, grouping, tools, package):
    lines = [orjson.dumps({"v": 1, **{k: v for k, v in r.items() if v is not None}}) for r in records]
    data = b"\n".join(lines) + b"\n"
    events = list(TraceReader(io.BytesIO(data)))
    spans = TraceReader(io.BytesIO(data)).columns()
    folds = fold_columns(spans, WEIGHTS, grouping=grouping, tools=tools, package=package).as_dicts()
    assert folds == [fold_events(filter_events(events, tools=tools, package=package), weight=weight, grouping=grouping)
                     for weight in WEIGHTS]


# package names that take each path of kind_stacks: plain paths (std or not, with and without
# directories), ones it leaves to package_frames (test variants, names clean_frame changes, a
# one-element path named like a tool, no package), and paths that share directories
STACK_PACKAGES = ["fmt", "net/http", "net/http/httptest", "example.com/a/b", "example.com/a/c", "/abs/p", "main",
                  "command-line-arguments", "link", "", "p [p.test]", "example.com/a/b [example.com/a/b.test]",
                  "odd]", "a;b/c", "x/\ny/z", "cr\r/q"]


@pytest.mark.parametrize("grouping", ["path", "module", "flat"])
@pytest.mark.parametrize("root", ["build", None, "odd;root"])
@pytest.mark.parametrize("odd", [True, False])
def test_kind_stacks_names_each_kind_as_stack_of_its_invocation(grouping, root, odd):
    packages = STACK_PACKAGES if odd else STACK_PACKAGES[:8]
    kinds = [(build, pkg, tool) for build in ("b1", "b2") for pkg in packages for tool in ("compile", "link;x")]
    assert kind_stacks(kinds, grouping, root) == [
        stack_of(Event(build=build, tool=tool, pkg=pkg, start_ns=0, wall_ns=0), grouping, root)
        for build, pkg, tool in kinds]
