"""Wiring a go command for tracing: where -toolexec goes, what the shim is told, what is kept of the user's.

`prepare_build` is pure (argv and environment in, argv and environment out) so the rules below are
tested without running go; `gotrace.commands.run` runs the result.
"""
from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

# go subcommands that run the build tools and accept build flags
BUILD_SUBCOMMANDS = ("build", "install", "test", "vet", "run", "list")
WRAP_SEPARATOR = "\x1f"  # joins the words of a chained -toolexec in GOTRACE_WRAP

# go's flags that take a value as the next word (`-o out`); every other flag is boolean or spelled
# `-flag=value`. Without this table the word after `-o` would read as the first package.
BUILD_VALUE_FLAGS = frozenset({
    "C", "o", "p", "asmflags", "buildmode", "compiler", "gccgoflags", "gcflags", "installsuffix", "ldflags",
    "mod", "modfile", "overlay", "pgo", "pkgdir", "tags", "toolexec", "covermode", "coverpkg", "exec",
    "debug-actiongraph", "debug-deprecated-importcfg", "debug-runtime-trace", "debug-trace",
    "vettool", "f", "reuse", "vet"})
TEST_VALUE_FLAGS = frozenset({
    "bench", "benchtime", "blockprofile", "blockprofilerate", "count", "coverprofile", "cpu", "cpuprofile",
    "fuzz", "fuzzminimizetime", "fuzztime", "list", "memprofile", "memprofilerate", "mutexprofile",
    "mutexprofilefraction", "outputdir", "parallel", "run", "skip", "shuffle", "timeout", "trace"})


class CaptureError(Exception):
    """The command cannot be traced as given; the message says what to do instead."""


def split_quoted(text: str) -> list[str]:
    """Words of a -toolexec value as the go command splits them (cmd/internal/quoted.Split): spaces
    separate words; a word that starts with ' or " runs to the next such quote, with no escapes."""
    words: list[str] = []
    rest = text
    while True:
        rest = rest.lstrip(" \t\n\r")
        if not rest:
            return words
        if rest[0] in "'\"":
            end = rest.find(rest[0], 1)
            if end < 0:
                raise CaptureError(f"unterminated {rest[0]} string in -toolexec {text!r}")
            words.append(rest[1:end])
            rest = rest[end + 1:]
            continue
        match = re.search(r"[ \t\n\r]", rest)
        end = match.start() if match else len(rest)
        words.append(rest[:end])
        rest = rest[end:]


def join_quoted(words: list[str]) -> str | None:
    """The inverse of split_quoted (cmd/internal/quoted.Join); None for a word go cannot be given
    (one with a space and both kinds of quote)."""
    out = []
    for word in words:
        if not word or any(c in word for c in " \t\n\r'\""):
            if "'" not in word:
                word = "'" + word + "'"
            elif '"' not in word:
                word = '"' + word + '"'
            else:
                return None
        out.append(word)
    return " ".join(out)


@dataclass
class GoCommandLine:
    """A go command line read the way the go command reads it.

    `head` is everything up to where go's own flags may be added (the go binary, a leading `-C dir`,
    the subcommand and a `-C dir` right after it, which go requires to be first); `args` the rest,
    untouched except that go's own -toolexec is taken out of it (the program's arguments of `go run`
    and the test binary's of `go test` are never read as go's)."""
    head: list[str]
    subcommand: str
    args: list[str]
    chdir: str | None = None
    toolexec: str | None = None  # the user's own -toolexec as go would see it ("" turns it off)
    parallelism: int | None = None
    actiongraph: str | None = None  # the user's own -debug-actiongraph=FILE
    packages: list[str] = field(default_factory=list)


def _is_flag(word: str) -> bool:
    return word.startswith("-") and word not in ("-", "--")


def _flag_name(word: str) -> tuple[str, str | None]:
    name, eq, value = word[2:].partition("=") if word.startswith("--") else word[1:].partition("=")
    return name, (value if eq else None)


