"""`go build -debug-actiongraph=FILE`: the go command's own account of a build.

The file is a JSON list of actions (cmd/go/internal/work/action.go, actionJSON): ID, Mode, Package,
Deps (IDs), TimeReady/TimeStart/TimeDone (RFC 3339; year 1 when never set), Cmd (each command run,
its words joined by spaces), CmdReal/CmdUser/CmdSys (nanoseconds, summed over Cmd), BuildID (set
when a build or link succeeded or came from the cache), Failed. An action of a cacheable mode that
started, has its BuildID and ran no command was satisfied from the cache. The go command writes the file once before the build (without times) and again at the end.

`merge_into_trace` adds the graph's facts to the shim's records of the same build (`gotrace run
--actiongraph`); `cache_stats` counts packages from the cache.
"""
from __future__ import annotations

import calendar
import os
import tempfile
from dataclasses import dataclass, replace

from gotrace.analysis.cache import cache_stats, has_cache_facts  # noqa: F401 - part of this API
from gotrace.events import Event, TraceError, TraceReader, event_from_dict, record_line
from gotrace.importers import (
    Action,
    events_from_actions,
    is_cached,
    is_record,
    main_command,
    split_command,
    strip_toolexec,
    tool_name,
)


def looks_like(doc) -> bool:
    return (type(doc) is list and bool(doc) and type(doc[0]) is dict
            and "ID" in doc[0] and "Mode" in doc[0])


_EPOCH_SECOND: dict[str, int] = {}


def parse_time(text) -> int | None:
    """Nanoseconds since the epoch of an RFC 3339 time as Go writes it; None for Go's zero time."""
    if text is None:
        return None
    if type(text) is not str or len(text) < 20 or text[4] != "-" or text[10] != "T":
        raise ValueError(f"bad time {text!r}")
    if text.startswith("0001-01-01T00:00:00"):
        return None
    second = text[:19]
    base = _EPOCH_SECOND.get(second)
    if base is None:
        if not (second[:4] + second[5:7] + second[8:10] + second[11:13] + second[14:16]
                + second[17:19]).isdigit():
            raise ValueError(f"bad time {text!r}")
        base = _EPOCH_SECOND[second] = calendar.timegm(
            (int(second[:4]), int(second[5:7]), int(second[8:10]), int(second[11:13]),
             int(second[14:16]), int(second[17:19]))) * 1_000_000_000
    if text[-1] == "Z":
        body, offset = text[19:-1], 0
    elif len(text) >= 25 and text[-6] in "+-" and text[-3] == ":":
        sign = 1 if text[-6] == "+" else -1
        body, offset = text[19:-6], sign * (int(text[-5:-3]) * 60 + int(text[-2:])) * 60_000_000_000
    else:
        raise ValueError(f"bad time zone in {text!r}")
    if body:
        if body[0] != "." or not body[1:].isdigit():
            raise ValueError(f"bad time {text!r}")
        base += int(body[1:10].ljust(9, "0"))
    return base - offset


def _duration(value) -> int | None:
    if value is None:
        return None
    if type(value) is not int:
        raise ValueError("CmdReal/CmdUser/CmdSys must be integers (nanoseconds)")
    return value


