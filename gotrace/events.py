"""The trace format: one JSON object per line, one line per tool invocation of a Go build.

This module is the one definition of the format; docs/trace-format.md explains it for users and
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
goos, goarch. Readers collect them in `TraceReader.builds` (BuildInfo); they are not events.
"""
from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

import orjson

FORMAT_VERSION = 1
REQUIRED = ("build", "tool", "pkg", "start_ns", "wall_ns")


class TraceError(Exception):
    """A trace that cannot be read at all (bad version, missing file); the message says what to do."""


@dataclass(frozen=True, slots=True)
class Event:
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
    phases: dict[str, int] | None = field(default=None, hash=False, compare=False)
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
        for name in _FIELD_NAMES:
            value = getattr(self, name)
            if value is None or value is False or (name == "source" and value == "shim"):
                continue
            out[name] = list(value) if isinstance(value, tuple) else value
        return out


_FIELD_NAMES = tuple(Event.__dataclass_fields__)
_INT_FIELDS = frozenset({"start_ns", "wall_ns", "user_ns", "sys_ns", "max_rss_kib", "exit", "signal",
                         "pid", "ppid", "go_files", "queue_ns"})
_STR_FIELDS = frozenset({"build", "tool", "pkg", "path", "cwd", "version", "goos", "goarch",
                         "goversion", "goroot", "limit", "error", "source", "action", "file", "output"})
_LIST_FIELDS = frozenset({"argv", "deps", "cflags", "action_deps"})
_BOOL_FIELDS = frozenset({"probe", "cached"})


def event_from_dict(record: dict, *, keep_argv: bool = True) -> Event:
    """Validate one decoded record; raises ValueError for a record of the wrong shape."""
    kwargs = {}
    for name in _FIELD_NAMES:
        if name not in record:
            continue
        value = record[name]
        if value is None:
            continue
        if name in _INT_FIELDS:
            if type(value) is not int:
                raise ValueError(f"{name} must be an integer")
        elif name in _STR_FIELDS:
            if type(value) is not str:
                raise ValueError(f"{name} must be a string")
        elif name in _LIST_FIELDS:
            if name == "argv" and not keep_argv:
                continue
            if type(value) is not list or not all(type(v) is str for v in value):
                raise ValueError(f"{name} must be a list of strings")
            value = tuple(value)
        elif name in _BOOL_FIELDS:
            if type(value) is not bool:
                raise ValueError(f"{name} must be true or false")
        elif name == "phases":
            if type(value) is not dict or not all(type(v) is int for v in value.values()):
                raise ValueError("phases must map names to integers")
        kwargs[name] = value
    for name in REQUIRED:
        if name not in kwargs:
            raise ValueError(f"missing {name}")
    if kwargs["wall_ns"] < 0:
        raise ValueError("wall_ns is negative")
    return Event(**kwargs)


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


def build_info_from_dict(record: dict) -> BuildInfo:
    kwargs = {}
    for name, kind in (("build", str), ("cwd", str), ("goversion", str), ("goos", str), ("goarch", str),
                       ("start_ns", int), ("wall_ns", int), ("exit", int), ("cores", int),
                       ("parallelism", int), ("cold", bool)):
        value = record.get(name)
        if value is not None:
            if type(value) is not kind:
                raise ValueError(f"{name} has the wrong type")
            kwargs[name] = value
    argv = record.get("argv") or []
    if type(argv) is not list or not all(type(a) is str for a in argv):
        raise ValueError("argv must be a list of strings")
    if "build" not in kwargs:
        raise ValueError("missing build")
    return BuildInfo(argv=tuple(argv), **kwargs)


def is_current_version(record: dict, name: str, line: int) -> bool:
    """True for a record of this format version; False for one to skip and count (no or an older
    version). A newer version stops the reading: this gotrace cannot know what its fields mean."""
    version = record.get("v")
    if version == FORMAT_VERSION:
        return True
    if type(version) is int and version > FORMAT_VERSION:
        raise TraceError(f"{name}: line {line} is trace format version {version}; this gotrace "
                         f"reads version {FORMAT_VERSION}: upgrade gotrace")
    return False


