"""Flame graphs as standalone, interactive SVG: the flamegraph.pl drawing, from any folded stacks.

    render_svg(stacks, out, options)      stacks in memory, {("build", "std", "fmt", "compile"): 51234}
                                           or {stack: (before, after)} for a differential graph
    render_folded(stream, out, options)   folded text (a binary stream), the replacement for flamegraph.pl

Frames are laid out the way flamegraph.pl does it: stacks in sorted order, a frame opened where a stack
leaves the previous one's path and closed where the next one leaves it. A frame narrower than
`minwidth` is dropped when it closes, so memory and output stay bounded by what can be drawn, not by
the input. A sorted file (as `gotrace fold` writes it) streams in one pass; any other input is summed
per stack and sorted first, in runs spilled to temporary files when it is large. The script and style
that make the graph interactive are flame.js and flame.css next to this module, inlined into every SVG.
"""
from __future__ import annotations

import colorsys
import json
import re
import zlib
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from operator import itemgetter
from typing import IO, TextIO, Union

from gotrace.collapse import Count, FoldedReader

Stacks = Union[Mapping[tuple, object], Iterable[tuple]]
PALETTES = ("hot", "mem", "io", "red", "green", "blue", "aqua", "yellow", "purple", "orange", "go", "hash")
XPAD = 10
FRAMEPAD = 1
SEARCH_COLOR = "rgb(230,0,230)"
_SEMICOLON = 0x3B
_NUL = 0


class FlameError(ValueError):
    """Nothing can be drawn (no valid stack, a zero total); the message says why."""


@dataclass(frozen=True)
class FlameOptions:
    title: str | None = None          # None: "Flame Graph", "Icicle Graph" or "Flame Chart"
    subtitle: str = ""
    width: int = 1200                 # pixels, the whole image
    frame_height: int = 16
    minwidth: float = 0.1             # pixels; frames thinner than this are left out
    minwidth_percent: float | None = None   # or a share of the total (0.5 = 0.5 %)
    colors: str = "hot"
    countname: str = "samples"
    nametype: str = "Function:"
    inverted: bool = False            # icicle: root at the top
    reverse: bool = False             # stacks leaf first
    flamechart: bool = False          # input order kept, only neighbouring stacks merged
    notes: str = ""
    fonttype: str = "Verdana"
    fontsize: float = 12
    fontwidth: float = 0.59           # average glyph width relative to fontsize
    root: str = "all"
    embedded: bool = False            # for inside an HTML page: no XML prolog, the URL left alone

    @property
    def default_title(self) -> str:
        if self.title is not None:
            return self.title
        return "Flame Chart" if self.flamechart else "Icicle Graph" if self.inverted else "Flame Graph"

    def prune_ratio(self) -> float:
        """Share of the total under which a frame is not drawn."""
        if self.minwidth_percent is not None:
            return max(self.minwidth_percent, 0.0) / 100
        return max(self.minwidth, 0.0) / max(self.width - 2 * XPAD, 1)


@dataclass
class Layout:
    # (depth below the root, start, value, value before, name as bytes); depth 0 is a root's child
    frames: list = field(default_factory=list)
    total: Count = 0
    total_before: Count = 0
    differential: bool = False


class _Unsorted(Exception):
    pass


