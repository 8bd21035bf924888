"""`gotrace run -- go build ./...`: run a go command with the shim wired in, show progress, summarise."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import click

from gotrace.capture import CaptureError, find_shim, parse_size, prepare_build, wrap_c_compilers
from gotrace.commands._common import say
from gotrace.events import BuildInfo, open_trace
from gotrace.progress import TraceTail, progress_line, running_tools

# go flags that take a value, so the word after them is not a package pattern
_VALUE_FLAGS = {"-o", "-p", "-tags", "-gcflags", "-ldflags", "-asmflags", "-gccgoflags", "-mod", "-modfile",
                "-overlay", "-pkgdir", "-buildmode", "-compiler", "-installsuffix", "-pgo", "-exec", "-run",
                "-bench", "-count", "-timeout", "-cpu", "-coverpkg", "-covermode", "-coverprofile", "-vettool",
                "-C", "-toolexec", "-debug-actiongraph", "-debug-trace", "-skip", "-parallel", "-shuffle"}


# fewer compiled packages than this in a warm build: the trace shows little, so suggest --cold
NEARLY_EMPTY = 5


def _new_build_id() -> str:
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"-{os.getpid()}"


def _package_patterns(args: list[str]) -> list[str]:
    patterns, i = [], 0
    while i < len(args):
        a = args[i]
        if a.startswith("-"):
            if a.split("=", 1)[0] in _VALUE_FLAGS and "=" not in a:
                i += 1
        else:
            patterns.append(a)
        i += 1
    return patterns


def _count_packages(go: str, subcommand: str, args: list[str], env: dict, result: list) -> None:
    """How many packages the build involves (`go list -deps`), for the progress line's 'to do'."""
    cmd = [go, "list", "-e", "-deps", "-f", "{{.ImportPath}}"]
    if subcommand == "test":
        cmd.append("-test")
    cmd += _package_patterns(args) or ["."]
    try:
        out = subprocess.run(cmd, env=env, capture_output=True, timeout=60).stdout
        result.append(len(set(out.split())))
    except (OSError, subprocess.SubprocessError):
        pass


