"""`gotrace report`: one offline HTML file, deterministic, escaped; its page data from real traces.

The page itself, in a real chromium, is checked in test_report_browser.py."""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np
import orjson
import pytest

from gotrace.analysis.build_rows import BuildRows, rows_in_order
from gotrace.analysis.summary import summarize
from gotrace.events import Event, events_from_text, read_events
from gotrace.render.report_data import (
    distinct_rows,
    named_by_index,
    package_rows,
    page_data,
    page_json,
    script_json,
)
from tests.conftest import run_gotrace


def write_report(trace: Path, out: Path, *args: str) -> str:
    result = run_gotrace(["report", str(trace), "-o", str(out), *args], check=True)
    assert f"report written to {out}".encode() in result.stderr
    return out.read_text()


def embedded_data(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S)
    assert match, "no page data"
    return json.loads(match.group(1))


def trace_of(records: list[dict]) -> str:
    return "".join(json.dumps({"v": 1, "build": "b", **r}) + "\n" for r in records)


def test_report_is_self_contained_and_deterministic(multi_build, tmp_path):
    first = write_report(multi_build.trace, tmp_path / "a.html")
    second = write_report(multi_build.trace, tmp_path / "b.html")
    assert first == second
    for attr in re.findall(r'\s(?:src|href)="([^"]*)"', first):
        assert attr.startswith(("data:", "#")), attr[:60]
    assert "Content-Security-Policy" in first and "default-src 'none'" in first
    assert re.findall(r"<script[^>]*\ssrc=", first) == []  # every script is inline
    summary = json.loads(run_gotrace(["summary", str(multi_build.trace), "--json"], check=True).stdout)
    assert summary["build"]["goversion"] in first
    data = embedded_data(first)
    assert len(data["timeline"]["startDelta"]) == summary["totals"]["invocations"]


def in_time_order(events: list[Event]) -> list[Event]:
    """The invocations that ran, in the order the timeline lists them (build_rows.rows_in_order),
    sorted as Events: what the page's columns are checked against."""
    return sorted((e for e in events if not e.probe and not e.cached),
                  key=lambda e: (e.start_ns, e.end_ns, e.tool, e.pkg))


def test_page_data_is_columns_with_one_row_per_invocation(multi_build):
    events, reader = read_events(str(multi_build.trace))
    summary = summarize(events, reader.builds)
    ran = in_time_order(events)
    timeline = page_data(summary)["timeline"]
    columns = ("pkg", "tool", "startDelta", "wall", "cpu", "rss", "lane", "wait", "edge", "deps")
    assert {len(timeline[c]) for c in columns} == {len(ran)}
    for i, e in enumerate(ran):
        assert (timeline["pkgs"][timeline["pkg"][i]], timeline["tools"][timeline["tool"][i]]) == (e.pkg, e.tool)
        assert timeline["wall"][i] == e.wall_ns // 1000
        assert sum(timeline["startDelta"][:i + 1]) == (e.start_ns - ran[0].start_ns) // 1000
    # every invocation waited for one that ended before it started (or for nothing, at the start)
    for i, w in enumerate(timeline["wait"]):
        if w >= 0:
            assert ran[w].end_ns <= ran[i].start_ns + 2_000_000
    # the critical path is the summary's, step by step
    assert [(ran[i].tool, ran[i].pkg) for i in timeline["path"]] == \
        [(s.event.tool, s.event.pkg) for s in summary.path.steps]


def test_a_compile_depends_on_the_packages_its_importcfg_names(multi_build):
    events, reader = read_events(str(multi_build.trace))
    ran = in_time_order(events)
    timeline = page_data(summarize(events, reader.builds))["timeline"]
    (i, main), = [(i, e) for i, e in enumerate(ran) if e.tool == "compile" and e.pkg.endswith("cmd/multi")]
    depends_on = {timeline["pkgs"][p] for p in timeline["depLists"][timeline["deps"][i]]}
    assert depends_on == set(main.deps) & {e.pkg for e in ran}
    assert "example.com/multi/internal/geom" in depends_on


def test_a_test_variant_depends_on_the_variant_of_its_import(tmp_path):
    # q recompiled for p's test is "q [p.test]"; the test compile of p imports that one, not plain q
    events = events_from_text(trace_of([
        {"tool": "compile", "pkg": "x.org/q", "start_ns": 0, "wall_ns": 10, "deps": []},
        {"tool": "compile", "pkg": "x.org/q [x.org/p.test]", "start_ns": 20, "wall_ns": 10, "deps": []},
        {"tool": "compile", "pkg": "x.org/p [x.org/p.test]", "start_ns": 40, "wall_ns": 10, "deps": ["x.org/q"]},
    ]))
    timeline = page_data(summarize(events))["timeline"]
    assert [timeline["pkgs"][p] for p in timeline["depLists"][timeline["deps"][2]]] == ["x.org/q [x.org/p.test]"]
    assert timeline["wait"][2] == 1 and timeline["edges"][timeline["edge"][2]] == "import"