def layout(records: Iterable[tuple[bytes, Count, Count | None]], *, sep: int, ratio: float,
           check_order: bool = False, floor: Count = 0) -> Layout:
    """Frames of (stack, count, before) records in drawing order; `sep` is the frame separator byte.

    Only frames that can reach ratio * total are kept: a frame is judged when it closes against the
    running total, which only grows, or against `floor`, a guess at the total from below, whichever is
    larger (the caller checks the guess: total >= floor). Per line the work is a few C calls on the
    whole stack (an XOR of the stack and the previous one as integers finds where they part), never
    one per frame, except for frames wide enough to keep. With check_order, raises _Unsorted at the
    first stack out of order (sorted with the separator lowest, i.e. frame by frame)."""
    out = Layout()
    frames = out.frames
    sepb = bytes([sep])
    starts: list = []          # where each open frame of the previous stack started ...
    bstarts: list = []         # ... and in "before" counts, once a differential line was seen
    prev = b""
    prev_int = 0
    prev_depth = 0
    x = xb = 0
    differential = False
    from_bytes = int.from_bytes
    # conditionals, not max()/min() or helpers: this loop runs once per input line
    for stack, value, before in records:
        if before is not None and not differential:
            differential = True
            bstarts = starts[:]
            xb = x
        if stack == prev and prev_depth:
            x += value
            xb += value if before is None else before
            continue
        stack_int = from_bytes(stack, "big")
        if prev_depth:
            la, lb = len(prev), len(stack)
            if la < lb:
                k = lb - (((prev_int << ((lb - la) << 3)) ^ stack_int).bit_length() + 7 >> 3)
                if k > la:  # noqa: PLR1730
                    k = la
            elif la > lb:
                k = la - ((prev_int ^ (stack_int << ((la - lb) << 3))).bit_length() + 7 >> 3)
                if k > lb:  # noqa: PLR1730
                    k = lb
            else:
                k = la - ((prev_int ^ stack_int).bit_length() + 7 >> 3)   # bytes in common
            if k == la:
                # the previous stack ends here: all its frames go on, or it ended inside a name
                d = prev_depth if k == lb or stack[k] == sep else prev.count(sepb, 0, k)
            elif k == lb:
                if check_order:   # this stack ends where the previous went on: it sorts first
                    raise _Unsorted
                d = stack.count(sepb) + 1 if prev[k] == sep else prev.count(sepb, 0, k)
            else:
                if check_order and (stack[k] == sep or (prev[k] != sep and stack[k] < prev[k])):
                    raise _Unsorted
                d = prev.count(sepb, 0, k)
            if d < prev_depth:
                # open frames' starts rise with depth, so their widths fall: the wide enough ones
                # are a run from depth d, found by bisection
                j = bisect_right(starts, x - ratio * (x if x > floor else floor), d, prev_depth)  # noqa: FURB136
                if j > d:
                    names = prev.split(sepb)
                    for i in range(d, j):
                        frames.append((i, starts[i], x - starts[i],
                                       xb - bstarts[i] if differential else x - starts[i], names[i]))
        else:
            d = 0
        depth = stack.count(sepb) + 1
        starts[d:] = [x] * (depth - d)
        x += value
        if differential:
            bstarts[d:] = [xb] * (depth - d)
            xb += value if before is None else before
        prev, prev_int, prev_depth = stack, stack_int, depth
    if prev_depth:
        j = bisect_right(starts, x - ratio * max(x, floor), 0, prev_depth)
        names = prev.split(sepb)
        for i in range(j):
            frames.append((i, starts[i], x - starts[i], xb - bstarts[i] if differential else x - starts[i],
                           names[i]))
    out.total, out.total_before, out.differential = x, xb if differential else x, differential
    return out


def layout_stacks(stacks: Stacks, options: FlameOptions) -> Layout:
    """Layout of in-memory stacks: a mapping or (stack, value) pairs; a value may be (before, after)."""
    items = stacks.items() if isinstance(stacks, Mapping) else stacks
    if options.reverse:
        items = ((tuple(reversed(key)), value) for key, value in items)
    items = list(items) if options.flamechart else sorted(items, key=lambda item: item[0])
    total = sum(value[1] if isinstance(value, tuple) else value for _, value in items)

    def records() -> Iterator[tuple[bytes, Count, Count | None]]:
        for key, value in items:
            stack = "\0".join(key).encode("utf-8", "surrogateescape")
            if isinstance(value, tuple):
                yield stack, value[1], value[0]
            else:
                yield stack, value, None

    return layout(records(), sep=_NUL, ratio=options.prune_ratio(), floor=total)


def layout_folded(stream: IO[bytes], options: FlameOptions, *,
                  name: str = "folded input") -> tuple[Layout, FoldedReader]:
    """Layout of folded text. A sorted, seekable input streams; the first line out of order sends it
    back to the start to be summed per stack and sorted (see sorted_stacks)."""
    ratio = options.prune_ratio()
    if options.flamechart:
        reader = FoldedReader(stream, name=name)
        return layout(reader, sep=_SEMICOLON, ratio=ratio), reader
    if not options.reverse and stream.seekable():
        start = stream.tell()
        floor = _guess_total(stream, start)
        try:
            while True:
                stream.seek(start)
                reader = FoldedReader(stream, name=name)
                result = layout(reader, sep=_SEMICOLON, ratio=ratio, check_order=True, floor=floor)
                if result.total >= floor:
                    return result, reader
                floor = result.total   # the guess was too high: again, with the real total
        except _Unsorted:
            stream.seek(start)
    reader = FoldedReader(stream, name=name)
    records, total = sorted_stacks(reader, reverse=options.reverse)
    return layout(records, sep=_NUL, ratio=ratio, floor=total), reader


