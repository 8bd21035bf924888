"""`gotrace summary` on real traced builds: totals, top tables, roll-ups, parallelism, the --json schema."""
from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from gotrace.analysis.lanes import peak_concurrency
from gotrace.analysis.summary import JSON_KEYS, group_name, summarize, top_rows
from gotrace.collapse import is_std, split_variant
from gotrace.events import BuildInfo, events_from_text, open_trace
from tests.conftest import run_gotrace

# Pinned here, not imported: renaming or dropping a key must fail this test (adding one is fine
# once it is added here and in docs/usage/summary-timeline-report.md).
STABLE_KEYS = {
    "schema": None,
    "build": {"id", "command", "cwd", "goversion", "goos", "goarch", "cores", "parallelism", "cold",
              "go_wall_ns", "exit", "interrupted", "builds_in_trace"},
    "totals": {"wall_ns", "cpu_ns", "invocations", "invocations_by_tool", "failed", "failures", "cached",
               "cache_hit_packages", "cache_packages", "peak_rss_kib", "peak_rss_tool", "peak_rss_pkg"},
    "grouping": {"depth", "std"},
    "top": {"wall", "cpu", "rss"},
    "critical_path": {"span_ns", "work_ns", "slot_wait_ns", "packages", "steps", "length_ns", "wall_ns",
                      "off_path_ns", "go_work_ns", "untraced_ns", "slots"},
    "bounds": {"floor_ns", "resource_ns", "cpu_ns", "cores", "wall_ns"},
    "what_if": {"predictions", "measured_slots", "overhead_ns", "measured_wall_ns", "replayed_wall_ns",
                "measured_error", "cores", "shared_cores", "alone_rates"},
    "queue": {"total_ns", "packages", "top"},
    "parallelism": {"cores", "cores_source", "limit", "average_concurrency", "peak_concurrency",
                    "cpu_utilisation", "cpu_cores_busy", "serial_stretches"},
    "phases": {"compiles", "compiles_without_phases", "phases"},
    "coverage": {"span_ns", "covered_ns", "share", "longest_gap_ns", "gaps"},
    "c_compiles": None,
}


def summary_json(trace: Path, *args: str) -> dict:
    result = run_gotrace(["summary", str(trace), "--json", *args], check=True)
    return json.loads(result.stdout)


def read(trace: Path):
    reader = open_trace(str(trace))
    events = list(reader)
    return events, reader


def test_json_keys_are_the_documented_stable_ones(multi_build):
    data = summary_json(multi_build.trace)
    assert set(data) == set(STABLE_KEYS)
    for key, inner in STABLE_KEYS.items():
        if inner is not None and data[key] is not None:
            assert set(data[key]) == inner, key
    assert {k: set(v) if v else None for k, v in JSON_KEYS.items()} == STABLE_KEYS
    docs = (Path(__file__).parent.parent / "docs/usage/summary-timeline-report.md").read_text()
    for inner in STABLE_KEYS.values():
        for key in inner or ():
            assert f"`{key}`" in docs, f"{key} is not documented"
    row = data["top"]["wall"][0]
    assert set(row) == {"name", "value", "pct", "cum_pct"}
    assert set(data["critical_path"]["steps"][0]) == {"tool", "pkg", "start_ns", "wall_ns", "wait_ns", "edge"}


def test_totals_agree_with_the_trace_records(multi_build):
    events, reader = read(multi_build.trace)
    data = summary_json(multi_build.trace)
    totals = data["totals"]
    assert totals["invocations"] == len(events)
    assert totals["invocations_by_tool"] == dict(Counter(e.tool for e in events))
    assert totals["cpu_ns"] == sum(e.cpu_ns or 0 for e in events)
    assert totals["wall_ns"] == max(e.end_ns for e in events) - min(e.start_ns for e in events)
    peak = max(events, key=lambda e: e.max_rss_kib or 0)
    assert (totals["peak_rss_kib"], totals["peak_rss_tool"], totals["peak_rss_pkg"]) == \
        (peak.max_rss_kib, peak.tool, peak.pkg)
    assert totals["failed"] == 0
    (info,) = reader.builds.values()
    assert data["build"]["id"] == info.build and data["build"]["go_wall_ns"] == info.wall_ns
    assert totals["wall_ns"] <= info.wall_ns


def test_failed_invocations_are_counted_and_named(broken_build):
    data = summary_json(broken_build.trace)
    failures = data["totals"]["failures"]
    assert data["totals"]["failed"] == len(failures) >= 1
    assert any(f["pkg"] == "example.com/broken/bad" and f["tool"] == "compile" and f["exit"] for f in failures)
    text = run_gotrace(["summary", str(broken_build.trace)], check=True).stdout.decode()
    assert "compile example.com/broken/bad: exit" in text


