"""What a flame graph looks like (FlameOptions) and why one cannot be drawn (FlameError)."""
from __future__ import annotations

from dataclasses import dataclass

XPAD = 10          # pixels left and right of the frames
FRAMEPAD = 1       # pixels between a frame and the one above it


class FlameError(ValueError):
    """Nothing can be drawn (no valid stack, a zero total); the message says why."""


@dataclass(frozen=True)
class FlameOptions:
    title: str | None = None          # None: "Flame Graph", "Icicle Graph" or "Flame Chart"
    subtitle: str = ""
    width: int = 1200                 # pixels, the whole image (with fluid: until the page lays it out)
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
    fluid: bool = False               # as wide as its container at any size; a visible Search button

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
DEFAULT_OPTIONS = FlameOptions()
