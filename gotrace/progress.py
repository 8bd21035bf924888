"""Live progress of a traced build: what finished (from the trace) and what runs now (from /proc).

The shim writes a record when a tool ends, so tools still running are found as the go command's
child processes instead; on systems without /proc only finished work is shown.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import orjson

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass
class RunningTool:
    tool: str
    pkg: str
    seconds: float


@dataclass
class TraceTail:
    """Reads records appended to the trace since the last call."""

    path: str
    offset: int = 0
    partial: bytes = b""
    packages_done: set = field(default_factory=set)
    records: int = 0

    def poll(self) -> None:
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except OSError:
            return
        self.offset += len(data)
        data = self.partial + data
        lines = data.split(b"\n")
        self.partial = lines.pop()
        for line in lines:
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if type(record) is not dict or record.get("kind") == "build" or record.get("probe"):
                continue
            self.records += 1
            if record.get("tool") == "compile" and record.get("pkg"):
                self.packages_done.add(record["pkg"])


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


def progress_line(elapsed: float, done: int, total: int | None, running: list[RunningTool], width: int) -> str:
    todo = f"/{total}" if total else ""
    line = f"gotrace: {elapsed:5.1f}s  {done}{todo} packages compiled"
    if running:
        slowest = running[0]
        line += f"  running {len(running)}: {slowest.tool} {slowest.pkg or '?'} {slowest.seconds:.1f}s"
    return line[: max(20, width - 1)]
