"""The trace format: one JSON object per line, one line per tool invocation of a Go build.

This module is the one way in and out of trace files: the format's fields and their valid ranges
(`EVENT_RULES`, `BUILD_RULES`), the one decode-and-validate step (`TraceReader.records`), its two
views (`Event`s, and `Spans` columns for million-record traces), the writers, and the test that
tells a trace from folded stacks. docs/trace-format.md explains the format for users and
shim/gotrace-shim writes it (the shim imports nothing from here, to start fast). Version 1 fields:

required
  v             format version (1)
  build         build id: one file may hold several builds; `gotrace run` sets it
  tool          the tool's short name: compile, asm, link, cgo, vet, cover, pack; for the C/C++
                compilers the go command runs for cgo, the name it ran: gcc, cc, clang, g++, c++
  pkg           import path the go command gave (TOOLEXEC_IMPORTPATH; it sets it for its C compiles
                too), "" for version probes; test variants look like "p [p.test]"
  start_ns      wall-clock start, nanoseconds since the Unix epoch
  wall_ns       duration from the monotonic clock, nanoseconds

optional (absent means unknown, never zero)
  path          the tool's resolved path;  argv  the full argv;  cwd  its working directory
  user_ns, sys_ns   CPU time of the tool (and what it waited for), from wait4 rusage
  max_rss_kib   peak resident set size, KiB
  exit          exit status; a tool killed by signal N has exit 128+N and signal N (as a shell says)
  signal        terminating signal
  pid, ppid     the tool's pid and the go command's pid
  probe         true for `tool -V=full` and `gcc -###` version probes (they key the build cache)
  version       what a -V=full probe printed
  goos, goarch, goversion, goroot   the go command's settings for this tool
  deps          compile/link: import paths named by -importcfg (compile: direct imports;
                link: every package linked)
  go_files      compile: number of .go files compiled
  cflags        cgo: the C compiler flags it was given (CGO_CFLAGS, #cgo CFLAGS); a C compiler:
                its arguments without the source file, inputs and output
  file, output  a C compiler: the source file it compiled (none for the _cgo_.o link) and its -o
                (/dev/null for the go command's flag checks, which are probes)
  phases        compile with `gotrace run --phases`: {"fe:parse": ns, ..., "total": ns}
  limit         "timeout" or "memory" when the shim's guard rails killed the tool
  error         the tool could not be started (not found, not executable)
  source        "shim" (default), "actiongraph" or "debug-trace" for imported records
  cached        true for an action the go command satisfied from its cache (imported/merged)
  queue_ns      time the action waited between ready and start (imported/merged)
  action        the go command's action id/number (imported/merged), as a string
  action_deps   actions this one waited for (imported/merged), as strings

build records: `gotrace run` adds one line per build, {"v":1,"kind":"build","build":ID,...}, with
what no single invocation knows: the go command line (argv), cwd, start_ns/wall_ns and exit of the go
command, the machine's cores, GOMAXPROCS/-p (parallelism), whether the cache was cold, goversion,
goos, goarch, and `interrupted` (the signal, e.g. 2 for Ctrl-C) when the build was stopped before
it finished. Readers collect them in `TraceReader.builds` (BuildInfo); they are not events.

Every command counts the same records because every one reads through `TraceReader.records`: a line
that is not JSON, not an object, of an older version, or with a field of the wrong type or out of
its range is skipped and counted, whichever fields the command then uses.
"""
from __future__ import annotations

import functools
import io
import itertools
import os
import re
import sys
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import IO, NamedTuple

import orjson

from gotrace.forked import Forked

FORMAT_VERSION = 1
REQUIRED = ("build", "tool", "pkg", "start_ns", "wall_ns")

# Valid ranges. Every bound is far from what a real build records and well below 2^63, so sums of a
# few million durations and start + wall never overflow a 64-bit column, and a corrupt number (a
# start_ns near 2^63, a wall of 2^64-1, a negative CPU time) is caught where it is read.
MAX_TIME_NS = 4_102_444_800 * 10**9  # 2100-01-01T00:00:00Z
MAX_DURATION_NS = 10**15  # 1,000,000 s, about 11.6 days
MAX_KIB = 1 << 40  # 1 PiB
MAX_EXIT = (1 << 32) - 1  # exit statuses are 32 bits on Windows (0xC0000005 ...)
MAX_SIGNAL = 127  # exit 128+N must still be an exit status a shell can show
MAX_COUNT = (1 << 31) - 1  # pids, file counts, cores


class TraceError(Exception):
    """A trace that cannot be read at all (bad version, missing file); the message says what to do."""


class Rule(NamedTuple):
    """What one field may hold: `kind` int (from `low` to `high` inclusive), str, list (of
    strings), bool, or dict (names to nanoseconds from `low` to `high`). null means absent."""
    kind: type
    low: int = 0
    high: int = 0

    def test_source(self, local: str) -> str:
        """Python source of this rule's test of the value in variable `local` (the compiled checks
        of RecordRules and of TraceReader.products both use it; `join` and `durations` in scope)."""
        return {int: f"type({local}) is int and {self.low} <= {local} <= {self.high}",
                str: f"type({local}) is str", bool: f"type({local}) is bool",
                # join raises TypeError unless every element is a string; quicker than a loop
                list: f"type({local}) is list and type(join({local})) is str",
                dict: f"type({local}) is dict and durations({local}, {self.low}, {self.high})"}[self.kind]

    def describe(self) -> str:
        if self.kind is int:
            return f"integer {_number(self.low)} to {_number(self.high)}"
        if self.kind is dict:
            return f"object of integers {_number(self.low)} to {_number(self.high)}"
        return {str: "string", list: "list of strings", bool: "true or false"}[self.kind]


