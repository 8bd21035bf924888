"""One self-contained HTML report of a build: facts, flame graph, timeline, top tables, critical path, phases.

Everything is inside the file: the flame graph (gotrace.render.svg, interactive) in an iframe of its
own from a data: URL, so its script and ids stay apart from the page; the timeline as an SVG image
from a data: URL. A Content-Security-Policy forbids any network fetch, so the report opens the same
offline. Every name from a trace goes through html.escape. No timestamp: same trace, same bytes.
"""
from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Sequence
from typing import TextIO

from gotrace import __version__
from gotrace.analysis.summary import Summary
from gotrace.collapse import fold_events
from gotrace.events import Event
from gotrace.render.text_table import mebibytes, percent, seconds

FLAME_WIDTH = 1380  # the page's content width, so the graph needs no scrolling
SVG_TIMELINE_LIMIT = 5000
CSP = ("default-src 'none'; img-src data:; frame-src data:; style-src 'unsafe-inline'; "
       "script-src 'unsafe-inline'")
STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1440px;
       padding: 0 16px 40px; color: #222; }
h1 { font-size: 22px; margin: 18px 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; }
.sub { color: #666; margin: 0 0 12px; font-family: ui-monospace, monospace; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
dl.facts dt { color: #666; } dl.facts dd { margin: 0; }
table { border-collapse: collapse; margin: 4px 0 12px; } th, td { padding: 2px 10px; text-align: left; }
th { border-bottom: 1px solid #bbb; font-weight: 600; } td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr:nth-child(even) td { background: #f6f6f6; }
.tables { display: flex; flex-wrap: wrap; gap: 0 32px; }
iframe.flame { width: 100%; border: 1px solid #ddd; }
img.timeline { width: 100%; height: auto; border: 1px solid #ddd; }
.note { color: #666; font-size: 13px; }
code { font-family: ui-monospace, monospace; }
"""


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def data_url(mime: str, payload: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"


def flame_svg(events: Sequence[Event], subtitle: str) -> tuple[str | None, str]:
    """The interactive flame graph (wall time, compile phases as children) and a note on how it was made."""
    try:
        from gotrace.render.svg import FlameError, FlameOptions, render_svg
    except ImportError:
        return None, "the flame graph renderer is not installed"
    stacks = fold_events(events, root=None)  # compile phases included when recorded
    if not stacks:
        return None, "no invocation to draw"
    out = io.StringIO()
    try:
        render_svg(stacks, out, FlameOptions(title="Build time", subtitle=subtitle, colors="go",
                                             countname="us", root="build", width=FLAME_WIDTH))
    except FlameError as e:
        return None, str(e)
    return out.getvalue(), ""


def timeline_image(events: Sequence[Event], summary: Summary) -> str:
    """The timeline as a data: URL: SVG (sharp when zoomed), PNG for big builds, whose SVG would
    carry one shape per invocation."""
    from gotrace.charts import render_timeline

    fmt = "svg" if summary.invocations <= SVG_TIMELINE_LIMIT else "png"
    out = io.BytesIO()
    render_timeline(events, out, fmt, par=summary.par, path=summary.path, title="Timeline")
    return data_url("image/svg+xml" if fmt == "svg" else "image/png", out.getvalue())


def _svg_height(svg: str) -> int:
    match = re.search(r'<svg[^>]*\sheight="([0-9.]+)', svg)
    return int(float(match.group(1))) + 4 if match else 600


def _cell(tag: str, value: object, numeric: bool) -> str:
    return f'<{tag} class="n">{esc(value)}</{tag}>' if numeric else f"<{tag}>{esc(value)}</{tag}>"


def _table(out: TextIO, headers: Sequence[str], rows: Sequence[Sequence[object]], numeric: Sequence[int] = (),
           table_id: str = "") -> None:
    ident = f' id="{esc(table_id)}"' if table_id else ""
    head = "".join(_cell("th", h, i in numeric) for i, h in enumerate(headers))
    out.write(f"<table{ident}><thead><tr>{head}</tr></thead><tbody>\n")
    out.writelines("<tr>" + "".join(_cell("td", c, i in numeric) for i, c in enumerate(row)) + "</tr>\n"
                   for row in rows)
    out.write("</tbody></table>\n")


def render_report(events: Sequence[Event], summary: Summary, out: TextIO, *, trace_name: str = "") -> None:
    """Write the report of one build (`events`, and `summary` made from them) to `out`."""
    s, info = summary, summary.info
    command = info.command or f"build {info.build}"
    w = out.write
    w("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
    w(f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n')  # a constant without '"'
    w('<meta name="viewport" content="width=device-width, initial-scale=1">\n')
    w(f"<title>gotrace report: {esc(command)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n")
    w(f"<h1>gotrace report</h1>\n<p class=\"sub\">{esc(command)}</p>\n")

    w('<h2 id="facts">Build</h2>\n<dl class="facts">\n')
    facts = [
        ("build", info.build), ("trace", trace_name or None),
        ("builds in trace", ", ".join(s.builds_in_trace) if len(s.builds_in_trace) > 1 else None), ("directory", info.cwd),
        ("go", info.goversion), ("target", f"{info.goos}/{info.goarch}" if info.goos else None),
        ("cores", f"{s.par.cores} ({s.par.cores_source})"), ("-p", info.parallelism),
        ("cache", "cold" if info.cold else None),
        ("go command", seconds(info.wall_ns) if info.wall_ns else None),
        ("tools' wall", f"{seconds(s.wall_ns)} (first tool start to last tool end)"),
        ("tools' CPU", seconds(s.cpu_ns)),
        ("coverage", f"{percent(100 * s.coverage.share)} of the tools' wall time had a recorded tool running"
                     + "".join(f"; {g.describe()}" for g in s.coverage.listed())),
        ("invocations", f"{s.invocations}: " + ", ".join(f"{n} {t}" for t, n in s.by_tool.items())),
        ("failed", len(s.failures)),
        ("peak RSS", f"{mebibytes(s.peak.max_rss_kib)}: {s.peak.tool} {s.peak.pkg or '-'}" if s.peak else None),
    ]
    for name, value in facts:
        if value is not None:
            w(f"<dt>{esc(name)}</dt><dd>{esc(value)}</dd>\n")
    w("</dl>\n")
    if s.failures:
        _table(out, ("tool", "package", "exit"),
               [(e.tool, e.pkg or "-", e.error or e.limit or e.exit) for e in s.failures[:50]],
               table_id="failures")

    w('<h2 id="flame">Flame graph</h2>\n')
    svg, why = flame_svg(events, command)
    if svg is not None:
        w('<p class="note">Wall time by package and tool (compile phases under compile when traced with '
          '--phases). Click a frame to zoom, Ctrl-F to search.</p>\n')
        w(f'<iframe class="flame" id="flamegraph" title="Flame graph" height="{_svg_height(svg)}" '
          f'src="{data_url("image/svg+xml", svg.encode("utf-8"))}"></iframe>\n')
    else:
        w(f'<p class="note" id="flamegraph-missing">No flame graph: {esc(why)}.</p>\n')

    w('<h2 id="timeline-section">Timeline</h2>\n')
    w('<p class="note">One row per lane, bars coloured by tool, the critical path outlined; below, tools '
      'running and cores busy against the machine\'s cores.</p>\n')
    w(f'<img class="timeline" id="timeline" alt="Build timeline" '
      f'src="{timeline_image(events, s)}">\n')

    w('<h2 id="top">Top packages</h2>\n<div class="tables">\n')
    grouping = []
    if s.depth:
        grouping.append(f"rolled up to {s.depth} path elements")
    grouping.append("standard library one by one" if s.std else "standard library as one row")
    for weight, title in (("wall", "by wall time"), ("cpu", "by CPU time"), ("rss", "by peak RSS")):
        rows = s.top[weight]
        if not rows:
            continue
        w(f"<div><h3>{esc(title)}</h3>\n")
        if weight == "rss":
            _table(out, ("package", "peak RSS", "of peak"),
                   [(r.name, mebibytes(r.value), percent(r.pct)) for r in rows], (1, 2), f"top-{weight}")
        else:
            _table(out, ("package", weight, "share", "cumulative"),
                   [(r.name, seconds(r.value), percent(r.pct), percent(r.cum_pct or 0)) for r in rows],
                   (1, 2, 3), f"top-{weight}")
        w("</div>\n")
    w(f'</div>\n<p class="note">{esc("; ".join(grouping))}.</p>\n')

    if s.c_compiles:
        w('<h2 id="c-compiles">C compiles (cgo)</h2>\n')
        _table(out, ("package", "runs", "wall", "CPU", "slowest file"),
               [(r.pkg, r.compiles, seconds(r.wall_ns), seconds(r.cpu_ns), r.slowest_file) for r in s.c_compiles],
               (1, 2, 3), "c-compiles-table")

    w('<h2 id="critical-path">Critical path</h2>\n')
    if s.path is not None:
        p = s.path
        w(f"<p>{len(p.steps)} invocations over {len(p.packages)} packages spanning {esc(seconds(p.span_ns))} "
          f"of the {esc(seconds(s.wall_ns))} wall time ({esc(percent(100 * p.span_ns / s.wall_ns) if s.wall_ns else '-')}); "
          f"its tools ran {esc(seconds(p.work_ns))}"
          + (f", {esc(seconds(p.slot_wait_ns))} went waiting for a free -p slot" if p.slot_wait_ns else "")
          + ".</p>\n")
        t0 = p.steps[0].event.start_ns
        _table(out, ("start", "tool", "package", "wall", "waited", "after"),
               [(seconds(st.event.start_ns - t0), st.event.tool, st.event.pkg or "-", seconds(st.event.wall_ns),
                 seconds(st.wait_ns), st.edge or "-") for st in p.steps], (0, 3, 4), "critical-path-steps")
        w('<p class="note">after: import / link (it needed the previous package), package (next tool of the '
          'same package), slot (all -p slots were busy until the previous one ended), action (imported '
          'action graph).</p>\n')

    par = s.par
    w('<h2 id="parallelism">Parallelism</h2>\n')
    w(f"<p>Average {par.average:.2f} tools at once, peak {par.peak}"
      + (f" (-p {par.limit})" if par.limit else "")
      + f"; CPU utilisation {esc(percent(100 * par.utilisation))} of {par.cores} cores.</p>\n")
    if par.serial:
        _table(out, ("at", "for", "running alone"),
               [(seconds(st.start_ns), seconds(st.wall_ns), st.alone or "(nothing traced)") for st in par.serial[:10]],
               (0, 1), "serial-stretches")

    if s.phases is not None:
        t = s.phases
        w('<h2 id="phases">Compiler phases</h2>\n')
        w(f"<p>{t.compiles} compiles recorded phase times"
          + (f"; {t.without} did not" if t.without else "") + ".</p>\n")
        _table(out, ("phase", "total", "share", "slowest package", "its time"),
               [(r.phase, seconds(r.total_ns), percent(r.pct), r.slowest_pkg, seconds(r.slowest_ns))
                for r in t.rows], (1, 2, 4), "phase-table")

    w(f'<p class="note">Made by gotrace {esc(__version__)}.</p>\n</body>\n</html>\n')