def test_cumulative_percentages_rise_to_the_whole_build(multi_test_build):
    data = summary_json(multi_test_build.trace, "--top", "1000", "--std")
    for weight in ("wall", "cpu"):
        rows = data["top"][weight]
        values = [r["value"] for r in rows]
        assert values == sorted(values, reverse=True)
        cums = [r["cum_pct"] for r in rows]
        assert cums == sorted(cums) and cums[-1] == pytest.approx(100, abs=0.05)
    events, _ = read(multi_test_build.trace)
    assert sum(r["value"] for r in data["top"]["wall"]) == sum(e.wall_ns for e in events)
    rss = data["top"]["rss"]
    assert rss[0]["pct"] == 100 and rss[0]["value"] == data["totals"]["peak_rss_kib"]


def test_standard_library_is_one_row_unless_asked(multi_build):
    names = {r["name"] for r in summary_json(multi_build.trace, "--top", "1000")["top"]["wall"]}
    assert "std" in names and "example.com/multi/cmd/multi" in names
    assert not [n for n in names if n != "std" and is_std(n)]
    expanded = {r["name"] for r in summary_json(multi_build.trace, "--top", "1000", "--std")["top"]["wall"]}
    assert "std" not in expanded and {"runtime", "fmt", "os"} <= expanded


def test_depth_sums_packages_under_their_import_path_prefix(multi_test_build):
    flat = summary_json(multi_test_build.trace, "--top", "1000")["top"]["wall"]
    rolled = summary_json(multi_test_build.trace, "--top", "1000", "--depth", "2")["top"]["wall"]
    mine = [r for r in flat if r["name"].startswith("example.com/multi/")]
    assert len(mine) > 1
    (group,) = [r for r in rolled if r["name"] == "example.com/multi/..."]
    assert group["value"] == sum(r["value"] for r in mine)
    # test variants ("p [p.test]") count with their package
    assert not [r for r in flat if "[" in r["name"]]


def test_concurrency_never_exceeds_what_the_build_ran_with(multi_build, multi_test_build):
    for traced in (multi_build, multi_test_build):
        events, reader = read(traced.trace)
        (info,) = reader.builds.values()
        par = summary_json(traced.trace)["parallelism"]
        assert par["limit"] == info.parallelism >= 1
        assert 1 <= par["peak_concurrency"] == peak_concurrency(events) <= info.parallelism
        assert 0 < par["average_concurrency"] <= par["peak_concurrency"]
        assert par["cores"] == info.cores and par["cores_source"] == "trace"
        assert 0 < par["cpu_utilisation"] <= 1.0
        assert len(par["cpu_cores_busy"]) == 100
        for stretch in par["serial_stretches"]:
            assert stretch["running"] <= 1 and stretch["wall_ns"] > 0


def test_several_builds_in_one_trace_summarise_the_last_unless_chosen(multi_build, broken_build, tmp_path):
    both = tmp_path / "both.jsonl"
    both.write_bytes(multi_build.trace.read_bytes() + broken_build.trace.read_bytes())
    first = read(multi_build.trace)[0][0].build
    last = read(broken_build.trace)[0][0].build
    data = summary_json(both)
    assert data["build"]["id"] == last and data["build"]["builds_in_trace"] == [first, last]
    chosen = summary_json(both, "--build", first)
    assert chosen["build"]["id"] == first
    assert chosen["totals"] == summary_json(multi_build.trace)["totals"]
    text = run_gotrace(["summary", str(both)], check=True).stdout.decode()
    assert "holds 2 builds" in text


def test_text_summary_has_every_section_and_is_deterministic(multi_build):
    first = run_gotrace(["summary", str(multi_build.trace)], check=True).stdout
    second = run_gotrace(["summary", str(multi_build.trace)], check=True).stdout
    assert first == second
    text = first.decode()
    for heading in ("Totals", "Top packages by wall time", "Top packages by CPU time",
                    "Top packages by peak RSS", "Critical path", "Parallelism"):
        assert f"\n{heading}\n" in text
    assert "Compiler phases" not in text  # not traced with --phases
    assert "link     example.com/multi/cmd/multi" in text


@pytest.mark.parametrize("args, message", [
    (["/nonexistent/trace.jsonl"], "cannot read trace"),
    (["{trace}", "--depth", "0"], "must be 1 or more"),
    (["{trace}", "--build", "nope"], "no build 'nope'"),
])
def test_bad_input_is_one_clear_line_and_a_non_zero_exit(multi_build, args, message):
    args = [a.format(trace=multi_build.trace) for a in args]
    result = run_gotrace(["summary", *args])
    assert result.returncode != 0
    assert message in result.stderr.decode() and b"Traceback" not in result.stderr


