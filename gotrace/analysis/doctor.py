"""Diagnosis: the known ways a Go build goes slow or flaky, found in a trace and explained.

Each check is a pure function over one build's facts (`BuildFacts`, gathered from its records,
version probes included, in one pass; a list of events is gathered first) that returns Findings:
what was seen (with the invocations and numbers as evidence), why it matters and what to do.
Anything that needs the outside world (the machine's memory, go.mod files) comes in through
`Context`, so the checks stay testable on any trace.

Why facts, not events (profiled with cProfile and tracemalloc on 100,000 records of a real build,
benchmarks/bench_doctor_diff.py, a busy 2-core machine): the command kept every Event (250 MB; a
million records would not fit in a few GB) and ran parallelism() twice per build, for the cores
and the serial checks, each sweeping and bucketing every event in Python: 5.9 s user. One pass
now keeps columns of the invocations that ran, interned names, deps for the critical path, and
the few sets the other checks read; the sweeps are numpy, and only the concurrency steps that can
make a serial stretch reach serial_stretches: 2.2 s user and 80 MB at 100,000 records; 24 s CPU
(3.6x the orjson decode floor) and 440 MB at 1,000,000. What is left is reading: records() is
about 1.9x the floor (validation) and `BuildFacts.add` about 1.5x more, spread evenly over the
facts (a dict lookup per field read, the deps interned); the checks after it take 0.2 s per
100,000 records. The events view (compiled per record shape) costs 0.7x the floor more than
records(), which is why the command reads records, not Events.

A trace larger than 64 MB is read by two processes (commands._common.selected_in_parts), each
gathering the facts of its half, and the second half's facts of a build are `BuildFacts.merge`d
into the first's (rows renumbered, sets joined): the same findings, byte for byte. On the
1,000,000-record trace of bench_scale.py (load average 4-6 on 2 cores): 26.8 s wall (2.71x the
floor, which ran slow that time), 25.0 s CPU (3.57x), 428 MiB in one process -> 22.4-22.7 s CPU
(about 4x a floor measured at 5.4 s), ~490 MiB per process; the wall time falls with the second
core's share of the machine (from ~25 s to ~15 s when it is free; busy, it was 34-40 s).
"""
from __future__ import annotations

import re
from array import array
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from sys import intern
from typing import Callable

import numpy as np

from gotrace.analysis.coverage import C_COMPILERS, is_flag_check
from gotrace.analysis.parallelism import (
    load_of,
    machine_cores,
    serial_stretches,
    step_arrays,
    time_columns,
)
from gotrace.analysis.per_build import per_build
from gotrace.collapse import is_std
from gotrace.endings import interruption, signal_name, stopped_by_user
from gotrace.events import BuildInfo, Event, RowEvents, event_from_dict

SEVERITIES = ("info", "warning", "error")
GO_TOOLS = frozenset({"compile", "asm", "link", "cgo", "vet", "cover", "pack", "buildid", "fix", "nm",
                      "objdump", "covdata", "preprofile", "test2json", "trace", "pprof", "addr2line"})
# -march=native and friends compile for the CPU of the machine that builds, not the one that runs.
HOST_FLAG = re.compile(r"^-m(arch|cpu)=native$|^-mavx\w*$|^-mfma\w*$|^-mbmi\d?$|^-mavx512\w*$")
MAX_EVIDENCE = 12


@dataclass(frozen=True)
class Finding:
    check: str
    severity: str
    title: str
    evidence: tuple[str, ...]
    why: str
    fix: str
    build: str = ""

    def to_dict(self) -> dict:
        return {"check": self.check, "severity": self.severity, "title": self.title,
                "evidence": list(self.evidence), "why": self.why, "fix": self.fix, "build": self.build}


@dataclass(frozen=True)
class Context:
    """What the checks need beyond the trace; the defaults are the thresholds `--help` documents."""
    machine_memory_kib: int | None = None
    # cwd -> (go.mod path, its text) for the nearest go.mod at or above cwd, or None
    find_go_mod: Callable[[str], tuple[str, str] | None] = field(default=lambda cwd: None)
    hog_floor_kib: int = 256 * 1024
    hog_ratio: float = 8.0
    hog_machine_share: float = 0.25
    serial_floor_ns: int = 2_000_000_000
    serial_share: float = 0.2
    cache_share: float = 0.5
    cache_min_packages: int = 3
    link_machine_share: float = 0.25
    busy_min_ns: int = 2_000_000_000  # builds shorter than this say little about the machine
    starved_core_share: float = 0.5  # CPU per running tool under which tools were starved
    idle_core_share: float = 0.5  # average tools running per core under which cores idled


def diagnose(events: Iterable[Event], builds: dict[str, BuildInfo], context: Context = Context(),
             previous: Iterable[Event] = ()) -> list[Finding]:
    """Findings for every build in `events`, worst first. `previous` is the trace of the same build
    run just before (its last build counts); consecutive builds inside `events` are compared the
    same way, unless their build records show different go commands or directories."""
    return diagnose_facts(gather(e.to_dict() for e in events), builds, context,
                          previous_packages(e.to_dict() for e in previous))


