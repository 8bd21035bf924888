"""Wiring a go command for tracing: where -toolexec goes, what the shim is told, what is kept of the user's.

`prepare_build` is pure (argv and environment in, argv and environment out) so the rules below are
tested without running go; `gotrace.commands.run` runs the result.
"""
from __future__ import annotations

import os
import shlex
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

# go subcommands that run the build tools and accept build flags
BUILD_SUBCOMMANDS = ("build", "install", "test", "vet", "run", "list")
WRAP_SEPARATOR = "\x1f"  # joins the words of a chained -toolexec in GOTRACE_WRAP


class CaptureError(Exception):
    """The command cannot be traced as given; the message says what to do instead."""


@dataclass
class PreparedBuild:
    argv: list[str]
    env: dict[str, str]
    chained: list[str] = field(default_factory=list)  # the user's own -toolexec, now run by the shim
    parallelism: int | None = None


def find_shim() -> str:
    """The installed gotrace-shim: beside this interpreter (a virtualenv's bin/), else on PATH."""
    override = os.environ.get("GOTRACE_SHIM")
    if override:
        return os.path.abspath(override)
    beside = Path(sys.executable).with_name("gotrace-shim")
    if beside.exists():
        return str(beside)
    found = shutil.which("gotrace-shim")
    if found:
        return os.path.abspath(found)
    raise CaptureError("gotrace-shim is not installed next to gotrace; reinstall with `pip install gotrace`")


def _toolexec_in_args(args: list[str]) -> tuple[list[str], str | None]:
    """Remove -toolexec (any spelling) from go's flags; returns the rest and its value."""
    rest: list[str] = []
    value = None
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            rest.extend(args[i:])
            break
        name, eq, v = a.lstrip("-").partition("=")
        if a.startswith("-") and name == "toolexec":
            if eq:
                value = v
            elif i + 1 < len(args):
                value = args[i + 1]
                i += 1
            else:
                raise CaptureError("-toolexec needs a value")
        else:
            rest.append(a)
        i += 1
    return rest, value


def _toolexec_in_goflags(goflags: str) -> tuple[str, str | None]:
    words = goflags.split()
    rest, value = _toolexec_in_args(words)
    return " ".join(rest), value


def _parallelism(args: list[str]) -> int | None:
    for i, a in enumerate(args):
        if a == "-p" and i + 1 < len(args) and args[i + 1].isdigit():
            return int(args[i + 1])
        if a.startswith("-p=") and a[3:].isdigit():
            return int(a[3:])
    return None


def prepare_build(command: list[str], env: dict[str, str], *, shim: str, trace: str, build_id: str,
                  gocache: str | None = None, phases: bool = False, tool_timeout: float | None = None,
                  tool_memory: int | None = None, extra_flags: list[str] = ()) -> PreparedBuild:
    """The go command line and environment that trace `command` into `trace`.

    A -toolexec the user already has (in the command or in GOFLAGS) is chained, never dropped: the
    shim runs it with the tool's command line, so their wrapper still sees every tool.
    """
    if not command:
        raise CaptureError("no command given; example: gotrace run -- go build ./...")
    go = command[0]
    if os.path.basename(go) not in ("go", "go.exe") and not os.path.basename(go).startswith("go1"):
        raise CaptureError(f"expected a go command after --, got {go!r}; example: gotrace run -- go build ./...")
    if len(command) < 2 or command[1] not in BUILD_SUBCOMMANDS:
        sub = command[1] if len(command) > 1 else "(none)"
        raise CaptureError(f"`go {sub}` runs no build tools; trace one of: "
                           + ", ".join(f"go {s}" for s in BUILD_SUBCOMMANDS))
    subcommand = command[1]
    flags, user_toolexec = _toolexec_in_args(command[2:])
    env = dict(env)
    goflags, goflags_toolexec = _toolexec_in_goflags(env.get("GOFLAGS", ""))
    if user_toolexec and goflags_toolexec:
        raise CaptureError("-toolexec is set both on the command line and in GOFLAGS; keep one")
    chained_text = user_toolexec or goflags_toolexec
    if goflags_toolexec:
        if goflags:
            env["GOFLAGS"] = goflags
        else:
            env.pop("GOFLAGS", None)
    chained = shlex.split(chained_text) if chained_text else []
    if chained:
        tool = shutil.which(chained[0], path=env.get("PATH"))
        if tool is None:
            raise CaptureError(f"your -toolexec program {chained[0]!r} is not on PATH")
        chained[0] = os.path.abspath(tool)
        env["GOTRACE_WRAP"] = WRAP_SEPARATOR.join(chained)
    else:
        env.pop("GOTRACE_WRAP", None)

    # go splits -toolexec on spaces but honours quotes, so a path with spaces still works
    toolexec = shim if " " not in shim else "'" + shim + "'"
    argv = [go, subcommand, "-toolexec=" + toolexec, *extra_flags, *flags]
    env["GOTRACE_FILE"] = os.path.abspath(trace)
    env["GOTRACE_BUILD_ID"] = build_id
    for name in ("GOTRACE_PHASES", "GOTRACE_TOOL_TIMEOUT", "GOTRACE_TOOL_MEMORY"):
        env.pop(name, None)
    if phases:
        env["GOTRACE_PHASES"] = "1"
    if tool_timeout:
        env["GOTRACE_TOOL_TIMEOUT"] = repr(float(tool_timeout))
    if tool_memory:
        env["GOTRACE_TOOL_MEMORY"] = str(int(tool_memory))
    if gocache:
        env["GOCACHE"] = gocache
    return PreparedBuild(argv=argv, env=env, chained=chained, parallelism=_parallelism(flags))


