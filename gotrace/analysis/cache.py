"""Cache hits and misses of a build, known where a trace carries the go command's own cache facts
(imported from, or merged with, its action graph); a plain shim trace only lacks the packages that
came from the cache."""
from __future__ import annotations


def cache_stats(events) -> tuple[int, int, dict[str, bool]]:
    """(hits, misses, {package: came from the cache}) over a build's compiles.

    A package is a hit when its compile was a cache-hit record and no compile of it ran. Only
    traces with cache facts (imported or merged from an action graph: `has_cache_facts`) know
    about hits; a plain shim trace just lacks the packages that came from the cache.
    """
    per_package: dict[str, bool] = {}
    for e in events:
        if e.tool != "compile" or e.probe:
            continue
        per_package[e.pkg] = per_package.get(e.pkg, True) and e.cached
    hits = sum(per_package.values())
    return hits, len(per_package) - hits, dict(sorted(per_package.items()))


def has_cache_facts(events) -> bool:
    """Whether the trace says which packages came from the cache: an action graph does (imported or
    merged); a debug trace names actions too but does not say, and neither does the shim alone."""
    return any(e.cached or (e.action is not None and e.source != "debug-trace") for e in events)