def _shown(n: int) -> str:
    """A number for an error line: a corrupt one can have hundreds of digits."""
    if n.bit_length() <= 80:
        return str(n)
    return f"{'-' if n < 0 else ''}about 2^{n.bit_length() - 1}"


def _number(n: int) -> str:
    named = {MAX_TIME_NS: "4102444800*10^9 (2100-01-01)", MAX_DURATION_NS: "10^15 (11.6 days)",
             MAX_KIB: "2^40 (1 PiB)", MAX_EXIT: "2^32-1", MAX_COUNT: "2^31-1"}
    return named.get(n, str(n))


TEXT, TEXTS, FLAG = Rule(str), Rule(list), Rule(bool)
TIME = Rule(int, 0, MAX_TIME_NS)
DURATION = Rule(int, 0, MAX_DURATION_NS)
COUNT = Rule(int, 0, MAX_COUNT)

EVENT_RULES: dict[str, Rule] = {
    "build": TEXT, "tool": TEXT, "pkg": TEXT, "start_ns": TIME, "wall_ns": DURATION,
    "path": TEXT, "argv": TEXTS, "cwd": TEXT,
    "user_ns": DURATION, "sys_ns": DURATION, "max_rss_kib": Rule(int, 0, MAX_KIB),
    "exit": Rule(int, 0, MAX_EXIT), "signal": Rule(int, 1, MAX_SIGNAL),
    "pid": COUNT, "ppid": COUNT, "probe": FLAG, "version": TEXT,
    "goos": TEXT, "goarch": TEXT, "goversion": TEXT, "goroot": TEXT,
    "deps": TEXTS, "go_files": COUNT, "cflags": TEXTS, "phases": Rule(dict, 0, MAX_DURATION_NS),
    "limit": TEXT, "error": TEXT, "source": TEXT, "cached": FLAG, "queue_ns": DURATION,
    "action": TEXT, "action_deps": TEXTS, "file": TEXT, "output": TEXT,
}
BUILD_RULES: dict[str, Rule] = {
    "build": TEXT, "argv": TEXTS, "cwd": TEXT, "start_ns": TIME, "wall_ns": DURATION,
    "exit": Rule(int, 0, MAX_EXIT), "cores": Rule(int, 1, MAX_COUNT), "parallelism": Rule(int, 1, MAX_COUNT),
    "cold": FLAG, "goversion": TEXT, "goos": TEXT, "goarch": TEXT, "interrupted": Rule(int, 1, MAX_SIGNAL),
}


class RecordRules:
    """The rules of one kind of record (invocation or build) and its required fields.

    `problem` checks a record against them. The records of a trace have few shapes (the same keys
    in the same order), so for each shape it compiles, from the rules, one straight-line check of
    every field (about the cost of decoding the line; a loop over the rules costs three times
    that). A record that fails it, or holds a null, takes the loop, which says what is wrong."""

    def __init__(self, rules: dict[str, Rule], required: Sequence[str]):
        self.rules = rules
        self.required = tuple(required)
        self.checks: dict[tuple[str, ...], Callable[[dict], str | None]] = {}

    def problem(self, record: dict) -> str | None:
        """Why a decoded record breaks the format (a field of the wrong type or out of its range, a
        required field missing), or None when it is valid. Fields the format does not name are ignored."""
        shape = tuple(record)
        return (self.checks.get(shape) or self.compile(shape))(record)

    def explain(self, record: dict) -> str | None:
        """`problem`, one field at a time: the reference the compiled checks are a shortcut of."""
        rules = self.rules
        for name, value in record.items():
            rule = rules.get(name)
            if rule is None or value is None:
                continue
            kind, low, high = rule
            if type(value) is not kind:
                return f"{name} must be {'an' if kind is int else 'a'} {rule.describe()}"
            if kind is int:
                if not low <= value <= high:
                    return f"{name} {_shown(value)} is out of range ({rule.describe()})"
            elif kind is list:
                if not _ONLY_STR.issuperset(map(type, value)):
                    return f"{name} must be a list of strings"
            elif kind is dict and not _durations(value, low, high):
                return f"{name} must map names to integers {_number(low)} to {_number(high)}"
        for name in self.required:
            if record.get(name) is None:
                return f"missing {name}"
        return None

    def compile(self, shape: tuple[str, ...]) -> Callable[[dict], str | None]:
        """The check of the records of one shape (its keys, in order), made once and kept."""
        if len(self.checks) > 1024:  # a hostile file of ever new shapes costs time, not memory
            self.checks.clear()
        check = self.checks[shape] = self._compile(shape)
        return check

    def _compile(self, shape: tuple[str, ...]) -> Callable[[dict], str | None]:
        if not set(self.required) <= set(shape):
            return self.explain
        tests = []
        for i, name in enumerate(shape):  # locals are f0, f1, ...: a key never becomes code
            rule = self.rules.get(name)
            if rule is None:
                continue
            tests.append(f"({rule.test_source(f'f{i}')})")
        source = (f"def check(record):\n"
                  f"    {''.join(f'f{i}, ' for i in range(len(shape)))}= record.values()\n"
                  f"    try:\n"
                  f"        if {' and '.join(tests) or 'True'}:\n"
                  f"            return None\n"
                  f"    except TypeError:\n"
                  f"        pass\n"
                  f"    return explain(record)\n")
        scope = {"explain": self.explain, "join": "".join, "durations": _durations}
        exec(source, scope)
        return scope["check"]


def _durations(value: dict, low: int, high: int) -> bool:
    return all(type(n) is int and low <= n <= high for n in value.values())


_ONLY_STR = frozenset({str})
EVENT_RECORD = RecordRules(EVENT_RULES, REQUIRED)
BUILD_RECORD = RecordRules(BUILD_RULES, ("build",))


