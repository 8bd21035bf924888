"""The `gotrace run` flow as a library: wire the shim into a go command, run it, wait for the tools
still writing their records, add the build record, and say how it went.

The promise is that the build ends exactly as it would untraced: go's exit status (or its death by
the same signal), go's output untouched, whatever happens to the trace (a full disk, a FIFO, closed
stderr, signals ignored by the caller, Ctrl-C).
"""
from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import TextIO

from gotrace.capture import CaptureError, find_shim, list_packages_command, prepare_build, wrap_c_compilers
from gotrace.endings import interruption
from gotrace.events import BuildInfo, append_build, open_trace
from gotrace.pages import users_environment
from gotrace.progress import TraceTail, packages_to_compile, progress_line, running_tools
from gotrace.text import PrintableText, printable

# fewer compiled packages than this in a warm build: the trace shows little, so suggest --cold
NEARLY_EMPTY = 5
# signals `gotrace run` passes on to the go command and notes as the reason the build stopped
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# after go has gone, how long to wait for its tools' shims to write their records
IN_FLIGHT_LIMIT_S = 60.0


@dataclass
class RunOptions:
    command: list[str]
    trace: str = "gotrace.jsonl"
    append: bool = False
    cold: bool = False
    phases: bool = False
    actiongraph: bool = False
    tool_timeout: float | None = None
    tool_memory: int | None = None
    build_id: str | None = None
    progress: str = "auto"
    quiet: bool = False
    wrap_cc: bool = True  # record cgo's C compiles: a compiler of ours first on PATH


@dataclass
class RunResult:
    exit: int  # the go command's exit status (128+N when signal N killed it)
    signal: int | None = None  # the signal that killed the go command, to die of the same
    interrupted: int | None = None
    lost: int = 0
    notes: list[str] = field(default_factory=list)


def ensure_standard_fds() -> None:
    """Give a closed stdin/stdout/stderr (`2>&-`) /dev/null, before anything opens a file: otherwise
    the next file opened takes fd 2, and go and its tools would write their errors into it."""
    for fd, mode in ((0, os.O_RDONLY), (1, os.O_WRONLY), (2, os.O_WRONLY)):
        try:
            os.fstat(fd)
        except OSError:
            opened = os.open(os.devnull, mode)
            if opened != fd:
                os.dup2(opened, fd)
                os.close(opened)
    for name, fd, mode in (("stdin", 0, "r"), ("stdout", 1, "w"), ("stderr", 2, "w")):
        if getattr(sys, name) is None:
            setattr(sys, name, open(fd, mode, closefd=False))


def check_trace_target(trace: str) -> None:
    """Refuse a trace path that is not a regular file: a FIFO blocks every writer until someone
    reads it (and tears records longer than PIPE_BUF), a device cannot be read back."""
    try:
        mode = os.stat(trace).st_mode
    except OSError:
        return  # to be created (or unwritable: reported when the build starts)
    if not stat.S_ISREG(mode):
        kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a directory" if stat.S_ISDIR(mode)
                else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket"
                if stat.S_ISSOCK(mode) else "not a regular file")
        raise CaptureError(f"--trace {trace} is {kind}; the trace must be a regular file "
                           "(example: --trace build.jsonl)")


def new_build_id() -> str:
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"-{os.getpid()}"


class Progress:
    """Redraws one status line on a terminal; on a pipe (CI logs) prints a line every 10 s."""

    def __init__(self, mode: str, trace: str, shim: str, err: TextIO):
        self.err = err
        self.tty = err.isatty()
        self.enabled = mode == "always" or (mode == "auto" and self.tty) or mode == "lines"
        self.interval = 0.25 if self.tty else 10.0
        self.tail = TraceTail(trace)
        self.shim = shim
        self.total: list[int] = []
        self.started = time.monotonic()
        self.last_print = 0.0

    def count_packages(self, command: list[str], env: dict) -> None:
        """In the background: how many packages the build compiles, for the line's 'to do'."""
        def count() -> None:
            try:
                out = subprocess.run(command, env=env, capture_output=True, timeout=60).stdout
                self.total.append(packages_to_compile(out))
            except (OSError, subprocess.SubprocessError):
                pass
        threading.Thread(target=count, daemon=True).start()

    def tick(self, go_pid: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last_print < self.interval:
            return
        self.last_print = now
        self.tail.poll()
        running = running_tools(go_pid, self.shim)
        width = os.get_terminal_size(self.err.fileno()).columns if self.tty else 100
        line = printable(progress_line(now - self.started, len(self.tail.packages_done),
                                       self.total[0] if self.total else None, running, width))
        self.err.write("\r\x1b[K" + line if self.tty else line + "\n")
        self.err.flush()

    def clear(self) -> None:
        if self.enabled and self.tty:
            self.err.write("\r\x1b[K")
            self.err.flush()


class _Signals:
    """While go runs: note a stop signal and pass it on to go. A signal `gotrace run` inherited as
    ignored (nohup's SIGHUP) stays ignored, for go and its tools too."""

    def __init__(self):
        self.seen: list[int] = []
        self.go_pid = 0
        self.previous = {}
        for sig in STOP_SIGNALS:
            if signal.getsignal(sig) != signal.SIG_IGN:
                self.previous[sig] = signal.signal(sig, self._handle)

    def _handle(self, signum, _frame) -> None:
        self.seen.append(signum)
        if self.go_pid:
            try:
                os.kill(self.go_pid, signum)
            except OSError:
                pass

    def restore(self) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)


