"""Frames from stacks, the way flamegraph.pl lays them out: stacks in sorted order, a frame opened
where a stack leaves the previous one's path and closed where the next one leaves it.

A frame narrower than the drawing's limit is dropped when it closes, so memory stays bounded by what
can be drawn, not by the input. A sorted file (as `gotrace fold` writes it) streams in one pass; any
other input is summed per stack and sorted first (external_sort.sorted_stacks).
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, NamedTuple, Union

from gotrace.collapse import Count, FoldedReader
from gotrace.render.flame.external_sort import sorted_stacks
from gotrace.render.flame.options import FlameOptions

Stacks = Union[Mapping[tuple, object], Iterable[tuple]]
SEMICOLON = 0x3B   # the frame separator of folded text ...
NUL = 0            # ... and of stacks joined in memory, which sorts below every character


class Frame(NamedTuple):
    """One box of the graph. Counts, not pixels: the writer scales them to the width it draws at."""
    depth: int          # 0 is a child of the root
    start: Count        # the sum of the counts left of it
    value: Count        # its width
    before: Count       # its width in the "before" profile of a differential graph, else value
    name: bytes         # as read: UTF-8 with surrogate escapes, decoded when drawn


@dataclass
class Layout:
    frames: list[Frame] = field(default_factory=list)
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
                        frames.append(Frame(i, starts[i], x - starts[i],
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
            frames.append(Frame(i, starts[i], x - starts[i], xb - bstarts[i] if differential else x - starts[i],
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

    return layout(records(), sep=NUL, ratio=options.prune_ratio(), floor=total)


def layout_folded(stream: IO[bytes], options: FlameOptions, *,
                  name: str = "folded input") -> tuple[Layout, FoldedReader]:
    """Layout of folded text. A sorted, seekable input streams; the first line out of order sends it
    back to the start to be summed per stack and sorted (see sorted_stacks)."""
    ratio = options.prune_ratio()
    if options.flamechart:
        reader = FoldedReader(stream, name=name)
        return layout(reader, sep=SEMICOLON, ratio=ratio), reader
    if not options.reverse and stream.seekable():
        start = stream.tell()
        floor = guess_total(stream, start)
        try:
            while True:
                stream.seek(start)
                reader = FoldedReader(stream, name=name)
                result = layout(reader, sep=SEMICOLON, ratio=ratio, check_order=True, floor=floor)
                if result.total >= floor:
                    return result, reader
                floor = result.total   # the guess was too high: again, with the real total
        except _Unsorted:
            stream.seek(start)
    reader = FoldedReader(stream, name=name)
    records, total = sorted_stacks(reader, reverse=options.reverse)
    return layout(records, sep=NUL, ratio=ratio, floor=total), reader


def guess_total(stream: IO[bytes], start: int, sample: int = 1 << 20) -> Count:
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


