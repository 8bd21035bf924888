"""`gotrace timeline`: PNG and SVG Gantt charts of real builds, of 10 and of 2,000 invocations."""
from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gotrace.analysis.lanes import peak_concurrency
from gotrace.charts import MAX_LABELS, labels_for, step_outline, timeline_size
from gotrace.events import open_trace
from tests.conftest import ROOT, run_gotrace, steps_trace

SVG = "{http://www.w3.org/2000/svg}"


def png_size(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        image.verify()  # a truncated or corrupt PNG raises here
    with Image.open(path) as image:
        image.load()
        return image.size


@pytest.fixture(scope="module")
def synthetic_2000(tmp_path_factory) -> Path:
    """2,000 invocations of a large build run by 8 workers (benchmarks/synth_trace.py)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from synth_trace import write_synthetic_trace
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    path = tmp_path_factory.mktemp("synth") / "big.jsonl"
    write_synthetic_trace(str(path), records=2000, workers=8)
    return path


def test_png_is_a_valid_image_of_the_requested_size(multi_build, tmp_path):
    out = tmp_path / "timeline.png"
    run_gotrace(["timeline", str(multi_build.trace), "-o", str(out), "--width", "1000", "--height", "600"],
                check=True)
    assert png_size(out) == (1000, 600)


def test_default_height_follows_the_number_of_lanes(multi_test_build, tmp_path):
    out = tmp_path / "timeline.png"
    run_gotrace(["timeline", str(multi_test_build.trace), "-o", str(out)], check=True)
    events = list(open_trace(str(multi_test_build.trace)))
    assert png_size(out) == timeline_size(peak_concurrency(events))


def test_svg_is_well_formed_labelled_and_deterministic(multi_build, tmp_path):
    first, second = tmp_path / "a.svg", tmp_path / "b.svg"
    for out in (first, second):
        run_gotrace(["timeline", str(multi_build.trace), "-o", str(out)], check=True)
    assert first.read_bytes() == second.read_bytes()
    root = ET.fromstring(first.read_bytes())
    texts = {"".join(t.itertext()) for t in root.iter(f"{SVG}text")}
    assert "runtime" in texts  # the longest compile is wide enough for its label
    assert {"critical path", "tools running", "link (1)"} <= texts
    assert any(t.startswith("compile (") for t in texts)


def test_png_is_deterministic(multi_build, tmp_path):
    outs = [tmp_path / "a.png", tmp_path / "b.png"]
    for out in outs:
        run_gotrace(["timeline", str(multi_build.trace), "-o", str(out)], check=True)
    assert outs[0].read_bytes() == outs[1].read_bytes()


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_a_critical_path_found_by_a_forked_child_draws_the_same_chart(multi_build, tmp_path, monkeypatch, fmt):
    """A big build's critical path is found by a forked child while the bars are laid out: the
    chart is the same bytes as one whose path was found first, in this process, with the path
    outlined."""
    from click.testing import CliRunner

    import gotrace.commands.timeline as timeline
    from gotrace.cli import cli

    charts = []
    for nodes in (1 << 60, 0):  # in this process, then in a forked child however small the build
        monkeypatch.setattr(timeline, "PARALLEL_NODES", nodes)
        out = tmp_path / f"{nodes}.{fmt}"
        result = CliRunner().invoke(cli, ["timeline", str(multi_build.trace), "-o", str(out)],
                                    catch_exceptions=False)
        assert result.exit_code == 0
        charts.append(out.read_bytes())
    assert charts[0] == charts[1]
    if fmt == "svg":
        assert b"critical path" in charts[0]


def test_two_thousand_invocations_stay_readable(synthetic_2000, tmp_path):
    png, svg = tmp_path / "big.png", tmp_path / "big.svg"
    run_gotrace(["timeline", str(synthetic_2000), "-o", str(png)], check=True)
    run_gotrace(["timeline", str(synthetic_2000), "-o", str(svg)], check=True)
    events = list(open_trace(str(synthetic_2000)))
    assert len(events) > 1500
    lanes = peak_concurrency(events)
    assert png_size(png) == timeline_size(lanes)
    root = ET.fromstring(svg.read_bytes())
    labels = [t for t in root.iter(f"{SVG}text")]
    assert len(labels) <= MAX_LABELS + 200  # bar labels are capped; the rest are axes and legend
    texts = {"".join(t.itertext()) for t in labels}
    assert {"lane", "concurrency", "critical path"} <= texts


def test_names_are_escaped_in_svg(tmp_path):
    trace = tmp_path / "t.jsonl"
    nasty = 'evil.com/<script>alert("x")</script>&amp'
    trace.write_text(json.dumps({"v": 1, "build": "b", "tool": "compile", "pkg": nasty, "start_ns": 0,
                                 "wall_ns": 5_000_000_000}) + "\n")
    out = tmp_path / "t.svg"
    run_gotrace(["timeline", str(trace), "-o", str(out)], check=True)
    data = out.read_bytes()
    assert b"<script>" not in data
    texts = {"".join(t.itertext()) for t in ET.fromstring(data).iter(f"{SVG}text")}
    assert nasty in texts


def test_format_comes_from_the_name_or_the_option(multi_build, tmp_path):
    bad = run_gotrace(["timeline", str(multi_build.trace), "-o", str(tmp_path / "t.gif")])
    assert bad.returncode == 2 and b"name it .png or .svg" in bad.stderr and b"Traceback" not in bad.stderr
    out = run_gotrace(["timeline", str(multi_build.trace), "-o", "-", "--format", "svg"], check=True).stdout
    ET.fromstring(out)
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_labels_shrink_to_the_end_of_the_import_path():
    assert labels_for("example.com/multi/internal/geom") == [
        "example.com/multi/internal/geom", "multi/internal/geom", "internal/geom", "geom"]
    assert labels_for("p/q [p/q.test]")[-1] == "q [test]"


def test_timeline_help_has_an_example():
    help_text = run_gotrace(["timeline", "--help"], check=True).stdout.decode()
    assert "Example:" in help_text and "gotrace timeline" in help_text


def test_a_build_served_from_the_cache_has_nothing_to_draw(tmp_path):
    trace = tmp_path / "t.jsonl"
    trace.write_text(json.dumps({"v": 1, "build": "b", "tool": "compile", "pkg": "p", "start_ns": 0,
                                 "wall_ns": 0, "cached": True, "source": "actiongraph"}) + "\n")
    result = run_gotrace(["timeline", str(trace), "-o", str(tmp_path / "t.png")])
    assert result.returncode == 1 and b"came from the cache" in result.stderr and b"Traceback" not in result.stderr
    assert not (tmp_path / "t.png").exists()


def dollar_trace(path: Path) -> Path:
    """A build whose go command and package names hold `$...$`, which matplotlib reads as TeX."""
    lines = [{"v": 1, "kind": "build", "build": "b", "argv": ["go", "build", "-ldflags=-X main.v=$x^{2$", "."],
              "cwd": "/tmp", "cores": 2},
             {"v": 1, "build": "b", "tool": "compile", "pkg": "example.com/$\\frac{a$/$x$", "start_ns": 0,
              "wall_ns": 900_000_000, "user_ns": 1000, "max_rss_kib": 100},
             {"v": 1, "build": "b", "tool": "$\\sqrt{$", "pkg": "example.com/$x$", "start_ns": 0,
              "wall_ns": 800_000_000}]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_dollar_signs_in_names_and_the_command_are_drawn_as_text_not_tex(tmp_path, fmt):
    trace = dollar_trace(tmp_path / "t.jsonl")
    out = tmp_path / f"t.{fmt}"
    result = run_gotrace(["timeline", str(trace), "-o", str(out)])
    assert result.returncode == 0 and b"Traceback" not in result.stderr, result.stderr.decode()
    if fmt == "svg":
        text = out.read_text()
        assert "-ldflags=-X main.v=$x^{2$" in text and "$\\sqrt{$" in text


def test_subpixel_bars_of_a_lane_are_joined_and_nothing_else():
    import numpy as np

    from gotrace.charts import _merge_subpixel

    # lane 0: two bars 1 ns apart join, one far away stays; lane 1: two join, across lanes never
    x0 = np.array([0, 5, 100, 0, 3], dtype=np.int64)
    x1 = np.array([4, 9, 110, 2, 50], dtype=np.int64)
    lane = np.array([0, 0, 0, 1, 1], dtype=np.float64)
    starts, ends, lanes = _merge_subpixel(x0, x1, lane, pixel_ns=2)
    assert (starts.tolist(), ends.tolist(), lanes.tolist()) == ([0, 100, 0], [9, 110, 50], [0, 0, 1])
    # a pixel of 0 joins only bars that touch
    starts, ends, _ = _merge_subpixel(x0, x1, lane, pixel_ns=0)
    assert starts.tolist() == [0, 5, 100, 0, 3]


def test_a_timeline_of_many_bars_draws_them_joined(synthetic_2000, tmp_path, monkeypatch):
    """Past MAX_BARS bars the chart joins a lane's touching bars: fewer polygons, same extent."""
    import gotrace.charts as charts
    from gotrace.analysis.build_rows import read_part, rows_of_build
    from gotrace.commands._common import selected_in_parts

    parts, reader = selected_in_parts(str(synthetic_2000), None, read_part)
    rows, info = rows_of_build(parts), None
    par, on_path = rows.parallelism(info), rows.on_critical_path()
    svgs = {}
    for limit in (10**9, 100):
        monkeypatch.setattr(charts, "MAX_BARS", limit)
        with open(tmp_path / f"{limit}.svg", "wb") as out:
            charts.render_timeline(rows, out, "svg", par=par, on_path=on_path)
        svgs[limit] = (tmp_path / f"{limit}.svg").read_bytes()
    assert svgs[100] != svgs[10**9]
    assert len(svgs[100]) < len(svgs[10**9])
    ET.fromstring(svgs[100])


def test_a_dense_timeline_colours_each_pixel_by_the_tool_that_ran_longest_there(tmp_path, monkeypatch):
    """Past MAX_BARS bars most are narrower than a pixel. One lane runs a 9.5 ms compile then a
    0.5 ms link, 2,000 times: every pixel holds both, and compile ran 95% of the time there. The
    chart must say so, not paint the lane in the colour of the tool drawn last (link)."""
    import numpy as np
    from PIL import Image

    import gotrace.charts as charts
    from gotrace.analysis.build_rows import BuildRows
    from gotrace.events import Event
    from gotrace.palette import tool_colour

    t0 = 1_700_000_000 * 10**9
    events = []
    for k in range(2000):
        at = t0 + k * 10_000_000
        events.append(Event("b", "compile", f"p{k}", at, 9_500_000, user_ns=9_000_000, max_rss_kib=1000))
        events.append(Event("b", "link", f"p{k}", at + 9_500_000, 500_000, user_ns=400_000, max_rss_kib=1000))
    rows = BuildRows.of_events(events)
    monkeypatch.setattr(charts, "MAX_BARS", 1000)
    png = tmp_path / "dense.png"
    with open(png, "wb") as out:
        charts.render_timeline(rows, out, "png", par=rows.parallelism(None))
    with Image.open(png) as image:
        pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)

    def count(tool: str) -> int:
        colour = [int(tool_colour(tool).lstrip("#")[i:i + 2], 16) for i in (0, 2, 4)]
        return int((pixels == colour).all(axis=1).sum())

    compile_px, link_px = count("compile"), count("link")
    assert compile_px > 10_000  # the lane's bar, across the chart
    assert compile_px > 10 * link_px