def _become_subreaper() -> bool:
    """Tools whose go command has gone (Ctrl-C: go exits without waiting for them) become our
    children, so we can wait for their records (Linux prctl PR_SET_CHILD_SUBREAPER)."""
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _wait_for_shims(shim: str, signals: _Signals) -> int:
    """Wait until no shim of this build still runs; returns how many were left when we gave up
    (a second stop signal, or IN_FLIGHT_LIMIT_S)."""
    signals_before = len(signals.seen)
    deadline = time.monotonic() + IN_FLIGHT_LIMIT_S
    while True:
        left = running_tools(os.getpid(), shim)
        if not left or len(signals.seen) > signals_before or time.monotonic() > deadline:
            return len(left)
        time.sleep(0.05)


def _run_go(argv: list[str], env: dict, progress: Progress, signals: _Signals) -> int:
    proc = subprocess.Popen(argv, env=env)
    signals.go_pid = proc.pid
    while True:
        try:
            code = proc.wait(timeout=progress.interval if progress.enabled else None)
            break
        except subprocess.TimeoutExpired:
            progress.tick(proc.pid)
    signals.go_pid = 0
    progress.clear()
    return code


def run_traced(options: RunOptions, err: TextIO) -> RunResult:
    """Run the go command of `options` traced; raises CaptureError when it cannot be traced as given."""
    check_trace_target(options.trace)
    build_id = options.build_id or new_build_id()
    shim = find_shim()
    private = tempfile.mkdtemp(prefix="gotrace-run-")  # 0700: the shim's -bench files, failures
    gocache = tempfile.mkdtemp(prefix="gotrace-gocache-") if options.cold else None
    try:
        return _run_in(options, err, build_id, shim, private, gocache)
    finally:
        _remove_tree(private)
        if gocache:
            _remove_tree(gocache)


def _run_in(options: RunOptions, err: TextIO, build_id: str, shim: str, private: str,
            gocache: str | None) -> RunResult:
    import shutil

    command = options.command
    graph_path = os.path.join(private, "actiongraph.json")
    prepared = prepare_build(command, users_environment(), shim=shim, trace=options.trace, build_id=build_id,
                             gocache=gocache, phases=options.phases, tool_timeout=options.tool_timeout,
                             tool_memory=options.tool_memory, private_dir=private)
    line = prepared.line
    if options.actiongraph:
        if line.actiongraph:  # the user asked go for the graph: go writes it there, read it there
            graph_path = os.path.join(os.getcwd(), line.chdir or "", line.actiongraph)
        else:
            prepared.argv.insert(len(line.head) + 1, "-debug-actiongraph=" + graph_path)
    if shutil.which(prepared.argv[0], path=prepared.env.get("PATH")) is None:
        raise CaptureError(f"{prepared.argv[0]} not found on PATH: install Go or put it on PATH")
    failures = os.path.join(private, "failures")
    prepared.env["GOTRACE_FAILURES"] = failures
    if options.wrap_cc:
        note = wrap_c_compilers(prepared, shim, private)
        if note:
            err.write(note + "\n")
    trace = options.trace
    result = RunResult(exit=0)

    if prepared.chained:
        err.write(f"gotrace: chaining your -toolexec: the shim runs {' '.join(prepared.chained)} for every tool\n")
    unwritable = _check_writable(trace, options.append)
    if unwritable:
        err.write(f"gotrace: warning: cannot write trace {trace}: {unwritable}; the build runs untraced\n")
    show = Progress(options.progress if not unwritable else "never", trace, shim, err)
    if show.enabled:
        show.count_packages(list_packages_command(line), prepared.env)
    reaping = _become_subreaper()
    signals = _Signals()
    try:
        start_ns = time.time_ns()
        t0 = time.monotonic_ns()
        code = _run_go(prepared.argv, prepared.env, show, signals)
        wall_ns = time.monotonic_ns() - t0
        still_running = _wait_for_shims(shim, signals) if reaping else 0
    finally:
        signals.restore()
    if code < 0:
        result.signal = -code
        code = 128 - code
    result.exit = code
    if code != 0 and (signals.seen or result.signal):
        result.interrupted = signals.seen[0] if signals.seen else result.signal
    if still_running:
        result.notes.append(f"{still_running} tool(s) were still running when gotrace stopped waiting; "
                            "their records may be missing")

    if unwritable:
        result.lost = _count_lines(failures)
        _warn_incomplete(result, failures, trace, err)
        return result
    events, goversion = _build_events(trace, build_id)
    first = events[0] if events else None
    info = BuildInfo(
        build=build_id, argv=tuple(command), cwd=os.getcwd(), start_ns=start_ns, wall_ns=wall_ns,
        exit=code, cores=os.cpu_count(), parallelism=prepared.parallelism or os.cpu_count(), cold=options.cold,
        goversion=goversion or (first.goversion if first else None),
        goos=first.goos if first else None, goarch=first.goarch if first else None,
        interrupted=result.interrupted)
    build_record_error = _append_build_record(trace, info)
    if options.actiongraph and not build_record_error:
        _merge_actiongraph(trace, graph_path, build_id, err)
        events, _ = _build_events(trace, build_id)
    if not options.quiet:
        _print_summary(events, trace, wall_ns, err)
    if result.interrupted:
        stopped = sum(1 for e in events if e.signal == result.interrupted)
        err.write(f"gotrace: the build was {interruption(result.interrupted)}"
                  + (f"; {stopped} tool invocation(s) were stopped" if stopped else "")
                  + ": the trace holds what ran until then\n")
    for note in result.notes:
        err.write(f"gotrace: warning: {note}\n")
    result.lost = _count_lines(failures) + (1 if build_record_error else 0)
    if result.lost:
        _warn_incomplete(result, failures, trace, err, build_record_error)
    elif code == 0 and not options.cold and not options.quiet:
        compiled = len({e.pkg for e in events if e.tool == "compile"})
        if compiled < NEARLY_EMPTY:
            what = "nothing was compiled" if not compiled else f"only {compiled} package(s) compiled"
            err.write(f"gotrace: note: {what}: the build cache had the rest. "
                      "Use `gotrace run --cold` to trace a full build.\n")
    return result


