"""`gotrace diff` on real traces: a cold `go build ./...` of samples/multi against a cold `go test ./...`
of it (the session fixtures), which differ in known ways: test variants, vet and test links are new."""
from __future__ import annotations

import gzip
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gotrace.collapse import fold_events, read_folded
from gotrace.events import read_events

from .conftest import ROOT, Traced, run_gotrace

PINNED = ROOT / "tests" / "pinned"

GEOM_TEST = "example.com/multi/internal/geom [example.com/multi/internal/geom.test]"


def diff_json(before: Path, after: Path, *args: str, expect: int = 0) -> dict:
    result = run_gotrace(["diff", str(before), str(after), "--json", *args])
    assert result.returncode == expect, result.stderr.decode()
    return json.loads(result.stdout)


def test_a_build_against_itself_shows_no_change_and_passes_the_gate(multi_build):
    result = run_gotrace(["diff", str(multi_build.trace), str(multi_build.trace), "--fail-if-slower", "0%"])
    assert result.returncode == 0
    lines = result.stdout.decode().splitlines()
    assert lines[0].endswith("(no change)")
    assert lines[1] == "  no package or tool changed past the noise threshold"


def test_test_variants_and_vet_are_new_in_a_test_build(multi_build, multi_test_build):
    report = diff_json(multi_build.trace, multi_test_build.trace, "--threshold", "0ms")
    status = {(c["kind"], c["name"]): c["status"] for c in report["changes"]}
    assert status[("package", GEOM_TEST)] == "new"
    assert status[("tool", "vet")] == "new"
    new = [c for c in report["changes"] if c["status"] == "new"]
    assert all(c["before"] is None and c["delta"] == c["after"] for c in new)


def test_the_other_way_round_they_vanish(multi_build, multi_test_build):
    report = diff_json(multi_test_build.trace, multi_build.trace, "--threshold", "0ms")
    vanished = {c["name"]: c for c in report["changes"] if c["status"] == "vanished"}
    assert GEOM_TEST in vanished and vanished["vet"]["delta"] == -vanished["vet"]["before"]


def test_rows_are_sorted_by_the_size_of_the_change(multi_build, multi_test_build):
    changes = diff_json(multi_build.trace, multi_test_build.trace)["changes"]
    sizes = [abs(c["delta"]) for c in changes]
    assert len(sizes) > 10 and sizes == sorted(sizes, reverse=True)


def test_changes_match_the_traces_own_sums(multi_build, multi_test_build):
    before, _ = read_events(str(multi_build.trace))
    after, _ = read_events(str(multi_test_build.trace))
    report = diff_json(multi_build.trace, multi_test_build.trace, "--metric", "cpu", "--threshold", "0ms")
    compile_change = next(c for c in report["changes"] if c["kind"] == "tool" and c["name"] == "compile")
    assert compile_change["before"] == sum(e.cpu_ns for e in before if e.tool == "compile")
    assert compile_change["after"] == sum(e.cpu_ns for e in after if e.tool == "compile")
    assert report["total_after"] == sum(e.cpu_ns for e in after)


def test_rss_compares_peaks_in_kib(multi_build, multi_test_build):
    before, _ = read_events(str(multi_build.trace))
    report = diff_json(multi_build.trace, multi_test_build.trace, "--metric", "rss")
    assert report["unit"] == "KiB"
    assert report["total_before"] == max(e.max_rss_kib for e in before)
    out = run_gotrace(["diff", str(multi_build.trace), str(multi_test_build.trace), "--metric", "rss"],
                      check=True).stdout.decode()
    assert out.startswith("peak RSS: ") and "MiB" in out


def test_the_noise_threshold_hides_small_changes_and_counts_them(multi_build, multi_test_build):
    everything = diff_json(multi_build.trace, multi_test_build.trace, "--threshold", "0ms")
    coarse = diff_json(multi_build.trace, multi_test_build.trace, "--threshold", "1s")
    assert all(abs(c["delta"]) >= 1e9 for c in coarse["changes"])
    assert [c for c in everything["changes"] if abs(c["delta"]) >= 1e9] == coarse["changes"]
    assert len(everything["changes"]) > len(coarse["changes"])
    # the lists of packages that came and went stay complete whatever the threshold
    assert coarse["new_packages"] == everything["new_packages"]
    assert GEOM_TEST in coarse["new_packages"] and coarse["vanished_packages"] == []
    out = run_gotrace(["diff", str(multi_build.trace), str(multi_test_build.trace), "--threshold", "1s"],
                      check=True).stdout.decode()
    assert "smaller change(s) under the 1s noise threshold not shown" in out
    assert f"  {len(coarse['new_packages'])} new package(s) in all" in out


