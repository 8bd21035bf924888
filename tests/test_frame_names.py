"""One name per frame, the same in every output: fold, flame, speedscope, chrome and diff call a
package, a directory, a tool and a compile phase alike, and a name means one thing only."""
from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from gotrace.collapse import GROUPINGS, fold_events, kind_stacks, stack_of
from gotrace.events import Event, read_events
from gotrace.palette import TOOL_COLOURS
from tests.conftest import need, run_gotrace
from tests.test_speedscope import SCHEMA, sampled_stacks, validate


def ran(traced) -> list[Event]:
    return [e for e in read_events(str(traced.trace))[0] if not e.probe and not e.cached]


def event(pkg: str, tool: str = "compile") -> Event:
    return Event(build="b", tool=tool, pkg=pkg, start_ns=0, wall_ns=1_000_000)


def test_package_runtime_and_directory_runtime_are_different_frames(multi_build):
    stacks = fold_events(ran(multi_build))
    assert ("build", "std", "runtime", "compile") in stacks
    assert ("build", "std", "runtime/", "runtime/cgo", "cgo") in stacks
    # the frame `runtime` holds the runtime package and nothing below it
    assert all(key[:3] == ("build", "std", "runtime") and len(key) == 4
               for key in stacks if "runtime" in key)


def test_no_package_frame_is_named_like_a_tool_in_any_grouping(multi_build):
    events = ran(multi_build)
    for grouping in GROUPINGS:
        for key in fold_events(events, grouping=grouping):
            tool_at = 1 if grouping == "tool" else len(key) - 1
            if grouping == "file" and key[-1] not in TOOL_COLOURS:
                tool_at = len(key) - 2  # a C compile: its source file below its compiler
            others = [f for i, f in enumerate(key) if i not in (0, tool_at)]
            assert not set(others) & set(TOOL_COLOURS), (grouping, key)


def test_a_package_whose_path_is_a_tool_name_is_marked_as_a_package():
    assert stack_of(event("link", tool="link")) == ("build", "std", "pkg:link", "link")


def test_a_test_variant_is_a_frame_below_its_package_and_names_have_no_spaces():
    pkg = "example.com/a/b [example.com/a/b.test]"
    assert stack_of(event(pkg)) == ("build", "example.com/", "example.com/a/", "example.com/a/b",
                                    "[example.com/a/b.test]", "compile")
    for grouping in GROUPINGS:
        assert not any(" " in frame for frame in stack_of(event(pkg), grouping))
        assert not any(" " in frame for frame in stack_of(event(""), grouping))


def speedscope_of(traced, tmp_path) -> dict:
    need(SCHEMA.exists(), "speedscope npm package not installed: run `npm install`")
    out = tmp_path / "build.speedscope.json"
    run_gotrace(["speedscope", str(traced.trace), "-o", str(out)], check=True)
    document = json.loads(out.read_bytes())
    validate(document, json.loads(SCHEMA.read_text()))
    return document


def frame_total(document: dict, profile: dict, name: str) -> int:
    """What speedscope's Sandwich view shows as a frame's total: every sample that holds it, once."""
    index = [f["name"] for f in document["shared"]["frames"]].index(name)
    return sum(w for sample, w in zip(profile["samples"], profile["weights"]) if index in sample)


def test_speedscope_frame_runtime_totals_exactly_the_runtime_packages_own_time(multi_build, tmp_path):
    document = speedscope_of(multi_build, tmp_path)
    time = document["profiles"][0]
    own = sum(e.wall_ns // 1000 for e in ran(multi_build) if e.pkg == "runtime")
    assert own > 0 and frame_total(document, time, "runtime") == own


def test_speedscope_keeps_the_package_runtime_cgo_and_the_tool_cgo_apart(multi_build, tmp_path):
    document = speedscope_of(multi_build, tmp_path)
    names = [f["name"] for f in document["shared"]["frames"]]
    assert len(names) == len(set(names)) and {"runtime/cgo", "cgo", "runtime/"} <= set(names)
    time = document["profiles"][0]
    events = ran(multi_build)
    assert frame_total(document, time, "cgo") == sum(e.wall_ns // 1000 for e in events if e.tool == "cgo")
    assert frame_total(document, time, "runtime/cgo") == sum(e.wall_ns // 1000 for e in events
                                                             if e.pkg == "runtime/cgo")


def test_memory_views_weigh_memory_time_and_name_the_unit(multi_build, tmp_path):
    events = ran(multi_build)
    document = speedscope_of(multi_build, tmp_path)
    assert not [p for p in document["profiles"] if p["unit"] == "bytes"], "peaks were added up"
    [memory] = [p for p in document["profiles"] if "memory" in p["name"].lower()]
    assert "KiB*s" in memory["name"] and memory["unit"] == "none"
    # memory-time adds up: the root holds the sum over invocations of peak RSS x wall
    assert sampled_stacks(document, memory) == fold_events(events, weight="rss")
    assert memory["endValue"] == sum(e.max_rss_kib * e.wall_ns // 10**9 for e in events
                                     if e.max_rss_kib is not None)
    fold = run_gotrace(["fold", str(multi_build.trace), "--weight", "rss"], check=True)
    assert b"KiB*s" in fold.stderr
    svg = run_gotrace(["flame", str(multi_build.trace), "--weight", "rss", "-o", "-"], check=True).stdout
    assert b"KiB*s" in svg and b"emory-time" in svg


PACKAGE_NAMES = ["runtime", "runtime/cgo", "example.com/a/b", "example.com/a/b [example.com/a/b.test]",
                 "example.com/a.test", "main", "command-line-arguments", "", "/abs/p", "a//b", "link", "cgo/x",
                 "a;b/c", "a\nb/c\r", "std", "x [y", "x]", "p [q] [r]", "golang.org/x/sys/unix", "ß/ü.é"]
NAME_TEXT = st.text(st.sampled_from(list("ab./ []; \n\r.tesmain")), max_size=12)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(PACKAGE_NAMES), NAME_TEXT), max_size=12),
       st.sampled_from([None, "build", "a;b", "x\ny"]), st.sampled_from(GROUPINGS[:-1]))
def test_a_package_s_frames_made_once_for_its_tools_are_its_stack_s(packages, root, grouping):
    """kind_stacks makes each package's frames once (a quicker way for plain paths): every stack
    is stack_of's for the same invocation, whatever the name, the root and the grouping."""
    kinds = [("b", pkg, tool) for pkg in packages for tool in ("compile", "a;sm")]
    assert kind_stacks(kinds, grouping, root) == [stack_of(event(pkg, tool), grouping, root) for _, pkg, tool in kinds]