def parse_go_command(command: list[str]) -> GoCommandLine:
    if not command:
        raise CaptureError("no command given; example: gotrace run -- go build ./...")
    go = command[0]
    base = os.path.basename(go)
    if base not in ("go", "go.exe") and not base.startswith("go1"):
        raise CaptureError(f"expected a go command after --, got {go!r}; example: gotrace run -- go build ./...")
    i, chdir = 1, None
    for _ in range(2):  # `go -C dir build` and `go build -C dir` (go allows -C only as the first flag)
        if i < len(command) and _is_flag(command[i]) and _flag_name(command[i])[0] == "C":
            value = _flag_name(command[i])[1]
            if value is None:
                if i + 1 >= len(command):
                    raise CaptureError("-C needs a directory")
                value, i = command[i + 1], i + 1
            chdir, i = value, i + 1
        if _ == 0:
            if i >= len(command) or command[i] not in BUILD_SUBCOMMANDS:
                sub = command[i] if i < len(command) else "(none)"
                raise CaptureError(f"`go {sub}` runs no build tools; trace one of: "
                                   + ", ".join(f"go {s}" for s in BUILD_SUBCOMMANDS))
            subcommand, i = command[i], i + 1
    line = GoCommandLine(head=command[:i], subcommand=subcommand, args=[], chdir=chdir)
    _read_flags(line, command[i:])
    return line


def _read_flags(line: GoCommandLine, args: list[str]) -> None:
    """Find go's own flags in args as cmd/go does: up to the first non-flag or `--` (after which come
    packages, or for `go run` the program and its arguments); for `go test` (testflag.go), flags and
    packages mix until a non-flag after the package list, `-args` or `--`."""
    testing = line.subcommand == "test"
    kept: list[str] = []
    seen_packages = in_packages = after_unknown = False
    i = 0
    while i < len(args):
        word = args[i]
        if word == "--" or (not _is_flag(word) and not testing):
            if not testing:
                _read_packages(line, args[i + 1:] if word == "--" else args[i:])
            break
        if not _is_flag(word):
            if seen_packages and not in_packages:
                if not after_unknown:
                    break  # the test binary's arguments from here on
                kept.append(word)  # perhaps the value of the unknown flag before it; go reads on
            else:
                seen_packages = in_packages = True
                line.packages.append(word)
                kept.append(word)
            i += 1
            continue
        in_packages = False
        name, value = _flag_name(word)
        plain = name[5:] if testing and name.startswith("test.") else name
        if testing and plain == "args":
            break
        takes_value = plain in BUILD_VALUE_FLAGS or (testing and plain in TEST_VALUE_FLAGS)
        if testing and not takes_value and plain not in _TEST_BOOL_FLAGS:
            seen_packages = True  # go: after a flag it does not know, the package list is complete
            after_unknown = after_unknown or value is None
            kept.append(word)
            i += 1
            continue
        words = [word]
        if takes_value and value is None and i + 1 < len(args):
            value = args[i + 1]
            words.append(value)
        i += len(words)
        after_unknown = False
        if name == "toolexec":
            line.toolexec = value or ""
            continue  # taken out: the shim runs it
        if name == "p" and value and value.isdigit():
            line.parallelism = int(value)
        elif name == "debug-actiongraph":
            line.actiongraph = value
        kept.extend(words)
    line.args = kept + args[i:]


def _read_packages(line: GoCommandLine, words: list[str]) -> None:
    if line.subcommand != "run":
        line.packages = list(words)
        return
    files = [w for w in words[: next((k for k, w in enumerate(words) if not w.endswith(".go")), len(words))]]
    line.packages = files or words[:1]  # `go run a.go b.go args` or `go run pkg args`


# boolean flags go test knows itself (others are the test binary's, which may take a value)
_TEST_BOOL_FLAGS = frozenset({"a", "n", "x", "v", "work", "race", "msan", "asan", "cover", "linkshared",
                              "modcacherw", "trimpath", "buildvcs", "json", "c", "i", "benchmem", "failfast",
                              "short", "fullpath", "artifacts"})


@dataclass
class PreparedBuild:
    argv: list[str]
    env: dict[str, str]
    line: GoCommandLine
    chained: list[str] = field(default_factory=list)  # the user's own -toolexec, now run by the shim

    @property
    def parallelism(self) -> int | None:
        return self.line.parallelism


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


def _goflags_toolexec(goflags: str) -> str | None:
    # go splits GOFLAGS on spaces (no quoting); the last -toolexec in it counts
    value = None
    for word in goflags.split():
        if _is_flag(word) and _flag_name(word)[0] == "toolexec":
            value = _flag_name(word)[1] or ""
    return value