def diagnose_facts(per_build: dict[str, BuildFacts], builds: dict[str, BuildInfo], context: Context = Context(),
                   previous: dict[str, Packages] | None = None) -> list[Finding]:
    """`diagnose` of facts gathered from records (`gather`, `previous_packages`): what the command
    runs, reading each trace once and keeping no events."""
    findings: list[Finding] = []
    before = list(previous.values())[-1] if previous else None
    before_info = None  # the user said --previous: the same build, wherever it ran
    for build, facts in per_build.items():
        info = builds.get(build)
        findings += check_failures(facts, build, info)
        findings += check_cgo_host_flags(facts, build)
        findings += check_toolchains(facts, build)
        findings += check_serial(facts, build, context)
        findings += check_memory(facts, build, info, context)
        findings += check_cores(facts, build, info, context)
        findings += check_go_mod_toolchain(facts, build, context)
        same = (before_info is None or info is None
                or (before_info.argv, before_info.cwd) == (info.argv, info.cwd))
        recompiled = (check_recompiled(before, facts.packages, build, info)
                      if before is not None and same else [])
        # "compiled again" names the cause more exactly than "the cache missed"; one finding is enough
        findings += recompiled or check_cache(facts, build, info, context)
        before, before_info = facts.packages, info
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(findings, key=lambda f: (-order[f.severity], f.check, f.build, f.title))


class Packages:
    """The packages a build compiled, and every package it knew of (compiled or linked, or named as
    a dependency): what `check_cache` and `check_recompiled` compare."""

    __slots__ = ("compiled", "known")

    def __init__(self) -> None:
        self.compiled: set[str] = set()
        self.known: set[str] = set()

    def add(self, tool: str, pkg: str, deps: list[str] | tuple[str, ...] | None) -> None:
        """One invocation that ran (not a version probe, not a cache hit)."""
        if tool == "compile" or tool == "link":
            if pkg:
                self.known.add(pkg)
                if tool == "compile":
                    self.compiled.add(pkg)
            if deps:
                self.known.update(deps)


_UNKNOWN = -1  # an absent CPU time or peak RSS in a column (both are never negative)


