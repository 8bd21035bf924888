"""`gotrace report`: one offline HTML file, checked in a real headless chromium."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import run_gotrace


def write_report(trace: Path, out: Path, *args: str) -> str:
    result = run_gotrace(["report", str(trace), "-o", str(out), *args], check=True)
    assert f"report written to {out}".encode() in result.stderr
    return out.read_text()


@pytest.mark.browser
def test_report_opens_offline_without_errors_and_shows_flame_graph_and_timeline(multi_build, browser, tmp_path):
    report = tmp_path / "report.html"
    write_report(multi_build.trace, report)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    problems, requests = [], []
    page.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url[:80]}"))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(report.as_uri())
    page.wait_for_load_state("load")

    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    assert page.title().startswith("gotrace report")
    timeline = page.locator("#timeline")
    timeline.scroll_into_view_if_needed()
    assert timeline.is_visible()
    assert page.evaluate("() => { const i = document.getElementById('timeline'); "
                         "return i.complete && i.naturalWidth > 500 && i.naturalHeight > 200; }")

    (flame,) = [f for f in page.frames if f.url.startswith("data:image/svg+xml")]
    assert page.locator("#flamegraph").is_visible()
    frames = flame.locator("#frames g")
    assert frames.count() > 20
    # the flame graph is interactive inside the report: clicking a frame zooms in
    runtime = flame.locator("#frames g", has=flame.locator("title", has_text=re.compile(r"^runtime \("))).first
    runtime.click()
    assert "hide" not in (flame.locator("#unzoom").get_attribute("class") or "")

    for section in ("facts", "top-wall", "top-cpu", "top-rss", "critical-path-steps"):
        assert page.locator(f"#{section}").count() == 1, section
    assert page.locator("#critical-path-steps tbody tr").last.inner_text().split("\t")[1:3] == \
        ["link", "example.com/multi/cmd/multi"]
    assert problems == []
    page.close()


def test_report_is_self_contained_and_deterministic(multi_build, tmp_path):
    first = write_report(multi_build.trace, tmp_path / "a.html")
    second = write_report(multi_build.trace, tmp_path / "b.html")
    assert first == second
    for attr in re.findall(r'\s(?:src|href)="([^"]*)"', first):
        assert attr.startswith(("data:", "#")), attr[:60]
    assert "Content-Security-Policy" in first and "default-src 'none'" in first
    assert "<script" not in first.split("<iframe", 1)[0]  # the page itself runs no script
    summary = json.loads(run_gotrace(["summary", str(multi_build.trace), "--json"], check=True).stdout)
    assert summary["build"]["goversion"] in first
    for row in summary["top"]["wall"]:
        assert f"<td>{row['name']}</td>" in first


def test_report_escapes_names_from_the_trace(tmp_path):
    nasty = 'evil.com/"><img src=x onerror=alert(1)>&<b>'
    trace = tmp_path / "t.jsonl"
    lines = [{"v": 1, "build": "b<1>", "tool": "compile", "pkg": nasty, "start_ns": 0, "wall_ns": 3_000_000,
              "user_ns": 1000, "max_rss_kib": 100, "deps": []},
             {"v": 1, "build": "b<1>", "tool": "link", "pkg": nasty, "start_ns": 4_000_000, "wall_ns": 1_000_000,
              "exit": 2, "deps": [nasty]}]
    trace.write_text("".join(json.dumps(line) + "\n" for line in lines))
    page = write_report(trace, tmp_path / "r.html")
    assert "<img src=x" not in page and "<b>" not in page
    assert "evil.com/&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&amp;&lt;b&gt;" in page
    assert "b&lt;1&gt;" in page


def test_report_shows_phases_when_the_trace_has_them(tmp_path):
    trace = tmp_path / "t.jsonl"
    phases = {"fe:init": 1_000_000, "fe:parse": 5_000_000, "be:compilefuncs": 8_000_000, "total": 14_000_000}
    trace.write_text(json.dumps({"v": 1, "build": "b", "tool": "compile", "pkg": "x.org/p", "start_ns": 0,
                                 "wall_ns": 15_000_000, "phases": phases}) + "\n")
    page = write_report(trace, tmp_path / "r.html")
    assert 'id="phase-table"' in page and "SSA&amp;codegen" in page


def test_report_of_a_missing_trace_is_a_clear_error(tmp_path):
    result = run_gotrace(["report", str(tmp_path / "none.jsonl"), "-o", str(tmp_path / "r.html")])
    assert result.returncode == 1 and b"cannot read trace" in result.stderr and b"Traceback" not in result.stderr
    assert not (tmp_path / "r.html").exists()


def test_report_of_names_with_dollar_signs_does_not_typeset_them(tmp_path):
    from tests.test_timeline import dollar_trace

    page = write_report(dollar_trace(tmp_path / "t.jsonl"), tmp_path / "r.html")
    assert "example.com/$\\frac{a$/$x$" in page