def prepare_build(command: list[str], env: dict[str, str], *, shim: str, trace: str, build_id: str,
                  gocache: str | None = None, phases: bool = False, tool_timeout: float | None = None,
                  tool_memory: int | None = None, extra_flags: list[str] = (),
                  private_dir: str | None = None) -> PreparedBuild:
    """The go command line and environment that trace `command` into `trace`.

    A -toolexec the user already has is chained, never dropped: the shim runs it with the tool's
    command line, so their wrapper still sees every tool. As for go, one on the command line wins
    over one in GOFLAGS (which is left as it is: our -toolexec on the command line wins over it).
    """
    line = parse_go_command(command)
    env = dict(env)
    chained_text = line.toolexec if line.toolexec is not None else _goflags_toolexec(env.get("GOFLAGS", ""))
    chained = split_quoted(chained_text) if chained_text else []
    if chained:
        tool = shutil.which(chained[0], path=env.get("PATH"))
        if tool is None:
            raise CaptureError(f"your -toolexec program {chained[0]!r} is not on PATH")
        chained[0] = os.path.abspath(tool)
        env["GOTRACE_WRAP"] = WRAP_SEPARATOR.join(chained)
    else:
        env.pop("GOTRACE_WRAP", None)

    toolexec = join_quoted([shim])
    if toolexec is None:
        raise CaptureError(f"the shim's path {shim!r} has a space and both kinds of quote, which go's "
                           "-toolexec cannot take; install gotrace elsewhere or set GOTRACE_SHIM")
    argv = [*line.head, "-toolexec=" + toolexec, *extra_flags, *line.args]
    env["GOTRACE_FILE"] = os.path.abspath(trace)
    env["GOTRACE_BUILD_ID"] = build_id
    for name in ("GOTRACE_PHASES", "GOTRACE_TOOL_TIMEOUT", "GOTRACE_TOOL_MEMORY", "GOTRACE_TMPDIR"):
        env.pop(name, None)
    if phases:
        env["GOTRACE_PHASES"] = "1"
    if private_dir:
        env["GOTRACE_TMPDIR"] = private_dir
    if tool_timeout:
        env["GOTRACE_TOOL_TIMEOUT"] = repr(float(tool_timeout))
    if tool_memory:
        env["GOTRACE_TOOL_MEMORY"] = str(int(tool_memory))
    if gocache:
        env["GOCACHE"] = gocache
    return PreparedBuild(argv=argv, env=env, line=line, chained=chained)


def list_packages_command(line: GoCommandLine) -> list[str]:
    """`go list` of what the build compiles, one import path a line (test variants with -test)."""
    cmd = [line.head[0]] + (["-C", line.chdir] if line.chdir else [])
    cmd += ["list", "-e", "-deps", "-f", "{{.ImportPath}}"]
    if line.subcommand == "test":
        cmd.append("-test")
    return cmd + (line.packages or ["."])


_SIZE_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mb": 1 << 20,
               "mib": 1 << 20, "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30}


MIN_TOOL_MEMORY = 1 << 20
MAX_TOOL_MEMORY = 1 << 53


def parse_size(text: str) -> int:
    """'512M', '2GiB', '1048576' -> bytes."""
    s = text.strip().lower()
    number = s.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = s[len(number):]
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"not a size: {text!r} (examples: 512M, 2G)") from None
    if unit not in _SIZE_UNITS or not 0 < value < float("inf"):
        raise ValueError(f"not a size: {text!r} (examples: 512M, 2G)")
    size = value * _SIZE_UNITS[unit]
    # below a mebibyte no tool can start; above 2^53 bytes (8 PiB) no limit anyone means, and floats lose bytes
    if not MIN_TOOL_MEMORY <= size <= MAX_TOOL_MEMORY:
        raise ValueError(f"{text!r} is out of range: give 1M to 8388608G (examples: 512M, 2G)")
    return int(size)


def compiler_names(cc_values: list[str]) -> tuple[list[str], list[str]]:
    """From the values of CC and CXX (as `go env` prints them): the bare compiler names to wrap,
    and the ones given as paths, which the go command runs without a PATH lookup."""
    bare, paths = [], []
    for value in cc_values:
        try:
            words = split_quoted(value)  # CC is split as go splits it, like -toolexec
        except CaptureError:
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
