"""One self-contained HTML report of a build: facts, an interactive timeline, the critical path,
every package in a sortable table, the flame graph, parallelism and compiler phases.

Everything is inside the file. The page's own script (report.js, no library) draws the timeline in
SVG from compact JSON columns (gotrace.render.report_data) and makes the tables sortable; the flame
graph (gotrace.render.svg, interactive) is inlined, fluid and embedded: its CSS and script are scoped
to the graph, so it fits the page width and its search answers Ctrl-F without a click. A Content-Security-Policy forbids any network fetch, so the report
opens the same offline. Names from a trace are escaped (html.escape, control characters shown as
\\xNN) or, in the script, only ever set as text. No timestamp: same trace, same bytes.
"""
from __future__ import annotations

import html
import io
import re
from collections.abc import Sequence
from importlib import resources
from typing import TextIO

import numpy as np

from gotrace import __version__
from gotrace.analysis.build_rows import BuildRows, rows_in_order
from gotrace.analysis.critical_path import Step
from gotrace.analysis.summary import Summary, bounds, sharing_text
from gotrace.collapse import fold_columns
from gotrace.endings import interruption
from gotrace.events import BuildInfo, Event
from gotrace.forked import Forked
from gotrace.render.report_data import critical_steps, page_json, positions_of
from gotrace.render.text_table import mebibytes, percent, seconds
from gotrace.text import seconds_or_unknown

FLAME_WIDTH = 1380  # the page's content width, so the graph needs no scrolling
FLAME_APART = 50_000  # invocations from which the flame graph is drawn in a forked child
CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
       "script-src 'unsafe-inline'")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def esc(value: object) -> str:
    """Text for HTML: markup escaped, control characters shown as \\xNN (report.js shows them alike)."""
    return html.escape(_CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value)), quote=True)


def asset(name: str) -> str:
    return resources.files("gotrace.render").joinpath(name).read_text(encoding="utf-8")


def flame_svg(build: BuildRows | Sequence[Event], subtitle: str) -> tuple[str | None, str]:
    """The interactive flame graph of a build's invocations (wall time, compile phases as children)
    and a note on how it was made."""
    try:
        from gotrace.render.svg import FlameError, FlameOptions, render_svg
    except ImportError:
        return None, "the flame graph renderer is not installed"
    rows = build if isinstance(build, BuildRows) else BuildRows.of_events(build)
    # compile phases included when recorded
    stacks = fold_columns(rows.spans(), ("wall",), root=None).as_dicts()[0]
    if not stacks:
        return None, "no invocation to draw"
    out = io.StringIO()
    try:
        # fluid: as wide as the page lays it out, at any window size; embedded: fit to be inlined in
        # the page (no XML prolog, the page's URL left alone), where Ctrl-F and / reach its search
        render_svg(stacks, out, FlameOptions(title="Build time", subtitle=subtitle, colors="go",
                                             countname="us", root="build", width=FLAME_WIDTH,
                                             fluid=True, embedded=True))
    except FlameError as e:
        return None, str(e)
    return out.getvalue(), ""


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




def _facts(out: TextIO, s: Summary, trace_name: str) -> None:
    info = s.info
    facts = [
        ("build", info.build), ("trace", trace_name or None),
        ("builds in trace", ", ".join(s.builds_in_trace) if len(s.builds_in_trace) > 1 else None),
        ("directory", info.cwd), ("go", info.goversion),
        ("target", f"{info.goos}/{info.goarch}" if info.goos else None),
        ("cores", f"{s.par.cores} ({s.par.cores_source})"), ("-p", info.parallelism),
        ("cache", "cold" if info.cold else None),
        ("go command", seconds(info.wall_ns) if info.wall_ns else None),
        ("stopped", interruption(info.interrupted) if info.interrupted else None),
        ("tools' wall", f"{seconds(s.wall_ns)} (first tool start to last tool end)"),
        ("tools' CPU", seconds_or_unknown(s.cpu_ns)),
        ("coverage", f"{percent(100 * s.coverage.share)} of the tools' wall time had a recorded tool running"
                     + "".join(f"; {g.describe()}" for g in s.coverage.listed())),
        ("invocations", f"{s.invocations}: " + ", ".join(f"{n} {t}" for t, n in s.by_tool.items())),
        ("from the cache", f"{s.cache_hits} of {s.cache_packages} packages" if s.cache_hits is not None else None),
        ("failed", len(s.failures)),
        ("peak RSS", f"{mebibytes(s.peak.max_rss_kib)}: {s.peak.tool} {s.peak.pkg or '-'}" if s.peak else None),
    ]
    out.write('<dl class="facts" id="facts">\n')
    for name, value in facts:
        if value is not None:
            out.write(f"<div><dt>{esc(name)}</dt><dd>{esc(value)}</dd></div>\n")
    out.write("</dl>\n")


