"""Importers: builds that the go command described itself, turned into trace format v1.

`go build -debug-actiongraph=FILE` (actiongraph.py) and `-debug-trace=FILE` (debug_trace.py) are
both read into `Action`s, the go command's unit of work, and `events_from_actions` turns those into
trace records; `read_build` detects which of the two a file is from its content.

An action is one record when it ran a tool or was satisfied from the cache; the go command's
bookkeeping actions (cache checks, "collect cgo", "nop", the root) are not, and dependency edges
through them are contracted so that `action_deps` always names records of the same trace.

An action runs its commands one after another (a package with assembly: asm, compile, asm, pack) and
the graph measures only their sum, so an action is one record, named for its main tool (compile for
a package, link, vet, cgo, the C compiler) and carrying that command's argv; the time of the other
commands is inside it. Imported records never carry max_rss_kib: the go command does not measure
it, and absent means unknown.
"""
from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

import orjson

from gotrace.events import BUILD_RECORD, BuildInfo, Event, TraceError, problem


@dataclass(frozen=True, slots=True)
class Action:
    id: str
    mode: str
    pkg: str
    deps: tuple[str, ...]
    ready_ns: int | None = None
    start_ns: int | None = None
    done_ns: int | None = None
    # argv of each command the action ran (toolexec wrapper removed); None when the source does not say
    commands: tuple[tuple[str, ...], ...] | None = None
    real_ns: int | None = None
    user_ns: int | None = None
    sys_ns: int | None = None
    failed: bool = False
    skipped: bool = False  # started but did nothing: an action it needed failed


@dataclass
class ImportedBuild:
    info: BuildInfo
    events: list[Event]
    actions: int  # actions in the source, bookkeeping included
    kind: str     # "actiongraph" or "debug-trace"


# The tool name of a C compile whose command the source does not give (a debug trace names only the
# action, "cgo compile FILE PKG"): the C compiler as such. Where the command is known (an action
# graph, the shim) the record names what ran: gcc, clang.
UNNAMED_C_COMPILER = "cc"


def mode_tool(mode: str) -> str | None:
    """The main tool of an action mode; None for the go command's bookkeeping."""
    if mode == "build":
        return "compile"
    if mode in ("link", "vet"):
        return mode
    if mode == "cgo run":
        return "cgo"
    if mode.startswith("cgo compile"):
        return UNNAMED_C_COMPILER
    return None


# Modes whose result the go command caches as a whole; their sub-actions (cgo run, cgo compile) do
# nothing when the package came from the cache and are not records of their own then.
CACHED_MODES = frozenset({"build", "link", "vet"})

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[^ ]+')


def split_command(line: str) -> tuple[str, ...]:
    """argv of a command as the go command printed it (words joined by spaces, Go-quoted when needed)."""
    words = []
    for token in _TOKEN.findall(line):
        if token[0] == '"' and len(token) > 1:
            try:
                token = orjson.loads(token)
            except orjson.JSONDecodeError:
                import ast  # Go-only escapes (\a, \v, \x, \U): rare, so the slower path is fine

                try:
                    token = ast.literal_eval(token)
                except (ValueError, SyntaxError):
                    pass
        words.append(token)
    return tuple(words)


def strip_toolexec(argv: tuple[str, ...]) -> tuple[str, ...]:
    """The tool's own argv: a -toolexec wrapper's words come before a tool from $GOROOT/pkg/tool."""
    for i, word in enumerate(argv):
        if "/pkg/tool/" in word:
            return argv[i:]
    return argv


def tool_name(argv: tuple[str, ...]) -> str:
    name = os.path.basename(argv[0]) if argv else "?"
    return name.removesuffix(".exe")


def main_command(action: Action) -> int:
    """Index of the command that carries the action's cost: its mode's tool, else the first."""
    want = mode_tool(action.mode)
    if want != UNNAMED_C_COMPILER:  # any C compiler: the action's first command
        for i, argv in enumerate(action.commands or ()):
            if tool_name(argv) == want:
                return i
    return 0


def is_cached(action: Action) -> bool:
    return (action.commands == () and action.mode in CACHED_MODES and not action.failed
            and not action.skipped and action.start_ns is not None)


def is_record(action: Action) -> bool:
    """Whether an action becomes a record: it ran a tool, or a cacheable unit came from the cache."""
    if action.start_ns is None or action.skipped:
        return False  # never started, or did nothing: the build failed before it
    if action.commands is None:  # the source knows only modes (a debug trace)
        return mode_tool(action.mode) is not None and action.done_ns is not None
    return bool(action.commands) or is_cached(action)


