"""The flame graph in a real browser: Debian chromium, headless, driven by playwright, from file://."""
from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from gotrace.collapse import fold_events
from gotrace.events import read_events

from .conftest import need, run_gotrace

pytestmark = pytest.mark.browser
USABLE = 1200 - 2 * 10


class Graph:
    """A page showing an SVG, with the script errors it raised and the dialogs it opened."""

    def __init__(self, browser, path: Path, query: str = "", answer: str | None = None):
        self.page = browser.new_page(viewport={"width": 1280, "height": 800})
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.answer = answer
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("dialog", self._dialog)
        self.page.goto(path.as_uri() + query)
        self.page.wait_for_selector("svg[data-ready]", state="attached")

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        if dialog.type == "prompt" and self.answer is not None:
            dialog.accept(self.answer)
        else:
            dialog.dismiss()

    def frame(self, name: str, depth: int | None = None):
        where = f'[data-d="{depth}"]' if depth is not None else ""
        for g in self.page.locator(f"#frames > g{where}").all():
            if g.locator("title").text_content().rsplit(" (", 1)[0] == name:
                return g
        raise AssertionError(f"no frame {name!r}")

    def rect(self, g) -> dict:
        r = g.locator("rect")
        return {"x": float(r.get_attribute("x")), "width": float(r.get_attribute("width")),
                "fill": r.get_attribute("fill"), "hidden": "hide" in (g.get_attribute("class") or "")}

    def text(self, element_id: str) -> str:
        return self.page.locator(f"#{element_id}").text_content()