def test_a_relative_threshold_compares_with_the_before_value(multi_build, multi_test_build):
    changes = diff_json(multi_build.trace, multi_test_build.trace, "--threshold", "50%")["changes"]
    assert changes and all(c["relative"] is None or abs(c["relative"]) >= 0.5 for c in changes)


def test_a_build_that_did_more_work_fails_the_gate_with_exit_3_and_says_why(multi_build, tmp_path):
    # The same build plus what a test build adds (each package compiled again as its test
    # variant): the packages both have ran alike to the nanosecond, so no run-to-run noise can
    # hide the total's growth, whatever the machine's load while the fixture was traced.
    lines = multi_build.trace.read_bytes().splitlines(keepends=True)
    variants = []
    for line in lines:
        record = json.loads(line)
        if record.get("tool") == "compile":
            variants.append(json.dumps({**record, "pkg": f"{record['pkg']} [{record['pkg']}.test]"}).encode() + b"\n")
    more = tmp_path / "more-work.jsonl"
    more.write_bytes(b"".join(lines + variants))
    report = diff_json(multi_build.trace, more, "--metric", "cpu", "--fail-if-slower", "10%", expect=3)
    assert report["gate_failures"][0].startswith("total CPU time grew ")
    result = run_gotrace(["diff", str(multi_build.trace), str(more), "--metric", "cpu", "--fail-if-slower", "10%"])
    assert result.returncode == 3 and "slower than 10%: total CPU time grew" in result.stdout.decode()
    # the other way round the build did less: it passes
    diff_json(more, multi_build.trace, "--metric", "cpu", "--fail-if-slower", "10%", expect=0)


def test_folded_output_is_differential_and_keeps_both_sides_totals(multi_build, multi_test_build, tmp_path):
    folded = tmp_path / "diff.folded"
    run_gotrace(["diff", str(multi_build.trace), str(multi_test_build.trace), "--folded", str(folded)], check=True)
    lines = folded.read_text().splitlines()
    assert all(len(line.rsplit(" ", 2)) == 3 for line in lines)
    stacks = read_folded(lines)  # the folded reader the flame graphs use
    assert stacks.differential and stacks.skipped == 0
    before, _ = read_events(str(multi_build.trace))
    after, _ = read_events(str(multi_test_build.trace))
    assert sum(b for b, _ in stacks.values()) == sum(fold_events(before).values())
    assert sum(a for _, a in stacks.values()) == sum(fold_events(after).values())
    assert lines == sorted(lines, key=lambda line: line.rsplit(" ", 2)[0].split(";"))
    piped = run_gotrace(["diff", str(multi_build.trace), str(multi_test_build.trace), "--folded", "-"], check=True)
    assert piped.stdout.decode().splitlines() == lines  # stdout holds only the stacks, for a pipe


def test_svg_is_a_differential_flame_graph_red_where_it_grew_blue_where_it_shrank(
        multi_build, multi_test_build, tmp_path):
    svg = tmp_path / "diff.svg"
    run_gotrace(["diff", str(multi_build.trace), str(multi_test_build.trace), "--svg", str(svg)], check=True)
    root = ET.parse(svg).getroot()
    ns = {"s": "http://www.w3.org/2000/svg"}
    fills = [r.get("fill") for r in root.iterfind(".//s:rect", ns)]
    reds = [f for f in fills if f and f.startswith("rgb(255,") and f != "rgb(255,255,255)"]
    blues = [f for f in fills if f and f.endswith(",255)") and f.startswith("rgb(") and not f.startswith("rgb(255,")]
    assert reds and blues
    titles = " ".join(t.text or "" for t in root.iterfind(".//s:title", ns))
    assert "[example.com/multi/internal/geom.test]" in titles and "vet" in titles


def test_outputs_are_deterministic(multi_build, multi_test_build, tmp_path):
    outs = []
    for n in range(2):
        svg, table = tmp_path / f"{n}.svg", tmp_path / f"{n}.txt"
        run_gotrace(["diff", str(multi_build.trace), str(multi_test_build.trace), "--svg", str(svg), "-o", str(table)],
                    check=True)
        outs.append((svg.read_bytes(), table.read_bytes()))
    assert outs[0] == outs[1]


