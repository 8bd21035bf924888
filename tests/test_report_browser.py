"""`gotrace report` in a real browser: Debian chromium, headless, driven by playwright, from file://.

The page is the report of the real traced build of samples/multi (the `multi_build` fixture)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gotrace.collapse import is_std
from gotrace.events import read_events
from gotrace.palette import tool_colour
from tests.conftest import run_gotrace, steps_trace

pytestmark = pytest.mark.browser
MODULE = "example.com/multi/"
SIZES = [(1280, 900), (1920, 1080)]


class Report:
    """A report open in a page, with every console error, page error and request it caused."""

    def __init__(self, browser, path: Path, width: int = 1280, height: int = 900):
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.problems: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.problems.append(f"{m.type}: {m.text}")
                     if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(path.as_uri())
        self.page.wait_for_selector("html[data-ready]", state="attached")

    def bar(self, pkg: str, tool: str):
        return self.page.locator(f'#timeline-bars rect[data-pkg="{pkg}"][data-tool="{tool}"]')

    def widen(self, bar, pixels: float = 8) -> None:
        """Zoom the timeline (Ctrl + wheel over the bar, as a user does) until the bar is this wide."""
        for _ in range(40):
            box = bar.bounding_box()
            if box["width"] >= pixels:
                return
            self.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            self.page.keyboard.down("Control")
            self.page.mouse.wheel(0, -400)
            self.page.keyboard.up("Control")
        raise AssertionError(f"could not zoom to {bar}")

    def overflow(self) -> int:
        return self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")

    def close(self) -> None:
        self.page.close()


@pytest.fixture(scope="module")
def report_html(multi_build, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    run_gotrace(["report", str(multi_build.trace), "-o", str(path)], check=True)
    return path


@pytest.fixture(scope="module")
def module_invocations(multi_build):
    events, _ = read_events(str(multi_build.trace))
    return [e for e in events if e.pkg.startswith(MODULE)]


@pytest.mark.parametrize("width,height", SIZES)
def test_report_fits_the_window_opens_offline_and_raises_no_error(browser, report_html, width, height):
    report = Report(browser, report_html, width, height)
    assert report.overflow() <= 0
    report.page.click("#std-toggle")  # the longest rows: every standard-library package
    report.page.locator("#package-filter").fill("")
    assert report.overflow() <= 0
    bar = report.bar("example.com/multi/cmd/multi", "link")
    bar.hover()  # the tooltip is kept inside the window
    assert report.page.locator("#tooltip").is_visible()
    assert report.overflow() <= 0
    assert report.requests == [report_html.as_uri()]
    assert report.problems == []
    report.close()


def test_every_invocation_of_the_module_can_be_hovered_and_names_its_package_and_tool(
        browser, report_html, module_invocations):
    report = Report(browser, report_html)
    wanted: dict[tuple[str, str], int] = {}
    for e in module_invocations:
        wanted[e.pkg, e.tool] = wanted.get((e.pkg, e.tool), 0) + 1
    assert len(module_invocations) >= 8 and {"compile", "asm", "cgo", "link"} <= {t for _, t in wanted}
    tooltip = report.page.locator("#tooltip")
    for (pkg, tool), count in sorted(wanted.items()):
        bars = report.bar(pkg, tool)
        assert bars.count() == count, (pkg, tool)
        # zooming in drops the elements of bars out of view: name each bar by its invocation
        for i in [bars.nth(k).get_attribute("data-i") for k in range(count)]:
            bar = report.page.locator(f'#timeline-bars rect[data-i="{i}"]')
            report.widen(bar)
            bar.hover()
            text = tooltip.inner_text()
            assert text.splitlines()[0] == pkg
            assert re.search(rf"^tool\s+{tool}$", text, re.M), text
            assert "wall" in text and "waited for" in text
            report.page.click("#timeline-reset")
    assert report.problems == []
    report.close()


def test_clicking_a_bar_highlights_the_packages_it_depended_on_and_what_it_unblocked(
        browser, report_html, module_invocations):
    report = Report(browser, report_html)
    (main,) = [e for e in module_invocations if e.tool == "compile" and e.pkg.endswith("/cmd/multi")]
    bar = report.bar(main.pkg, "compile")
    report.widen(bar)
    bar.click()
    highlighted = report.page.locator("#timeline-bars rect.dep")
    assert highlighted.count() >= 1
    assert {highlighted.nth(k).get_attribute("data-pkg") for k in range(highlighted.count())} <= set(main.deps)
    assert "example.com/multi/internal/geom" in {highlighted.nth(k).get_attribute("data-pkg")
                                                 for k in range(highlighted.count())}
    # the compile unblocked the link of the same package
    unblocked = report.page.locator("#timeline-bars rect.unblocked")
    assert [(unblocked.nth(k).get_attribute("data-pkg"), unblocked.nth(k).get_attribute("data-tool"))
            for k in range(unblocked.count())] == [(main.pkg, "link")]
    assert report.page.locator("#timeline-info").inner_text().startswith(f"compile {main.pkg}: depends on ")
    report.page.keyboard.press("Escape")
    assert report.page.locator("#timeline-bars rect.dep").count() == 0
    assert report.problems == []
    report.close()


def test_zoom_keeps_the_time_under_the_pointer_and_reset_shows_the_whole_build(browser, report_html):
    report = Report(browser, report_html)
    bar = report.bar("example.com/multi/internal/geom", "compile")
    before = bar.bounding_box()
    # a quarter into the bar, on a whole pixel: mouse events carry whole-pixel coordinates
    x, y = round(before["x"] + before["width"] / 4), round(before["y"] + before["height"] / 2)
    report.page.mouse.move(x, y)
    for _ in range(3):
        report.page.keyboard.down("Control")
        report.page.mouse.wheel(0, -400)
        report.page.keyboard.up("Control")
    zoomed = bar.bounding_box()
    assert zoomed["width"] > 10 * before["width"]
    at = (x - before["x"]) / before["width"]  # where the pointer was along the bar
    assert abs(zoomed["x"] + at * zoomed["width"] - x) < 1  # the same instant is still under the pointer
    report.page.click("#timeline-reset")
    after = bar.bounding_box()
    assert abs(after["x"] - before["x"]) < 0.5 and abs(after["width"] - before["width"]) < 0.5
    assert report.problems == []
    report.close()


def table_rows(report) -> list[dict]:
    return report.page.evaluate("""[...document.querySelectorAll('#package-table tbody tr')].map(tr => ({
        pkg: tr.dataset.pkg, cls: tr.className, wall: +tr.dataset.wall, cpu: +tr.dataset.cpu}))""")


def test_package_table_lists_every_package_and_sorts_by_cpu_and_by_wall(browser, report_html, multi_build):
    events, _ = read_events(str(multi_build.trace))
    module = {e.pkg for e in events if e.pkg.startswith(MODULE)}
    std = {e.pkg for e in events if e.pkg and is_std(e.pkg)}
    report = Report(browser, report_html)
    rows = table_rows(report)
    assert {r["pkg"] for r in rows} == module | {"std"}
    for header, key in (("CPU (s)", "cpu"), ("wall (s)", "wall")):
        report.page.locator("#package-table th button", has_text=header).click()
        values = [r[key] for r in table_rows(report)]
        assert values == sorted(values, reverse=True), header
        assert report.page.locator('#package-table th[aria-sort="descending"] button', has_text=header).count() == 1
        report.page.locator("#package-table th button", has_text=header).click()
        values = [r[key] for r in table_rows(report)]
        assert values == sorted(values), header
    # the standard library expands into its packages, sorted the same way under the std row
    report.page.click("#std-toggle")
    rows = table_rows(report)
    assert {r["pkg"] for r in rows if r["cls"] == "child"} == std
    std_at = [r["pkg"] for r in rows].index("std")
    children = [r["wall"] for r in rows if r["cls"] == "child"]
    assert [r["cls"] for r in rows[std_at + 1:std_at + 1 + len(children)]] == ["child"] * len(children)
    assert children == sorted(children)
    # the filter finds packages inside the std group too
    report.page.locator("#package-filter").fill("strconv")
    found = [r["pkg"] for r in table_rows(report)]
    assert found[0] == "std" and set(found[1:]) == {p for p in std if "strconv" in p} and "strconv" in found
    assert report.problems == []
    report.close()


def test_critical_path_lists_what_summary_lists_and_shows_all_on_request(browser, report_html, multi_build):
    text = run_gotrace(["summary", str(multi_build.trace)], check=True).stdout.decode()
    section = text.split("\nCritical path\n", 1)[1].split("\n\n", 1)[0].splitlines()
    header = next(k for k, line in enumerate(section) if line.split()[:2] == ["start", "tool"])
    listed = [line for line in section[header + 1:] if not line.lstrip().startswith("(")]
    summary_steps = [line.split()[1:3] for line in listed]
    every = json.loads(run_gotrace(["summary", str(multi_build.trace), "--json"], check=True).stdout)
    every = every["critical_path"]["steps"]
    report = Report(browser, report_html)
    visible = report.page.locator("#critical-path-steps tbody tr:visible")

    def steps():
        return [visible.nth(k).locator("td").nth(1).inner_text().split() +
                [visible.nth(k).locator("td").nth(2).inner_text()] for k in range(visible.count())]
    assert steps() == summary_steps
    if len(every) > len(summary_steps):
        report.page.click("#path-all")
        assert steps() == [[s["tool"], s["pkg"]] for s in every]
    # a row shows its step on the timeline
    report.page.locator("#critical-path-steps tbody tr:visible").last.click()
    assert report.page.locator("#timeline-bars rect.sel").get_attribute("data-tool") == "link"
    assert report.problems == []
    report.close()


def test_timeline_colours_tools_with_the_palette_and_takes_any_tool_name(browser, tmp_path):
    trace = tmp_path / "t.jsonl"
    records = [("compile", "x.org/p", 0), ("gcc", "x.org/p", 5), ("my-linter", "x.org/p", 10),
               ("link", "x.org/cmd", 20)]
    trace.write_text("".join(json.dumps({"v": 1, "build": "b", "tool": tool, "pkg": pkg, "start_ns": at * 10**6,
                                         "wall_ns": 4 * 10**6, "user_ns": 10**6}) + "\n"
                             for tool, pkg, at in records))
    html = tmp_path / "r.html"
    run_gotrace(["report", str(trace), "-o", str(html)], check=True)
    report = Report(browser, html)
    for tool, pkg, _ in records:
        assert report.bar(pkg, tool).get_attribute("fill") == tool_colour(tool)
        swatch = report.page.locator(f'#timeline-legend [data-tool="{tool}"] .swatch')
        r, g, b = (int(tool_colour(tool)[i:i + 2], 16) for i in (1, 3, 5))
        assert swatch.evaluate("s => getComputedStyle(s).backgroundColor") == f"rgb({r}, {g}, {b})"
    assert report.problems == []
    report.close()


def test_hostile_names_are_shown_as_text_and_run_nothing(browser, tmp_path):
    nasty = 'evil.com/"><img src=x onerror="window.pwned=1"><script>window.pwned=2</script>\x01'
    trace = tmp_path / "t.jsonl"
    trace.write_text("".join(json.dumps(r) + "\n" for r in [
        {"v": 1, "build": "b", "tool": "compile", "pkg": nasty, "start_ns": 0, "wall_ns": 3_000_000, "deps": []},
        {"v": 1, "build": "b", "tool": "<b>tool</b>", "pkg": nasty, "start_ns": 4_000_000, "wall_ns": 10**6}]))
    html = tmp_path / "r.html"
    run_gotrace(["report", str(trace), "-o", str(html)], check=True)
    report = Report(browser, html)
    bar = report.page.locator('#timeline-bars rect[data-tool="compile"]')
    assert bar.get_attribute("data-pkg") == nasty
    bar.hover()
    assert report.page.locator("#tooltip").inner_text().splitlines()[0] == nasty.replace("\x01", "\\x01")
    assert report.page.locator("#package-table tbody tr").first.get_attribute("data-pkg") == nasty
    assert report.page.evaluate("window.pwned") is None
    assert report.page.locator("img").count() == 0
    assert report.problems == []
    report.close()


@pytest.fixture(scope="module")
def dense_report(tmp_path_factory) -> Path:
    """The report of a dense build: one lane runs a 9.5 ms compile then a 0.5 ms link, 3,000 times
    (6,000 invocations, 12,000 concurrency steps: many more than the chart has pixels)."""
    tmp_path = tmp_path_factory.mktemp("dense")
    trace = tmp_path / "dense.jsonl"
    lines = []
    for k in range(3000):
        at = k * 10_000_000
        for tool, start, wall in (("compile", at, 9_500_000), ("link", at + 9_500_000, 500_000)):
            lines.append(json.dumps({"v": 1, "build": "b", "tool": tool, "pkg": f"x.org/p{k}",
                                     "start_ns": 1_700_000_000 * 10**9 + start, "wall_ns": wall,
                                     "user_ns": wall // 2}) + "\n")
    trace.write_text("".join(lines))
    html = tmp_path / "dense.html"
    run_gotrace(["report", str(trace), "-o", str(html)], check=True)
    return html


def test_a_dense_timeline_colours_each_pixel_by_the_tool_that_ran_longest_there(browser, dense_report):
    """Zoomed out, most bars are narrower than a pixel. Every pixel of the dense build holds both a
    compile and a link, and compile ran 95% of the time there. The canvas must show compile, not
    whichever bar was drawn last in each pixel."""
    html = dense_report
    report = Report(browser, html)
    counts = report.page.evaluate("""([compile, link]) => {
        const canvas = document.getElementById("timeline-canvas");
        const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        const hex = (i) => "#" + [0, 1, 2].map((c) => data[i + c].toString(16).padStart(2, "0")).join("");
        let c = 0, l = 0;
        for (let i = 0; i < data.length; i += 4) {
            const colour = hex(i);
            if (colour === compile) c++; else if (colour === link) l++;
        }
        return [c, l];
    }""", [tool_colour("compile"), tool_colour("link")])
    compile_px, link_px = counts
    assert compile_px > 5_000
    assert compile_px > 10 * link_px
    assert report.problems == []
    report.close()


# what the page's canvas strokes: the vertices of each path, from beginPath to stroke (wrapped
# before the page's script runs)
COUNT_STROKED_VERTICES = """
    window.strokedPaths = [];
    const proto = CanvasRenderingContext2D.prototype;
    const begin = proto.beginPath, move = proto.moveTo, line = proto.lineTo, stroke = proto.stroke;
    let vertices = [];
    proto.beginPath = function () { vertices = []; return begin.apply(this, arguments); };
    proto.moveTo = function (x, y) { vertices.push([x, y]); return move.apply(this, arguments); };
    proto.lineTo = function (x, y) { vertices.push([x, y]); return line.apply(this, arguments); };
    proto.stroke = function () { window.strokedPaths.push(vertices.slice()); return stroke.apply(this, arguments); };
