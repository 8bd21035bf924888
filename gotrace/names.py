"""Names as indexes: how a big trace's names (packages, tools, frames, (build, package, tool) kinds)
become small ints, each in order of first appearance.

Every step is a C-level pass (dict.fromkeys, map, zip, filterfalse), never a Python statement per
name: a million-record trace names hundreds of thousands of packages, millions of times, and one
statement each cost about a second where these passes cost a fraction of it (the two reading
processes' merge, build_rows; the speedscope file's frames).
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from itertools import count, filterfalse

import numpy as np


def add_names(ids: dict, names: Iterable[Hashable]) -> list:
    """Give each of `names` (distinct) that `ids` lacks the next index, in order; the names added."""
    fresh = list(filterfalse(ids.__contains__, names))
    ids.update(zip(fresh, count(len(ids))))
    return fresh


def indexes(ids: dict, names: Sequence[Hashable]) -> np.ndarray:
    """Each of `names` as its index in `ids` (int64); every name must be there."""
    return np.fromiter(map(ids.__getitem__, names), np.int64, len(names))


def name_column(names: Sequence[Hashable]) -> tuple[list, np.ndarray]:
    """The distinct `names` in order of first appearance, and each name's index among them."""
    ids = dict(zip(dict.fromkeys(names), count()))
    return list(ids), indexes(ids, names)