def _failures(out: TextIO, s: Summary, first: int = 5) -> None:
    """The failed invocations: the first few in view, the rest folded away so the timeline stays near the top."""
    rows = [(e.tool, e.pkg or "-", e.error or e.limit or (f"signal {e.signal}" if e.signal else f"exit {e.exit}"))
            for e in s.failures]
    out.write(f'<section><h2 id="failures-section">Failed: {len(rows)} invocation{"s" if len(rows) > 1 else ""}</h2>\n')
    _table(out, ("tool", "package", "why"), rows[:first], table_id="failures")
    if len(rows) > first:
        out.write(f"<details><summary>{len(rows) - first} more</summary>\n")
        _table(out, ("tool", "package", "why"), rows[first:], table_id="more-failures")
        out.write("</details>\n")
    out.write("</section>\n")


def _critical_path(out: TextIO, s: Summary, positions: np.ndarray) -> None:
    """The critical path's account and steps; `positions`: each invocation's place on the timeline."""
    steps = critical_steps(s)
    if not steps or s.path is None:
        out.write('<p class="note">No critical path: nothing ran.</p>\n')
        return
    p, b = s.path, bounds(s)
    # the same account as `gotrace summary`: two bounds, then where the rest of the wall time went
    larger = max(b["floor_ns"], b["resource_ns"] or 0)
    resource = ("unknown (the trace does not know the tools' CPU time)" if b["resource_ns"] is None else
                f"{seconds(b['resource_ns'])} ({seconds(s.cpu_ns)} of tool CPU on {b['cores']} cores)")
    out.write(f"<p><strong>Floor {esc(seconds(p.length_ns))}</strong>: the longest chain of real dependencies, "
              f"{len(p.packages)} packages at their own tool time; no number of cores builds faster. "
              f"<strong>Resource bound {esc(resource)}</strong>. Wall {esc(seconds(s.wall_ns))}"
              + (f" = {s.wall_ns / larger:.2f}x the larger bound" if larger else "") + ".</p>\n")
    account = [(p.off_path_ns, "waiting for inputs off the path that finished later"),
               (p.slot_wait_ns, "waiting for a free -p slot") if p.slots else None,
               (p.go_work_ns, "go's own work between tools"),
               (p.untraced_ns, "no traced tool running (go loading or checking, untraced tools)")]
    _table(out, ("besides the path's own time (s)", "went to"),
           [(f"{ns / 1e9:.3f}", what) for ns, what in filter(None, account)], (0,), "wall-account")
    out.write('<p class="note">The path is drawn as a black line on the timeline; click a row to show '
              "the step there.</p>\n")
    t0 = p.steps[0].event.start_ns

    def row(step: Step) -> str:
        e = step.event
        return (f'<tr data-i="{positions[step.row]}"><td class="n">{(e.start_ns - t0) / 1e9:.3f}</td>'
                f"<td>{esc(e.tool)}</td><td class=\"pkg\">{esc(e.pkg or '-')}</td>"
                f'<td class="n">{e.wall_ns / 1e9:.3f}</td><td class="n">{step.wait_ns / 1e9:.3f}</td>'
                f"<td>{esc(step.edge or '-')}</td></tr>\n")

    out.write('<div class="scroll"><table id="critical-path-steps" class="path">\n<thead><tr>'
              '<th class="n">start (s)</th><th>tool</th><th>package</th><th class="n">wall (s)</th>'
              '<th class="n">waited (s)</th><th>after</th></tr></thead>\n<tbody>\n')
    out.writelines(row(step) for step, listed in steps if listed)
    out.write("</tbody></table></div>\n")
    hidden = sum(1 for _, listed in steps if not listed)
    if hidden:
        # every step in an inert template (parsed, never laid out) until "show all" asks for it:
        # a big build's path has thousands of steps
        out.write('<template id="critical-path-all">' + "".join(row(step) for step, _ in steps) + "</template>\n")
        out.write(f'<p class="note" id="path-trim">{hidden} steps under 1% of the path\'s tool time are not '
                  f'listed, as in <code>gotrace summary</code>. <button type="button" id="path-all" '
                  f'aria-expanded="false" hidden>Show all {len(steps)} steps</button></p>\n')
    out.write('<p class="note">after: import / link (it needed the previous package), package (next tool '
              'of the same package), action '
              '(imported action graph).</p>\n')