_SIZE_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mb": 1 << 20,
               "mib": 1 << 20, "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30}


def parse_size(text: str) -> int:
    """'512M', '2GiB', '1048576' -> bytes."""
    s = text.strip().lower()
    number = s.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = s[len(number):]
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"not a size: {text!r} (examples: 512M, 2G)") from None
    if unit not in _SIZE_UNITS or value <= 0:
        raise ValueError(f"not a size: {text!r} (examples: 512M, 2G)")
    return int(value * _SIZE_UNITS[unit])


def compiler_names(cc_values: list[str]) -> tuple[list[str], list[str]]:
    """From the values of CC and CXX (as `go env` prints them): the bare compiler names to wrap,
    and the ones given as paths, which the go command runs without a PATH lookup."""
    bare, paths = [], []
    for value in cc_values:
        try:
            words = shlex.split(value)
        except ValueError:
            continue
        if not words:
            continue
        (paths if "/" in words[0] else bare).append(words[0])
    return bare, paths


def c_compiler_env(env: dict[str, str], cc_dir: str) -> dict[str, str]:
    """The environment that brings the go command's C compiler runs to the shim: our compiler
    directory first on PATH. CC's value and `gcc -###` stay the same, so the build cache is shared
    with untraced builds; the shim takes the directory out of the real compiler's PATH again."""
    env = dict(env)
    env["PATH"] = cc_dir + os.pathsep + env.get("PATH", "")
    return env


def wrap_c_compilers(prepared: PreparedBuild, shim: str, workdir: str) -> str | None:
    """Set `prepared` up so that cgo's C compiles are recorded; returns a note for the user when
    some cannot be (CC or CXX is a path) or nothing could be set up."""
    import subprocess

    go = prepared.argv[0]
    try:
        out = subprocess.run([go, "env", "CC", "CXX"], env=prepared.env, capture_output=True,
                             text=True, timeout=60)
        values = out.stdout.splitlines() if out.returncode == 0 else []
    except (OSError, subprocess.SubprocessError):
        values = []
    bare, paths = compiler_names(values)
    cc_dir = os.path.join(workdir, "cc")
    try:
        made = subprocess.run([shim, "--cc-dir=" + cc_dir, *bare], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as e:
        return f"gotrace: warning: C compiles are not recorded: {e}"
    if made.returncode != 0:
        return f"gotrace: warning: C compiles are not recorded: {made.stderr.strip()}"
    prepared.env = c_compiler_env(prepared.env, cc_dir)
    if paths:
        return (f"gotrace: note: C compiles by {', '.join(paths)} are not recorded: go runs a CC/CXX "
                "given as a path without looking on PATH. Set CC to the bare name and put its directory "
                "on PATH to record them (go's cache key changes once with CC's value).")
    return None