class BuildFacts:
    """What the checks need of one build, gathered in one pass over its records (`add`), so that
    a million-record trace is diagnosed without keeping its events: the invocations that ran as
    columns (start, wall, CPU, peak RSS, and (tool, package) as an index into `names`), with the
    dependencies and action ids only the critical path reads; the failed invocations whole; and,
    as sets, the versions, paths, C flags, working directories and packages the other checks read.
    """

    NUMBERS = ("start_ns", "wall_ns", "cpu_ns", "max_rss_kib")  # cpu and rss: _UNKNOWN when unknown

    def __init__(self, build: str):
        self.build = build
        self.names: list[tuple[str, str]] = []  # (tool, package), distinct
        self._name_ids: dict[tuple[str, str], int] = {}
        self.who = array("i")  # per invocation that ran: its index in names
        self._numbers = array("q")  # per invocation that ran: NUMBERS, one after the other
        self.deps: dict[int, tuple[str, ...]] = {}  # row -> deps of a compile or link
        self.actions: dict[int, tuple[str | None, tuple[str, ...] | None]] = {}  # row -> (action, action_deps)
        self.failed: list[Event] = []  # every failed invocation (version probes too), but flag checks
        self.versions: dict[str, set[str]] = defaultdict(set)  # -V=full version -> Go tools that printed it
        self.outside: dict[str, set[str]] = defaultdict(set)  # Go tool path outside GOROOT -> GOROOTs
        self._tool_paths: dict[str, tuple[str, str]] = {}  # tool -> its last (path, goroot)
        self.goversions: set[str] = set()
        self._goversion = self._cwd = None
        self.module_dirs: set[str] = set()  # cwds of invocations that ran for packages outside std
        self.compiler_cflags: dict[str, set[str]] = defaultdict(set)  # package -> C compiler arguments
        self.cgo_cflags: dict[str, set[str]] = defaultdict(set)  # package -> C flags the cgo tool got
        self.packages = Packages()
        self._columns: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.who)

    def add(self, record: dict) -> None:
        """One valid invocation record of this build (`TraceReader.records`)."""
        # `key in record` before a get for the fields most records lack: this runs once per record
        get = record.get
        tool, pkg = record["tool"], record["pkg"]
        probe = "probe" in record and record["probe"]
        if get("exit") or ("signal" in record or "error" in record) and (
                get("signal") is not None or get("error") is not None):  # Event.failed
            # coverage.is_flag_check on the record (a cgo build asks gcc about many flags, and "no"
            # is an answer): no Event for it
            if not (probe and tool in C_COMPILERS and get("output") == "/dev/null"):
                self.failed.append(event_from_dict(record, keep_argv=False))
        # Most records repeat the previous one's go version, directory and (per tool) path: a
        # comparison with it is cheaper than hashing the strings again (each record's are new).
        goversion = get("goversion")
        if goversion and goversion != self._goversion:
            self.goversions.add(goversion)
            self._goversion = goversion
        if tool in GO_TOOLS:
            if probe:
                version = get("version")
                if version:
                    self.versions[_version_of(version)].add(tool)
            path, goroot = get("path"), get("goroot")
            if path and goroot and self._tool_paths.get(tool) != (path, goroot):
                self._tool_paths[tool] = (path, goroot)
                if not path.startswith(goroot.rstrip("/") + "/"):
                    self.outside[path].add(goroot)
        if probe:
            return
        if "cflags" in record:
            cflags = record["cflags"]
            if cflags and tool in C_COMPILERS:
                self.compiler_cflags[pkg].update(map(intern, cflags))
            elif cflags and tool == "cgo":
                self.cgo_cflags[pkg].update(map(intern, cflags))
        if "cached" in record and record["cached"]:
            return
        row = len(self.who)
        name = self._name_ids.get((tool, pkg))
        if name is None:
            key = (intern(tool), intern(pkg))  # the one copy of the name that the sets below keep too
            name = self._name_ids[key] = len(self.names)
            self.names.append(key)
        self.who.append(name)
        user, sys_, rss = get("user_ns"), get("sys_ns"), get("max_rss_kib")
        self._numbers.extend((record["start_ns"], record["wall_ns"],
                              _UNKNOWN if user is None and sys_ is None else (user or 0) + (sys_ or 0),
                              _UNKNOWN if rss is None else rss))
        if tool == "compile" or tool == "link":
            deps = get("deps")
            if deps:  # one string per package, not one per mention: a trace names each many times
                deps = self.deps[row] = tuple(map(intern, deps))
            self.packages.add(tool, self.names[name][1], deps)
        if "action" in record or "action_deps" in record:
            action, action_deps = get("action"), get("action_deps")
            if action is not None or action_deps:
                self.actions[row] = (action, tuple(action_deps) if action_deps else None)
        cwd = get("cwd")
        if cwd and pkg and cwd != self._cwd and cwd not in self.module_dirs and not is_std(pkg):
            self.module_dirs.add(cwd)
            self._cwd = cwd

    def merge(self, later: BuildFacts) -> None:
        """Add the facts of the same build's records that follow this one's (a trace read in parts,
        events.read_in_parts): the rows after this one's rows, the names renumbered, the sets joined
        (the checks sort what they show of them, so the order they were seen in does not matter)."""
        rows = len(self)
        renumber = []
        for key in later.names:
            name = self._name_ids.get(key)
            if name is None:
                name = self._name_ids[key] = len(self.names)
                self.names.append(key)
            renumber.append(name)
        self.who.extend(array("i", map(renumber.__getitem__, later.who)))
        self._numbers.extend(later._numbers)
        self.deps.update({rows + row: deps for row, deps in later.deps.items()})
        self.actions.update({rows + row: action for row, action in later.actions.items()})
        self.failed.extend(later.failed)
        for mine, theirs in ((self.versions, later.versions), (self.outside, later.outside),
                             (self.compiler_cflags, later.compiler_cflags), (self.cgo_cflags, later.cgo_cflags)):
            for key, values in theirs.items():
                mine[key].update(values)
        self.goversions.update(later.goversions)
        self.module_dirs.update(later.module_dirs)
        self.packages.compiled.update(later.packages.compiled)
        self.packages.known.update(later.packages.known)
        self._columns = {}

    def column(self, name: str) -> np.ndarray:
        """`who` or one of NUMBERS as a numpy array (made once the gathering is done)."""
        column = self._columns.get(name)
        if column is None:
            if name == "who":
                column = np.frombuffer(self.who, np.int32) if len(self) else np.zeros(0, np.int32)
            else:
                numbers = np.frombuffer(self._numbers, np.int64) if len(self) else np.zeros(0, np.int64)
                column = numbers[self.NUMBERS.index(name)::len(self.NUMBERS)]
            self._columns[name] = column
        return column

    def event(self, row: int) -> Event:
        """The invocation of one row as an Event of the fields kept (what the critical path and the
        evidence lines read)."""
        tool, pkg = self.names[self.who[row]]
        start, wall, _, rss = self._numbers[row * 4:row * 4 + 4]
        action, action_deps = self.actions.get(row, (None, None))
        return Event(build=self.build, tool=tool, pkg=pkg, start_ns=start, wall_ns=wall,
                     max_rss_kib=None if rss == _UNKNOWN else rss, deps=self.deps.get(row), action=action,
                     action_deps=action_deps)


def gather(records: Iterable[dict]) -> dict[str, BuildFacts]:
    """The facts of each build in `records` (valid invocation records, version probes included),
    in order of first appearance."""
    return per_build(records, BuildFacts)


def previous_packages(records: Iterable[dict]) -> dict[str, Packages]:
    """The packages of each build of a previous trace, for `check_recompiled`."""
    per_build: dict[str, Packages] = {}
    for record in records:
        packages = per_build.get(record["build"])
        if packages is None:
            packages = per_build[record["build"]] = Packages()
        if not record.get("probe") and not record.get("cached"):
            packages.add(record["tool"], record["pkg"], record.get("deps"))
    return per_build


