"""The one palette: each Go tool's colour, the same in every output of a trace.

The flame graph (SVG), the timeline chart, the HTML report and the speedscope/chrome exports all
ask here, so compile is the same orange everywhere. Colours are for tools only: a frame that is a
package (even one named `cgo` or `runtime/cgo`) is never painted in a tool's colour.
"""
from __future__ import annotations

import zlib

# Tableau-like hues that stay apart on white and under colour-vision deficiency. The C compilers
# share one colour: which of them ran is a detail of the user's machine, not of the build's shape.
_C_COMPILER = "#76b7b2"
TOOL_COLOURS: dict[str, str] = {
    "compile": "#f28e2b",
    "asm": "#b07aa1",
    "link": "#e15759",
    "cgo": "#edc948",
    "gcc": _C_COMPILER, "cc": _C_COMPILER, "clang": _C_COMPILER, "g++": _C_COMPILER,
    "c++": _C_COMPILER, "clang++": _C_COMPILER,
    "vet": "#59a14f",
    "cover": "#4e79a7",
    "pack": "#bab0ac",
    "buildid": "#9c755f",
}
# Other tools (a user's toolexec may run anything) get one of these by a hash of the name: stable
# across runs and outputs, and never a colour of the known tools above.
_SPARE = ("#ff9da7", "#9d7660", "#d4a6c8", "#86bcb6", "#8cd17d", "#a0cbe8")
PACKAGE_COLOUR = "#d7dde6"  # frames that are packages or directories: quiet, so tools stand out


def tool_colour(tool: str) -> str:
    """The colour of a tool as '#rrggbb'."""
    return TOOL_COLOURS.get(tool) or _SPARE[zlib.crc32(tool.encode("utf-8", "replace")) % len(_SPARE)]


def rgb(colour: str) -> tuple[int, int, int]:
    """'#rrggbb' as three integers."""
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)
