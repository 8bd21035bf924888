"""Timeline charts with matplotlib, which is imported here only, inside the functions that draw.

Importing matplotlib costs about half a second: every other command (and the shim's hot path) must
not pay it, so nothing imports this module at the top level.

The Gantt chart has one row per lane (`assign_lanes`), bars coloured by tool, labelled with their
package where the bar is wide enough and outlined in black on the critical path; under it, the
number of tools running, the cores busy (CPU time) and the machine's cores. Output is deterministic:
a fixed SVG hash salt, no dates, no software version in the file.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import IO, TYPE_CHECKING

from gotrace.analysis.build_rows import BuildRows, rows_in_order
from gotrace.analysis.lanes import lanes_of
from gotrace.analysis.parallelism import BUCKETS, Parallelism
from gotrace.collapse import split_variant
from gotrace.palette import tool_colour
from gotrace.text import printable

FORMATS = ("png", "svg")
DPI = 100
DEFAULT_WIDTH = 1400
LABEL_FONT_PT = 7
MAX_LABELS = 600
# Past this many bars most are narrower than a pixel: a lane's bars that touch within a pixel are
# drawn as one stretch, coloured pixel by pixel by the tool that ran longest there (`_dominant_runs`;
# drawing a million polygons is slow, and the tool drawn last would colour every pixel it touches).
MAX_BARS = 20_000
# Of those bars cut at pixel boundaries, at most this many pieces (plus two per bar): a broken trace
# of thousands of tools that ran the whole build, a lane each, would be lanes x pixels pieces;
# its pixels are then taken two, four, ... at a time.
MAX_PIECES = 2_000_000
# Past this many concurrency steps per pixel of the x axis, the curve is drawn as an outline of five
# vertices per pixel column (`step_outline`): a million-record build has 1.85 million steps, and
# matplotlib took 1.3 s to lay out and draw a vertex per step.
DENSE_STEPS_PER_PIXEL = 4

if TYPE_CHECKING:
    import numpy as np


def _rects(x0, x1, lane, bar_h: float):
    """Bars from start and end (ns since the first start) and lane: an (n, 4, 2) array in seconds."""
    import numpy as np

    left, right = x0 / 1e9, x1 / 1e9
    low, high = lane - bar_h / 2, lane + bar_h / 2
    return np.stack([np.stack([left, low], -1), np.stack([right, low], -1),
                     np.stack([right, high], -1), np.stack([left, high], -1)], 1)


def _merge_subpixel(x0, x1, lane, pixel_ns: int):
    """Bars (start, end, lane) with those of a lane that start within a pixel of the previous one's
    end joined into one bar."""
    import numpy as np

    if not len(x0):
        return x0, x1, lane
    order = np.lexsort((x0, lane))
    x0, x1, lane = x0[order], x1[order], lane[order]
    # the bars of a lane never overlap (lanes.assign_lanes), so the previous bar's end is the reach
    starts_bar = np.r_[True, (lane[1:] != lane[:-1]) | (x0[1:] > x1[:-1] + pixel_ns)]
    first = np.flatnonzero(starts_bar)
    return x0[first], np.maximum.reduceat(x1, first), lane[first]


def _pixel_span(x0, x1, pixel_ns: int):
    """The first and last pixel each bar (start, end) touches (a zero-length bar: the one it is in)."""
    import numpy as np

    return x0 // pixel_ns, np.maximum(x1 - 1, x0) // pixel_ns


def _pieces(x0, x1, pixel_ns: int):
    """Bars (start, end) cut at pixel boundaries: for each piece, its bar, its pixel, and its start
    and end within that pixel."""
    import numpy as np

    first, last = _pixel_span(x0, x1, pixel_ns)
    per_bar = last - first + 1
    bar = np.repeat(np.arange(len(x0)), per_bar)
    pixel = first[bar] + np.arange(len(bar)) - np.repeat(np.cumsum(per_bar) - per_bar, per_bar)
    return bar, pixel, np.maximum(x0[bar], pixel * pixel_ns), np.minimum(x1[bar], (pixel + 1) * pixel_ns)


def _dominant_runs(x0, x1, lane, tool, tools: int, pixel_ns: int):
    """Bars (start, end, lane, tool as its index in the legend's order) too many to draw one by
    one, as runs to draw instead: a lane's bars that start within a pixel of the previous one's end
    are one stretch (`_merge_subpixel`), cut into runs where the tool changes, each pixel's tool
    being the one whose bars covered most of it in that lane (then: the most runs, as for a pixel
    of zero-length runs; then the first in the legend). Only the pixels bars touch are kept (a
    trace whose tools all started at once has as many lanes as tools). Returns (start, end, lane,
    tool) of the runs."""
    import numpy as np

    pixel_ns = max(pixel_ns, 1)
    lane = lane.astype(np.int64)
    if not len(x0):
        return x0, x1, lane, tool
    while True:  # (pieces beyond one per bar)
        first, last = _pixel_span(x0, x1, pixel_ns)
        if int((last - first).sum()) <= MAX_PIECES + len(x0):
            break
        pixel_ns *= 2
    bar, pixel, p0, p1 = _pieces(x0, x1, pixel_ns)
    pixels = int(pixel.max()) + 1
    # per (lane, pixel, tool) touched: the time covered and the runs, then each cell's first by rank
    cells, of_piece = np.unique((lane[bar] * pixels + pixel) * tools + tool[bar], return_inverse=True)
    covered = np.bincount(of_piece.reshape(-1), weights=(p1 - p0).astype(np.float64))
    runs = np.bincount(of_piece.reshape(-1))
    cell, cell_tool = cells // tools, cells % tools
    ranked = np.lexsort((cell_tool, -runs, -covered, cell))
    first = ranked[np.r_[True, cell[ranked][1:] != cell[ranked][:-1]]]
    coloured_cells, colour = cell[first], cell_tool[first]  # ascending cells
    s0, s1, s_lane = _merge_subpixel(x0, x1, lane, pixel_ns)
    stretch, pixel, p0, p1 = _pieces(s0, s1, pixel_ns)
    # every pixel of a stretch is touched by one of its bars (a gap within one is under a pixel)
    at = np.searchsorted(coloured_cells, s_lane[stretch] * pixels + pixel)
    of_piece = colour[np.minimum(at, len(colour) - 1)]
    new_run = np.r_[True, (stretch[1:] != stretch[:-1]) | (of_piece[1:] != of_piece[:-1])]
    first = np.flatnonzero(new_run)
    return p0[first], np.maximum.reduceat(p1, first), s_lane[stretch[first]], of_piece[first]


def timeline_size(lanes: int, width_px: int = DEFAULT_WIDTH) -> tuple[int, int]:
    """Pixel size of a timeline with `lanes` rows: rows get thinner as they grow, within bounds."""
    row_px = 22 if lanes <= 16 else 14 if lanes <= 48 else 8
    gantt = min(900, max(160, lanes * row_px))
    return width_px, gantt + 300


def labels_for(pkg: str) -> list[str]:
    """Candidate labels, longest first: the whole path, then ever shorter tails of it."""
    base, variant = split_variant(pkg or "(no package)")
    parts = base.split("/")
    tails = ["/".join(parts[i:]) for i in range(len(parts))]
    return [f"{t} [test]" if variant else t for t in tails]


def render_timeline(rows: BuildRows, out: IO[bytes], fmt: str = "png", *, par: Parallelism,
                    on_path: np.ndarray | Callable[[], np.ndarray] | None = None, title: str = "",
                    width_px: int = DEFAULT_WIDTH, height_px: int | None = None) -> None:
    """Draw the Gantt chart and the concurrency curve of one build's invocations into `out`;
    `on_path` marks the rows on the critical path (critical_path.chain_rows), or gives them when
    called, once the bars are laid out (a forked child's result: timeline command)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown chart format {fmt!r}; use one of {', '.join(FORMATS)}")
    import matplotlib
    import numpy as np

    matplotlib.use("Agg", force=False)
    from matplotlib.collections import PolyCollection
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    ran = rows_in_order(rows)  # the bars in drawing order
    absolute = rows.start_ns[ran]
    walls = rows.wall_ns[ran]
    lanes = lanes_of(absolute, absolute + walls)
    n_lanes = max(lanes, default=-1) + 1
    width_px, auto_height = timeline_size(n_lanes, width_px)
    height_px = height_px or auto_height
    t0 = int(absolute.min()) if len(ran) else 0
    span_s = max(((int((absolute + walls).max()) - t0) / 1e9) if len(ran) else 0.0, 1e-3)

    # Names are drawn escaped (`printable`): the font has no glyph for a control character.
    # text.parse_math off: a `$...$` in a package name or the go command (-ldflags=-X main.v=$V) is
    # text to show, not TeX to typeset (matplotlib would fail on it or draw something else)
    with matplotlib.rc_context({"svg.hashsalt": "gotrace", "svg.fonttype": "none", "font.size": 9,
                                "font.family": "DejaVu Sans", "path.simplify": True, "text.usetex": False,
                                "text.parse_math": False}):
        fig = Figure(figsize=(width_px / DPI, height_px / DPI), dpi=DPI)
        grid = fig.add_gridspec(2, 1, height_ratios=(max(1, height_px - 300), 190), hspace=0.08,
                                left=0.06, right=0.99, top=1 - 44 / height_px, bottom=70 / height_px)
        gantt = fig.add_subplot(grid[0])
        curve = fig.add_subplot(grid[1], sharex=gantt)
        bar_h = 0.8

        starts = absolute - t0
        ends = starts + walls
        lane_of = np.array(lanes, dtype=np.float64)
        tool_ids = rows.tool[ran]
        per_tool = np.bincount(tool_ids, minlength=len(rows.tools)).tolist()
        counts = {rows.tools[t]: c for t, c in enumerate(per_tool) if c}
        order = sorted(counts, key=lambda t: (-counts[t], t))
        pixel_ns = int(span_s * 1e9 / (width_px * 0.93))
        dense = len(ran) > MAX_BARS
        if dense:
            legend_rank = np.empty(len(rows.tools), np.int64)
            legend_rank[[rows.tools.index(t) for t in order]] = np.arange(len(order))
            runs = _dominant_runs(starts, ends, lane_of, legend_rank[tool_ids], len(order), pixel_ns)
        for k, tool in enumerate(order):
            # one (n, 4, 2) array: PolyCollection's fast path, much quicker than n lists of points
            if dense:
                mine = np.flatnonzero(runs[3] == k)
                x0, x1, y = runs[0][mine], runs[1][mine], runs[2][mine].astype(np.float64)
            else:
                mine = np.flatnonzero(tool_ids == rows.tools.index(tool))
                x0, x1, y = starts[mine], ends[mine], lane_of[mine]
            gantt.add_collection(PolyCollection(_rects(x0, x1, y, bar_h), facecolors=tool_colour(tool),
                                                edgecolors="white", linewidths=0.3 if n_lanes < 100 else 0))
        _draw_concurrency(curve, par, span_s)

        # Labels only where they fit: a bar as wide as the text, rows tall enough to read.
        axes_w_px = width_px * 0.93
        row_px = (height_px - 300) / max(n_lanes, 1)
        if row_px >= 9:
            char_px = LABEL_FONT_PT * 0.62 * DPI / 72
            widest = np.lexsort((absolute, -walls))[:MAX_LABELS]  # longest first, then earliest
            for k in widest.tolist():
                start_ns, wall_ns = int(absolute[k]), int(walls[k])
                bar_px = wall_ns / 1e9 / span_s * axes_w_px
                for text in labels_for(rows.pkgs[rows.pkg[ran[k]]]):
                    if len(text) * char_px + 6 <= bar_px:
                        gantt.text((start_ns - t0 + wall_ns / 2) / 1e9, lanes[k], printable(text), ha="center",
                                   va="center", fontsize=LABEL_FONT_PT, color="white", clip_on=True)
                        break

        # the critical path last: what a forked child gives (`on_path`) is waited for once all else
        # is laid out; its outline is drawn over the bars and under the labels (zorder 3) all the same
        if callable(on_path):
            on_path = on_path()
        if on_path is not None and on_path.any():
            mine = np.flatnonzero(on_path[ran])
            gantt.add_collection(PolyCollection(_rects(starts[mine], ends[mine], lane_of[mine], bar_h),
                                                facecolors="none", edgecolors="black",
                                                linewidths=0.9 if n_lanes < 100 else 0.6, zorder=2.9))

        gantt.set_xlim(0, span_s * 1.005)
        gantt.set_ylim(n_lanes - 0.5, -0.5)
        gantt.set_ylabel("lane")
        if n_lanes > 30:
            gantt.set_yticks([])
        else:
            gantt.set_yticks(range(n_lanes))
        gantt.tick_params(labelbottom=False)
        handles = [Patch(facecolor=tool_colour(t), label=printable(f"{t} ({counts[t]})")) for t in order]
        if on_path is not None and on_path.any():
            handles.append(Patch(facecolor="none", edgecolor="black", label="critical path"))
        gantt.legend(handles=handles, loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=7,
                     ncol=min(len(handles), 8), frameon=False, borderaxespad=0.2)
        gantt.set_title(printable(title or "Build timeline"), fontsize=10, loc="left", pad=18)

        metadata = {"Software": None} if fmt == "png" else {"Date": None, "Creator": None}
        fig.savefig(out, format=fmt, dpi=DPI, metadata=metadata)


def _draw_concurrency(curve, par: Parallelism, span_s: float) -> None:
    """The lower chart: tools running (a step line), cores busy, the machine's cores and -p."""
    import numpy as np

    steps = par.steps
    column_s = span_s * 1.005 / (curve.figure.get_figwidth() * DPI * 0.93)  # a pixel of the x axis
    if len(steps) > DENSE_STEPS_PER_PIXEL * span_s / column_s:
        xs, ys = step_outline(steps.times / 1e9, steps.running, span_s, column_s)
        curve.plot(xs, ys, color="#333333", linewidth=1, label="tools running")
    elif len(steps):  # as arrays: a million-record build has a million and a half steps
        xs = np.append(steps.times / 1e9, span_s)
        ys = np.append(steps.running, steps.running[-1])
        curve.step(xs, ys, where="post", color="#333333", linewidth=1, label="tools running")
    width = span_s / BUCKETS
    centres = [(i + 0.5) * width for i in range(BUCKETS)]
    if par.cpu_buckets:  # none when the trace does not know CPU time (a -debug-trace import)
        curve.fill_between(centres, par.cpu_buckets, step="mid", color="#8da0b6", alpha=0.45,
                           linewidth=0, label="cores busy (CPU time)")
    curve.axhline(par.cores, color="#c44e52", linestyle="--", linewidth=1, label=f"{par.cores} cores")
    if par.limit and par.limit != par.cores:
        curve.axhline(par.limit, color="#555555", linestyle=":", linewidth=1, label=f"-p {par.limit}")
    top = max([par.cores, par.limit or 0, par.peak] + list(par.cpu_buckets))
    curve.set_ylim(0, top * 1.15 + 0.5)
    curve.set_ylabel("concurrency")
    curve.set_xlabel("seconds since the first tool started")
    curve.legend(loc="upper right", fontsize=7, ncol=4, framealpha=0.9)


def step_outline(times: np.ndarray, levels: np.ndarray, end: float, column: float) -> tuple[np.ndarray, np.ndarray]:
    """The vertices of a step line that holds levels[k] from times[k] (ascending) to the next time
    and the last level to `end`, drawn with columns `column` wide: in each column, at its first
    step's time, from the level before it down to the column's lowest level and up to its highest,
    along the highest to the column's edge (the top edge a step line there draws), and to its last
    level. Five vertices per column, not two per step: the same picture where a column is a pixel."""
    import numpy as np

    cell = np.floor(times / column)
    first = np.flatnonzero(np.concatenate(([True], cell[1:] != cell[:-1])))  # each column's first step
    entry = np.concatenate((levels[:1], levels[first[1:] - 1]))  # the level before it
    lo = np.minimum(np.minimum.reduceat(levels, first), entry)
    hi = np.maximum(np.maximum.reduceat(levels, first), entry)
    last = levels[np.concatenate((first[1:], [len(levels)])) - 1]
    at, edge = times[first], np.minimum((cell[first] + 1) * column, end)
    xs = np.append(np.column_stack((at, at, at, edge, edge)).reshape(-1), end)
    ys = np.append(np.column_stack((entry, lo, hi, hi, last)).reshape(-1), levels[-1])
    return xs, ys
