"""One accumulator per build of a trace, fed its records in one pass (doctor's facts, diff's tables)."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol, TypeVar


class Accumulator(Protocol):
    def add(self, record: dict) -> None: ...


A = TypeVar("A", bound=Accumulator)


def per_build(records: Iterable[dict], new: Callable[[str], A]) -> dict[str, A]:
    """{build: its accumulator (`new(build)`) after `add` of each of its records}, in order of first
    appearance. Records of one build mostly follow each other: the accumulator is looked up again
    only when the build changes."""
    out: dict[str, A] = {}
    build, accumulator = None, None
    for record in records:
        if record["build"] != build:
            build = record["build"]
            accumulator = out.get(build)
            if accumulator is None:
                accumulator = out[build] = new(build)
        accumulator.add(record)
    return out


def merge_parts(parts: list[dict[str, A]]) -> dict[str, A]:
    """The accumulators of a trace read in parts (events.read_in_parts), each part's {build:
    accumulator} in file order, as one: a build in several parts is `merge`d into its first."""
    out: dict[str, A] = {}
    for part in parts:
        for build, accumulator in part.items():
            if build in out:
                out[build].merge(accumulator)
            else:
                out[build] = accumulator
    return out
