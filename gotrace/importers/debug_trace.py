"""`go build -debug-trace=FILE`: the go command's Chrome trace of itself.

Of what the trace format records, it carries one span per action, named "Executing action (MODE
PACKAGE)", with begin/end times in microseconds since the epoch (ph "B"/"E", one tid per worker),
and a flow (ph "s" at the end of a dependency's span, ph "f" at the start of the action's span, same
id) for each dependency edge. It does not say which command ran, its CPU time, when an action became
ready, or whether the cache satisfied it: records imported from it have no argv, user_ns, sys_ns or
queue_ns, and `cached` is never set.
"""
from __future__ import annotations

from gotrace.events import TraceError
from gotrace.importers import Action

_PREFIX = "Executing action ("


def looks_like(doc) -> bool:
    if type(doc) is dict:
        doc = doc.get("traceEvents")
    return (type(doc) is list and bool(doc) and type(doc[0]) is dict
            and "ph" in doc[0] and "ts" in doc[0])


def _split_name(name: str) -> tuple[str, str]:
    """(mode, package) of "Executing action (MODE PACKAGE)"; modes may hold spaces, packages do not."""
    inner = name[len(_PREFIX):-1]
    for mode in ("build check cache", "built-in package", "collect cgo", "cgo run", "go build",
                 "test barrier", "run test", "clean test cache", "vet", "link", "build", "nop"):
        if inner == mode:
            return mode, ""
        if inner.startswith(mode + " "):
            return mode, inner[len(mode) + 1:]
    if inner.startswith("cgo compile "):
        # "cgo compile FILE PACKAGE": the package is the last word
        head, _, pkg = inner.rpartition(" ")
        return head, pkg
    mode, _, pkg = inner.rpartition(" ")
    return (mode, pkg) if mode else (inner, "")


def _ns(us: float) -> int:
    # Microseconds since the epoch do not fit a double's precision once multiplied to nanoseconds.
    whole = int(us)
    return whole * 1000 + round((us - whole) * 1000)


def parse(doc, path: str) -> dict[str, Action]:
    events = doc.get("traceEvents") if type(doc) is dict else doc
    open_spans: dict[tuple, list[int]] = {}  # (tid, name) -> ids of spans begun, not yet ended
    spans: list[dict] = []
    flow_from: dict = {}   # flow id -> (name of the dependency's span, ts)
    flow_to: dict = {}     # flow id -> (name of the dependent's span, ts)
    for n, e in enumerate(events):
        try:
            ph, name, ts = e["ph"], e.get("name", ""), e["ts"]
            if type(ts) not in (int, float) or type(name) is not str:
                raise ValueError("ts must be a number and name a string")
            if ph in ("s", "f"):
                src, _, dst = name.partition(" -> ")
                (flow_from if ph == "s" else flow_to)[e["id"]] = (src if ph == "s" else dst, ts)
                continue
            if not name.startswith(_PREFIX) or ph not in ("B", "E"):
                continue
            key = (e.get("tid"), name)
            if ph == "B":
                open_spans.setdefault(key, []).append(len(spans))
                spans.append({"name": name, "start": ts, "end": None})
            elif open_spans.get(key):
                spans[open_spans[key].pop()]["end"] = ts
        except (KeyError, TypeError, ValueError, AttributeError) as ex:
            what = f"missing {ex.args[0]}" if isinstance(ex, KeyError) else str(ex)
            raise TraceError(f"{path}: event {n} of the debug trace is malformed: {what}") from None

    by_start = {(s["name"], s["start"]): i for i, s in enumerate(spans)}
    by_end = {(s["name"], s["end"]): i for i, s in enumerate(spans) if s["end"] is not None}
    deps: dict[int, set[int]] = {}
    for fid, (dst, ts) in flow_to.items():
        src = flow_from.get(fid)
        to = by_start.get((dst, ts))
        if src is None or to is None or (src[0], src[1]) not in by_end:
            continue
        deps.setdefault(to, set()).add(by_end[(src[0], src[1])])

    actions = {}
    for i, s in enumerate(spans):
        mode, pkg = _split_name(s["name"])
        actions[str(i)] = Action(
            id=str(i), mode=mode, pkg=pkg, deps=tuple(str(d) for d in sorted(deps.get(i, ()))),
            start_ns=_ns(s["start"]), done_ns=None if s["end"] is None else _ns(s["end"]),
            commands=None)
    if not actions:
        raise TraceError(f"{path}: a Chrome trace with no go action spans (\"Executing action ...\"): "
                         "not from `go build -debug-trace`?")
    return actions
