"""`gotrace run -- go build ./...`: the click layer over gotrace.runner."""
from __future__ import annotations

import os
import signal
import sys

import click

from gotrace.capture import CaptureError, parse_size
from gotrace.runner import RunOptions, ensure_standard_fds, run_traced

MAX_TOOL_TIMEOUT = 7 * 24 * 3600.0


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
    ensure_standard_fds()  # first: before anything opens a file that could take a closed fd 2
    command = list(command)
    if command and command[0] == "--":
        command = command[1:]
    try:
        memory = parse_size(tool_memory) if tool_memory else None
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--tool-memory") from None
    if tool_timeout is not None and not 0 < tool_timeout <= MAX_TOOL_TIMEOUT:
        # `not 0 < x` also refuses nan, which compares false with everything and would mean no limit
        raise click.BadParameter(f"give seconds from above 0 to {MAX_TOOL_TIMEOUT:g} (a week)",
                                 param_hint="--tool-timeout")
    options = RunOptions(command=command, trace=trace, append=append, cold=cold, phases=phases,
                         actiongraph=actiongraph, tool_timeout=tool_timeout, tool_memory=memory,
                         build_id=build_id, progress=progress, quiet=quiet, wrap_cc=wrap_cc)
    try:
        result = run_traced(options, sys.stderr)
    except CaptureError as e:
        raise click.UsageError(str(e)) from None
    if result.signal is not None:
        # go died of a signal: so do we, as a shell running go untraced would see it
        sys.stderr.flush()
        signal.signal(result.signal, signal.SIG_DFL)
        os.kill(os.getpid(), result.signal)
    sys.exit(result.exit)