def problem(record: dict, rules: RecordRules = EVENT_RECORD) -> str | None:
    """Why a decoded invocation record (or, with BUILD_RECORD, build record) breaks the format, or None."""
    return rules.problem(record)


class Event(NamedTuple):
    """One tool invocation. A named tuple, not a dataclass: a million-record trace makes a million
    of them, and a tuple is built in one step from a record's values (see `TraceReader`), where a
    frozen dataclass sets each of its 34 fields by a call of its own."""
    build: str
    tool: str
    pkg: str
    start_ns: int
    wall_ns: int
    user_ns: int | None = None
    sys_ns: int | None = None
    max_rss_kib: int | None = None
    exit: int | None = 0
    signal: int | None = None
    probe: bool = False
    path: str | None = None
    argv: tuple[str, ...] | None = None
    cwd: str | None = None
    pid: int | None = None
    ppid: int | None = None
    version: str | None = None
    goos: str | None = None
    goarch: str | None = None
    goversion: str | None = None
    goroot: str | None = None
    deps: tuple[str, ...] | None = None
    go_files: int | None = None
    cflags: tuple[str, ...] | None = None
    phases: dict[str, int] | None = None
    limit: str | None = None
    error: str | None = None
    source: str = "shim"
    cached: bool = False
    queue_ns: int | None = None
    action: str | None = None
    action_deps: tuple[str, ...] | None = None
    file: str | None = None
    output: str | None = None

    @property
    def end_ns(self) -> int:
        return self.start_ns + self.wall_ns

    @property
    def cpu_ns(self) -> int | None:
        if self.user_ns is None and self.sys_ns is None:
            return None
        return (self.user_ns or 0) + (self.sys_ns or 0)

    @property
    def failed(self) -> bool:
        return bool(self.exit) or self.signal is not None or self.error is not None

    def to_dict(self) -> dict:
        """The record as written to a trace (absent fields left out)."""
        out: dict = {"v": FORMAT_VERSION}
        for name, value in zip(_FIELD_NAMES, self):
            if value is None or value is False or (name == "source" and value == "shim"):
                continue
            out[name] = list(value) if isinstance(value, tuple) else value
        return out


def total_cpu_ns(events: Iterable[Event]) -> int | None:
    """CPU time of the invocations that know theirs; None when none does (a -debug-trace import
    measures none): unknown reads as unknown in every output, never as 0."""
    known = [e.cpu_ns for e in events if e.cpu_ns is not None]
    return sum(known) if known else None


_FIELD_NAMES = Event._fields
_FIELDS = frozenset(_FIELD_NAMES)
_LIST_FIELDS = frozenset(name for name, rule in EVENT_RULES.items() if rule.kind is list)
assert _FIELDS == set(EVENT_RULES), "every Event field has a rule"


def _event(record: dict, keep_argv: bool) -> Event:
    """The Event of a record that passed `problem`."""
    kwargs = {}
    for name, value in record.items():
        if value is None or name not in _FIELDS:
            continue
        if name in _LIST_FIELDS:
            if name == "argv" and not keep_argv:
                continue
            value = tuple(value)
        kwargs[name] = value
    return Event(**kwargs)


def event_from_dict(record: dict, *, keep_argv: bool = True) -> Event:
    """Validate one decoded record; raises ValueError (saying why) for a record of the wrong shape."""
    why = problem(record)
    if why is not None:
        raise ValueError(why)
    return _event(record, keep_argv)


@dataclass(frozen=True, slots=True)
class BuildInfo:
    build: str
    argv: tuple[str, ...] = ()
    cwd: str | None = None
    start_ns: int | None = None
    wall_ns: int | None = None
    exit: int | None = None
    cores: int | None = None
    parallelism: int | None = None
    cold: bool | None = None  # None: unknown (an imported build)
    goversion: str | None = None
    goos: str | None = None
    goarch: str | None = None
    interrupted: int | None = None  # the signal that stopped the go command before it finished

    def to_dict(self) -> dict:
        out: dict = {"v": FORMAT_VERSION, "kind": "build"}
        for name in BuildInfo.__dataclass_fields__:
            value = getattr(self, name)
            if value is not None and value != ():
                out[name] = list(value) if isinstance(value, tuple) else value
        return out

    @property
    def command(self) -> str:
        return " ".join(self.argv)


assert set(BuildInfo.__dataclass_fields__) == set(BUILD_RULES), "every BuildInfo field has a rule"


def build_info_from_dict(record: dict) -> BuildInfo:
    """Validate a build record; raises ValueError (saying why) for one of the wrong shape."""
    why = BUILD_RECORD.problem(record)
    if why is not None:
        raise ValueError(why)
    kwargs = {name: value for name, value in record.items() if name in BUILD_RULES and value is not None}
    return BuildInfo(**{**kwargs, "argv": tuple(kwargs.get("argv", ()))})


def newer_version_error(name: str, line: int, version: int) -> TraceError:
    """A record of a newer format stops the reading: this gotrace cannot know what its fields mean.
    (Records with no or an older version are skipped and counted.)"""
    return TraceError(f"{name}: line {line} is trace format version {version}; this gotrace "
                      f"reads version {FORMAT_VERSION}: upgrade gotrace")


_UNKNOWN = -(1 << 63)  # an absent optional number in a column
_NUMBERS = ("start_ns", "wall_ns", "cpu_ns", "max_rss_kib", "exit", "signal")