def _facts(events: BuildFacts | Iterable[Event]) -> BuildFacts:
    """The checks take a build's facts; a list of events (one build's) is gathered first."""
    if isinstance(events, BuildFacts):
        return events
    facts = BuildFacts("")
    for e in events:
        facts.add(e.to_dict())
    return facts


def _who(e: Event) -> str:
    return f"{e.tool} {e.pkg or '(probe)'}"


def _s(ns: int) -> str:
    return f"{ns / 1e9:.1f} s"


def _mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def _cap(lines: list[str]) -> tuple[str, ...]:
    if len(lines) > MAX_EVIDENCE:
        return tuple(lines[:MAX_EVIDENCE]) + (f"... and {len(lines) - MAX_EVIDENCE} more",)
    return tuple(lines)


def check_failures(events: BuildFacts | Iterable[Event], build: str, info: BuildInfo | None = None) -> list[Finding]:
    """Failed, killed and timed-out invocations, one finding per kind of end. A signal from the user
    (Ctrl-C, SIGTERM) is told apart from SIGKILL, which is what the out-of-memory killer sends. A C
    compiler flag check that says no is go asking, not a failure."""
    kinds: dict[str, list[str]] = defaultdict(list)
    if info is not None and info.interrupted:
        kinds["interrupted"].append(f"the go command: {interruption(info.interrupted)}")
    failed = [e for e in _facts(events).failed if not is_flag_check(e)]
    for e in sorted(failed, key=lambda e: (e.start_ns, e.tool, e.pkg)):
        rss = f", peak {_mib(e.max_rss_kib)}" if e.max_rss_kib is not None else ""
        if e.limit == "timeout":
            kinds["timeout"].append(f"{_who(e)}: killed by the time limit after {_s(e.wall_ns)}")
        elif e.limit == "memory":
            kinds["memory-limit"].append(f"{_who(e)}: killed by the memory limit after {_s(e.wall_ns)}{rss}")
        elif e.error is not None:
            kinds["failed"].append(f"{_who(e)}: could not start: {e.error}")
        elif e.signal == 9:
            kinds["killed"].append(f"{_who(e)}: killed by SIGKILL after {_s(e.wall_ns)}{rss}")
        elif stopped_by_user(e.signal):
            kinds["interrupted"].append(f"{_who(e)}: stopped by {signal_name(e.signal)} after {_s(e.wall_ns)}")
        elif e.signal is not None:
            kinds["crashed"].append(f"{_who(e)}: ended by {signal_name(e.signal)} after {_s(e.wall_ns)}")
        else:
            kinds["failed"].append(f"{_who(e)}: exit status {e.exit} after {_s(e.wall_ns)}")
    probe_failed = any(e.probe for e in failed)
    text = {
        "failed": ("{n} tool invocation(s) failed",
                   ("A failed tool fails the build." + (
                       " A version probe that fails changes the cache key on every build, so nothing "
                       "that depends on it is ever cached." if probe_failed else "")),
                   ("Read the go command's output for the failing package; run the build again with "
                    "`go build -x` to see the exact command line.")),
        "killed": ("{n} tool invocation(s) killed by a signal",
                   ("A tool killed by SIGKILL that no limit of ours stopped was most likely taken by the "
                    "kernel's out-of-memory killer: the build's memory use is above what the machine has."),
                   ("Check `dmesg` for oom-kill lines; lower the build's parallelism (`go build -p 1`), "
                    "set GOMEMLIMIT for the toolchain, or build on a machine with more memory.")),
        "interrupted": ("the build was stopped before it finished",
                        ("SIGINT, SIGTERM and SIGHUP come from a person or a supervisor (Ctrl-C, `kill`, a "
                         "cancelled CI job), not from the build: the tools they stopped did not fail on their "
                         "own, and the trace holds only what ran until then."),
                        "Nothing to fix in the build; let it run to the end for a complete trace."),
        "crashed": ("{n} tool invocation(s) crashed",
                    ("A tool that dies of a signal such as SIGSEGV, SIGBUS or SIGABRT crashed: a toolchain "
                     "bug, or memory or disk trouble on this machine."),
                    ("Run the build again; if the same tool crashes on the same package, report it with the "
                     "tool's command line (`go build -x`) to the Go issue tracker.")),
        "timeout": ("{n} tool invocation(s) hit the time limit",
                    ("The tool ran longer than --tool-timeout and was killed with its process group, so "
                     "the build failed fast instead of hanging."),
                    ("Find out why this package takes so long (`gotrace flame`, `gotrace run --phases`); "
                     "split it, or raise --tool-timeout if the time is expected.")),
        "memory-limit": ("{n} tool invocation(s) hit the memory limit",
                         ("The tool's resident memory passed --tool-memory and it was killed before it "
                          "could take the machine down."),
                         ("Split the package (a huge generated file or composite literal is the usual "
                          "cause), or raise --tool-memory if the machine can afford it.")),
    }
    findings = []
    for kind, lines in kinds.items():
        title, why, fix = text[kind]
        severity = "info" if kind == "interrupted" else "error"
        findings.append(Finding(kind, severity, title.format(n=len(lines)), _cap(lines), why, fix, build))
    return findings