def _flame(out: TextIO, flame: tuple[str | None, str]) -> None:
    """The flame graph section's body, of `flame_svg`'s answer."""
    svg, why = flame
    if svg is not None:
        out.write('<p class="note">Wall time by package and tool (compile phases under compile when traced '
                  'with --phases). Click a frame to zoom, Ctrl-F to search.</p>\n')
        # inline, not in an iframe: the graph is as wide as the page at any window size, and Ctrl-F
        # or / reach its search box without a click inside it first
        out.write(f'<div class="flame" id="flamegraph">{svg}</div>\n')
    else:
        out.write(f'<p class="note" id="flamegraph-missing">No flame graph: {esc(why)}.</p>\n')


def _what_if(out: TextIO, s: Summary) -> None:
    """Predicted wall time by -p: the same curve as `gotrace summary`'s What if."""
    w = s.whatif
    if w is None:
        return
    out.write('<section><h2 id="what-if">What if: wall time by -p</h2>\n')
    out.write("<p>This build's dependency graph replayed through a scheduler like go's "
              f"(<code>-p N</code> tools at once); {esc(sharing_text(w))}.</p>\n")
    _table(out, ("-p", *("unlimited" if p.slots is None else str(p.slots) for p in w.predictions)),
           [("wall (s)", *(f"{p.wall_ns / 1e9:.2f}" for p in w.predictions))],
           tuple(range(1, len(w.predictions) + 1)), "what-if-table")
    if w.replayed_wall_ns is not None:
        out.write(f'<p class="note">At its own -p {w.measured_slots} the model gives '
                  f"{esc(seconds(w.replayed_wall_ns))} for the measured {esc(seconds(w.measured_wall_ns))} "
                  f"({100 * (w.measured_error or 0):+.1f}%).</p>\n")
    out.write("</section>\n")


def _c_compiles(out: TextIO, s: Summary) -> None:
    """The C compiles cgo ran, per package: the same table as `gotrace summary`."""
    if not s.c_compiles:
        return
    out.write('<section><h2 id="c-compiles">C compiles (cgo)</h2>\n')
    _table(out, ("package", "runs", "wall (s)", "CPU (s)", "slowest file"),
           [(r.pkg, r.compiles, f"{r.wall_ns / 1e9:.3f}", f"{r.cpu_ns / 1e9:.3f}", r.slowest_file)
            for r in s.c_compiles], (1, 2, 3), "c-compiles-table")
    out.write("</section>\n")


def _parallelism(out: TextIO, s: Summary) -> None:
    par = s.par
    out.write(f"<p>Average {par.average:.2f} tools at once, peak {par.peak}"
              + (f" (-p {par.limit})" if par.limit else "")
              + f"; {esc(par.utilisation_text)}.</p>\n")
    if par.serial:
        _table(out, ("at (s)", "for (s)", "running alone"),
               [(f"{st.start_ns / 1e9:.3f}", f"{st.wall_ns / 1e9:.3f}", st.alone or "(nothing traced)")
                for st in par.serial[:10]], (0, 1), "serial-stretches")


def _phases(out: TextIO, s: Summary) -> None:
    t = s.phases
    if t is None:
        return
    out.write('<section><h2 id="phases">Compiler phases</h2>\n')
    out.write(f"<p>{t.compiles} compiles recorded phase times"
              + (f"; {t.without} did not" if t.without else "") + ".</p>\n")
    _table(out, ("phase", "total (s)", "share", "slowest package", "its time (s)"),
           [(r.phase, f"{r.total_ns / 1e9:.3f}", percent(r.pct), r.slowest_pkg, f"{r.slowest_ns / 1e9:.3f}")
            for r in t.rows], (1, 2, 4), "phase-table")
    out.write("</section>\n")