def contract_deps(actions: dict[str, Action], keep: set[str]) -> dict[str, tuple[str, ...]]:
    """For each kept action, the kept actions it depends on, looking through the ones not kept."""
    through = reach_through(actions, keep)
    out = {}
    for aid in keep:
        found: set[str] = set()
        for d in actions[aid].deps:
            if d in keep:
                found.add(d)
            else:
                found |= through[d]
        found.discard(aid)
        out[aid] = tuple(sorted(found, key=_id_key))
    return out


def queue_waits(actions: dict[str, Action]) -> dict[str, int]:
    """Nanoseconds each record's action waited between ready and start, the go command's own
    bookkeeping actions that gate it included.

    The go command checks a package's cache in an action of its own ("build check cache") that
    becomes ready when the package's imports are built and waits for a -p slot like any other; the
    build action after it then starts at once. So a package's wait sits in its gate: each
    bookkeeping action of a package counts for the first record of the same package that depends
    on it (through other bookkeeping actions of that package if need be)."""
    def wait(a: Action) -> int:
        return max(0, a.start_ns - a.ready_ns) if a.start_ns is not None and a.ready_ns is not None else 0

    records = {aid for aid, a in actions.items() if is_record(a)}
    dependents: dict[str, list[str]] = {}
    for aid, a in actions.items():
        for d in a.deps:
            dependents.setdefault(d, []).append(aid)
    out = {aid: wait(actions[aid]) for aid in records if actions[aid].ready_ns is not None}
    for aid, gate in actions.items():
        if aid in records or not gate.pkg or not wait(gate):
            continue
        seen, todo, found = {aid}, [aid], []
        while todo:
            for d in dependents.get(todo.pop(), ()):
                a = actions[d]
                if d in seen or a.pkg != gate.pkg:
                    continue
                seen.add(d)
                if d in records:
                    found.append(d)
                else:
                    todo.append(d)
        first = min(found, key=lambda d: (actions[d].start_ns or 0, _id_key(d)), default=None)
        if first is not None and first in out:
            out[first] += wait(gate)
    return out


def reach_through(actions: dict[str, Action], keep: set[str]) -> dict[str, frozenset[str]]:
    """For each action not kept, the kept actions reachable from it through actions not kept.

    Without recursion, and cycle-safe: the go command's graph is acyclic and shallow, but a damaged
    file may hold a cycle, or a chain of 50,000 "nop" actions deeper than Python's recursion limit.
    An iterative Tarjan walk finds the strongly connected components of the actions not kept, each
    after the ones it depends on, so each component's answer is made once from finished ones."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    reach: dict[str, frozenset[str]] = {}

    def enter(aid: str) -> None:
        index[aid] = low[aid] = len(index)
        stack.append(aid)
        on_stack.add(aid)
        work.append((aid, iter(actions[aid].deps)))

    for root in actions:
        if root in keep or root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = []
        enter(root)
        while work:
            aid, deps = work[-1]
            for d in deps:
                if d in keep:
                    continue
                if d not in index:
                    enter(d)
                    break
                if d in on_stack:
                    low[aid] = min(low[aid], index[d])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[aid])
                if low[aid] == index[aid]:
                    members: set[str] = set()
                    while aid not in members:
                        member = stack.pop()
                        on_stack.discard(member)
                        members.add(member)
                    found: set[str] = set()
                    for member in members:
                        for d in actions[member].deps:
                            if d in keep:
                                found.add(d)
                            elif d not in members:
                                found |= reach[d]
                    frozen = frozenset(found)
                    for member in members:
                        reach[member] = frozen
    return reach


def _id_key(aid: str):
    return (0, int(aid), "") if aid.isdigit() else (1, 0, aid)


def events_from_actions(actions: dict[str, Action], build: str, source: str) -> list[Event]:
    keep = {aid for aid, a in actions.items() if is_record(a)}
    edges = contract_deps(actions, keep)
    queues = queue_waits(actions)
    events = []
    for aid in keep:
        a = actions[aid]
        action_deps = edges[aid]
        # packages of direct dependencies: contracted edges also pass through "nop" actions that
        # make a main package wait for everything its link needs
        dep_pkgs = tuple(sorted({actions[d].pkg for d in a.deps if actions[d].mode == "build"}))
        common = {"build": build, "pkg": a.pkg, "source": source, "queue_ns": queues.get(aid), "action": aid,
                  "action_deps": action_deps, "deps": dep_pkgs or None,
                  # the go command does not say the exit code of the command that failed
                  "exit": 1 if a.failed else 0}
        if a.commands:
            argv = a.commands[main_command(a)]
            wall = a.real_ns if a.real_ns is not None else max(0, (a.done_ns or a.start_ns) - a.start_ns)
            events.append(Event(tool=tool_name(argv), start_ns=a.start_ns, wall_ns=wall, user_ns=a.user_ns,
                                sys_ns=a.sys_ns, argv=argv, path=argv[0] if argv else None, **common))
        elif is_cached(a):  # a cache hit: no tool ran, no cost
            events.append(Event(tool=mode_tool(a.mode), start_ns=a.start_ns, wall_ns=0, cached=True, **common))
        else:  # a debug trace: the action's span is all there is
            events.append(Event(tool=mode_tool(a.mode) or a.mode, start_ns=a.start_ns,
                                wall_ns=max(0, a.done_ns - a.start_ns), **common))
    events.sort(key=lambda e: (e.start_ns, _id_key(e.action)))
    return events


def build_info(actions: dict[str, Action], build: str) -> BuildInfo:
    """What the source says about the build as a whole: its span, failure, toolchain."""
    starts = [t for a in actions.values() for t in (a.ready_ns, a.start_ns) if t is not None]
    ends = [a.done_ns for a in actions.values() if a.done_ns is not None]
    goversion = goos = goarch = None
    for a in actions.values():
        for argv in a.commands or ():
            if goversion is None and "-goversion" in argv[:-1]:
                goversion = argv[argv.index("-goversion") + 1]
            if goos is None and "/pkg/tool/" in argv[0]:
                platform = os.path.basename(os.path.dirname(argv[0]))
                if "_" in platform:
                    goos, goarch = platform.split("_", 1)
        if goversion and goos:
            break
    start = min(starts) if starts else None
    return BuildInfo(build=build, start_ns=start, wall_ns=max(ends) - start if start and ends else None,
                     exit=1 if any(a.failed for a in actions.values()) else 0,
                     goversion=goversion, goos=goos, goarch=goarch)


def default_build_id(data: bytes, kind: str) -> str:
    # From the content, so importing the same file twice gives the same bytes.
    return f"{kind}-{hashlib.sha256(data).hexdigest()[:10]}"


def read_json_file(path: str, what: str) -> tuple[bytes, object]:
    """The bytes of the file at `path` and their decoded JSON, or a one-line TraceError (`what`
    names the file in it: "action graph ")."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise TraceError(f"cannot read {what}{path}: {e.strerror}") from None
    return data, load_json(path, data)