def _c_flags_by_package(facts: BuildFacts) -> dict[str, tuple[str, set[str]]]:
    """Per cgo package, where its C flags come from and the flags: the C compiler's own arguments
    when the trace has its runs (what really compiled, CC's and the go command's flags included),
    else the flags the cgo tool was given."""
    out = {pkg: ("cgo C flags", flags) for pkg, flags in facts.cgo_cflags.items()}
    out.update({pkg: ("C compiler flags", flags) for pkg, flags in facts.compiler_cflags.items()})
    return out


def check_cgo_host_flags(events: BuildFacts | Iterable[Event], build: str) -> list[Finding]:
    lines, debug = [], []
    for pkg, (source, flags) in sorted(_c_flags_by_package(_facts(events)).items()):
        host = sorted(f for f in flags if HOST_FLAG.match(f))
        if host:
            lines.append(f"{pkg}: {source} include {' '.join(host)}")
        slow = sorted(f for f in flags if f in ("-O0", "-g3", "-ggdb3"))
        if slow:
            debug.append(f"{pkg}: {source} include {' '.join(slow)}")
    findings = []
    if lines:
        findings.append(Finding(
            "cgo-host-flags", "warning", f"{len(lines)} cgo package(s) compiled for this machine's CPU only",
            tuple(lines),
            "-march=native and -mavx* make the C compiler use the instructions of the CPU that builds; the "
            "binary then dies with SIGILL (illegal instruction) on an older CPU, and the cache key differs "
            "from machine to machine.",
            "Drop the flag from the package's `#cgo CFLAGS:` line (or from CGO_CFLAGS or CC) and name a "
            "portable target instead, e.g. CGO_CFLAGS='-O2 -g -march=x86-64-v2'; select AVX code at run "
            "time (golang.org/x/sys/cpu) rather than at build time.", build))
    if debug:
        findings.append(Finding(
            "cgo-debug-flags", "info", f"{len(debug)} cgo package(s) with C compiled for debugging",
            tuple(debug),
            "-O0 leaves the C code unoptimised (slow at run time) and -g3 adds macro definitions to the "
            "debug info (larger objects, slower links); fine for a debug build, not for a release.",
            "Build releases with the default CGO_CFLAGS ('-O2 -g') or set it explicitly in the release "
            "job; keep -O0/-g3 to local debugging.", build))
    return findings


def _version_of(version: str) -> str:
    # "compile version go1.27.3" -> "go1.27.3"; gcc prints a different shape and is not a Go tool.
    text = version.strip()
    return text.split(" version ", 1)[1] if " version " in text else text


def check_toolchains(events: BuildFacts | Iterable[Event], build: str) -> list[Finding]:
    """Go tools from more than one toolchain: differing -V=full versions or paths outside GOROOT."""
    facts = _facts(events)
    versions, outside = facts.versions, facts.outside
    lines = [f"{', '.join(sorted(tools))}: {v}" for v, tools in sorted(versions.items())]
    lines += [f"{path} is outside the go command's GOROOT {', '.join(sorted(roots))}"
              for path, roots in sorted(outside.items())]
    if len(versions) <= 1 and not outside:
        return []
    severity = "error" if len(versions) > 1 else "warning"
    title = (f"tools of {len(versions)} Go versions in one build" if len(versions) > 1
             else f"{len(outside)} Go tool(s) run from outside GOROOT")
    return [Finding(
        "mixed-toolchain", severity, title, _cap(lines),
        "The go command keys its cache on each tool's -V=full version and expects its own tools: a "
        "compiler or linker from another toolchain (a -toolexec that swaps it, GOROOT pointing elsewhere, "
        "a stale copy on PATH) gives objects that do not link, builds that differ between machines, or a "
        "cache that never hits.",
        "Run the tools of the go command's own GOROOT (`go env GOROOT`); check -toolexec wrappers, GOROOT "
        "and PATH on the machine that built.", build)]


_GO_VERSION = re.compile(r"go(\d+)(?:\.(\d+))?(?:\.(\d+))?")


def _version_key(v: str) -> tuple[int, ...] | None:
    m = _GO_VERSION.match(v.strip())
    return tuple(int(g or 0) for g in m.groups()) if m else None