class LineBookkeeping:
    """What every trace reader keeps about the lines it has read, and the decisions that do not
    depend on which fields it then uses: skip-and-count, the format version, build records."""

    def __init__(self, name: str):
        self.name = name
        self.lines = 0
        self.skipped = 0
        self.first_bad_line: int | None = None
        self.probes = 0
        self.builds: dict[str, BuildInfo] = {}

    def _skip(self) -> None:
        self.skipped += 1
        if self.first_bad_line is None:
            self.first_bad_line = self.lines

    def _is_invocation(self, record: dict) -> bool:
        """True for an invocation record to read; a line of another version is skipped and counted,
        a build record is kept in `builds` (a malformed one skipped)."""
        if not is_current_version(record, self.name, self.lines):
            self._skip()
            return False
        if record.get("kind") == "build":
            try:
                info = build_info_from_dict(record)
            except ValueError:
                self._skip()
                return False
            self.builds[info.build] = info
            return False
        return True


class TraceReader(LineBookkeeping):
    """Streams events from a trace; counts (and skips) lines that are truncated or corrupt.

    >>> reader = TraceReader(open("trace.jsonl", "rb"))
    >>> for event in reader: ...
    >>> reader.skipped   # lines that could not be read
    """

    def __init__(self, stream: IO[bytes], *, name: str = "trace", keep_argv: bool = False,
                 include_probes: bool = False):
        super().__init__(name)
        self.stream = stream
        self.keep_argv = keep_argv
        self.include_probes = include_probes

    def __iter__(self) -> Iterator[Event]:
        keep_argv = self.keep_argv
        for raw in self.stream:
            self.lines += 1
            if not raw.strip():
                continue
            try:
                record = orjson.loads(raw)
                if type(record) is not dict:
                    raise ValueError("not an object")
            except (orjson.JSONDecodeError, ValueError):
                self._skip()
                continue
            if not self._is_invocation(record):
                continue
            try:
                event = event_from_dict(record, keep_argv=keep_argv)
            except (ValueError, TypeError):
                self._skip()
                continue
            if event.probe:
                self.probes += 1
                if not self.include_probes:
                    continue
            yield event


def open_trace(path: str, **options) -> TraceReader:
    """A TraceReader over a file ('-' for stdin), with a clear TraceError when it cannot be opened."""
    import sys

    if path == "-":
        return TraceReader(sys.stdin.buffer, name="<stdin>", **options)
    try:
        stream = open(path, "rb", buffering=1 << 20)
    except OSError as e:
        raise TraceError(f"cannot read trace {path}: {e.strerror}") from None
    return TraceReader(stream, name=path, **options)


def read_events(path: str, *, build: str | None = None, **options) -> tuple[list[Event], TraceReader]:
    """All events of a trace (optionally of one build), and the reader with its skip counts."""
    reader = open_trace(path, **options)
    events = [e for e in reader if build is None or e.build == build]
    if build is not None and not events:
        all_builds = builds_in(path)
        raise TraceError(f"{path}: no build {build!r}; builds in this trace: {', '.join(all_builds) or 'none'}")
    return events, reader


def builds_in(path: str) -> list[str]:
    """Build ids in order of first appearance."""
    seen: dict[str, None] = {}
    for event in open_trace(path, include_probes=True):
        seen.setdefault(event.build, None)
    return list(seen)


def write_events(events: Iterable[Event], out: IO[bytes]) -> int:
    n = 0
    for event in events:
        out.write(orjson.dumps(event.to_dict()) + b"\n")
        n += 1
    return n


def events_from_text(text: str, **options) -> list[Event]:
    """Parse trace text (used by tests and by importers that produce lines)."""
    return list(TraceReader(io.BytesIO(text.encode()), **options))
