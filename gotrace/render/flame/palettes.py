"""Frame fills: a pure function of a frame's name, so a name keeps its colour in every graph.

flamegraph.pl's palettes are a table of hues, each a function of two hashes of the name. Its frame
annotations (`vfs_read_[k]`: kernel, `_[i]` inlined, `_[j]` JIT, `_[w]` waker) are not part of the
label and choose the hue, as its java and chain palettes do. The `go` palette takes the tools'
colours from gotrace.palette, the one palette every output of a trace shares.
"""
from __future__ import annotations

import colorsys
import zlib
from collections.abc import Callable

from gotrace.palette import PACKAGE_COLOUR, TOOL_COLOURS, rgb, tool_colour

Hue = Callable[[float, float, float], tuple[int, int, int]]


def _grey(v: float) -> int:
    return 80 + int(60 * v)


# name: (red, green, blue) from namehash(name) and namehash(reversed name), twice
HUES: dict[str, Hue] = {
    "hot": lambda v1, v2, v3: (205 + int(50 * v3), int(230 * v1), int(55 * v2)),
    "mem": lambda v1, v2, v3: (0, 190 + int(50 * v2), int(210 * v1)),
    "io": lambda v1, v2, v3: (_grey(v1), _grey(v1), 190 + int(55 * v2)),
    "red": lambda v1, v2, v3: (200 + int(55 * v1), 50 + int(80 * v1), 50 + int(80 * v1)),
    "green": lambda v1, v2, v3: (50 + int(60 * v1), 200 + int(55 * v1), 50 + int(60 * v1)),
    "blue": lambda v1, v2, v3: (_grey(v1), _grey(v1), 205 + int(50 * v1)),
    "aqua": lambda v1, v2, v3: (50 + int(60 * v1), 165 + int(55 * v1), 165 + int(55 * v1)),
    "yellow": lambda v1, v2, v3: (175 + int(55 * v1), 175 + int(55 * v1), 50 + int(20 * v1)),
    "purple": lambda v1, v2, v3: (190 + int(65 * v1), 80 + int(60 * v1), 190 + int(65 * v1)),
    "orange": lambda v1, v2, v3: (190 + int(65 * v1), 90 + int(65 * v1), 0),
}
PALETTES = (*HUES, "go", "hash")
# annotation -> hue, as flamegraph.pl's java (kernel, inlined, JIT) and chain (waker) palettes
ANNOTATIONS = {"_[k]": "orange", "_[i]": "aqua", "_[j]": "green", "_[w]": "aqua"}
# background gradient (top, bottom)
BACKGROUNDS = {"mem": ("#eeeeee", "#e0e0ff"), "io": ("#f8f8f8", "#e8e8e8"), "go": ("#f8f8f8", "#eaeef4")}
DEFAULT_BACKGROUND = ("#eeeeee", "#eeeeb0")
SEPARATORS = {"-": "rgb(160,160,160)", "--": "rgb(160,160,160)"}   # flamegraph.pl's grey stack separators


def split_annotation(name: str) -> tuple[str, str | None]:
    """'vfs_read_[k]' -> ('vfs_read', '_[k]'): the label and the annotation, as flamegraph.pl strips it."""
    if name[-4:] in ANNOTATIONS:
        return name[:-4], name[-4:]
    return name, None


def namehash(name: str) -> float:
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


def _hash_fill(name: str) -> tuple[int, int, int]:
    hue = (zlib.crc32(name.encode("utf-8", "replace")) & 0xFFFF) / 0x10000
    r, g, b = colorsys.hls_to_rgb(hue, 0.70, 0.65)
    return int(r * 255), int(g * 255), int(b * 255)


def _quiet(name: str) -> tuple[int, int, int]:
    # packages, directories, phases: near PACKAGE_COLOUR, a little lighter or darker by name so that
    # neighbours stay apart, and never a tool's colour
    shift = int(16 * namehash(name)) - 8
    return tuple(min(255, max(0, c + shift)) for c in rgb(PACKAGE_COLOUR))  # type: ignore[return-value]


def frame_fill(name: str, palette: str, *, root: bool = False) -> str:
    """The fill of a frame named `name` (as read, annotation included)."""
    if name in SEPARATORS:
        return SEPARATORS[name]
    if palette == "go":
        if not root and name in TOOL_COLOURS:
            return tool_colour(name)
        return "rgb({},{},{})".format(*_quiet(name))
    if palette == "hash":
        return "rgb({},{},{})".format(*_hash_fill(name))
    label, annotation = split_annotation(name)
    hue = HUES[ANNOTATIONS[annotation]] if annotation else HUES.get(palette, HUES["hot"])
    v1 = namehash(label)
    v2 = namehash(label[::-1])
    return "rgb({},{},{})".format(*hue(v1, v2, v2))


def legend_tools(names: set[str], palette: str) -> list[tuple[str, str]]:
    """(tool, colour) for the tools among the drawn frames' names, for the legend of a `go` graph."""
    if palette != "go":
        return []
    return [(tool, tool_colour(tool)) for tool in TOOL_COLOURS if tool in names]


def delta_fill(delta: float, maxdelta: float) -> str:
    """Differential graphs: red where a frame grew, blue where it shrank, by how much."""
    if not delta or not maxdelta:
        return "rgb(250,250,250)"
    shade = int(210 * (maxdelta - abs(delta)) / maxdelta)
    return f"rgb(255,{shade},{shade})" if delta > 0 else f"rgb({shade},{shade},255)"