def check_go_mod_toolchain(events: BuildFacts | Iterable[Event], build: str, context: Context) -> list[Finding]:
    facts = _facts(events)
    if len(facts.goversions) != 1:
        return []
    (goversion,) = facts.goversions
    seen: set[str] = set()
    findings = []
    for cwd in sorted(facts.module_dirs):
        found = context.find_go_mod(cwd)
        if found is None or found[0] in seen:
            continue
        path, text = found
        seen.add(path)
        m = re.search(r"^toolchain\s+(\S+)", text, re.MULTILINE)
        if not m or m.group(1) == goversion or m.group(1) == "default":
            continue
        want, have = _version_key(m.group(1)), _version_key(goversion)
        older = want is not None and have is not None and have < want
        findings.append(Finding(
            "go-mod-toolchain", "warning" if older else "info",
            f"go.mod asks for {m.group(1)}, {goversion} built",
            (f"{path}: toolchain {m.group(1)}", f"the tools ran with GOVERSION={goversion}"),
            ("An older toolchain than go.mod asks for ran (GOTOOLCHAIN=local or a pinned go): the "
             "build is not the one CI or your colleagues get." if older else
             "A newer toolchain than go.mod's toolchain line ran; builds on machines that honour the "
             "line use another compiler and do not share cache entries."),
            f"Build with {m.group(1)} (GOTOOLCHAIN=auto or that go on PATH), or update the line with "
            f"`go get toolchain@{goversion}`.", build))
    return findings


