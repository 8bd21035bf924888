"""Events -> stacks: the folded-stack view of a build that flame graphs, speedscope and diffs share.

A stack goes root to leaf: the build, the package's import path split into segments (the standard
library under one `std` root), then the tool. Weights are integers in a named unit so that every
folded-stack reader (flamegraph.pl, inferno, speedscope) accepts them.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from gotrace.events import Event

WEIGHTS = {
    # name: (unit written on outputs, how to get it from an event)
    "wall": ("us", lambda e: e.wall_ns // 1000),
    "cpu": ("us", lambda e: None if e.cpu_ns is None else e.cpu_ns // 1000),
    "rss": ("KiB", lambda e: e.max_rss_kib),
}
GROUPINGS = ("path", "module", "flat", "tool")
STD_ROOT = "std"


def is_std(pkg: str) -> bool:
    """Standard-library (and cmd/) import paths have no dot in their first element."""
    first = pkg.split("/", 1)[0]
    return "." not in first and first not in ("", "main", "command-line-arguments")


def split_variant(pkg: str) -> tuple[str, str | None]:
    """'p [p.test]' -> ('p', 'p.test'); a plain path has no variant."""
    if pkg.endswith("]") and " [" in pkg:
        base, variant = pkg[:-1].split(" [", 1)
        return base, variant
    return pkg, None


def clean_frame(name: str) -> str:
    # ';' separates frames and a newline ends a line in folded text; neither may be inside a name.
    return name.replace(";", ":").replace("\n", " ").replace("\r", " ")


def package_frames(pkg: str, grouping: str = "path") -> list[str]:
    base, variant = split_variant(pkg or "(no package)")
    if grouping == "flat":
        frames = [pkg or "(no package)"]
    else:
        frames = base.split("/")
        if is_std(base):
            frames.insert(0, STD_ROOT)
        elif grouping == "module":
            frames = [module_of(base), base] if module_of(base) != base else [base]
        if variant:
            frames.append(f"[{variant.rsplit('/', 1)[-1]}]")
    return frames


def module_of(pkg: str) -> str:
    """A best guess at a package's module from its path: host/owner/repo for known hosts, else the
    first element (the trace does not name modules)."""
    parts = pkg.split("/")
    if "." in parts[0] and len(parts) >= 3 and parts[0] in ("github.com", "gitlab.com", "bitbucket.org"):
        return "/".join(parts[:3])
    if "." in parts[0] and len(parts) >= 2:
        return "/".join(parts[:2])
    return parts[0]


def stack_of(event: Event, grouping: str = "path", root: str | None = "build") -> tuple[str, ...]:
    if grouping == "tool":
        frames = [event.tool] + [event.pkg or "(no package)"]
    else:
        frames = package_frames(event.pkg, grouping) + [event.tool]
    if root:
        frames.insert(0, root)
    return tuple(clean_frame(f) for f in frames)


def fold_events(events: Iterable[Event], *, weight: str = "wall", grouping: str = "path",
                root: str | None = "build") -> dict[tuple[str, ...], int]:
    """Sum a weight over identical stacks. Version probes and cached (zero-cost) records are left out;
    events whose weight is unknown (peak RSS of an imported action) are left out, not counted as 0.
    For memory the stack's value is the largest peak of its invocations, not their sum."""
    value_of = WEIGHTS[weight][1]
    stacks: dict[tuple[str, ...], int] = defaultdict(int)
    for event in events:
        if event.probe or event.cached:
            continue
        value = value_of(event)
        if value is None:
            continue
        key = stack_of(event, grouping, root)
        if weight == "rss":
            stacks[key] = max(stacks[key], value)
        else:
            stacks[key] += value
    return dict(stacks)


def weight_unit(weight: str) -> str:
    return WEIGHTS[weight][0]