@dataclass
class Spans:
    """The columns view of a trace: its invocations (version probes and cache hits left out) as
    typed columns, row i being one invocation, so that a million-record trace fits in tens of
    megabytes, not gigabytes. `kind[i]` indexes `kinds`, the distinct (build, package, tool)
    triples; optional numbers the trace does not know are `UNKNOWN`; an absent exit is 0, as in Event."""

    UNKNOWN = _UNKNOWN
    kinds: list[tuple[str, str, str]] = field(default_factory=list)
    kind: array = field(default_factory=lambda: array("i"))
    start_ns: array = field(default_factory=lambda: array("q"))
    wall_ns: array = field(default_factory=lambda: array("q"))
    cpu_ns: array = field(default_factory=lambda: array("q"))
    max_rss_kib: array = field(default_factory=lambda: array("q"))
    exit: array = field(default_factory=lambda: array("q"))
    signal: array = field(default_factory=lambda: array("q"))
    errors: dict[int, str] = field(default_factory=dict)  # row -> why the tool could not start
    phases: dict[int, dict[str, int]] = field(default_factory=dict)  # row -> compiler phases (--phases)

    def __len__(self) -> int:
        return len(self.kind)

    def builds(self) -> list[str]:
        """Build ids in order of first appearance."""
        return list(dict.fromkeys(map(itemgetter(0), self.kinds)))

    def rows_of(self, build: str) -> Sequence[int]:
        """The rows of one build, in trace order."""
        mine = list(map(build.__eq__, map(itemgetter(0), self.kinds)))
        if all(mine):
            return range(len(self))
        wanted = set(itertools.compress(itertools.count(), mine))
        return [i for i, k in enumerate(self.kind) if k in wanted]

    def lanes(self, rows: Sequence[int]) -> list[int]:
        """The lane of each of `rows` (one build's invocations), as `lanes.assign_lanes` gives it."""
        from gotrace.analysis.lanes import lanes_of

        starts, walls = self.start_ns, self.wall_ns
        if isinstance(rows, range) and rows == range(len(self)):
            return lanes_of(starts, [s + w for s, w in zip(starts, walls)])
        return lanes_of([starts[i] for i in rows], [starts[i] + walls[i] for i in rows])

    @classmethod
    def joined(cls, parts: Sequence[Spans]) -> Spans:
        """The rows of `parts` (read from consecutive lines of one trace, in order) as one Spans: the
        first part, with the others' rows appended and their kinds renumbered (one dict of kinds for
        all parts, and C-level passes: a part of a million-record trace has ~250,000 kinds)."""
        import numpy as np  # (not for every reader of this module)

        from gotrace.names import add_names, indexes

        first, *later = parts
        if not later:
            return first
        ids = dict(zip(first.kinds, itertools.count()))
        for more in later:
            first.kinds.extend(add_names(ids, more.kinds))
            offset = len(first)
            first.errors.update(zip(map(offset.__add__, more.errors), more.errors.values()))
            first.phases.update(zip(map(offset.__add__, more.phases), more.phases.values()))
            if len(more):
                remap = indexes(ids, more.kinds)
                first.kind.frombytes(remap[np.frombuffer(more.kind, np.intc)].astype(np.intc).tobytes())
            for column in _NUMBERS:
                getattr(first, column).extend(getattr(more, column))
        return first


# --- the compiled row makers of TraceReader.products ------------------------------------------------

# A columns row: ((build, pkg, tool), (start_ns, wall_ns, cpu_ns, max_rss_kib, exit, signal), error,
# phases, probe, cached); an absent number is UNKNOWN, an absent exit 0 (as in Event). A graph or
# build row (one build's columns, analysis/build_rows.py; cache hits yielded too, probes with
# include_probes): ((build, pkg, tool), (start_ns, wall_ns, cpu_ns, max_rss_kib), deps, action,
# probe, cached, action_deps, whole, c_files); in a build row `whole` is the record's Event (no argv)
# when it says more than those columns (a failure, compiler phases, go's action-graph facts:
# _WHOLE_WHEN), and `c_files` a C compile's (file, output) (what names the run: coverage.
# c_compile_label; as whole Events, a million-record build's 130,000 C compiles took ~90 MiB of a
# summary's 830 MiB peak); in a graph row both always None.
C_COMPILERS = frozenset({"gcc", "cc", "clang", "g++", "c++", "clang++"})  # the C compilers cgo runs
# fields that, when set (exit: not 0), make a graph row carry its whole record
_WHOLE_WHEN = ("exit", "signal", "error", "limit", "phases", "queue_ns", "source", "action", "probe", "cached")
_COLUMN_PROBE, _COLUMN_CACHED = 4, 5
_PROBE, _CACHED = Event._fields.index("probe"), Event._fields.index("cached")
# (ppid is the go command's pid: one number shared by every invocation of a build)
_INTERNED = frozenset({"build", "tool", "pkg", "path", "cwd", "goos", "goarch", "goversion", "goroot",
                       "source", "limit", "ppid"})
_INTERNED_LISTS = frozenset({"deps", "cflags"})
_ROW_MAKERS: dict[tuple[str, bool], dict[tuple[str, ...], Callable]] = {}