class Progress:
    """Redraws one status line on a terminal; on a pipe (CI logs) prints a line every 10 s."""

    def __init__(self, mode: str, trace: str, shim: str):
        self.tty = sys.stderr.isatty()
        self.enabled = mode == "always" or (mode == "auto" and self.tty) or mode == "lines"
        self.interval = 0.25 if self.tty else 10.0
        self.tail = TraceTail(trace)
        self.shim = shim
        self.total: list[int] = []
        self.started = time.monotonic()
        self.last_print = 0.0

    def tick(self, go_pid: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last_print < self.interval:
            return
        self.last_print = now
        self.tail.poll()
        running = running_tools(go_pid, self.shim)
        width = shutil.get_terminal_size((100, 20)).columns
        line = progress_line(now - self.started, len(self.tail.packages_done),
                             self.total[0] if self.total else None, running, width)
        if self.tty:
            sys.stderr.write("\r\x1b[K" + line)
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def clear(self) -> None:
        if self.enabled and self.tty:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def _check_writable(trace: str, append: bool) -> str | None:
    try:
        with open(trace, "ab" if append else "wb"):
            pass
    except OSError as e:
        return e.strerror or str(e)
    return None


def _run_go(argv: list[str], env: dict, progress: Progress) -> int:
    proc = subprocess.Popen(argv, env=env)
    interrupted = False
    while True:
        try:
            code = proc.wait(timeout=progress.interval if progress.enabled else None)
            break
        except subprocess.TimeoutExpired:
            progress.tick(proc.pid)
        except KeyboardInterrupt:
            # The terminal sent SIGINT to go and its tools too; let go stop them and report.
            interrupted = True
            continue
    progress.clear()
    if code < 0:
        code = 128 - code
    if interrupted and code == 0:
        code = 130
    return code


def _append_build_record(trace: str, info: BuildInfo) -> None:
    import orjson

    with open(trace, "ab") as f:
        f.write(orjson.dumps(info.to_dict()) + b"\n")


@click.command("run", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option("--trace", "trace", default="gotrace.jsonl", show_default=True, metavar="FILE",
              help="Trace file to write (JSON lines, one per tool invocation).")
@click.option("--append", is_flag=True, help="Add this build to the trace instead of starting it afresh.")
@click.option("--cold", is_flag=True, help="Build against a fresh, temporary GOCACHE so every package compiles.")
@click.option("--phases", is_flag=True, help="Record the compiler's own phase times (-bench) for each compile.")
@click.option("--actiongraph", is_flag=True,
              help="Also record go's -debug-actiongraph and merge it: dependencies, queue waits, cache hits.")
@click.option("--tool-timeout", type=float, metavar="SECONDS",
              help="Kill a tool that runs longer than this (its process group), and record why.")
@click.option("--tool-memory", metavar="SIZE", help="Kill a tool whose resident memory passes SIZE (e.g. 2G).")
@click.option("--wrap-cc/--no-wrap-cc", default=True, show_default=True,
              help="Record the C/C++ compiles of cgo (a gcc/cc/clang of ours first on PATH; the build "
                   "cache stays shared with untraced builds).")
@click.option("--build-id", metavar="ID", help="Name this build in the trace (default: time and pid).")
@click.option("--progress", type=click.Choice(["auto", "always", "lines", "never"]), default="auto",
              show_default=True, help="Live progress on stderr: auto shows it on a terminal.")
@click.option("-q", "--quiet", is_flag=True, help="No summary at the end.")
@click.argument("command", nargs=-1, type=click.UNPROCESSED, required=True)
def command(trace, append, cold, phases, actiongraph, tool_timeout, tool_memory, wrap_cc, build_id, progress,
            quiet, command):
    """Run a go command with every build tool traced; exit with the go command's status.

    Adds -toolexec with gotrace-shim (a -toolexec of yours, on the command line or in GOFLAGS, is
    chained: the shim runs it), writes one JSON line per tool invocation to the trace, shows live
    progress, and ends with a short summary. Works with go build, install, test, vet and run. The C
    and C++ compiles the go command runs itself for cgo are recorded too (a gcc/cc/clang/g++ of ours
    first on PATH; --no-wrap-cc leaves them out).

    \b
    Example:
      gotrace run --cold -- go build ./...
      gotrace run --trace ci.jsonl --phases -- go test -count=1 ./...
      gotrace flame gotrace.jsonl -o build.svg
    """
    command = list(command)
    if command and command[0] == "--":
        command = command[1:]
    try:
        memory = parse_size(tool_memory) if tool_memory else None
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--tool-memory") from None
    if tool_timeout is not None and tool_timeout <= 0:
        raise click.BadParameter("must be positive", param_hint="--tool-timeout")
    build_id = build_id or _new_build_id()
    try:
        shim = find_shim()
        status_dir = tempfile.mkdtemp(prefix="gotrace-run-")
        gocache = tempfile.mkdtemp(prefix="gotrace-gocache-") if cold else None
        extra_flags = []
        graph_path = os.path.join(status_dir, "actiongraph.json")
        if actiongraph:
            extra_flags.append("-debug-actiongraph=" + graph_path)
        prepared = prepare_build(command, dict(os.environ), shim=shim, trace=trace, build_id=build_id,
                                 gocache=gocache, phases=phases, tool_timeout=tool_timeout,
                                 tool_memory=memory, extra_flags=extra_flags)
    except CaptureError as e:
        raise click.UsageError(str(e)) from None
    if shutil.which(prepared.argv[0], path=prepared.env.get("PATH")) is None:
        shutil.rmtree(status_dir, ignore_errors=True)
        raise click.ClickException(f"{prepared.argv[0]} not found on PATH: install Go or put it on PATH")
    failures = os.path.join(status_dir, "failures")
    prepared.env["GOTRACE_FAILURES"] = failures
    if wrap_cc:
        note = wrap_c_compilers(prepared, shim, status_dir)
        if note:
            say(note)
    try:
        if prepared.chained:
            say(f"gotrace: chaining your -toolexec: the shim runs {' '.join(prepared.chained)} for every tool")
        unwritable = _check_writable(trace, append)
        if unwritable:
            say(f"gotrace: warning: cannot write trace {trace}: {unwritable}; the build runs untraced")
        show = Progress(progress if os.path.isfile(trace) else "never", trace, shim)
        if show.enabled:
            threading.Thread(target=_count_packages, daemon=True,
                             args=(command[0], command[1], command[2:], prepared.env, show.total)).start()
        start_ns = time.time_ns()
        t0 = time.monotonic_ns()
        code = _run_go(prepared.argv, prepared.env, show)
        wall_ns = time.monotonic_ns() - t0

        lost = _count_lines(failures)
        # a trace that is not a regular file (/dev/full, a pipe) cannot be read back for the summary
        readable = not unwritable and os.path.isfile(trace)
        if readable:
            events, goversion = _build_events(trace, build_id)
            first = events[0] if events else None
            _append_build_record(trace, BuildInfo(
                build=build_id, argv=tuple(command), cwd=os.getcwd(), start_ns=start_ns, wall_ns=wall_ns,
                exit=code, cores=os.cpu_count(), parallelism=prepared.parallelism or os.cpu_count(), cold=cold,
                goversion=goversion or (first.goversion if first else None),
                goos=first.goos if first else None, goarch=first.goarch if first else None))
            if actiongraph:
                _merge_actiongraph(trace, graph_path, build_id)
                events, _ = _build_events(trace, build_id)
            if not quiet:
                _print_summary(events, trace, wall_ns, code)
        if lost:
            say(f"gotrace: warning: the trace is incomplete: {lost} tool invocation(s) could not be recorded "
                f"({_first_line(failures)}); check that {trace} is writable and the disk has room")
        elif readable and code == 0 and not cold and not quiet:
            compiled = len({e.pkg for e in events if e.tool == "compile"})
            if compiled < NEARLY_EMPTY:
                what = "nothing was compiled" if not compiled else f"only {compiled} package(s) compiled"
                say(f"gotrace: note: {what}: the build cache had the rest. "
                    "Use `gotrace run --cold` to trace a full build.")
    finally:
        shutil.rmtree(status_dir, ignore_errors=True)
        if gocache:
            _remove_cache(gocache)
    sys.exit(code)


def _build_events(trace: str, build_id: str):
    reader = open_trace(trace, include_probes=True)
    events, goversion = [], None
    try:
        for e in reader:
            if e.build != build_id:
                continue
            if e.probe:
                goversion = goversion or e.goversion
                continue
            events.append(e)
    except Exception:
        return events, goversion
    return events, goversion


def _merge_actiongraph(trace: str, graph_path: str, build_id: str) -> None:
    if not os.path.exists(graph_path):
        say("gotrace: warning: the go command wrote no action graph; nothing merged")
        return
    try:
        from gotrace.importers.actiongraph import merge_into_trace
    except ImportError:
        say("gotrace: warning: action-graph merging is not available in this version")
        return
    stats = merge_into_trace(trace, graph_path, build_id)
    say(f"gotrace: merged go's action graph: {stats.matched} records matched, {stats.cached} cache hits added"
        + (f", {stats.added} actions outside the shim added" if stats.added else ""))
    if stats.unmatched:
        say(f"gotrace: warning: {stats.unmatched} traced invocation(s) matched no action of the graph")


def _count_lines(path: str) -> int:
    try:
        with open(path, "rb") as f:
            return sum(1 for _ in f)
    except OSError:
        return 0


def _first_line(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.readline().strip()


def _remove_cache(path: str) -> None:
    # GOCACHE files are read-only; make them writable so the temporary cache can go.
    def onerror(func, p, _exc):
        try:
            os.chmod(os.path.dirname(p), 0o755)
            os.chmod(p, 0o644)
            func(p)
        except OSError:
            pass

    shutil.rmtree(path, onerror=onerror)


def _print_summary(events, trace: str, wall_ns: int, code: int) -> None:
    from gotrace.analysis.totals import render_run_summary

    render_run_summary(events, wall_ns, trace, sys.stderr)


