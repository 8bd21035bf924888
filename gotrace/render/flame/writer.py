"""A Layout drawn as SVG: frames, the headings, the legend of a `go` graph, and the script and style
(flame.js and flame.css beside gotrace/render, inlined) that make it interactive."""
from __future__ import annotations

import json
import re
from importlib import resources
from typing import TextIO

from gotrace.collapse import Count
from gotrace.render.flame.layout import Frame, Layout
from gotrace.render.flame.options import DEFAULT_OPTIONS, FRAMEPAD, XPAD, FlameError, FlameOptions
from gotrace.render.flame.palettes import (
    BACKGROUNDS,
    DEFAULT_BACKGROUND,
    delta_fill,
    frame_fill,
    legend_tools,
    split_annotation,
)

SEARCH_COLOR = "rgb(230,0,230)"
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def escape(text: str) -> str:
    """Text safe inside an XML element or a double-quoted attribute (characters XML cannot hold
    become U+FFFD)."""
    text = _XML_BAD.sub("\ufffd", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def format_value(value: Count, countname: str) -> str:
    """A count for people: durations in microseconds and sizes in KiB get a readable unit."""
    if countname == "us":
        for unit, size in (("s", 1e6), ("ms", 1e3)):
            if abs(value) >= size:
                return f"{value / size:,.2f} {unit}"
        return f"{value:,.0f} us" if isinstance(value, int) else f"{value:,.2f} us"
    if countname == "KiB":
        for unit, size in (("GiB", 1 << 20), ("MiB", 1 << 10)):
            if abs(value) >= size:
                return f"{value / size:,.1f} {unit}"
        return f"{value:,} KiB" if isinstance(value, int) else f"{value:,.1f} KiB"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    number = f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"
    return f"{number} {countname}".rstrip()


def _asset(name: str) -> str:
    return resources.files("gotrace.render").joinpath(name).read_text(encoding="utf-8")


def _fit(name: str, width_px: float, options: FlameOptions) -> str:
    chars = int(width_px / (options.fontsize * options.fontwidth))
    if chars < 3:
        return ""
    return name if len(name) <= chars else name[: chars - 2] + ".."


def _num(value: float) -> str:
    return f"{value:.2f}"


def _legend(out: TextIO, tools: list[tuple[str, str]], y: float, options: FlameOptions) -> None:
    """One swatch and name per tool drawn; clicking one searches for that tool."""
    fs = options.fontsize
    x = float(XPAD)
    out.write(f'<g id="legend" transform="translate(0,{_num(y)})">\n')
    for tool, colour in tools:
        out.write(f'<g class="legend" data-tool="{escape(tool)}"><title>{escape(tool)}: click to search</title>'
                  f'<rect x="{_num(x)}" y="{_num(-fs * 0.8)}" width="{_num(fs * 0.9)}" height="{_num(fs * 0.9)}" '
                  f'fill="{colour}" rx="2" ry="2"/><text x="{_num(x + fs * 1.2)}" y="0">{escape(tool)}</text></g>\n')
        x += fs * 1.2 + len(tool) * fs * options.fontwidth + fs * 1.2
    out.write("</g>\n")


def write_layout(result: Layout, out: TextIO, options: FlameOptions = DEFAULT_OPTIONS) -> None:
    """Draw a Layout as SVG. Same layout and options, same bytes."""
    total = result.total
    if not total or total <= 0:
        raise FlameError("nothing to draw: the stacks' counts add up to zero")
    threshold = options.prune_ratio() * total
    frames = sorted((f for f in result.frames if f.value > 0 and f.value >= threshold),
                    key=lambda f: (f.depth, f.start))
    differential = result.differential
    names = {f.name.decode("utf-8", "replace") for f in frames}
    tools = [] if differential else legend_tools(names, options.colors)
    depth_max = max((f.depth for f in frames), default=-1) + 1
    fs = options.fontsize
    fh = options.frame_height
    width = options.width
    legend_y = fs * 3 + (fs * 2 if options.subtitle else 0) + fs * 0.6
    ypad1 = fs * 3 + (fs * 2 if options.subtitle else 0) + (fs * 2 if tools else 0)
    ypad2 = fs * 2 + 10
    height = (depth_max + 1) * fh + ypad1 + ypad2
    usable = width - 2 * XPAD
    scale = usable / total
    maxdelta = max((abs(f.value - f.before) for f in frames), default=0) if differential else 0
    maxdelta = max(maxdelta, abs(total - result.total_before)) if differential else 0
    countname = options.countname.replace("(", "[").replace(")", "]")

    config = {"nametype": options.nametype, "fontsize": fs, "fontwidth": options.fontwidth, "xpad": XPAD,
              "usable": usable, "total": total, "searchcolor": SEARCH_COLOR, "urlstate": not options.embedded,
              "fluid": options.fluid}
    script = _asset("flame.js")
    style = _asset("flame.css")
    assert "]]>" not in script and "]]>" not in style
    config_js = json.dumps(config, sort_keys=True).replace("<", "\\u003c").replace(">", "\\u003e")
    bg1, bg2 = BACKGROUNDS.get(options.colors, DEFAULT_BACKGROUND)
    w = out.write
    if not options.embedded:
        w('<?xml version="1.0" standalone="no"?>\n'
          '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n')
    # fluid: as wide as the container; flame.js lays the frames out again at the width it is given
    size = (f'class="flame fluid" width="100%" height="{_num(height)}" preserveAspectRatio="xMinYMin meet"'
            if options.fluid else f'class="flame" width="{width}" height="{_num(height)}"')
    w(f'<svg version="1.1" {size} viewBox="0 0 {width} {_num(height)}" xmlns="http://www.w3.org/2000/svg" '
      f'xmlns:xlink="http://www.w3.org/1999/xlink" font-family="{escape(options.fonttype)}" '
      f'font-size="{fs:g}">\n'
      "<!-- Flame graph drawn by gotrace: hover for details, click a frame to zoom, "
      "Search (or Ctrl-F, or /) takes a regular expression. -->\n")
    if options.notes:
        w(f"<!--NOTES: {escape(options.notes).replace('--', '- -')} -->\n")
    w(f'<defs><linearGradient id="background" y1="0" y2="1" x1="0" x2="0">'
      f'<stop stop-color="{bg1}" offset="5%"/><stop stop-color="{bg2}" offset="95%"/>'
      f'</linearGradient></defs>\n'
      f'<style type="text/css"><![CDATA[\n{style}]]></style>\n'
      f'<rect x="0" y="0" width="100%" height="100%" fill="url(#background)"/>\n'
      f'<text id="title" x="{_num(width / 2)}" y="{_num(fs * 2)}" font-size="{fs + 5:g}">'
      f'{escape(options.default_title)}</text>\n')
    if options.subtitle:
        w(f'<text id="subtitle" x="{_num(width / 2)}" y="{_num(fs * 4)}">{escape(options.subtitle)}</text>\n')
    if tools:
        _legend(out, tools, legend_y, options)
    w(f'<text id="details" x="{XPAD}" y="{_num(height - ypad2 / 2)}"> </text>\n'
      f'<text id="unzoom" class="hide" x="{XPAD}" y="{_num(fs * 2)}">Reset Zoom</text>\n'
      f'<text id="search" x="{width - XPAD - 100}" y="{_num(fs * 2)}">Search</text>\n'
      f'<text id="ignorecase" x="{width - XPAD - 16}" y="{_num(fs * 2)}">ic</text>\n'
      f'<text id="matched" x="{width - XPAD - 100}" y="{_num(height - ypad2 / 2)}"> </text>\n'
      '<g id="frames">\n')
    fills: dict[str, str] = {}
    root = Frame(-1, 0, total, result.total_before, options.root.encode("utf-8", "surrogateescape"))
    chunk: list[str] = []
    for depth, start, value, before, raw in [root, *frames]:
        depth += 1
        name = raw.decode("utf-8", "replace")
        if differential:
            fill = delta_fill(value - before, maxdelta)
        elif depth == 0:
            fill = frame_fill(name, options.colors, root=True)
        else:
            fill = fills.get(name) or fills.setdefault(name, frame_fill(name, options.colors))
        label = split_annotation(name)[0]
        x = XPAD + start * scale
        fw = value * scale
        if options.inverted:
            y = ypad1 + depth * fh
        else:
            y = height - ypad2 - (depth + 1) * fh + FRAMEPAD
        info = f"{format_value(value, countname)}, {100 * value / total:.2f}%"
        if differential:
            delta = value - before
            info += f"; {'+' if delta > 0 else ''}{100 * delta / total:.2f}%"
        chunk.append(
            f'<g data-x="{start!r}" data-w="{value!r}" data-d="{depth}"><title>{escape(label)} ({escape(info)})'
            f'</title><rect x="{_num(x)}" y="{_num(y)}" width="{_num(fw)}" height="{fh - FRAMEPAD}" fill="{fill}" '
            f'rx="2" ry="2"/><text x="{_num(x + 3)}" y="{_num(y + (fh - FRAMEPAD) / 2 + fs * 0.35)}">'
            f'{escape(_fit(label, fw, options))}</text></g>\n')
        if len(chunk) >= 512:
            w("".join(chunk))
            chunk.clear()
    w("".join(chunk))
    # at the end, so that it runs when everything it works on has been parsed
    w('</g>\n<script type="text/ecmascript"><![CDATA[\n(function (svg, C) {\n'
      f'{script}}})(document.currentScript ? document.currentScript.ownerSVGElement : '
      f'[].slice.call(document.getElementsByTagName("svg")).pop(), {config_js});\n]]></script>\n</svg>\n')