def sorted_stacks(records: Iterable[tuple[bytes, Count, Count | None]], *, reverse: bool = False,
                  run_keys: int = 150_000) -> tuple[Iterator[tuple[bytes, Count, Count | None]], Count]:
    """(stack, count, before) records summed per stack and sorted frame by frame, frames joined by
    NUL (which makes byte order frame order: "a;b;c" before "a;b.x"), and their total. Past
    `run_keys` distinct stacks the sums so far are sorted into a temporary file, and the runs are
    merged as they are read back (as sort(1) does), so memory stays bounded for any input."""
    import heapq
    import tempfile

    records = iter(records)   # each run goes on where the last one stopped
    runs: list[IO[bytes]] = []
    total: Count = 0
    while True:
        after: dict[bytes, Count] = {}
        extra: dict[bytes, Count] = {}   # before - after, for differential lines only
        full = False
        for stack, value, before in records:
            key = b"\0".join(stack.split(b";")[::-1]) if reverse else stack.replace(b";", b"\0")
            after[key] = after.get(key, 0) + value
            if before is not None:
                extra[key] = extra.get(key, 0) + (before - value)
            if len(after) >= run_keys:
                full = True
                break
        total += sum(after.values())
        if not full and not runs:
            return ((key, after[key], after[key] + extra[key] if key in extra else None)
                    for key in sorted(after)), total
        if after:
            runs.append(_spill(after, extra, tempfile.TemporaryFile()))  # noqa: SIM115 (closed by merged())
        if not full:
            break

    def merged() -> Iterator[tuple[bytes, Count, Count | None]]:
        try:
            # equal stacks from different runs come out next to each other; layout() adds them up
            yield from heapq.merge(*(_read_run(run) for run in runs), key=itemgetter(0))
        finally:
            for run in runs:
                run.close()

    return merged(), total


def _spill(after: dict, extra: dict, run: IO[bytes]) -> IO[bytes]:
    run.writelines(b"%s %s %s\n" % (repr(after[k]).encode(), repr(after[k] + extra[k]).encode()
                                    if k in extra else b"-", k) for k in sorted(after))
    after.clear()
    extra.clear()
    run.seek(0)
    return run


def _read_run(run: IO[bytes]) -> Iterator[tuple[bytes, Count, Count | None]]:
    for line in run:
        value, before, key = line[:-1].split(b" ", 2)
        yield (key, int(value) if value.isdigit() else float(value),
               None if before == b"-" else int(before) if before.isdigit() else float(before))


def _guess_total(stream: IO[bytes], start: int, sample: int = 1 << 20) -> Count:
    """Half the total the first MB's counts per byte predict for the whole file. Without a guess
    the first lines' frames would all be kept, as the running total is small at first."""
    import os

    try:
        size = os.fstat(stream.fileno()).st_size - start
    except (OSError, AttributeError, ValueError):
        return 0
    head = stream.read(sample)
    if len(head) >= size:
        return 0   # small enough not to matter
    lines = head.splitlines(keepends=True)[:-1]
    counted = sum(value for _, value, _ in FoldedReader(lines))
    return counted * size / max(sum(map(len, lines)), 1) / 2


def render_svg(stacks: Stacks, out: TextIO, options: FlameOptions = FlameOptions()) -> None:
    """Write the flame graph of in-memory stacks to `out`.

    stacks: {("a", "b"): count} or {("a", "b"): (before, after)} (a differential graph: widths from
    `after`, red where a frame grew, blue where it shrank), or an iterable of (stack, value) pairs,
    whose order is kept with options.flamechart. Raises FlameError when there is nothing to draw."""
    write_layout(layout_stacks(stacks, options), out, options)


def render_folded(stream: IO[bytes], out: TextIO, options: FlameOptions = FlameOptions(), *,
                  name: str = "folded input") -> FoldedReader:
    """Write the flame graph of folded text read from a binary stream; returns the reader, whose
    `skipped` counts the malformed lines. Raises FlameError when no line was valid."""
    result, reader = layout_folded(stream, options, name=name)
    if not result.frames and not reader.skipped and result.total == 0:
        raise FlameError(f"{name}: no stacks (expected lines like 'main;parse;lex 42')")
    if not result.frames and result.total == 0 and reader.skipped:
        raise FlameError(f"{name}: no valid line; all {reader.skipped} non-blank line(s) are malformed "
                         f"(first at line {reader.first_bad_line}); expected 'frame;frame;... count'")
    write_layout(result, out, options)
    return reader