def test_a_trace_with_several_builds_contributes_its_last(multi_build, multi_test_build, tmp_path):
    both = tmp_path / "both.jsonl"
    both.write_bytes(multi_build.trace.read_bytes() + multi_test_build.trace.read_bytes())
    result = run_gotrace(["diff", str(multi_test_build.trace), str(both), "--json", "--fail-if-slower", "0%"])
    assert result.returncode == 0, result.stdout.decode()
    assert json.loads(result.stdout)["changes"] == []
    assert "holds 2 builds; comparing the last one" in result.stderr.decode()


def test_bad_input_is_a_one_line_error(multi_build, tmp_path):
    missing = run_gotrace(["diff", str(multi_build.trace), str(tmp_path / "nope.jsonl")])
    assert missing.returncode == 1 and missing.stderr.decode().count("\n") == 1
    for option, value in (("--threshold", "soon"), ("--fail-if-slower", "much")):
        bad = run_gotrace(["diff", str(multi_build.trace), str(multi_build.trace), option, value])
        assert bad.returncode == 2 and f"Invalid value for {option}" in bad.stderr.decode()


# -- the gate: like with like, robust to run-to-run noise ----------------------------------------------

# one generated function, a compile ~1 s of CPU heavier: the gate counts a package only past an
# absolute floor of 0.25 s, and 2500 statements added 0.24 s on a quick day (the gate then passed)
HEAVY_STATEMENTS = 6000
TEXTUTIL = "example.com/multi/internal/textutil"


def _cold_multi(tmp: Path, heavier: bool = False):
    from .conftest import copy_sample

    module = copy_sample("multi", tmp)
    if heavier:
        lines = ["package textutil", "", "func heavy(a []int) int {"]
        lines += [f"\tx{i} := a[{i % 7}] * {i + 3}" for i in range(HEAVY_STATEMENTS)]
        lines += ["\treturn " + " + ".join(f"x{i}" for i in range(HEAVY_STATEMENTS)), "}", ""]
        (module / "internal" / "textutil" / "heavy_gen.go").write_text("\n".join(lines))
    trace = tmp / "multi.jsonl"
    # the same go command as the multi_build fixture: a consecutive build of the same commit
    result = run_gotrace(["run", "--trace", str(trace), "--cold", "--", "go", "build", "-x", "-o", str(tmp / "bin") + "/",
                      "./..."], cwd=module)
    assert result.returncode == 0, result.stderr.decode()
    return trace


@pytest.fixture(scope="session")
def multi_again(go, tmp_path_factory) -> Path:
    return _cold_multi(tmp_path_factory.mktemp("multi_again"))


@pytest.fixture(scope="session")
def multi_heavier(go, tmp_path_factory) -> Path:
    """samples/multi with a generated file that makes internal/textutil's compile far heavier."""
    return _cold_multi(tmp_path_factory.mktemp("multi_heavier"), heavier=True)


def _trace_path(build: Traced | Path) -> Path:
    return build.trace if isinstance(build, Traced) else build


@pytest.mark.parametrize("pair", [(1, 2), (2, 3), (1, 3)])
def test_consecutive_cold_builds_of_the_same_commit_pass_a_10_percent_gate(pair, tmp_path):
    """Three cold builds of samples/multi made one after the other (`gotrace run --cold -- go build
    -x -o bin/ ./...`, recorded on this 2-core machine: tests/pinned/multi-same-N.jsonl.gz), every
    pair judged both ways. Recorded, not built here: whether two live builds pass depends on how the
    machine's load moved between them (a pair built ten minutes apart beside another test suite
    failed, `time` 40% past the machine-wide factor), and no test may hang on the load."""
    a, b = (tmp_path / f"same-{n}.jsonl" for n in pair)
    for n, path in zip(pair, (a, b)):
        path.write_bytes(gzip.decompress((PINNED / f"multi-same-{n}.jsonl.gz").read_bytes()))
    noise = set()
    for before, after in ((a, b), (b, a)):
        report = diff_json(before, after, "--fail-if-slower", "10%")
        assert report["gate_failures"] == [] and report["recording_differences"] == []
        assert report["gate"]["noise"] < report["gate"]["package_limit"]
        noise.add(report["gate"]["noise"])
    assert len(noise) == 1  # the pair is judged alike whichever build is called before


def test_a_package_made_twice_as_slow_fails_the_gate_by_name(multi_again, multi_heavier):
    before, _ = read_events(str(multi_again))
    after, _ = read_events(str(multi_heavier))

    def cpu(events):
        return sum(e.cpu_ns for e in events if e.pkg == TEXTUTIL)

    assert cpu(after) >= 2 * cpu(before)  # the injected regression is real
    report = diff_json(multi_again, multi_heavier, "--fail-if-slower", "10%", expect=3)
    assert any(r.startswith(f"{TEXTUTIL} grew ") for r in report["gate_failures"]), report["gate_failures"]
    assert not any(r.startswith("example.com/multi/internal/geom") for r in report["gate_failures"])