@pytest.fixture(scope="module")
def build_svg(multi_build, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("flame") / "build.svg"
    # --minwidth 0: every invocation is drawn, so shares computed from the stacks match what the page
    # shows however long each tool took on a busy machine (a tiny compile may fall under 0.1 px)
    run_gotrace(["flame", str(multi_build.trace), "--minwidth", "0", "-o", str(path)], check=True)
    return path


@pytest.fixture(scope="module")
def stacks(multi_build) -> dict:
    return fold_events(read_events(str(multi_build.trace))[0])


def test_svg_opens_from_a_file_url_without_script_errors(browser, build_svg):
    graph = Graph(browser, build_svg)
    assert graph.page.locator("#frames > g").count() > 20
    assert graph.text("title") == "Build time"
    assert graph.errors == []


def test_hovering_a_frame_shows_name_value_and_share(browser, build_svg, stacks):
    graph = Graph(browser, build_svg)
    graph.frame("std").hover()
    details = graph.text("details")
    std = sum(v for k, v in stacks.items() if k[1] == "std")
    share = 100 * std / sum(stacks.values())
    assert details.startswith("Frame: std (") and f"{share:.2f}%" in details
    assert graph.errors == []


def test_clicking_a_frame_zooms_it_to_the_full_width_and_reset_restores(browser, build_svg):
    graph = Graph(browser, build_svg)
    std = graph.frame("std", depth=2)
    before = graph.rect(std)
    example = graph.rect(graph.frame("example.com/", depth=2))
    assert before["width"] < USABLE - 1
    assert graph.page.locator("#unzoom").get_attribute("class") == "hide"
    std.click()
    after = graph.rect(std)
    assert after["x"] == pytest.approx(10, abs=0.01) and after["width"] == pytest.approx(USABLE, abs=0.01)
    assert graph.rect(graph.frame("example.com/", depth=2))["hidden"], "a sibling is hidden"
    fmt = graph.rect(graph.frame("fmt", depth=3))
    assert not fmt["hidden"] and fmt["width"] > 0
    assert "parent" in graph.frame("build", depth=1).get_attribute("class")
    query = parse_qs(urlparse(graph.page.url).query)
    assert query["d"] == ["2"]
    graph.page.locator("#unzoom").click()
    assert graph.rect(std) == before and graph.rect(graph.frame("example.com/", depth=2)) == example
    assert graph.page.locator("#unzoom").get_attribute("class") == "hide"
    assert urlparse(graph.page.url).query == ""
    assert graph.errors == []


def test_search_highlights_matches_and_reports_the_matched_share(browser, build_svg, stacks):
    graph = Graph(browser, build_svg, answer="^compile$")
    graph.page.locator("#search").click()
    assert graph.dialogs, "Search asks for a term"
    compile_share = 100 * sum(v for k, v in stacks.items() if k[-1] == "compile") / sum(stacks.values())
    assert graph.text("matched") == f"Matched: {compile_share:.2f}%"
    assert graph.rect(graph.frame("compile"))["fill"] == "rgb(230,0,230)"
    assert graph.rect(graph.frame("link"))["fill"] != "rgb(230,0,230)"
    assert parse_qs(urlparse(graph.page.url).query)["s"] == ["^compile$"]
    graph.page.locator("#search").click()   # now "Reset Search"
    assert graph.text("matched").strip() == ""
    assert graph.rect(graph.frame("compile"))["fill"] != "rgb(230,0,230)"
    assert graph.errors == []


def test_case_toggle_makes_search_ignore_case(browser, build_svg):
    graph = Graph(browser, build_svg, answer="^LINK$")
    graph.page.locator("#search").click()
    assert graph.text("matched") == "Matched: 0.00%"
    graph.page.locator("#ignorecase").click()
    assert graph.text("matched") != "Matched: 0.00%"
    assert graph.rect(graph.frame("link"))["fill"] == "rgb(230,0,230)"
    assert parse_qs(urlparse(graph.page.url).query)["i"] == ["1"]


def test_search_inside_a_zoom_reports_the_share_of_the_zoomed_frame(browser, tmp_path):
    path = tmp_path / "small.svg"
    run_gotrace(["flame", "-o", str(path)], input=b"main;a;x 30\nmain;b;x 10\nmain;b 10\nother;x 50\n",
                check=True)
    graph = Graph(browser, path, answer="^x$")
    graph.page.locator("#search").click()
    assert graph.text("matched") == "Matched: 90.00%"
    graph.frame("main").click()
    assert graph.text("matched") == "Matched: 80.00%"


def test_zoom_and_search_are_restored_from_the_url(browser, build_svg):
    graph = Graph(browser, build_svg, answer="compile")
    graph.frame("std", depth=2).click()
    graph.page.locator("#search").click()
    url = graph.page.url
    matched = graph.text("matched")
    again = Graph(browser, build_svg, query="?" + urlparse(url).query)
    assert again.rect(again.frame("std", depth=2))["width"] == pytest.approx(USABLE, abs=0.01)
    assert again.text("matched") == matched
    assert again.errors == []


def test_hostile_frame_names_show_as_text_and_run_nothing(browser, tmp_path):
    path = tmp_path / "evil.svg"
    evil = b"main;<script>alert(1)</script> 5\nmain;<img src=x onerror=alert(2)> 3\nmain;\xff&\"' 2\n"
    run_gotrace(["flame", "-o", str(path)], input=evil, check=True)
    graph = Graph(browser, path)
    graph.frame("<script>alert(1)</script>").hover()
    assert "<script>alert(1)</script>" in graph.text("details")
    graph.frame("<img src=x onerror=alert(2)>").click()
    assert graph.dialogs == [] and graph.errors == []


def test_graphs_embedded_in_one_html_page_work_independently(browser, tmp_path):
    from gotrace.render.svg import FlameOptions, render_svg

    parts = []
    for stacks in ({("main", "a"): 3, ("main", "b"): 1}, {("main", "a"): 1, ("main", "b"): 3}):
        out = io.StringIO()
        render_svg(stacks, out, FlameOptions(embedded=True))
        parts.append(out.getvalue())
    page = tmp_path / "report.html"
    page.write_text(f"<!DOCTYPE html><html><body>{parts[0]}<p>between</p>{parts[1]}</body></html>")
    graph = Graph(browser, page)
    assert graph.page.locator("svg[data-ready]").count() == 2
    first, second = graph.page.locator("svg").nth(0), graph.page.locator("svg").nth(1)
    first_b = first.locator("#frames > g", has_text="b").first
    first_b.click()
    assert float(first_b.locator("rect").get_attribute("width")) == pytest.approx(USABLE, abs=0.01)
    second_b = second.locator("#frames > g", has_text="b").first
    assert float(second_b.locator("rect").get_attribute("width")) == pytest.approx(0.75 * USABLE, abs=0.01)
    second_b.hover()
    assert second.locator("#details").text_content().startswith("Function: b (3 samples, 75.00%")
    assert first.locator("#details").text_content().strip() == ""
    assert graph.page.url == page.as_uri(), "an embedded graph leaves the page's URL alone"
    assert graph.errors == []


SPEEDSCOPE = Path(__file__).resolve().parent.parent / "node_modules" / "speedscope" / "dist" / "release" / "index.html"


def test_speedscope_reads_gotrace_fold_output(browser, multi_build, tmp_path):
    # handed over the way speedscope's own CLI does: a script calling loadFileFromBase64, named in
    # index.html's #localProfilePath=; speedscope recognises the format by its content
    need(SPEEDSCOPE.exists(), "speedscope npm package not installed: run `npm install`")
    folded = tmp_path / "build.folded"
    run_gotrace(["fold", str(multi_build.trace), "-o", str(folded)], check=True)
    loader = tmp_path / "load.js"
    data = base64.b64encode(folded.read_bytes()).decode()
    loader.write_text(f"speedscope.loadFileFromBase64('build.folded', {json.dumps(data)})")
    page = browser.new_page(viewport={"width": 2000, "height": 2000})
    logs: list[str] = []
    page.on("console", lambda m: logs.append(m.text))
    page.on("pageerror", lambda e: logs.append(f"page error: {e}"))
    page.goto(f"{SPEEDSCOPE.as_uri()}#localProfilePath={loader}")
    page.get_by_text("Sandwich").wait_for(timeout=30_000)
    assert "Importing as collapsed stack format" in logs
    page.get_by_text("Sandwich").click()
    page.get_by_text("Symbol Name").wait_for()
    symbols = page.inner_text("body")
    for name in ("compile", "link", "geom", "runtime", "std"):
        assert name in symbols
    assert not [line for line in logs if "error" in line.lower()]


def inline_page(tmp_path: Path, stacks: dict, **options) -> Path:
    from gotrace.render.svg import FlameOptions, render_svg

    out = io.StringIO()
    render_svg(stacks, out, FlameOptions(colors="go", countname="us", root="build", embedded=True, **options))
    page = tmp_path / "page.html"
    page.write_text('<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
                    '<body style="margin: 0 auto; max-width: 1440px; padding: 0 16px">'
                    f"<h1>A report</h1><p>Text above the graph.</p>{out.getvalue()}"
                    '<p id="below">Text below.</p></body></html>')
    return page


def layout_facts(page) -> dict:
    return page.evaluate("""() => {
      const svg = document.querySelector("svg");
      const box = (id) => svg.querySelector("[id='" + id + "']").getBoundingClientRect();
      const root = svg.querySelector("#frames > g rect").getBoundingClientRect();
      const labels = [...svg.querySelectorAll("#frames > g")].map((g) => ({
        text: g.querySelector("text").textContent, width: g.querySelector("rect").getBoundingClientRect().width}));
      const whole = svg.getBoundingClientRect();
      return {svg: whole.width, right: whole.right, body: document.body.clientWidth,
              scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
              search: box("search").right, matched: box("matched").left, root: root.width,
              fontsize: parseFloat(getComputedStyle(svg.querySelector("#frames text")).fontSize), labels};
    }""")


@pytest.mark.parametrize("viewport", [1280, 1920])
def test_a_fluid_graph_fills_its_container_with_search_in_view(browser, stacks, tmp_path, viewport):
    graph_page = inline_page(tmp_path, stacks, fluid=True, width=1380)
    page = browser.new_page(viewport={"width": viewport, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(graph_page.as_uri())
    page.wait_for_selector("svg[data-ready]", state="attached")
    facts = layout_facts(page)
    content = min(viewport, 1440 + 32) - 32
    assert facts["svg"] == pytest.approx(content, abs=1), "as wide as its container"
    assert facts["scroll"] <= facts["inner"], "nothing overflows sideways"
    assert facts["search"] <= facts["right"] - 10 and page.locator("#search").is_visible()
    assert facts["matched"] <= facts["right"] - 100, "the Matched line starts inside the graph"
    assert facts["root"] == pytest.approx(content - 20, abs=1)
    assert facts["fontsize"] == 12, "text keeps its size: the graph is laid out again, not scaled"
    page.set_viewport_size({"width": 800, "height": 900})
    page.wait_for_function(f"document.querySelector('svg').getBoundingClientRect().width < {content - 100}")
    page.wait_for_function("Math.abs(document.querySelector('#frames > g rect').getBoundingClientRect().width"
                           " - (document.querySelector('svg').getBoundingClientRect().width - 20)) < 1")
    narrow = layout_facts(page)
    assert narrow["scroll"] <= narrow["inner"]
    assert all(len(label["text"]) * 12 * 0.59 <= label["width"] + 0.5 for label in narrow["labels"]), \
        "labels are fitted again to the narrower frames"
    assert sum(len(label["text"]) for label in narrow["labels"]) < sum(len(label["text"]) for label in facts["labels"])
    assert errors == []


def test_keyboard_search_reaches_an_inline_graph_without_a_click(browser, stacks, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    dialogs: list[str] = []

    def answer(dialog):
        dialogs.append(dialog.message)
        dialog.accept("^compile$")

    page.on("dialog", answer)
    page.goto(inline_page(tmp_path, stacks, fluid=True).as_uri())
    page.wait_for_selector("svg[data-ready]", state="attached")
    page.keyboard.press("Control+f")
    assert dialogs, "Ctrl-F asks for a term though nothing was clicked"
    assert page.locator("#matched").text_content().startswith("Matched: ")
    page.keyboard.press("Escape")
    assert page.locator("#matched").text_content().strip() == ""
    page.keyboard.press("/")
    assert len(dialogs) == 2 and page.locator("#matched").text_content().startswith("Matched: ")


def test_clicking_a_legend_entry_searches_for_that_tool(browser, build_svg, stacks):
    graph = Graph(browser, build_svg)
    graph.page.locator("#legend g[data-tool='link']").click()
    link_share = 100 * sum(v for k, v in stacks.items() if k[-1] == "link") / sum(stacks.values())
    assert graph.text("matched") == f"Matched: {link_share:.2f}%"
    assert graph.errors == []