def load_json(path: str, data: bytes):
    """The decoded file; a clear one-line TraceError when it is not JSON at all."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as e:
        first = data.lstrip()[:1]
        if first == b"[" and b'"ph"' in data[:4096]:
            # Chrome's trace format allows the closing bracket to be missing; the go command's
            # debug trace lacks it when the go command was killed.
            try:
                return orjson.loads(data.rstrip().rstrip(b",") + b"]")
            except orjson.JSONDecodeError:
                pass
        if first == b"{" and b'"v":' in data.split(b"\n", 1)[0]:
            raise TraceError(f"{path}: this is already a gotrace trace; use it directly "
                             "(gotrace summary FILE)") from None
        if not data.strip():
            raise TraceError(f"{path}: empty file; expected a go -debug-actiongraph or -debug-trace file") from None
        raise TraceError(f"{path}: not valid JSON ({e.msg} at line {e.lineno} column {e.colno}): "
                         "truncated or corrupt?") from None


def read_build(path: str, build: str | None = None) -> ImportedBuild:
    """Import a -debug-actiongraph or -debug-trace file, whichever its content says it is."""
    from gotrace.importers import actiongraph, debug_trace

    data, doc = read_json_file(path, "")
    if actiongraph.looks_like(doc):
        kind, actions = "actiongraph", actiongraph.parse(doc, path)
    elif debug_trace.looks_like(doc):
        kind, actions = "debug-trace", debug_trace.parse(doc, path)
    else:
        raise TraceError(f"{path}: neither a go -debug-actiongraph file (a list of actions with ID and "
                         "Mode) nor a -debug-trace file (Chrome trace events)")
    build = build or default_build_id(data, kind)
    imported = ImportedBuild(info=build_info(actions, build), events=events_from_actions(actions, build, kind),
                             actions=len(actions), kind=kind)
    _check_ranges(imported, path)
    return imported


def _check_ranges(imported: ImportedBuild, path: str) -> None:
    """A clear error naming the file when what it says falls outside the trace format's ranges (a
    time in year 9999): the trace would not be readable."""
    why = None
    for event in imported.events:  # first the actions, so the line names the one to look at
        why = problem(event.to_dict())
        if why is not None:
            why = f"action {event.action} ({event.tool} {event.pkg}): {why}"
            break
    why = why or BUILD_RECORD.problem(imported.info.to_dict())
    if why is not None:
        raise TraceError(f"{path}: {why}: the file is corrupt, or its clock was far off")
