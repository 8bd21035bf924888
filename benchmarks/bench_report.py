"""How long `gotrace report` takes to write, and its page to open, hover and zoom in Chromium, as builds grow.

    python benchmarks/bench_report.py                  # 2,000 and 20,000 invocations
    python benchmarks/bench_report.py --records 50000

Traces are synthetic (benchmarks/synth_trace.py: a cold build of 3,000 packages run by 8 workers).
The report is written by the real `gotrace` console script; the page is opened from file:// in Debian's
chromium through playwright, as the tests do. For each step the wall time is printed beside the
renderer main thread's CPU time (Chrome's own ThreadTime metric): on a machine busy with other work
the CPU figure is the fair one.

  write     `gotrace report`: wall (CPU of the child process)
  page      the HTML file's size, of which the timeline/table data
  open      navigation until the page's script has drawn everything and a frame has been painted
  hover     median of 40 pointer moves over the timeline until the tooltip is shown
  zoom      median of 10 Ctrl + wheel steps until the next frame
  select    clicking the invocation with the most dependencies (a link) until the next frame
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from synth_trace import write_synthetic_trace  # noqa: E402

GOTRACE = str(Path(sys.executable).parent / "gotrace")
CHROMIUM = os.environ.get("GOTRACE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
WRAPPER = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": code, "seconds": time.perf_counter() - start, "cpu": usage.ru_utime + usage.ru_stime}))
"""
NEXT_FRAME = "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r())))"


def write_report(trace: Path, html: Path) -> dict:
    result = subprocess.run([sys.executable, "-c", WRAPPER, GOTRACE, "report", str(trace), "-o", str(html)],
                            capture_output=True, text=True, check=True)
    figures = json.loads(result.stdout)
    if figures["code"]:
        sys.exit(f"bench_report: gotrace report {trace} failed")
    return figures


class Clock:
    """Wall time and the renderer main thread's CPU time (Chrome's ThreadTime metric) of a page."""

    def __init__(self, page):
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Performance.enable")

    def thread_time(self) -> float:
        metrics = self.cdp.send("Performance.getMetrics")["metrics"]
        return next(m["value"] for m in metrics if m["name"] == "ThreadTime")

    def measure(self, action) -> tuple[float, float]:
        cpu, wall = self.thread_time(), time.perf_counter()
        action()
        return time.perf_counter() - wall, self.thread_time() - cpu


def browse(browser, html: Path) -> dict:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    clock = Clock(page)

    def open_page():
        page.goto(html.as_uri())
        page.wait_for_selector("html[data-ready]", state="attached", timeout=600_000)
        page.evaluate(NEXT_FRAME)

    figures = {"open": clock.measure(open_page)}
    page.locator("#timeline-box").scroll_into_view_if_needed()
    box = page.locator("#timeline-box").bounding_box()
    lanes_height = page.locator("#timeline-box svg").bounding_box()["height"]
    hovers, shown = [], 0
    for k in range(40):
        x = box["x"] + 44 + (k + 0.5) * (box["width"] - 60) / 40
        y = box["y"] + (k % 8 + 0.5) * lanes_height / 8

        def hover(x=x, y=y):
            page.mouse.move(x, y)
            page.evaluate(NEXT_FRAME)
        hovers.append(clock.measure(hover))
        shown += page.locator("#tooltip").is_visible()
    figures["hover"] = tuple(statistics.median(h[i] for h in hovers) for i in (0, 1))
    figures["hovered"] = shown
    centre = (box["x"] + box["width"] / 2, box["y"] + lanes_height / 2)
    page.mouse.move(*centre)
    zooms = []
    for _ in range(10):
        def zoom():
            page.keyboard.down("Control")
            page.mouse.wheel(0, -240)
            page.keyboard.up("Control")
            page.evaluate(NEXT_FRAME)
        zooms.append(clock.measure(zoom))
    figures["zoom"] = tuple(statistics.median(z[i] for z in zooms) for i in (0, 1))
    page.click("#timeline-reset")
    link = page.evaluate("""(() => { const d = JSON.parse(document.getElementById('report-data').textContent).timeline;
        let best = 0; d.deps.forEach((l, i) => { if (l >= 0 && d.depLists[l].length > (d.deps[best] >= 0 ?
        d.depLists[d.deps[best]].length : -1)) best = i; }); return best; })()""")

    def select():
        # through the critical path table's hook: the same code a click on a bar runs
        page.evaluate(f"window.gotraceTimeline.select({link})")
        page.evaluate(NEXT_FRAME)
    figures["select"] = clock.measure(select)
    figures["errors"] = errors
    page.close()
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, nargs="+", default=[2000, 20000],
                        help="trace sizes in records (default 2000 20000)")
    args = parser.parse_args(argv)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sys.exit("bench_report: python playwright is not installed (the dev extra)")
    if not os.path.exists(CHROMIUM):
        sys.exit(f"bench_report: no chromium at {CHROMIUM}")
    print(f"{'invocations':>11} {'write':>14} {'page':>8} {'data':>8} {'open':>14} {'hover':>14} "
          f"{'zoom':>14} {'select':>14}")
    print(f"{'':>11} {'wall (CPU)':>14} {'MB':>8} {'MB':>8} {'wall (CPU)':>14} {'wall (CPU)':>14} "
          f"{'wall (CPU)':>14} {'wall (CPU)':>14}")
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for records in args.records:
            trace, html = Path(tmp) / f"{records}.jsonl", Path(tmp) / f"{records}.html"
            write_synthetic_trace(str(trace), records)
            written = write_report(trace, html)
            text = html.read_text()
            data = re.search(r'id="report-data">(.*?)</script>', text, re.S).group(1)
            invocations = len(json.loads(data)["timeline"]["startDelta"])
            page = browse(browser, html)

            def pair(figures) -> str:
                return f"{figures[0]:.2f}s ({figures[1]:.2f})"
            print(f"{invocations:>11} {written['seconds']:>6.2f}s ({written['cpu']:.2f}) "
                  f"{len(text.encode()) / 1e6:>8.2f} {len(data.encode()) / 1e6:>8.2f} {pair(page['open']):>14} "
                  f"{pair(page['hover']):>14} {pair(page['zoom']):>14} {pair(page['select']):>14}")
            if page["errors"] or page["hovered"] < 20:
                sys.exit(f"bench_report: page errors {page['errors']}, tooltips shown {page['hovered']} of 40")
        browser.close()


if __name__ == "__main__":
    main()