def _row_maker(shape: tuple[str, ...], view: str, keep_argv: bool) -> Callable[[dict, Callable], tuple | None]:
    """The function that checks a record of this shape (its keys, in order) against EVENT_RULES and
    returns its row for `view`, or None when any check fails (or the shape is not an invocation's),
    so that the reference path (`TraceReader._accept`) says why. Locals are f0, f1, ...: a key never
    becomes code; only names of the rules do."""
    local: dict[str, str] = {}
    tests = []
    for i, name in enumerate(shape):
        if name == "v":
            tests.append(f"type(f{i}) is int and f{i} == {FORMAT_VERSION}")
            continue
        rule = EVENT_RULES.get(name)
        if rule is None:
            continue
        local[name] = f = f"f{i}"
        test = rule.test_source(f)
        tests.append(f"({test})" if name in REQUIRED else f"({f} is None or {test})")
    if "v" not in shape or "kind" in shape or not set(REQUIRED) <= set(local):
        return _no_fast_row
    if view == "events":
        row = _event_source(local, keep_argv)
    else:
        def number(name: str) -> str:
            f = local.get(name)
            return "UNKNOWN" if f is None else f"(UNKNOWN if {f} is None else {f})"
        user, sys_ = local.get("user_ns"), local.get("sys_ns")
        if user and sys_:
            cpu = f"(UNKNOWN if {user} is None and {sys_} is None else ({user} or 0) + ({sys_} or 0))"
        else:
            cpu = number("user_ns" if user else "sys_ns")
        exit_ = f"({local['exit']} or 0)" if "exit" in local else "0"
        flags = [f"({local[n]} is True)" if n in local else "False" for n in ("probe", "cached")]
        row = (f"(({local['build']}, {local['pkg']}, {local['tool']}), ({local['start_ns']}, {local['wall_ns']}, "
               f"{cpu}, {number('max_rss_kib')}, {exit_}, {number('signal')}), {local.get('error', 'None')}, "
               f"{local.get('phases', 'None')}, {', '.join(flags)})")
        if view in ("graph", "build"):
            deps, action, waited = local.get("deps"), local.get("action"), local.get("action_deps")
            # a build row's Event of the record, when it holds more than the columns (_WHOLE_WHEN);
            # a graph row never has one (no test per row)
            whole = files = "None"
            if view == "build":
                rare = [(f"{local[n]}" if n == "exit" else f"{local[n]} is True" if n in ("probe", "cached")
                         else f"{local[n]} is not None") for n in _WHOLE_WHEN if n in local]
                if rare:
                    whole = f"{_event_source(local, False)} if {' or '.join(rare)} else None"
                if "file" in local or "output" in local:
                    files = (f"(({local.get('file', 'None')}, {local.get('output', 'None')}) "
                             f"if {local['tool']} in C_COMPILERS else None)")
            row = (f"(({local['build']}, {local['pkg']}, {local['tool']}), ({local['start_ns']}, {local['wall_ns']}, "
                   f"{cpu}, {number('max_rss_kib')}), "
                   f"{f'None if {deps} is None else tuple(map(intern, {deps}, {deps}))' if deps else 'None'}, "
                   f"{action or 'None'}, {', '.join(flags)}, "
                   f"{f'None if {waited} is None else tuple({waited})' if waited else 'None'}, "
                   f"{whole}, {files})")
    source = (f"def make(record, intern):\n"
              f"    {''.join(f'f{i}, ' for i in range(len(shape)))}= record.values()\n"
              f"    try:\n"
              f"        if {' and '.join(tests)}:\n"
              f"            return {row}\n"
              f"    except TypeError:\n"
              f"        pass\n"
              f"    return None\n")
    scope = {"join": "".join, "durations": _durations, "new": tuple.__new__, "Event": Event, "UNKNOWN": _UNKNOWN,
             "C_COMPILERS": C_COMPILERS}
    exec(source, scope)
    return scope["make"]


def _event_source(local: dict[str, str], keep_argv: bool) -> str:
    """Python source of the Event of a record whose fields are in the locals `local` names."""
    values = []
    for name in _FIELD_NAMES:
        default = Event._field_defaults.get(name)
        f = local.get(name)
        if f is None or (name == "argv" and not keep_argv):
            values.append(repr(default))
            continue
        if name in _INTERNED:
            made = f"intern({f}, {f})"
        elif name in _INTERNED_LISTS:
            made = f"tuple(map(intern, {f}, {f}))"
        elif name in _LIST_FIELDS:
            made = f"tuple({f})"
        else:
            made = f
        if name in REQUIRED:
            values.append(made)
        else:
            values.append(f"({default!r} if {f} is None else {made})")
    return f"new(Event, ({', '.join(values)},))"


def _no_fast_row(record: dict, intern: Callable) -> None:
    return None


def _slow_row(record: dict, view: str, keep_argv: bool) -> tuple:
    """The row of a valid invocation record the compiled makers did not take (the reference)."""
    if view == "events":
        return _event(record, keep_argv)
    get = record.get
    user, sys_, rss, signal = get("user_ns"), get("sys_ns"), get("max_rss_kib"), get("signal")
    if view in ("graph", "build"):
        deps, waited = get("deps"), get("action_deps")
        whole = view == "build" and any(
            get(n) is True if n in ("probe", "cached") else get(n) if n == "exit" else get(n) is not None
            for n in _WHOLE_WHEN)
        c_files = (get("file"), get("output")) if view == "build" and record["tool"] in C_COMPILERS and (
            "file" in record or "output" in record) else None
        return ((record["build"], record["pkg"], record["tool"]), (record["start_ns"], record["wall_ns"],
                _UNKNOWN if user is None and sys_ is None else (user or 0) + (sys_ or 0),
                _UNKNOWN if rss is None else rss),
                None if deps is None else tuple(deps), get("action"), bool(get("probe")), bool(get("cached")),
                None if waited is None else tuple(waited), _event(record, False) if whole else None, c_files)
    return ((record["build"], record["pkg"], record["tool"]), (record["start_ns"], record["wall_ns"],
            _UNKNOWN if user is None and sys_ is None else (user or 0) + (sys_ or 0),
            _UNKNOWN if rss is None else rss, get("exit") or 0, _UNKNOWN if signal is None else signal),
            get("error"), get("phases"), bool(get("probe")), bool(get("cached")))