def report_title(info: BuildInfo | None, rows: BuildRows) -> str:
    """What the report names the build by: its go command, else its id."""
    return (info.command if info is not None else "") or f"build {info.build if info is not None else rows.build}"


def flame_apart(rows: BuildRows, info: BuildInfo | None) -> Forked[tuple[str | None, str]]:
    """The report's flame graph (`flame_svg`), drawn by a forked child for a big build: it needs the
    rows alone, so the report command starts it as soon as they are read, and the child fills the
    core the summary leaves idle (merging, grouping nodes, waiting for its children)."""
    title = report_title(info, rows)
    return Forked(lambda: flame_svg(rows, title), fork=len(rows) >= FLAME_APART)


def render_report(summary: Summary, out: TextIO, *, trace_name: str = "",
                  flame: Forked[tuple[str | None, str]] | None = None) -> None:
    """Write the report of one build (its `summary`, and the invocations it holds) to `out`; `flame`
    is its flame graph started already (`flame_apart`)."""
    s = summary
    command = report_title(s.info, s.rows)
    # a big build's flame graph is drawn by a forked child while this process makes the page's data
    flame = flame or flame_apart(s.rows, s.info)
    order = rows_in_order(s.rows)  # the invocations as the timeline lists them
    with flame:
        data = page_json(s, order)
    positions = positions_of(order)
    w = out.write
    write_data = getattr(out, "write_printable", w)
    w("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
    w(f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n')  # a constant without '"'
    w('<meta name="viewport" content="width=device-width, initial-scale=1">\n')
    w(f"<title>gotrace report: {esc(command)}</title>\n<style>\n{asset('report.css')}</style>\n</head>\n<body>\n")
    w(f'<header><h1>gotrace report</h1>\n<p class="sub">{esc(command)}</p>\n'
      '<nav><a href="#timeline-section">Timeline</a> <a href="#critical-path">Critical path</a> '
      + ('<a href="#what-if">What if</a> ' if s.whatif is not None else "")
      + '<a href="#packages-section">Packages</a> <a href="#flame">Flame graph</a> '
      '<a href="#parallelism">Parallelism</a>'
      + (' <a href="#phases">Compiler phases</a>' if s.phases is not None else "") + "</nav></header>\n")
    _facts(out, s, trace_name)
    if s.failures:
        _failures(out, s)

    w('<section><h2 id="timeline-section">Timeline</h2>\n'
      '<p class="note">One row per lane (as many as tools ran at once), one bar per tool invocation coloured '
      'by tool; the black line is the critical path. Hover a bar for its figures, click it to see what it '
      'depended on and what it unblocked. Zoom: Ctrl + wheel (or pinch), the buttons, or + and - keys; '
      'pan: drag, Shift + wheel or the arrow keys. Below: tools running and cores busy.</p>\n'
      '<div id="timeline" class="timeline"></div>\n'
      '<noscript><p class="note">The timeline is drawn by the page\'s script; '
      '<code>gotrace timeline TRACE -o timeline.png</code> draws it as an image.</p></noscript>\n</section>\n')

    w('<section><h2 id="critical-path">Critical path</h2>\n')
    _critical_path(out, s, positions)
    w("</section>\n")
    _what_if(out, s)

    w('<section><h2 id="packages-section">Packages</h2>\n<div id="packages" class="packages"></div>\n'
      '<noscript><p class="note">The package table is built by the page\'s script; '
      '<code>gotrace summary TRACE</code> lists the top packages.</p></noscript>\n</section>\n')

    w('<section><h2 id="flame">Flame graph</h2>\n')
    _flame(out, flame.result())
    w("</section>\n")

    _c_compiles(out, s)
    w('<section><h2 id="parallelism">Parallelism</h2>\n')
    _parallelism(out, s)
    w("</section>\n")
    _phases(out, s)

    w(f'<p class="note">Made by gotrace {esc(__version__)}.</p>\n')
    w('<script type="application/json" id="report-data">')
    # (a big build's is a hundred megabytes: written in pieces, not joined; every control character
    # in it is a JSON escape already, report_data._escaped)
    for piece in data:
        write_data(piece)
    w("</script>\n")
    w(f"<script>\n{asset('report.js')}</script>\n</body>\n</html>\n")