def _median(values: np.ndarray) -> float:
    n = len(values)
    if n == 0:
        return 0.0
    values = np.sort(values)
    low, high = int(values[(n - 1) // 2]), int(values[n // 2])
    return high if n % 2 else (low + high) / 2


def check_memory(events: BuildFacts | Iterable[Event], build: str, info: BuildInfo | None,
                 context: Context) -> list[Finding]:
    """Compiles far above the build's other compiles; links judged against the machine's memory
    (a big binary's link needs hundreds of MiB by nature); what the tools running at once need."""
    facts = _facts(events)
    rss = facts.column("max_rss_kib")
    ran = np.flatnonzero(rss != _UNKNOWN)  # the rows that know their peak
    if not len(ran):
        return []
    rss = rss[ran]
    machine = context.machine_memory_kib
    findings = []
    link_name = np.array([tool == "link" for tool, _ in facts.names], bool)
    linked = link_name[facts.column("who")[ran]]
    compiles, compile_rss = ran[~linked], rss[~linked]
    typical = _median(compile_rss)  # robust: a hog or two barely move it
    # only the compiles past one of the bounds below become events: the rest cannot be hogs
    past = compile_rss >= context.hog_machine_share * machine if machine is not None else False
    if len(compiles) > 1:
        past = past | ((compile_rss >= context.hog_floor_kib) & (compile_rss >= context.hog_ratio * typical))
    candidates = [facts.event(row) for row in compiles[past].tolist()] if np.any(past) else []
    hogs = []
    for e in sorted(candidates, key=lambda e: (-e.max_rss_kib, e.pkg, e.tool)):
        big_for_machine = machine is not None and e.max_rss_kib >= context.hog_machine_share * machine
        far_above = (len(compiles) > 1 and e.max_rss_kib >= context.hog_floor_kib
                     and e.max_rss_kib >= context.hog_ratio * typical and not is_std(e.pkg))
        if far_above or big_for_machine:
            share = f", {100 * e.max_rss_kib / machine:.0f}% of the machine's memory" if machine else ""
            ratio = e.max_rss_kib / max(typical, 1)
            line = (f"{_who(e)}: peak {_mib(e.max_rss_kib)}, {ratio:.0f}x the median compile "
                    f"({_mib(int(typical))}){share}")
            hogs.append((line, big_for_machine))
    if hogs:
        findings.append(Finding(
            "memory-hog", "error" if any(h[1] for h in hogs) else "warning",
            f"{len(hogs)} compile(s) use far more memory than the rest", _cap([h[0] for h in hogs]),
            "One package's compile holding hundreds of MiB or more sets the memory the whole build needs; "
            "with other tools running beside it at -p N it can push the machine into swap or the OOM "
            "killer.",
            "Split the package (huge generated files and composite literals are the usual cause: move "
            "the data to go:embed); or build with a lower -p, or GOMEMLIMIT/GOGC for the toolchain.", build))

    big_links = ran[linked & (rss >= context.link_machine_share * machine)] if machine else ran[:0]
    links = sorted((facts.event(row) for row in big_links.tolist()), key=lambda e: (-e.max_rss_kib, e.pkg))
    if links:
        findings.append(Finding(
            "link-memory", "error" if links[0].max_rss_kib >= 0.5 * machine else "warning",
            f"{len(links)} link(s) need {100 * links[0].max_rss_kib / machine:.0f}% or less of the machine's memory",
            _cap([f"{_who(e)}: peak {_mib(e.max_rss_kib)} of the machine's {_mib(machine)}" for e in links]),
            "A link holds the whole program: a big binary's link needs hundreds of MiB to GiBs by nature, "
            "which is fine where it fits; this one takes a large share of this machine, so two links or a "
            "link beside big compiles can run it out of memory.",
            "Link fewer binaries at once (build them in separate go commands or with a lower -p), drop "
            "DWARF where it is not needed (-ldflags=-w), or give the build more memory.", build))

    if not machine:
        return findings
    parallelism = (info.parallelism if info and info.parallelism else None) or (info.cores if info else None)
    starts, walls = facts.column("start_ns")[ran], facts.column("wall_ns")[ran]
    peak_sum, peak_at = _peak_concurrent_rss(facts, ran, starts, walls, rss)
    p = parallelism or max(1, _peak(starts, walls))
    worst = int(np.sort(rss)[::-1][:p].sum())
    if (worst >= 0.8 * machine or peak_sum >= 0.5 * machine):
        # what really ran at once is evidence; the p largest meeting is only a possibility
        severity = "error" if peak_sum >= 0.8 * machine else "warning" if peak_sum >= 0.5 * machine else "info"
        findings.append(Finding(
            "memory-concurrency", severity,
            f"at -p {p} the build can need {_mib(worst)} of {_mib(machine)}",
            (f"peak memory of tools running at once: {_mib(peak_sum)} ({_names(peak_at)})",
             f"the {p} largest invocations together: {_mib(worst)}",
             f"machine memory: {_mib(machine)}"),
            "The go command runs up to -p tools at once (default: the number of CPUs); when the big ones "
            "meet, their peaks add up and the build swaps or is OOM-killed, depending on scheduling.",
            f"Lower the parallelism (`go build -p {max(1, p // 2)}` or GOMAXPROCS for the go command), set "
            "GOMEMLIMIT for the toolchain, or split the largest packages.", build))
    return findings


@dataclass(frozen=True)
class _Load:
    """The figures of parallelism.Parallelism that check_cores reads, from the columns."""
    cores: int
    cores_source: str
    limit: int | None
    average: float
    utilisation: float


def check_cores(events: BuildFacts | Iterable[Event], build: str, info: BuildInfo | None,
                context: Context = Context()) -> list[Finding]:
    """How the build used the machine's cores: tools that ran but got little CPU (an oversubscribed
    machine), or cores left idle because the dependencies allowed no more. Info only: both say
    as much about the machine and its load at that moment as about the code, so a gate on them
    would fail at random."""
    from gotrace.analysis.critical_path import critical_path

    facts = _facts(events)
    n = len(facts)
    cpu = facts.column("cpu_ns")
    known = cpu != _UNKNOWN
    if n < 2 or int(known.sum()) < 0.9 * n:
        return []  # CPU time unknown (an imported action graph of another tool's): nothing to judge
    cores, source = machine_cores(info)
    span, average, utilisation = load_of(facts.column("start_ns"), facts.column("wall_ns"), int(cpu[known].sum()),
                                         cores)
    par = _Load(cores, source, info.parallelism if info is not None else None, average, utilisation)
    if span < context.busy_min_ns or par.cores < 2:
        return []
    use = f"{100 * par.utilisation:.0f}% CPU use of {par.cores} cores"
    at_once = f"{par.average:.1f} tools running on average"
    # a compile uses a core or more while it runs on a machine of its own
    per_tool = par.utilisation * par.cores / par.average if par.average else 0.0
    if par.average >= 0.5 and per_tool < context.starved_core_share:
        lines = [f"{use} ({par.cores_source}) with {at_once}: {per_tool:.2f} of a core per running tool, "
                 f"over {_s(span)}"]
        if par.limit and par.limit > par.cores:
            lines.append(f"-p {par.limit} on {par.cores} cores")
        return [Finding(
            "oversubscribed", "info", f"tools ran but got little CPU: {use} with {at_once}", tuple(lines),
            "The tools were running but waiting most of the time: for CPUs taken by other processes (a "
            "shared CI runner, another build, a VM's stolen time), for disk, or for swap. The build's wall "
            "time then says little about the code.",
            "Give the build a machine (or container CPU quota) of its own, check `top`/`vmstat` for steal, "
            "swap and I/O wait while it runs, and keep -p at most the cores you really have.", build)]
    if par.average < context.idle_core_share * par.cores:
        if par.limit and par.limit < par.cores:
            return [Finding(
                "idle-cores", "info", f"cores left idle by -p {par.limit} on {par.cores} cores",
                (f"{use} ({par.cores_source}), {at_once}, over {_s(span)}",),
                "The go command runs at most -p actions at once; below the number of cores, the rest idle.",
                "Drop -p (it defaults to the number of cores) unless memory is why it is there; "
                "`gotrace summary` predicts the wall time for each -p.", build)]
        path = critical_path([facts.event(row) for row in range(n)], par.limit)
        floor = path.length_ns if path else 0
        return [Finding(
            "idle-cores", "info", f"cores left idle: {use} with {at_once}",
            (f"{use} ({par.cores_source}), {at_once}, over {_s(span)}",
             f"dependency floor (longest chain of real dependencies): {_s(floor)} of the {_s(span)} wall",
             f"packages on it: {_names(path.packages if path else [])}"),
            "The build could not keep the machine busy: each package waits for the packages it imports, "
            "so a long chain of dependencies leaves cores idle whatever their number.",
            "Shorten the dependency critical path (`gotrace summary`): split or slim the slow packages on "
            "it, cut imports that serialise the build; more cores will not help (see the what-if curve).",
            build)]
    return []


def _names(names: list[str], most: int = 6) -> str:
    return ", ".join(names[:most]) + (", ..." if len(names) > most else "")


def _peak_concurrent_rss(facts: BuildFacts, rows: np.ndarray, starts: np.ndarray, walls: np.ndarray,
                         rss: np.ndarray) -> tuple[int, list[str]]:
    """The most memory the tools running at once held (their peaks added), and who they were: a
    sweep over starts and ends in time order, ends before starts at a tie (then in trace order). A
    tool runs over [start, end), at least its first nanosecond (parallelism.occupied_end), so one
    that took no time counts at its instant and never after it."""
    n = len(rows)
    ends = np.where(walls > 0, starts + walls, starts + 1)
    times = np.concatenate((ends, starts))
    order = np.lexsort((np.tile(np.arange(n), 2), np.repeat((0, 1), n), times))
    total = np.cumsum(np.concatenate((-rss, rss))[order])
    at = int(np.argmax(total))  # the first time the sum reached its largest
    best = int(total[at])
    if best <= 0:
        return 0, []
    position = np.empty(2 * n, np.int64)
    position[order] = np.arange(2 * n)
    ended, started = position[:n], position[n:]
    running = (started <= at) & (ended > at)
    return best, sorted(_who(facts.event(row)) for row in rows[running].tolist())


def _peak(starts: np.ndarray, walls: np.ndarray) -> int:
    """Most invocations running at one instant (parallelism's sweep)."""
    _, running = step_arrays(starts, walls)
    return int(running.max()) if len(running) else 0


def _peak_running(events: Sequence[Event]) -> int:
    return max(1, _peak(*time_columns(events)))


def check_serial(events: BuildFacts | Iterable[Event], build: str, context: Context = Context()) -> list[Finding]:
    """The serial stretches `summary` lists (parallelism.serial_stretches) in which one invocation
    ran alone long enough to matter here."""
    facts = _facts(events)
    if len(facts) < 2:
        return []
    starts, walls = facts.column("start_ns"), facts.column("wall_ns")
    start = int(starts.min())
    span = int((starts + walls).max()) - start
    floor = max(context.serial_floor_ns, context.serial_share * span)
    times, running = step_arrays(starts, walls)
    stretches = serial_stretches(RowEvents(facts), times, running, start, span, columns=(starts, walls))
    lines = []
    for st in sorted(stretches, key=lambda st: (-st.alone_ns, st.start_ns)):
        e = st.invocation
        # The standard library compiles alone at the start of a cold build whatever the user does;
        # the cache check covers that cost.
        if e is not None and st.alone_ns >= floor and not is_std(e.pkg):
            lines.append(f"{_who(e)} ran alone for {_s(st.alone_ns)} of the build's {_s(span)} "
                         f"({100 * st.alone_ns / span:.0f}%)")
    if not lines:
        return []
    return [Finding(
        "serial-bottleneck", "warning", f"{len(lines)} invocation(s) ran alone for long stretches",
        tuple(lines),
        "While one tool runs alone the other cores idle: everything after it waits, so its time adds "
        "straight to the build's wall time.",
        "Split the package so its parts compile in parallel, or cut what depends on it; for a link, "
        "drop DWARF in development builds (-ldflags=-w).", build)]


def check_cache(events: BuildFacts | Iterable[Event], build: str, info: BuildInfo | None,
                context: Context) -> list[Finding]:
    """A build that was not cold (by its build record) but still compiled most of its packages."""
    if info is None or info.cold:
        return []
    packages = _facts(events).packages
    compiled, known = packages.compiled, packages.known
    if len(compiled) < context.cache_min_packages or len(compiled) < context.cache_share * len(known):
        return []
    return [Finding(
        "cache-misses", "warning",
        f"{len(compiled)} of {len(known)} known packages compiled in a build that was not cold",
        _cap([f"compiled: {p}" for p in sorted(compiled)]),
        "With a working build cache a rebuild compiles only what changed; compiling most packages means "
        "the cache was empty, not kept between runs (CI without a cached GOCACHE, a tmpfs), or keyed "
        "differently each time.",
        "Keep GOCACHE between builds (cache `go env GOCACHE` in CI); trace two builds back to back and "
        "run `gotrace doctor second.jsonl --previous first.jsonl` to find what does not stay cached.",
        build)]


def check_recompiled(before: Packages, after: Packages, build: str, info: BuildInfo | None) -> list[Finding]:
    """Packages compiled again in a build run right after another one of the same packages."""
    if info is not None and info.cold:
        return []
    again = set(after.compiled)
    known = before.known
    if known:
        again &= known
    if not again:
        return []
    return [Finding(
        "recompiled", "warning", f"{len(again)} package(s) compiled again in the second of two builds",
        _cap(sorted(again)),
        "Nothing should compile when the same build runs twice: something enters the cache key that "
        "changes between runs (a -V=full version that changes, a C compiler probe that fails, generated "
        "files rewritten with a timestamp, an environment variable such as CGO_CFLAGS that differs).",
        "Diff the two builds' inputs for these packages: `go build -x` both times, compare the flags "
        "and environment; stop generators from rewriting unchanged files.", build)]