# -- drawing ---------------------------------------------------------------------------------------

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


def _namehash(name: str) -> float:
    # flamegraph.pl's: early characters weigh most, so related names get related colours
    vector, weight, top, mod = 0.0, 1.0, 1.0, 10
    for ch in name.split("`", 1)[-1]:
        vector += (ord(ch) % mod) / (mod - 1) * weight
        mod += 1
        top += weight
        weight *= 0.70
        if mod > 12:
            break
    return 1 - vector / top


_GO_TOOLS = {
    "compile": (240, 140, 50), "asm": (175, 110, 210), "link": (220, 70, 80), "cgo": (230, 200, 60),
    "gcc": (80, 190, 200), "cc": (80, 190, 200), "clang": (80, 190, 200), "g++": (80, 190, 200),
    "vet": (110, 190, 90), "cover": (90, 140, 220), "pack": (170, 170, 170), "buildid": (170, 170, 170),
}


def frame_color(name: str, palette: str) -> str:
    """The fill of a frame: a pure function of its name, so a name keeps its colour across graphs."""
    if name in ("-", "--"):
        return "rgb(160,160,160)"
    if palette == "hash":
        hue = (zlib.crc32(name.encode("utf-8", "replace")) & 0xFFFF) / 0x10000
        r, g, b = colorsys.hls_to_rgb(hue, 0.70, 0.65)
        return f"rgb({int(r * 255)},{int(g * 255)},{int(b * 255)})"
    if palette == "go":
        if name in _GO_TOOLS:
            return "rgb({},{},{})".format(*_GO_TOOLS[name])
        v = _namehash(name)
        return f"rgb({200 + int(30 * v)},{205 + int(25 * v)},{215 + int(20 * v)})"
    v1 = _namehash(name)
    v2 = v3 = _namehash(name[::-1])
    if palette == "mem":
        return f"rgb(0,{190 + int(50 * v2)},{int(210 * v1)})"
    if palette == "io":
        r = 80 + int(60 * v1)
        return f"rgb({r},{r},{190 + int(55 * v2)})"
    if palette == "red":
        x = 50 + int(80 * v1)
        return f"rgb({200 + int(55 * v1)},{x},{x})"
    if palette == "green":
        x = 50 + int(60 * v1)
        return f"rgb({x},{200 + int(55 * v1)},{x})"
    if palette == "blue":
        r = 80 + int(60 * v1)
        return f"rgb({r},{r},{205 + int(50 * v1)})"
    if palette == "yellow":
        r = 175 + int(55 * v1)
        return f"rgb({r},{r},{50 + int(20 * v1)})"
    if palette == "purple":
        r = 190 + int(65 * v1)
        return f"rgb({r},{80 + int(60 * v1)},{r})"
    if palette == "aqua":
        g = 165 + int(55 * v1)
        return f"rgb({50 + int(60 * v1)},{g},{g})"
    if palette == "orange":
        return f"rgb({190 + int(65 * v1)},{90 + int(65 * v1)},0)"
    return f"rgb({205 + int(50 * v3)},{int(230 * v1)},{int(55 * v2)})"


def _delta_color(delta: Count, maxdelta: Count) -> str:
    if not delta or not maxdelta:
        return "rgb(250,250,250)"
    shade = int(210 * (maxdelta - abs(delta)) / maxdelta)
    return f"rgb(255,{shade},{shade})" if delta > 0 else f"rgb({shade},{shade},255)"


_BACKGROUNDS = {"mem": ("#eeeeee", "#e0e0ff"), "io": ("#f8f8f8", "#e8e8e8"), "go": ("#f8f8f8", "#eaeef4")}


def _asset(name: str) -> str:
    return resources.files("gotrace.render").joinpath(name).read_text(encoding="utf-8")


def _fit(name: str, width_px: float, options: FlameOptions) -> str:
    chars = int(width_px / (options.fontsize * options.fontwidth))
    if chars < 3:
        return ""
    return name if len(name) <= chars else name[: chars - 2] + ".."


def _num(value: float) -> str:
    return f"{value:.2f}"