def parse(doc: list, path: str) -> dict[str, Action]:
    """Actions by id (as strings); a TraceError naming the first action that is malformed."""
    actions: dict[str, Action] = {}
    for n, raw in enumerate(doc):
        try:
            if type(raw) is not dict:
                raise ValueError("not an object")
            aid, mode = raw["ID"], raw["Mode"]
            if type(aid) is not int or type(mode) is not str:
                raise ValueError("ID must be an integer and Mode a string")
            if str(aid) in actions:
                # which of the two would the other actions' Deps mean? refuse rather than guess
                raise ValueError(f"ID {aid} is also the ID of an earlier action (two graphs joined?)")
            deps = raw.get("Deps") or []
            if type(deps) is not list or not all(type(d) is int for d in deps):
                raise ValueError("Deps must be a list of action IDs")
            cmd = raw.get("Cmd")
            if cmd is not None and (type(cmd) is not list or not all(type(c) is str for c in cmd)):
                raise ValueError("Cmd must be a list of strings")
            pkg = raw.get("Package") or ""
            if type(pkg) is not str:
                raise ValueError("Package must be a string")
            # Failed is fixed when the file is first written, before the build ran; a build or link
            # that succeeded (or came from the cache) has a BuildID, one that failed or was skipped
            # because a dependency failed has none.
            unbuilt = mode in ("build", "link") and "BuildID" not in raw
            # a command of no words ("Cmd":[""]) names no tool: when that is all there is, the action
            # ran something unknown (commands None), not nothing (a cache hit)
            commands = tuple(argv for c in cmd or () if (argv := strip_toolexec(split_command(c))))
            actions[str(aid)] = Action(
                id=str(aid), mode=mode, pkg=pkg, deps=tuple(str(d) for d in deps),
                ready_ns=parse_time(raw.get("TimeReady")), start_ns=parse_time(raw.get("TimeStart")),
                done_ns=parse_time(raw.get("TimeDone")),
                commands=None if cmd and not commands else commands,
                real_ns=_duration(raw.get("CmdReal")) if cmd else None,
                # Go omits a zero duration (omitempty): once CmdReal says the commands were timed,
                # an absent CmdUser/CmdSys is 0, not unknown
                user_ns=_duration(raw.get("CmdUser", 0 if "CmdReal" in raw else None)) if cmd else None,
                sys_ns=_duration(raw.get("CmdSys", 0 if "CmdReal" in raw else None)) if cmd else None,
                failed=raw.get("Failed") is True or (unbuilt and bool(cmd)),
                skipped=unbuilt and not cmd)
        except (KeyError, ValueError, TypeError) as e:
            what = f"missing {e.args[0]}" if isinstance(e, KeyError) else str(e)
            raise TraceError(f"{path}: action {n} of the action graph is malformed: {what}") from None
    for a in actions.values():
        for d in a.deps:
            if d not in actions:
                raise TraceError(f"{path}: action {a.id} depends on action {d}, which is not in the "
                                 "graph: truncated or edited?")
    # A vet of a built-in package (unsafe) has nothing to do: no tool, no cache hit.
    for aid, a in actions.items():
        if a.mode == "vet" and not a.commands and any(
                actions[d].mode == "built-in package" and actions[d].pkg == a.pkg for d in a.deps):
            actions[aid] = replace(a, skipped=True)
    return name_test_variants(actions)


def name_test_variants(actions: dict[str, Action]) -> dict[str, Action]:
    """Name a package built for its own test binary as the shim does: "p [p.test]".

    The graph names such a build only by its import path; it is the build of p (or of its external
    test package p_test) that the link of p.test depends on when p is also built plainly. A vet
    action of a variant is named after the variant build it depends on; the cgo run and the C compiles
    the variant build depends on (through actions of its own package) after the variant build. Other
    packages recompiled for a test ("q [p.test]") cannot be told from their plain build and keep the
    plain name.
    """
    builds: dict[str, int] = {}
    for a in actions.values():
        if a.mode == "build":
            builds[a.pkg] = builds.get(a.pkg, 0) + 1
    variant: dict[str, str] = {}  # build action id -> test binary
    for link in actions.values():
        if link.mode != "link" or not link.pkg.endswith(".test"):
            continue
        tested = link.pkg[:-5]
        for d in link.deps:
            a = actions[d]
            if a.mode == "build" and ((a.pkg == tested and builds[a.pkg] > 1) or a.pkg == tested + "_test"):
                variant[d] = link.pkg
    if not variant:
        return actions
    # What a variant build waits for within its package (its cache check, cgo run, the C compiles
    # of "cgo compile" actions) belongs to the variant too: the shim names those tools "p [p.test]".
    # They are reached through the package's own bookkeeping, some of which ("collect cgo") has no
    # package at all.
    for build_id, test in list(variant.items()):
        pkg, todo, seen = actions[build_id].pkg, list(actions[build_id].deps), set()
        while todo:
            aid = todo.pop()
            a = actions[aid]
            if aid in seen or aid in variant or a.mode == "build" or a.pkg not in (pkg, ""):
                continue
            seen.add(aid)
            if a.pkg == pkg:
                variant[aid] = test
            todo.extend(a.deps)
    renamed = dict(actions)
    for aid, a in actions.items():
        test = variant.get(aid)
        if test is None and a.mode != "build":
            test = next((variant[d] for d in a.deps if d in variant and actions[d].pkg == a.pkg), None)
        if test is not None:
            renamed[aid] = replace(a, pkg=f"{a.pkg} [{test}]")
    return renamed


def read_graph(path: str) -> dict[str, Action]:
    from gotrace.importers import read_json_file

    _, doc = read_json_file(path, "action graph ")
    if not looks_like(doc):
        raise TraceError(f"{path}: not a go -debug-actiongraph file (a list of actions with ID and Mode)")
    return parse(doc, path)


@dataclass
class MergeStats:
    matched: int = 0    # shim records that got their action's id, dependencies and queue time
    cached: int = 0     # cache-hit records added
    added: int = 0      # records added for actions that ran outside the shim (the C compiler)
    unmatched: int = 0  # shim records of the build with no action of their package and tool


