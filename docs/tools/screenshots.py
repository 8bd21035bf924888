"""Screenshots of the report and the flame graph for the docs, as a reader sees them.

    python docs/tools/screenshots.py TRACE [OUT_DIR]     # default OUT_DIR: docs/img

Renders `gotrace report` and `gotrace flame` of TRACE and photographs them in Debian's headless
chromium (playwright, never a downloaded browser) at 1280x900 and 1920x1080, full page. The
report's timeline shows a hovered bar, as a reader would see it.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
SIZES = ((1280, 900), (1920, 1080))


def main(trace: str, out_dir: str = "docs/img") -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="gotrace-shots-"))
    gotrace = Path(sys.executable).parent / "gotrace"
    subprocess.run([gotrace, "report", trace, "-q", "-o", work / "report.html"], check=True)
    subprocess.run([gotrace, "flame", trace, "-q", "-o", work / "build.svg"], check=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for width, height in SIZES:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto((work / "report.html").as_uri())
            page.wait_for_selector("html[data-ready]")
            bar = page.locator("#timeline-bars rect[data-tool=compile]").first
            bar.hover()
            page.screenshot(path=str(out / f"report-{width}.png"), full_page=True)
            page.goto((work / "build.svg").as_uri())
            page.screenshot(path=str(out / f"flame-{width}.png"))
            page.close()
        browser.close()
    print(f"screenshots written to {out}/", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:])
