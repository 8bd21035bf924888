"""numpy's huge-page advice, off in gotrace's own process unless the user set it.

numpy asks the kernel for huge pages (madvise) for each array of 4 MB or more. Where the kernel's
transparent huge pages are "madvise" with defrag "madvise" (the default of many distributions),
each such fresh array then stalls while the kernel compacts memory to find huge pages for it. A
million-record summary makes hundreds of them: its dependency graph took 2.2-2.4 s with the advice
and 1.1 s without, and the whole command 0.85x the time (system time 1.8 s, was 3.5;
benchmarks/bench_scale.py's docstring). numpy reads NUMPY_MADVISE_HUGEPAGE when it is imported, so
`small_pages` runs first; the go command `gotrace run` starts gets the environment as the user
gave it (`users_environment`).
"""
from __future__ import annotations

import os

VARIABLE = "NUMPY_MADVISE_HUGEPAGE"
_set_here = False


def small_pages() -> None:
    """numpy's advice off in this process (and its forks), unless the user set VARIABLE."""
    global _set_here
    if VARIABLE not in os.environ:
        os.environ[VARIABLE] = "0"
        _set_here = True


def users_environment() -> dict[str, str]:
    """This process's environment without what `small_pages` set: for the commands it starts."""
    env = dict(os.environ)
    if _set_here:
        env.pop(VARIABLE, None)
    return env