class TraceReader:
    """Reads a trace: decodes each line once, validates it against the rules, and skips and counts
    what it cannot use (truncated or corrupt lines, wrong types, values out of range). Two views:
    iterate it for `Event`s, or call `columns()` for `Spans`. Either way the counts are the same.

    >>> reader = TraceReader(open("trace.jsonl", "rb"))
    >>> for event in reader: ...
    >>> reader.skipped   # lines that could not be read
    """

    def __init__(self, stream: Iterable[bytes], *, name: str = "trace", keep_argv: bool = False,
                 include_probes: bool = False):
        self.stream = stream
        self.name = name
        self.keep_argv = keep_argv
        self.include_probes = include_probes
        self.lines = 0
        self.skipped = 0
        self.first_bad_line: int | None = None
        self.first_problem: str | None = None
        self.probes = 0  # valid version-probe records
        self.cached = 0  # valid cache-hit records
        self.builds: dict[str, BuildInfo] = {}  # build records
        self.seen_builds: dict[str, None] = {}  # builds of the valid invocation records, in order
        self._interned: dict = {}  # one copy of each repeated string (see `products`)

    def _skip(self, why: str) -> None:
        self.skipped += 1
        if self.first_bad_line is None:
            self.first_bad_line = self.lines
            self.first_problem = why

    def records(self, *, probes: bool = True, cached: bool = True) -> Iterator[dict]:
        """The decoded, valid invocation records of the lines not read yet (version probes and cache
        hits are counted, and yielded unless `probes`/`cached` is false); build records are kept in
        `builds`; the rest is skipped and counted. This is the one place trace lines are decoded."""
        loads, decode_error, version = orjson.loads, orjson.JSONDecodeError, FORMAT_VERSION
        checks, compile_check = EVENT_RECORD.checks, EVENT_RECORD.compile
        seen = self.seen_builds
        for raw in self.stream:
            self.lines += 1
            try:
                record = loads(raw)
            except decode_error:
                if raw.strip():
                    self._skip("not JSON (truncated or corrupt)")
                continue
            if type(record) is not dict:
                self._skip("not a JSON object")
                continue
            v = record.get("v")
            if v != version or type(v) is not int:
                if type(v) is int and v > version:
                    raise newer_version_error(self.name, self.lines, v)
                self._skip("no or an older format version")
                continue
            if "kind" in record and record["kind"] == "build":
                try:
                    info = build_info_from_dict(record)
                except ValueError as e:
                    self._skip(f"build record: {e}")
                    continue
                self.builds[info.build] = info
                continue
            shape = tuple(record)  # EVENT_RECORD.problem, inlined: this loop is the readers' cost
            check = checks.get(shape) or compile_check(shape)
            why = check(record)
            if why is not None:
                self._skip(why)
                continue
            seen[record["build"]] = None
            if "probe" in record and record["probe"]:
                self.probes += 1
                if not probes:
                    continue
            elif "cached" in record and record["cached"]:
                self.cached += 1
                if not cached:
                    continue
            yield record

    def products(self, view: str) -> Iterator[tuple]:
        """What `records` yields, made straight into a view's rows: "events" (Event tuples; probes
        only with include_probes), "columns" (`_COLUMN_ROW` tuples, probes and cache hits left out)
        or "graph" (columns of times and the dependency facts: one build's columns,
        analysis/build_rows.py; probes only with include_probes) or "build" (the same, with the Event
        of each record that says more than those columns, _WHOLE_WHEN, and a C compile's files).

        The same records pass and fail as in `records`, counted the same way; it is only quicker:
        each record shape has one compiled function (`_row_maker`) that checks every field and
        makes the row in one go, without a dict lookup per field, and interns the strings that
        repeat (build, package, tool, paths, each dep) so that a million events share them."""
        loads, decode_error = orjson.loads, orjson.JSONDecodeError
        keep_argv = self.keep_argv
        makers = _ROW_MAKERS.setdefault((view, keep_argv), {})
        intern = self._interned.setdefault
        seen = self.seen_builds
        if view == "events":
            probe_at, cached_at, yield_probes, yield_cached = _PROBE, _CACHED, self.include_probes, True
        else:
            graph = view in ("graph", "build")
            probe_at, cached_at, yield_probes, yield_cached = (
                _COLUMN_PROBE, _COLUMN_CACHED, graph and self.include_probes, graph)
        events_view = view == "events"
        lines = first = self.lines
        try:
            for lines, raw in enumerate(self.stream, first + 1):
                try:
                    record = loads(raw)
                except decode_error:
                    if raw.strip():
                        self.lines = lines
                        self._skip("not JSON (truncated or corrupt)")
                    continue
                row = None
                if type(record) is dict:
                    shape = tuple(record)
                    make = makers.get(shape)
                    if make is None:
                        if len(makers) > 1024:  # a hostile file of ever new shapes costs time, not memory
                            makers.clear()
                        make = makers[shape] = _row_maker(shape, view, keep_argv)
                    row = make(record, intern)
                if row is None:  # not the common case: the reference path says why, or makes the row
                    self.lines = lines
                    if not self._accept(record):
                        continue
                    row = _slow_row(record, view, keep_argv)
                seen[row[0] if events_view else row[0][0]] = None
                if row[probe_at]:
                    self.probes += 1
                    if not yield_probes:
                        continue
                elif row[cached_at]:
                    self.cached += 1
                    if not yield_cached:
                        continue
                yield row
        finally:
            self.lines = lines

    def _accept(self, record) -> bool:
        """The checks of `records`, one record at a time: whether it is a valid invocation record
        (a build record is kept in `builds`; anything else is skipped and counted)."""
        if type(record) is not dict:
            self._skip("not a JSON object")
            return False
        v = record.get("v")
        if v != FORMAT_VERSION or type(v) is not int:
            if type(v) is int and v > FORMAT_VERSION:
                raise newer_version_error(self.name, self.lines, v)
            self._skip("no or an older format version")
            return False
        if "kind" in record and record["kind"] == "build":
            try:
                info = build_info_from_dict(record)
            except ValueError as e:
                self._skip(f"build record: {e}")
                return False
            self.builds[info.build] = info
            return False
        why = EVENT_RECORD.explain(record)
        if why is not None:
            self._skip(why)
            return False
        return True

    def __iter__(self) -> Iterator[Event]:
        """The events view: one Event per invocation record (probes only with include_probes)."""
        return self.products("events")

    def columns(self, build: str | None = None) -> Spans:
        """The columns view: the invocations (of one build, or all) that ran a tool, as `Spans`."""
        spans = Spans()
        kinds, kind_ids, errors, phases = spans.kinds, {}, spans.errors, spans.phases
        add_kind = spans.kind.append
        numbers = array("q")
        add_numbers = numbers.extend
        row = -1
        for key, numbers_of_row, error, phase, _, _ in self.products("columns"):
            if build is not None and key[0] != build:
                continue
            k = kind_ids.get(key)
            if k is None:
                k = kind_ids[key] = len(kinds)
                kinds.append(key)
            add_kind(k)
            row += 1
            add_numbers(numbers_of_row)
            if error is not None:
                errors[row] = error
            if phase is not None:
                phases[row] = phase
        for offset, column in enumerate(_NUMBERS):
            setattr(spans, column, numbers[offset::len(_NUMBERS)])
        return spans

    def absorb(self, later: TraceReader) -> None:
        """Add the counts of a reader of the lines that follow this reader's lines."""
        if self.first_bad_line is None and later.first_bad_line is not None:
            self.first_bad_line = self.lines + later.first_bad_line
            self.first_problem = later.first_problem
        self.lines += later.lines
        self.skipped += later.skipped
        self.probes += later.probes
        self.cached += later.cached
        self.builds.update(later.builds)
        self.seen_builds.update(later.seen_builds)

    def nothing_selected(self, build: str | None = None) -> TraceError:
        """The error that explains why a command found nothing to show (once the reading is done)."""
        path = self.name
        if build is not None and build not in self.seen_builds:
            return TraceError(f"{path}: no build {build!r}; builds in this trace: "
                              f"{', '.join(self.seen_builds) or 'none'}")
        if self.cached:
            return TraceError(f"{path}: every action came from the build cache, no tool ran; trace a "
                              "cold build with `gotrace run --cold -- go build ./...`")
        if self.probes:
            return TraceError(f"{path}: only version probes, no tool ran: the build was fully cached; "
                              "trace a cold build with `gotrace run --cold -- go build ./...`")
        if self.skipped:
            return TraceError(f"{path}: no readable trace records: {self.skipped} line(s) skipped as unreadable "
                              f"(first at line {self.first_bad_line}): not a gotrace trace, or corrupt; "
                              "produce one with `gotrace run -- go build ./...`")
        return TraceError(f"{path}: no trace records; produce one with `gotrace run -- go build ./...`")