def test_the_table_states_the_machine_wide_change_and_the_likely_noise(multi_build, multi_again):
    out = run_gotrace(["diff", str(multi_build.trace), str(multi_again), "--metric", "cpu"], check=True).stdout.decode()
    assert "  machine-wide: the after-build's packages ran " in out and "likely noise between these builds: " in out


def test_traces_recorded_with_a_different_p_are_compared_with_a_warning_and_never_gated(multi_build, sequential_build):
    result = run_gotrace(["diff", str(multi_build.trace), str(sequential_build.trace), "--fail-if-slower", "10%",
                          "--json"])
    assert result.returncode == 4
    err = result.stderr.decode()
    assert "recorded differently (-p: 2 vs 1)" in err and "not gating" in err
    assert json.loads(result.stdout)["recording_differences"] == ["-p: 2 vs 1"]


def test_a_trace_with_the_action_graph_against_one_without_compares_only_what_both_have(sequential_build, tmp_path):
    from gotrace.importers.actiongraph import merge_into_trace

    # as typed by hand without the compiler wrapper: the shim saw no C compile, the graph has them
    shim_only = tmp_path / "shim.jsonl"
    shim_only.write_bytes(b"".join(line for line in sequential_build.trace.read_bytes().splitlines(keepends=True)
                                   if json.loads(line).get("tool") not in ("gcc", "cc", "g++")))
    merged = tmp_path / "merged.jsonl"
    merged.write_bytes(shim_only.read_bytes())
    events, _ = read_events(str(merged))
    stats = merge_into_trace(str(merged), str(sequential_build.trace.parent / "graph.json"), events[0].build)
    assert stats.added > 0  # C compiles only the action graph knows of
    result = run_gotrace(["diff", str(shim_only), str(merged), "--json", "--threshold", "0ms"])
    assert result.returncode == 0
    assert "recording: shim only vs with go's action graph" in result.stderr.decode()
    assert json.loads(result.stdout)["changes"] == []  # no "vanished gcc", no false CPU drop


PINNED = Path(__file__).resolve().parent / "pinned"


@pytest.mark.parametrize("weight", ["wall", "cpu", "rss"])
def test_stacks_folded_while_reading_are_the_stacks_of_the_events(weight, monkeypatch):
    from gotrace.analysis.diff import BuildTable, differential_stacks, tables
    from gotrace.events import open_trace

    monkeypatch.setattr(BuildTable, "FOLD_CHUNK", 7)  # folded in many pieces, merged
    before, after = (read_events(str(PINNED / name))[0] for name in ("multi-p2.jsonl", "multi-p1.jsonl"))
    b, a = (next(iter(tables(open_trace(str(PINNED / name)).records(), fold=weight).values()))
            for name in ("multi-p2.jsonl", "multi-p1.jsonl"))
    assert differential_stacks(b, a, weight=weight) == differential_stacks(before, after, weight=weight)
    assert differential_stacks(b.shim_only(), a, weight=weight) == differential_stacks(
        [e for e in before if e.source == "shim"], after, weight=weight)


@pytest.mark.parametrize("metric", ["wall", "cpu", "rss"])
def test_a_trace_read_in_two_parts_compares_as_read_in_one(metric, monkeypatch):
    from gotrace import events
    from gotrace.analysis.diff import compare, differential_stacks, tables
    from gotrace.analysis.per_build import merge_parts
    from gotrace.commands._common import selected_in_parts

    def read(name: str):
        parts, _ = selected_in_parts(str(PINNED / name), None, lambda selection: tables(selection.records(), metric))
        return parts, merge_parts(parts)

    whole = {name: read(name)[1] for name in ("multi-p2.jsonl", "multi-p1.jsonl")}
    monkeypatch.setattr(events, "PARALLEL_BYTES", 0)  # two processes, however small the trace
    halves = {name: read(name) for name in ("multi-p2.jsonl", "multi-p1.jsonl")}
    assert all(len(parts) == 2 for parts, _ in halves.values())
    (b1,), (a1,) = (whole[name].values() for name in whole)
    (b2,), (a2,) = (merged.values() for _, merged in halves.values())
    assert compare(b2, a2, metric) == compare(b1, a1, metric)
    assert differential_stacks(b2, a2, weight=metric) == differential_stacks(b1, a1, weight=metric)