def test_package_rows_sum_the_standard_library_in_one_row_whose_children_are_its_packages(multi_build):
    events, _ = read_events(str(multi_build.trace))
    ran = in_time_order(events)
    rows = package_rows(BuildRows.of_events(events), depth=None, std=False)
    assert rows["name"][0] == "std" and rows["parent"][0] == -1
    children = [i for i, p in enumerate(rows["parent"]) if p == 0]
    assert {rows["name"][i] for i in children} == {e.pkg for e in ran if "." not in e.pkg.split("/")[0]}
    assert rows["wall"][0] == sum(rows["wall"][i] for i in children)
    assert rows["cpu"][0] == sum(rows["cpu"][i] for i in children)
    assert rows["rss"][0] == max(rows["rss"][i] for i in children)
    top_level = {rows["name"][i] for i, p in enumerate(rows["parent"]) if p == -1}
    assert top_level == {"std"} | {e.pkg for e in ran if e.pkg.startswith("example.com/")}
    # the std row is what `gotrace summary` counts as std
    summary = json.loads(run_gotrace(["summary", str(multi_build.trace), "--json"], check=True).stdout)
    (std_wall,) = [r["value"] for r in summary["top"]["wall"] if r["name"] == "std"]
    assert abs(rows["wall"][0] - std_wall // 1000) <= len(ran)  # rounding to µs per invocation

    one_by_one = package_rows(BuildRows.of_events(events), depth=None, std=True)
    assert "std" not in one_by_one["name"] and set(one_by_one["parent"]) == {-1}


def test_package_rows_count_test_variants_with_their_package_as_summary_does():
    events = events_from_text(trace_of([
        {"tool": "compile", "pkg": "x.org/p", "start_ns": 0, "wall_ns": 10_000, "user_ns": 4_000},
        {"tool": "compile", "pkg": "x.org/p [x.org/p.test]", "start_ns": 20_000, "wall_ns": 30_000, "user_ns": 6_000},
        {"tool": "link", "pkg": "x.org/p.test", "start_ns": 60_000, "wall_ns": 5_000},
    ]))
    rows = package_rows(BuildRows.of_events(events), depth=None, std=False)
    top = summarize(events, top=10).top["wall"]
    assert [(name, wall) for name, wall in zip(rows["name"], rows["wall"])] == \
        sorted((r.name, r.value // 1000) for r in top)
    assert rows["tools"][rows["name"].index("x.org/p")] == "compile ×2"


def test_rows_of_equal_tool_runs_are_grouped_as_numpys_unique_rows_groups_them():
    rng = np.random.default_rng(7)
    for shape in ((0, 3), (1, 4), (5, 1), (2_000, 5)):
        runs = rng.integers(0, 3, shape).astype(np.int64)
        distinct, of = distinct_rows(runs)
        expected, expected_of = np.unique(runs, axis=0, return_inverse=True)
        assert distinct.tolist() == expected.tolist() and of.tolist() == expected_of.reshape(-1).tolist()


def test_embedded_data_cannot_close_its_script_element():
    text = script_json({"pkg": "</script><script>alert(1)</script><!--", "amp": "&"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert orjson.loads(text) == {"pkg": "</script><script>alert(1)</script><!--", "amp": "&"}


@pytest.mark.parametrize("apart", [False, True])
def test_the_page_data_written_in_parts_is_the_json_of_the_whole(multi_test_build, monkeypatch, apart):
    """The report writes its data part by part (each let go before the next is made; a big build's
    parts beside the timeline made by a forked child): the pieces are, to the byte, the escaped
    JSON of the whole, with test variants' names ("p [p.test]")."""
    from gotrace.render import report_data

    monkeypatch.setattr(report_data, "PAGE_APART", 0 if apart else 1 << 60)
    events, reader = read_events(str(multi_test_build.trace))
    summary = summarize(events, reader.builds)
    pieces = page_json(summary, rows_in_order(summary.rows))
    assert len(pieces) > 3 and "".join(pieces) == script_json(page_data(summary))
    assert "[" in "".join(orjson.loads("".join(pieces))["timeline"]["pkgs"])


def test_a_flame_graph_started_before_the_summary_gives_the_same_page(multi_test_build, monkeypatch):
    """The report command starts the flame graph's child as soon as the rows are read (flame_apart),
    before the summary: the page is the same bytes as one whose flame graph is drawn here after it."""
    import io

    from gotrace.commands._common import read_build
    from gotrace.render import report

    rows, info, builds = read_build(str(multi_test_build.trace), None)
    monkeypatch.setattr(report, "FLAME_APART", 0)  # a forked child, however small the build
    early = report.flame_apart(rows, info)
    summary = summarize(rows, info, builds_in_trace=builds)
    pages = []
    for flame in (early, None):
        monkeypatch.setattr(report, "FLAME_APART", 1 << 60 if flame is None else 0)
        out = io.StringIO()
        report.render_report(summary, out, trace_name="t.jsonl", flame=flame)
        pages.append(out.getvalue())
    assert pages[0] == pages[1] and 'id="flame"' in pages[0] and "<svg" in pages[0]


def test_report_escapes_names_from_the_trace(tmp_path):
    nasty = 'evil.com/"><img src=x onerror=alert(1)>&<b></script>\x07'
    trace = tmp_path / "t.jsonl"
    trace.write_text(trace_of([
        {"build": "b<1>", "tool": "compile", "pkg": nasty, "start_ns": 0, "wall_ns": 3_000_000,
         "user_ns": 1000, "max_rss_kib": 100, "deps": []},
        {"build": "b<1>", "tool": "link", "pkg": nasty, "start_ns": 4_000_000, "wall_ns": 1_000_000,
         "exit": 2, "deps": [nasty]}]))
    page = write_report(trace, tmp_path / "r.html")
    assert "<img src=x" not in page and "<b>" not in page and "\x07" not in page
    assert page.count("</script>") == 3  # the data's, the page's script and the inlined flame graph's
    assert "evil.com/&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&amp;&lt;b&gt;&lt;/script&gt;\\x07" in page
    assert "b&lt;1&gt;" in page
    assert embedded_data(page)["timeline"]["pkgs"] == [nasty]


def test_report_shows_phases_when_the_trace_has_them(tmp_path):
    trace = tmp_path / "t.jsonl"
    phases = {"fe:init": 1_000_000, "fe:parse": 5_000_000, "be:compilefuncs": 8_000_000, "total": 14_000_000}
    trace.write_text(trace_of([{"tool": "compile", "pkg": "x.org/p", "start_ns": 0, "wall_ns": 15_000_000,
                                "phases": phases}]))
    page = write_report(trace, tmp_path / "r.html")
    assert 'id="phase-table"' in page and "SSA&amp;codegen" in page
    data = embedded_data(page)
    assert data["timeline"]["phaseRows"] == [0]
    assert sum(data["packages"]["phases"][0]) == 14_000


def test_report_of_a_missing_trace_is_a_clear_error(tmp_path):
    result = run_gotrace(["report", str(tmp_path / "none.jsonl"), "-o", str(tmp_path / "r.html")])
    assert result.returncode == 1 and b"cannot read trace" in result.stderr and b"Traceback" not in result.stderr
    assert not (tmp_path / "r.html").exists()


def test_report_of_names_with_dollar_signs_does_not_typeset_them(tmp_path):
    from tests.test_timeline import dollar_trace

    page = write_report(dollar_trace(tmp_path / "t.jsonl"), tmp_path / "r.html")
    assert "example.com/$\\frac{a$/$x$" in page


def test_report_states_the_bounds_and_the_what_if_curve_that_summary_states(multi_build, tmp_path):
    page = write_report(multi_build.trace, tmp_path / "r.html")
    summary = json.loads(run_gotrace(["summary", str(multi_build.trace), "--json"], check=True).stdout)
    floor_s = summary["bounds"]["floor_ns"] / 1e9
    assert f"<strong>Floor {floor_s:.2f}s</strong>" in page
    table = page.split('id="what-if-table"', 1)[1].split("</table>", 1)[0]
    cells = re.findall(r'<td class="n">([0-9.]+)</td>', table)
    assert cells == [f"{p['wall_ns'] / 1e9:.2f}" for p in summary["what_if"]["predictions"]]
    text = run_gotrace(["summary", str(multi_build.trace)], check=True).stdout.decode()
    sharing = next(line.strip() for line in text.splitlines() if "kept busy running alone here" in line)
    assert html.escape(sharing) in page  # how the curve treats the cores, in the same words
    assert 'id="wall-account"' in page


def test_the_page_names_a_package_row_by_its_index_among_the_timeline_s_packages_or_by_name():
    """The package table's names are the timeline's (written once: at a million invocations each
    copy was 15 MB); a row no invocation names (the std row, a roll-up, a cache-only package) keeps
    its name, and a name that is a number stays a string."""
    rows = {"name": ["std", "x.org/a", "42", "x.org", "x.org/b"], "wall": [1, 2, 3, 4, 5]}
    named = named_by_index(rows, ["x.org/b", "x.org/a", "42"])
    assert named["name"] == ["std", 1, 2, "x.org", 0]
    assert named["wall"] == rows["wall"] and rows["name"][1] == "x.org/a"