def _warn_incomplete(result: RunResult, failures: str, trace: str, err: TextIO,
                     build_record_error: str | None = None) -> None:
    if not result.lost:
        return
    reason = _first_line(failures) or build_record_error
    what = []
    tools = result.lost - (1 if build_record_error else 0)
    if tools:
        what.append(f"{tools} tool invocation(s)")
    if build_record_error:
        what.append("the build record")
    err.write(f"gotrace: warning: the trace is incomplete: {' and '.join(what)} could not be recorded "
              f"({reason}); check that {trace} is writable and the disk has room\n")


def _check_writable(trace: str, append: bool) -> str | None:
    try:
        with open(trace, "ab" if append else "wb"):
            pass
    except OSError as e:
        return e.strerror or str(e)
    return None


def _append_build_record(trace: str, info: BuildInfo) -> str | None:
    """Append the build record (whole, or not at all on a full disk); returns why it failed."""
    try:
        append_build(trace, info)
    except OSError as e:
        return e.strerror or str(e)
    return None


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


def _merge_actiongraph(trace: str, graph_path: str, build_id: str, err: TextIO) -> None:
    if not os.path.exists(graph_path):
        err.write("gotrace: warning: the go command wrote no action graph; nothing merged\n")
        return
    from gotrace.importers.actiongraph import merge_into_trace

    try:
        stats = merge_into_trace(trace, graph_path, build_id)
    except OSError as e:
        err.write(f"gotrace: warning: could not merge go's action graph: {e.strerror or e}\n")
        return
    err.write(f"gotrace: merged go's action graph: {stats.matched} records matched, {stats.cached} cache hits added"
              + (f", {stats.added} actions outside the shim added" if stats.added else "") + "\n")
    if stats.unmatched:
        err.write(f"gotrace: warning: {stats.unmatched} traced invocation(s) matched no action of the graph\n")


def _count_lines(path: str) -> int:
    try:
        with open(path, "rb") as f:
            return sum(1 for _ in f)
    except OSError:
        return 0


def _first_line(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.readline().strip()
    except OSError:
        return ""


def _remove_tree(path: str) -> None:
    # GOCACHE files are read-only; make them writable so the temporary cache can go.
    import shutil

    def onerror(func, p, _exc):
        try:
            os.chmod(os.path.dirname(p), 0o755)
            os.chmod(p, 0o644)
            func(p)
        except OSError:
            pass

    shutil.rmtree(path, onerror=onerror)


def _print_summary(events, trace: str, wall_ns: int, err: TextIO) -> None:
    from gotrace.analysis.totals import render_run_summary

    render_run_summary(events, wall_ns, trace, PrintableText(err))
