"""A command on a big trace ends by exiting, not by letting go of its data one object at a time.

A summary of a million-record trace holds millions of small objects (each compile's imports, the
Events of the records that say more, the graph's lists): freeing them when the command's function
returns, and the interpreter's teardown after it, took 0.67 s of a 21.9 s `gotrace summary` at
1,000,000 records (issue 14: a second core's worth of nothing). So under the console script
(cli.main, which calls `enable`), what a command reads and makes is `keep`t until the process
ends, and the process ends, its output streams flushed, by os._exit. Anywhere else (tests calling
the click command in the same process) `keep` keeps nothing. Only a process that kept something
ends this way: a command that keeps nothing (run, with its temporary directories) ends as usual.
"""
from __future__ import annotations

import os
import sys

_kept: list | None = None  # None: not under the console script


def enable() -> None:
    global _kept
    _kept = []


def keep(*values: object) -> None:
    """Hold `values` until the process ends (under the console script)."""
    if _kept is not None:
        _kept.extend(values)


def exit_if_kept(status: int) -> None:
    """End the process now with `status` when a command kept its data; return otherwise."""
    if not _kept:
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that went away (| head), a closed stream
            pass
    os._exit(status)