def test_joining_dense_bars_takes_memory_for_the_bars_not_for_every_lane_and_pixel():
    """A trace whose tools all started at once has as many lanes as tools: the pixels' colours are
    kept for the pixels bars touch, not for every lane x pixel x tool (5,000 lanes here)."""
    import tracemalloc

    import numpy as np

    from gotrace.charts import _dominant_runs

    x0 = np.array([0, 1_000], np.int64)
    x1 = np.array([1_400_000, 2_000], np.int64)
    lane = np.array([0, 4_999], np.float64)
    tool = np.array([0, 1], np.int64)
    tracemalloc.start()
    try:
        starts, ends, lanes, tools = _dominant_runs(x0, x1, lane, tool, 2, pixel_ns=1_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20
    assert (starts.tolist(), ends.tolist(), lanes.tolist(), tools.tolist()) == (
        [0, 1_000], [1_400_000, 2_000], [0, 4_999], [0, 1])


def test_bars_as_long_as_the_build_in_thousands_of_lanes_are_coloured_in_bounded_memory(monkeypatch):
    """A hostile or broken trace: thousands of tools that all ran the whole build, one per lane.
    Cut at every pixel they would be lanes x pixels pieces; past MAX_PIECES the cells get coarser
    (still one run per lane here) instead."""
    import tracemalloc

    import numpy as np

    import gotrace.charts as charts

    monkeypatch.setattr(charts, "MAX_PIECES", 100_000)
    lanes = 3_000
    x0 = np.zeros(lanes, np.int64)
    x1 = np.full(lanes, 1_400_000, np.int64)
    tracemalloc.start()
    try:
        starts, ends, lane, tool = charts._dominant_runs(x0, x1, np.arange(lanes, dtype=np.float64),
                                                         np.zeros(lanes, np.int64), 1, pixel_ns=1_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 << 20
    assert starts.tolist() == [0] * lanes and ends.tolist() == [1_400_000] * lanes
    assert lane.tolist() == list(range(lanes)) and tool.tolist() == [0] * lanes


def test_the_concurrency_line_of_a_dense_build_has_a_few_vertices_per_pixel_not_one_per_step(tmp_path):
    """12,000 steps on a 1,400 px chart: drawn a vertex per step, a million-record build's 1.85
    million steps took matplotlib 1.3 s; the line gets at most five vertices per pixel column."""
    trace = steps_trace(tmp_path / "steps.jsonl")
    out = tmp_path / "steps.svg"
    run_gotrace(["timeline", str(trace), "-o", str(out), "--width", "1400"], check=True)
    svg = out.read_text()
    lines = [d for d, style in re.findall(r'<path d="([^"]*)"[^>]*style="([^"]*)"', svg) if "stroke: #333333" in style]
    vertices = max(d.count("L") for d in lines)
    assert 1000 < vertices <= 5 * 1400, vertices


def test_a_step_outline_holds_in_each_column_the_levels_the_steps_reach_there():
    """`step_outline` against a step-by-step walk: per column, five vertices at its first step's
    time and its right edge: the level before it, the lowest and highest level reached in the
    column (that level included), the last; then the end at the last level."""
    rng = np.random.default_rng(7)
    for trial in range(50):
        n = int(rng.integers(1, 400))
        times = np.sort(rng.uniform(0, 100, n))
        levels = rng.integers(0, 6, n)
        column = float(rng.choice([0.05, 0.5, 3.0, 40.0]))
        xs, ys = step_outline(times, levels, 100.0, column)
        expected_x, expected_y = [], []
        k = 0
        while k < n:
            cell = np.floor(times[k] / column)
            j = k
            while j + 1 < n and np.floor(times[j + 1] / column) == cell:
                j += 1
            entry = levels[k - 1] if k else levels[0]
            reached = [entry, *levels[k:j + 1]]
            edge = min((cell + 1) * column, 100.0)
            expected_x += [times[k], times[k], times[k], edge, edge]
            expected_y += [entry, min(reached), max(reached), max(reached), levels[j]]
            k = j + 1
        assert xs.tolist() == expected_x + [100.0], trial
        assert ys.tolist() == expected_y + [levels[-1]], trial