def open_trace(path: str, **options) -> TraceReader:
    """A TraceReader over a file ('-' for stdin), with a clear TraceError when it cannot be opened."""
    if path == "-":
        return TraceReader(sys.stdin.buffer, name="<stdin>", **options)
    try:
        stream = open(path, "rb", buffering=1 << 20)
    except OSError as e:
        raise TraceError(f"cannot read trace {path}: {e.strerror}") from None
    return TraceReader(stream, name=path, **options)


PARALLEL_BYTES = 64 << 20  # traces larger than this are read by two processes where fork exists


def read_in_parts(path: str, work: Callable[[TraceReader], object], *, first_share: float = 0.5,
                  **options) -> tuple[list, TraceReader]:
    """`work` done over a trace file, in two processes for a large file: decoding JSON is most of a
    big trace's cost, so a forked helper reads the second part (from a line start) while this
    process reads the first, `first_share` of the bytes (more than half when the helper's result
    takes long to pickle and cross the pipe); the one that finishes first takes over half of what
    the other has left, as a part of its own (file_parts). Returns each part's result, in file
    order (two parts or more, each a run of whole lines), and one
    reader whose counts (lines, skips and the first bad line, counted from the top, probes, builds)
    are the whole file's. The helper's result is pickled, so it had better be small or pickle as
    columns (a list of events: EventList). Where fork is missing, or for a small file, one part."""
    if path == "-":
        reader = open_trace(path, **options)
        return [work(reader)], reader
    try:
        size = os.path.getsize(path)
        if size <= PARALLEL_BYTES or (os.cpu_count() or 1) < 2 or sys.platform != "linux":
            with open(path, "rb", buffering=1 << 20) as stream:
                reader = TraceReader(stream, name=path, **options)
                return [work(reader)], reader
        return _in_two(path, work, size, first_share, options)
    except OSError as e:
        raise TraceError(f"cannot read trace {path}: {e.strerror}") from None


