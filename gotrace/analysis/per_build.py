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