def test_corrupt_lines_are_skipped_with_a_warning(multi_build, tmp_path):
    damaged = tmp_path / "damaged.jsonl"
    data = multi_build.trace.read_bytes()
    damaged.write_bytes(data + b'{"v":1,"build":"x","tool":"comp\n')
    result = run_gotrace(["summary", str(damaged), "--json"], check=True)
    assert b"skipped 1 unreadable line" in result.stderr
    assert json.loads(result.stdout)["totals"] == summary_json(multi_build.trace)["totals"]


def test_summary_imports_no_matplotlib(tmp_path):
    trace = tmp_path / "t.jsonl"
    trace.write_text('{"v":1,"build":"b","tool":"compile","pkg":"p","start_ns":0,"wall_ns":5}\n')
    code = ("import sys; from click.testing import CliRunner; from gotrace.cli import cli; "
            f"r = CliRunner().invoke(cli, ['summary', {str(trace)!r}]); assert r.exit_code == 0, r.output; "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout
    assert out.strip() == b"False"


# Small inputs, whole outputs.

def _events(*rows: tuple[str, str, int, int]):
    lines = [json.dumps({"v": 1, "build": "b", "tool": tool, "pkg": pkg, "start_ns": start, "wall_ns": wall,
                         "user_ns": wall // 2, "sys_ns": 0, "max_rss_kib": wall // 10})
             for tool, pkg, start, wall in rows]
    return events_from_text("\n".join(lines) + "\n")


def test_group_names_roll_up_variants_std_and_depth():
    assert group_name("example.com/a/b/c [example.com/a/b/c.test]") == "example.com/a/b/c"
    assert group_name("net/http") == "std"
    assert group_name("net/http", std=True) == "net/http"
    assert group_name("net/http/internal", depth=2, std=True) == "net/http/..."
    assert group_name("example.com/a/b/c", depth=2) == "example.com/a/..."
    assert group_name("example.com/a", depth=2) == "example.com/a"
    assert split_variant(group_name("p.test")) == ("p.test", None)


def test_top_rows_rank_by_value_with_running_share():
    events = _events(("compile", "x.org/a", 0, 600), ("compile", "x.org/b", 0, 300), ("asm", "x.org/a", 600, 100))
    rows = top_rows(events, "wall", 10, None, False)
    assert [(r.name, r.value, round(r.pct), round(r.cum_pct)) for r in rows] == \
        [("x.org/a", 700, 70, 70), ("x.org/b", 300, 30, 100)]
    rss = top_rows(events, "rss", 1, None, False)
    assert [(r.name, r.value, r.pct, r.cum_pct) for r in rss] == [("x.org/a", 60, 100.0, None)]


def test_summary_of_a_trace_without_build_record_uses_this_machines_cores():
    s = summarize(_events(("compile", "x.org/a", 0, 10)))
    assert s.par.cores_source == "this machine" and s.par.limit is None and s.invocations == 1


def test_summary_looks_its_build_record_up_in_the_readers_builds():
    events = _events(("compile", "x.org/a", 0, 10))
    s = summarize(events, {"b": BuildInfo(build="b", cores=64, parallelism=3), "other": BuildInfo(build="other")})
    assert (s.par.cores, s.par.cores_source, s.par.limit) == (64, "trace", 3)


def test_the_c_compiles_table_shows_the_top_n_packages_and_counts_the_rest(tmp_path):
    """A monorepo with hundreds of cgo packages: the text lists the -n longest (as the top tables
    do) and says how many more; --json lists every one."""
    trace = tmp_path / "cgo.jsonl"
    trace.write_text("".join(
        json.dumps({"v": 1, "build": "b", "tool": "gcc", "pkg": f"x.org/c{k}", "start_ns": 10**18 + k * 10**8,
                    "wall_ns": (k + 1) * 10**7, "user_ns": 10**6, "file": f"f{k}.c"}) + "\n" for k in range(5)))
    text = run_gotrace(["summary", str(trace), "-n", "2"], check=True).stdout.decode()
    table = text.split("C compiles (cgo)\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [line.split()[0] for line in table[1:3]] == ["x.org/c4", "x.org/c3"]  # longest first
    assert table[3].strip() == "(3 more packages ran a C compiler: --json lists every one)"
    assert len(table) == 4
    listed = json.loads(run_gotrace(["summary", str(trace), "-n", "2", "--json"], check=True).stdout)
    assert [r["pkg"] for r in listed["c_compiles"]] == [f"x.org/c{k}" for k in (4, 3, 2, 1, 0)]