def write_layout(result: Layout, out: TextIO, options: FlameOptions = FlameOptions()) -> None:
    """Draw a Layout as SVG. Same layout and options, same bytes."""
    total = result.total
    if not total or total <= 0:
        raise FlameError("nothing to draw: the stacks' counts add up to zero")
    threshold = options.prune_ratio() * total
    frames = sorted((f for f in result.frames if f[2] > 0 and f[2] >= threshold),
                    key=lambda f: (f[0], f[1]))
    depth_max = max((f[0] for f in frames), default=-1) + 1
    fs = options.fontsize
    fh = options.frame_height
    width = options.width
    ypad1 = fs * 3 + (fs * 2 if options.subtitle else 0)
    ypad2 = fs * 2 + 10
    height = (depth_max + 1) * fh + ypad1 + ypad2
    usable = width - 2 * XPAD
    scale = usable / total
    differential = result.differential
    maxdelta = max((abs(f[2] - f[3]) for f in frames), default=0) if differential else 0
    maxdelta = max(maxdelta, abs(total - result.total_before)) if differential else 0
    countname = options.countname.replace("(", "[").replace(")", "]")

    config = {"nametype": options.nametype, "fontsize": fs, "fontwidth": options.fontwidth, "xpad": XPAD,
              "usable": usable, "total": total, "searchcolor": SEARCH_COLOR, "urlstate": not options.embedded}
    script = _asset("flame.js")
    style = _asset("flame.css")
    assert "]]>" not in script and "]]>" not in style
    config_js = json.dumps(config, sort_keys=True).replace("<", "\\u003c").replace(">", "\\u003e")
    bg1, bg2 = _BACKGROUNDS.get(options.colors, ("#eeeeee", "#eeeeb0"))
    w = out.write
    if not options.embedded:
        w('<?xml version="1.0" standalone="no"?>\n'
          '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n')
    w(f'<svg version="1.1" width="{width}" height="{_num(height)}" '
      f'viewBox="0 0 {width} {_num(height)}" xmlns="http://www.w3.org/2000/svg" '
      f'xmlns:xlink="http://www.w3.org/1999/xlink" font-family="{escape(options.fonttype)}" '
      f'font-size="{fs:g}">\n'
      "<!-- Flame graph drawn by gotrace: hover for details, click a frame to zoom, "
      "Search (or Ctrl-F) takes a regular expression. -->\n")
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
    w(f'<text id="details" x="{XPAD}" y="{_num(height - ypad2 / 2)}"> </text>\n'
      f'<text id="unzoom" class="hide" x="{XPAD}" y="{_num(fs * 2)}">Reset Zoom</text>\n'
      f'<text id="search" x="{width - XPAD - 100}" y="{_num(fs * 2)}">Search</text>\n'
      f'<text id="ignorecase" x="{width - XPAD - 16}" y="{_num(fs * 2)}">ic</text>\n'
      f'<text id="matched" x="{width - XPAD - 100}" y="{_num(height - ypad2 / 2)}"> </text>\n'
      '<g id="frames">\n')
    colors: dict[str, str] = {}
    root = (-1, 0, total, result.total_before, options.root.encode("utf-8", "surrogateescape"))
    chunk: list[str] = []
    for depth, start, value, before, raw in [root, *frames]:
        depth += 1
        name = raw.decode("utf-8", "replace")
        if differential:
            fill = _delta_color(value - before, maxdelta)
        else:
            fill = colors.get(name) or colors.setdefault(name, frame_color(name, options.colors))
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
        label = escape(name)
        chunk.append(
            f'<g data-x="{start!r}" data-w="{value!r}" data-d="{depth}"><title>{label} ({escape(info)})</title>'
            f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(fw)}" height="{fh - FRAMEPAD}" fill="{fill}" '
            f'rx="2" ry="2"/><text x="{_num(x + 3)}" y="{_num(y + (fh - FRAMEPAD) / 2 + fs * 0.35)}">'
            f'{escape(_fit(name, fw, options))}</text></g>\n')
        if len(chunk) >= 512:
            w("".join(chunk))
            chunk.clear()
    w("".join(chunk))
    # at the end, so that it runs when everything it works on has been parsed
    w('</g>\n<script type="text/ecmascript"><![CDATA[\n(function (svg, C) {\n'
      f'{script}}})(document.currentScript ? document.currentScript.ownerSVGElement : '
      f'[].slice.call(document.getElementsByTagName("svg")).pop(), {config_js});\n]]></script>\n</svg>\n')