def _base_pkg(pkg: str) -> str:
    # The shim sees "p [p.test]" for a test variant; the graph names the package "p".
    return pkg.split(" [", 1)[0]


def merge_into_trace(trace_path: str, graph_path: str, build_id: str) -> MergeStats:
    """Rewrite a trace so that the shim records of one build carry the action graph's facts.

    Each shim record of `build_id` is matched to the action that ran it (same package and tool, and
    the action's time span around the record's start); the record of an action's main tool gets
    `action`, `action_deps` and `queue_ns`. Cache hits and actions the shim did not see (the C
    compiler is not run through -toolexec) are added as records with source "actiongraph". Lines of
    other builds, build records and unreadable lines are kept byte for byte.
    """
    actions = read_graph(graph_path)
    imported = {e.action: e for e in events_from_actions(actions, build_id, "actiongraph")
                if e.action is not None}  # their queue_ns: importers.queue_waits, gates included
    runs: dict[tuple[str, str], list[tuple[Action, bool]]] = {}
    for a in actions.values():
        if a.commands and is_record(a):
            main = main_command(a)
            for i, argv in enumerate(a.commands):
                runs.setdefault((_base_pkg(a.pkg), tool_name(argv)), []).append((a, i == main))
    try:
        with open(trace_path, "rb") as f:
            lines = f.readlines()
    except OSError as e:
        raise TraceError(f"cannot read trace {trace_path}: {e.strerror}") from None

    if lines and not lines[-1].endswith(b"\n"):
        lines[-1] += b"\n"  # a last line cut short stays what it was, on a line of its own
    stats = MergeStats()
    claimed: set[str] = set()
    shim_names: dict[str, set[str]] = {}  # the graph's package name -> the shim's for the same actions
    last_of_build = len(lines) - 1
    reader = TraceReader(lines, name=trace_path)
    for fields in reader.records():
        n = reader.lines - 1  # the line this record came from
        event = _event_of(fields, build_id)
        if event is None:
            continue
        last_of_build = n
        if event.source == "actiongraph":
            lines[n] = b""  # added by an earlier merge: merging again replaces, not duplicates
            continue
        candidates = runs.get((_base_pkg(event.pkg), event.tool))
        if not candidates:
            stats.unmatched += 1
            continue
        action, is_main = _nearest(candidates, event.start_ns, claimed)
        stats.matched += 1
        if not is_main or action.id in claimed:
            continue
        claimed.add(action.id)
        shim_names.setdefault(action.pkg, set()).add(event.pkg)
        fields["action"] = action.id
        fields["action_deps"] = list(imported[action.id].action_deps or ())
        if imported[action.id].queue_ns is not None:
            fields["queue_ns"] = imported[action.id].queue_ns
        lines[n] = record_line(fields)

    extra = []
    for aid, event in imported.items():
        if aid in claimed:
            continue
        if is_cached(actions[aid]):
            stats.cached += 1
        else:
            stats.added += 1
        names = shim_names.get(event.pkg, set())
        if len(names) == 1 and event.pkg not in names:
            # a package built only for its test: the graph says "p", the shim "p [p.test]"
            event = event._replace(pkg=next(iter(names)))
        extra.append(record_line(event.to_dict()))
    lines[last_of_build + 1:last_of_build + 1] = extra
    _replace(trace_path, lines)
    return stats


def _event_of(fields: dict, build_id: str) -> Event | None:
    """The Event of a valid record (from TraceReader.records) when it is a tool record of the build,
    from the shim or added by a merge, else None."""
    if fields["build"] != build_id or fields.get("probe") or fields.get("source", "shim") not in (
            "shim", "actiongraph"):
        return None
    return event_from_dict(fields)


def _nearest(candidates: list[tuple[Action, bool]], start_ns: int, claimed: set[str]) -> tuple[Action, bool]:
    """The run whose action's span holds the record's start (unclaimed first), else the nearest."""
    def distance(run):
        a = run[0]
        done = a.done_ns if a.done_ns is not None else a.start_ns
        if a.start_ns <= start_ns <= done:
            gap = 0
        else:
            gap = min(abs(start_ns - a.start_ns), abs(start_ns - done))
        return gap, run[1] and a.id in claimed, int(a.id) if a.id.isdigit() else 0

    return min(candidates, key=distance)


def _replace(path: str, lines: list[bytes]) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".gotrace-merge-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.writelines(lines)
        mode = os.stat(path).st_mode & 0o777
        os.replace(tmp, path)
        os.chmod(path, mode)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
