"""Live progress of a traced build: what finished (from the trace) and what runs now (from /proc).

The shim writes a record when a tool ends, so tools still running are found as the go command's
child processes instead; on systems without /proc only finished work is shown.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from gotrace.events import TraceError, TraceReader

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass
class RunningTool:
    tool: str
    pkg: str
    seconds: float


@dataclass
class TraceTail:
    """Reads records appended to the trace since the last call, through the one trace reader, so
    that progress counts the invocations (and skipped lines) every command counts."""

    path: str
    offset: int = 0
    partial: bytes = b""
    packages_done: set = field(default_factory=set)
    records: int = 0  # invocations that ran a tool (version probes and cache hits left out)
    wall_ns: int = 0  # their total wall time
    reader: TraceReader = field(init=False)

    def __post_init__(self) -> None:
        self.reader = TraceReader((), name=self.path)

    @property
    def skipped(self) -> int:
        return self.reader.skipped

    def poll(self, final: bool = False) -> None:
        """Read what was appended; with `final` (the build is over) a last line without its newline
        is read too, as a command reading the file would."""
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except OSError:
            return
        self.offset += len(data)
        lines = (self.partial + data).split(b"\n")
        self.partial = b"" if final else lines.pop()
        self.reader.stream = lines
        try:
            for record in self.reader.records():
                if record.get("probe") or record.get("cached"):
                    continue
                self.records += 1
                self.wall_ns += record["wall_ns"]
                if record["tool"] == "compile" and record["pkg"]:
                    self.packages_done.add(record["pkg"])
        except TraceError:
            pass  # a newer format: the commands that read the trace will say so


def _boot_time() -> float | None:
    try:
        with open("/proc/uptime") as f:
            return time.time() - float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def running_tools(go_pid: int, shim: str) -> list[RunningTool]:
    """Tools the go command is running right now (children that are our shim), longest first."""
    boot = _boot_time()
    if boot is None:
        return []
    now = time.time()
    found = []
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                stat = f.read().rsplit(b")", 1)[1].split()
            if int(stat[1]) != go_pid:
                continue
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
        except (OSError, IndexError, ValueError):
            continue
        tool_args = _tool_args(argv, shim)
        if not tool_args:
            continue
        started = boot + int(stat[19]) / CLOCK_TICKS
        found.append(RunningTool(tool=os.path.basename(tool_args[0]), pkg=_package(tool_args, pid),
                                 seconds=max(0.0, now - started)))
    found.sort(key=lambda t: -t.seconds)
    return found


def _tool_args(argv: list[str], shim: str) -> list[str]:
    # The shim's interpreter runs with the shim's file and then the name it was run as: the shim
    # again under -toolexec, a compiler link (.../gcc) in compiler mode, whose argv is the tool's.
    for i, a in enumerate(argv):
        if a == shim or os.path.basename(a) == "gotrace-shim":
            rest = [x for x in argv[i + 1:] if not x.startswith("--")]
            while rest and (rest[0] == shim or os.path.basename(rest[0]) == "gotrace-shim"):
                rest = rest[1:]
            return rest
    return []


def _package(tool_args: list[str], pid: str) -> str:
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            for item in f.read().split(b"\0"):
                if item.startswith(b"TOOLEXEC_IMPORTPATH="):
                    return item.split(b"=", 1)[1].decode(errors="replace")
    except OSError:
        pass
    if "-p" in tool_args:
        i = tool_args.index("-p")
        if i + 1 < len(tool_args):
            return tool_args[i + 1]
    return ""


# in `go list -deps` output but never compiled: unsafe is built into the compiler, C is cgo's pseudo-package
NOT_COMPILED = frozenset({"unsafe", "C"})


def packages_to_compile(listing: bytes) -> int:
    """How many compiles a build runs, from `go list -e -deps [-test] -f {{.ImportPath}}`: one import
    path a line, test variants ("p [p.test]") included, as TOOLEXEC_IMPORTPATH names them."""
    names = {line.strip() for line in listing.decode(errors="replace").splitlines()}
    return len(names - NOT_COMPILED - {""})


def progress_line(elapsed: float, done: int, total: int | None, running: list[RunningTool], width: int) -> str:
    todo = f"/{total}" if total else ""
    line = f"gotrace: {elapsed:5.1f}s  {done}{todo} packages compiled"
    if running:
        slowest = running[0]
        line += f"  running {len(running)}: {slowest.tool} {slowest.pkg or '?'} {slowest.seconds:.1f}s"
    return line[: max(20, width - 1)]
