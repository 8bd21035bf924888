"""Our speedscope and Chrome trace exports opened by the real speedscope app in headless chromium.

The file is handed to speedscope the way its own CLI (bin/cli.mjs) does: a script that calls
`speedscope.loadFileFromBase64(name, base64)`, named in index.html's `#localProfilePath=`.
"""
from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from tests.conftest import SPEEDSCOPE_INDEX, need, run_gotrace

pytestmark = pytest.mark.browser

INDEX = SPEEDSCOPE_INDEX


@pytest.fixture(autouse=True)
def speedscope_installed():
    need(INDEX.exists(), "speedscope npm package not installed: run `npm install`")


PACKAGES = ["example.com/multi/internal/asmsum", "example.com/multi/internal/cgohash",
            "example.com/multi/internal/geom", "example.com/multi/internal/textutil",
            "example.com/multi/cmd/multi"]


class Opened:
    """A profile loaded into speedscope, with every sign of a failed import it gave."""

    def __init__(self, page, problems: list[str]):
        self.page = page
        self.problems = problems

    def _switcher(self):
        """Open the profile switcher (click the title's "(i/N)"); its rows are the profiles."""
        self.page.locator("text=/\\(\\d+\\/\\d+\\)/").first.click()
        rows = self.page.locator("tbody tr[title]")
        rows.first.wait_for()
        return rows

    def profile_names(self) -> list[str]:
        rows = self._switcher()
        names = [rows.nth(i).get_attribute("title") for i in range(rows.count())]
        self.page.keyboard.press("Escape")
        return names

    def sandwich_symbols(self, index: int = 0) -> str:
        """The symbol table of speedscope's sandwich view of the index-th profile."""
        rows = self._switcher()
        count = rows.count()
        rows.nth(index).click()
        # the title says "(i/N)" once the chosen profile is the one shown: read no earlier (the
        # sandwich view of the profile before would still be on the page)
        self.page.locator(f"text=/\\({index + 1}\\/{count}\\)/").first.wait_for()
        self.page.get_by_text("Sandwich").click()
        self.page.get_by_text("Symbol Name").wait_for()
        return self.page.inner_text("body")


@pytest.fixture
def open_in_speedscope(browser, tmp_path):
    pages = []

    def open_(path: Path) -> Opened:
        loader = tmp_path / f"load-{path.name}.js"
        data = base64.b64encode(path.read_bytes()).decode()
        loader.write_text(f"speedscope.loadFileFromBase64({json.dumps(path.name)}, {json.dumps(data)})")
        page = browser.new_page(viewport={"width": 2600, "height": 3000})
        pages.append(page)
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("console", lambda m: problems.append(m.text) if "Failed to load format" in m.text else None)
        page.on("dialog", lambda d: (problems.append(f"alert: {d.message}"), d.dismiss()))
        page.goto(f"{INDEX.as_uri()}#localProfilePath={loader}")
        # either the profile's title bar with its "(1/N)" switcher, or the error screen
        page.locator("text=/\\(1\\/\\d+\\)|Something went wrong/").first.wait_for(timeout=30_000)
        if "Something went wrong" in page.inner_text("body"):
            problems.append("speedscope: Something went wrong")
        return Opened(page, problems)

    yield open_
    for page in pages:
        page.close()


@pytest.fixture(scope="module")
def exports(multi_build, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("viewers")
    files = {"speedscope": out / "multi.speedscope.json", "chrome": out / "multi.trace.json"}
    for command, path in files.items():
        run_gotrace([command, str(multi_build.trace), "-o", str(path)], check=True)
    return files


def test_speedscope_detects_a_profile_it_cannot_import(open_in_speedscope, tmp_path):
    # the check the other tests rely on: a file whose events do not nest is reported as a failure
    bad = tmp_path / "bad.speedscope.json"
    bad.write_text(json.dumps({
        "$schema": "https://www.speedscope.app/file-format-schema.json", "shared": {"frames": [{"name": "a"}, {"name": "b"}]},
        "profiles": [{"type": "evented", "name": "x", "unit": "none", "startValue": 0, "endValue": 9, "events": [
            {"type": "O", "frame": 0, "at": 0}, {"type": "O", "frame": 1, "at": 1}, {"type": "C", "frame": 0, "at": 2}]}]}))
    assert open_in_speedscope(bad).problems


def test_speedscope_export_loads_with_its_profiles_and_the_traced_packages(open_in_speedscope, exports):
    document = json.loads(exports["speedscope"].read_bytes())
    opened = open_in_speedscope(exports["speedscope"])
    assert opened.problems == []
    assert opened.profile_names() == [p["name"] for p in document["profiles"]]
    # the time flame graph (shown first) has the packages' path segments and the tools
    symbols = opened.sandwich_symbols(document["activeProfileIndex"])
    for frame in ("compile", "asm", "link", "cgohash", "asmsum", "geom", "textutil"):
        assert frame in symbols
    assert opened.problems == []


def test_speedscope_timeline_lanes_hold_the_traced_packages(open_in_speedscope, exports):
    document = json.loads(exports["speedscope"].read_bytes())
    lanes = [i for i, p in enumerate(document["profiles"]) if p["type"] == "evented"]
    opened = open_in_speedscope(exports["speedscope"])
    seen = "".join(opened.sandwich_symbols(i) for i in lanes)
    for package in PACKAGES:
        assert package in seen
    assert opened.problems == []


def test_chrome_trace_export_is_imported_by_speedscope(open_in_speedscope, exports):
    document = json.loads(exports["chrome"].read_bytes())
    threads = [e["args"]["name"] for e in document["traceEvents"] if e["name"] == "thread_name"]
    opened = open_in_speedscope(exports["chrome"])
    assert opened.problems == []
    names = opened.profile_names()
    assert len(names) == len(threads)
    assert all(any(thread in name for name in names) for thread in threads)
    seen = "".join(opened.sandwich_symbols(i) for i in range(len(names)))
    for package in PACKAGES:
        assert f"compile {package}" in seen or f"link {package}" in seen
    assert opened.problems == []