"""


def test_the_concurrency_line_of_a_dense_build_has_a_few_vertices_per_pixel_not_one_per_step(browser, tmp_path):
    """A million-invocation build has ~1.85 million concurrency steps: stroked a vertex per step, the
    page took 16 s to open and as long again at each zoom. Each pixel column gets a few vertices, and
    the line still spans every level the build reached. Here 3,000 times a 6 ms compile with a 5 ms
    asm from its 3rd ms on: 0, 1, 2, 1, 0 tools running, 12,000 steps on ~1,200 pixels."""
    trace = steps_trace(tmp_path / "steps.jsonl")
    html = tmp_path / "steps.html"
    run_gotrace(["report", str(trace), "-o", str(html)], check=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.add_init_script(COUNT_STROKED_VERTICES)
    page.goto(html.as_uri())
    page.wait_for_selector("html[data-ready]", state="attached")
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    paths = page.evaluate("window.strokedPaths")
    width = page.evaluate("document.getElementById('timeline-canvas').width")
    page.close()
    line = max(paths, key=len)  # the concurrency line: the other strokes are axes, levels and outlines
    assert 100 < len(line) <= 7 * width + 10, (len(line), width)
    # the line reaches all three levels (0, 1 and 2 tools running) across the chart's width
    assert len({round(y, 3) for _, y in line}) == 3
    xs = [x for x, _ in line]
    assert max(xs) - min(xs) > width / 2