def _in_two(path: str, work, size: int, first_share: float, options: dict) -> tuple[list, TraceReader]:
    """`read_in_parts` by this process and a forked helper, the one that finishes first taking half of
    what the other has left (file_parts.SharedParts; this process keeps as much more than half as it
    reads more than half of the file to start with: the time the helper's result takes to cross)."""
    from gotrace.file_parts import SharedParts
    from gotrace.status import STATUS, fraction

    def reading(done: int) -> None:
        STATUS.show(f"gotrace: reading {path}: {fraction(done, size)} of {size / (1 << 20):,.0f} MiB")

    with open(path, "rb") as stream:
        stream.seek(int(size * first_share))
        middle = stream.tell() + len(stream.readline())
    shared = SharedParts(path, size, middle, bias=int(size * (2 * first_share - 1)))
    parent = os.getpid()

    def parts_of(me: int) -> list[tuple[int, object, TraceReader]] | None:
        """What reader `me` makes of its part and of each part it takes over: (start, result, reader);
        None when a part after the first line says the trace cannot be read (its line is counted
        from the part's start: the whole file is read again to name it)."""
        done = []
        while True:
            start = shared.start(me)
            reader = TraceReader(shared.lines(me, reading if me == 0 else None), name=path, **options)
            try:
                done.append((start, work(reader), reader))
            except TraceError:
                if start == 0:
                    raise
                return None
            if not shared.steal(me):
                return done

    def helpers_parts() -> list[tuple[int, object, TraceReader]] | None:
        if os.getpid() == parent:  # the helper died without an answer (Forked does its work here)
            return None
        done = parts_of(1)
        for _, _, reader in done or ():  # (what pickles)
            reader.stream = None
            reader._interned = {}
        return done

    helper = Forked(helpers_parts)
    try:
        mine = parts_of(0)
    except BaseException:
        helper.cancel()
        shared.close()
        raise
    try:
        theirs = helper.result() if mine is not None else helper.cancel()
    finally:
        shared.close()
    if mine is None or theirs is None:
        STATUS.show(f"gotrace: reading {path} again, in one process", now=True)
        with open(path, "rb", buffering=1 << 20) as stream:
            reader = TraceReader(stream, name=path, **options)
            return [work(reader)], reader
    parts = sorted(mine + theirs, key=itemgetter(0))
    reader = parts[0][2]
    for _, _, later in parts[1:]:
        reader.absorb(later)
    STATUS.show(f"gotrace: read {reader.lines:,} lines of {path}; working on them", now=True)
    return [result for _, result, _ in parts], reader


class RowEvents(Sequence):
    """The rows of a columns table (anything with a length and `event(row)`) as a sequence of
    Events, each made when asked for: for code written over Events that reads only a few of a big
    table's rows (parallelism's serial stretches)."""

    def __init__(self, table):
        self.table = table

    def __len__(self) -> int:
        return len(self.table)

    def __getitem__(self, row):
        return self.table.event(row)


class EventList(list):
    """A list of events that crosses a pipe as columns: one tuple per field that some event sets
    (a field every event leaves at its default is sent as nothing), rebuilt into Events on the other
    side. Pickling Event tuples one by one (a class reference and the values of each) cost more than
    reading the lines again; columns cost a few percent of it (`read_in_parts`: the whole Events
    of build_rows.read_part)."""

    def __reduce__(self):
        if not self:
            return EventList, ()
        columns = []
        for name, column in zip(_FIELD_NAMES, zip(*self)):
            default = Event._field_defaults.get(name)
            columns.append(None if name in Event._field_defaults and column.count(default) == len(column)
                           else column)
        return _unpack_events, (len(self), columns)


def _unpack_events(count: int, columns: list[tuple | None]) -> EventList:
    filled = [itertools.repeat(Event._field_defaults[name], count) if column is None else column
              for name, column in zip(_FIELD_NAMES, columns)]
    return EventList(map(functools.partial(tuple.__new__, Event), zip(*filled)))


def read_events(path: str, *, build: str | None = None, **options) -> tuple[list[Event], TraceReader]:
    """All events of a trace (optionally of one build), and the reader with its skip counts."""
    reader = open_trace(path, **options)
    events = [e for e in reader if build is None or e.build == build]
    if build is not None and not events:
        raise reader.nothing_selected(build)
    return events, reader


def builds_in(path: str) -> list[str]:
    """Build ids in order of first appearance."""
    reader = open_trace(path)
    for _ in reader.records():
        pass
    return list(reader.seen_builds)


# --- writing ---------------------------------------------------------------------------------------

def record_line(record: dict) -> bytes:
    """One trace line of an invocation or build record, checked against the same rules as reading:
    what gotrace writes, it reads back. A TraceError says which field is out of range."""
    why = (BUILD_RECORD if record.get("kind") == "build" else EVENT_RECORD).problem(record)
    if why is not None:
        raise TraceError(f"cannot write a trace record: {why}")
    return orjson.dumps(record) + b"\n"


def write_events(events: Iterable[Event], out: IO[bytes]) -> int:
    n = 0
    for event in events:
        out.write(record_line(event.to_dict()))
        n += 1
    return n


def write_build(info: BuildInfo, out: IO[bytes]) -> None:
    out.write(record_line(info.to_dict()))


def append_build(path: str, info: BuildInfo) -> None:
    """Add a build record at the end of a trace file in one write, as the shim adds its records, and
    whole or not at all: on a full disk the part that fitted is cut off again. Raises OSError."""
    import os

    line = record_line(info.to_dict())
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        written = os.write(fd, line)
        if written != len(line):
            os.ftruncate(fd, os.lseek(fd, 0, os.SEEK_CUR) - written)
            raise OSError(28, "No space left on device")
    finally:
        os.close(fd)


def events_from_text(text: str, **options) -> list[Event]:
    """Parse trace text (used by tests and by importers that produce lines)."""
    return list(TraceReader(io.BytesIO(text.encode()), **options))


# --- a trace, or folded stacks? ----------------------------------------------------------------------

HEAD_BYTES = 1 << 12  # how far to look: a trace may begin with a corrupt line or two
_OBJECT_START = re.compile(rb"\s*\{\s*[\"}]")  # folded frames may start with '{' ({{closure}}), never '{"'


def looks_like_trace(head: bytes) -> bool:
    """Whether input beginning with `head` is a trace (JSON lines) rather than folded stacks: a line
    in its first HEAD_BYTES starts a JSON object. Empty input counts as a trace (a command then says
    "no trace records")."""
    lines = head[:HEAD_BYTES].split(b"\n")
    return any(_OBJECT_START.match(line) for line in lines) or not head.strip()
