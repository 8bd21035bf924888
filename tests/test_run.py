"""`gotrace run` and the shim under real go builds: complete traces, builds unchanged, cache shared."""
from __future__ import annotations

import collections
import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from gotrace.capture import list_packages_command, parse_go_command
from gotrace.events import open_trace
from gotrace.progress import packages_to_compile, running_tools
from tests.conftest import BIN, changed_hello, copy_sample, run_gotrace, test_env


def events_of(trace: Path, **options):
    reader = open_trace(str(trace), **options)
    events = list(reader)
    assert reader.skipped == 0
    return events, reader


def go_build(module: Path, args: list[str], gocache: Path, **env) -> subprocess.CompletedProcess:
    return subprocess.run(["go", "build", *args], cwd=module, capture_output=True,
                          env=test_env(GOCACHE=str(gocache), **env))


def test_every_tool_the_go_command_ran_has_exactly_one_record(multi_build, shim):
    # `go build -x` lists each command it runs; with -toolexec the tool follows the shim's path
    # (after any VAR=value the go command sets for it).
    # The C compiles cgo needs are run by the go command itself (listed bare: `gcc ...`); the shim,
    # first on PATH as gcc, records them as well.
    from tests.test_cgo import listed_c_compiles

    listed = collections.Counter()
    for line in multi_build.result.stderr.decode().splitlines():
        words = line.split()
        if shim in words[:-1]:
            listed[os.path.basename(words[words.index(shim) + 1])] += 1
    listed.update(c.tool for c in listed_c_compiles(multi_build.result.stderr.decode()))
    events, _ = events_of(multi_build.trace)
    recorded = collections.Counter(e.tool for e in events)
    assert listed and recorded == listed
    assert {"compile", "asm", "cgo", "link", "gcc"} <= set(recorded)


def test_run_ends_with_a_summary_of_tools_time_memory_and_the_trace(multi_build):
    err = multi_build.result.stderr.decode()
    assert re.search(r"gotrace: \d+ tool invocations \(\d+ compile, \d+ asm, \d+ gcc, \d+ cgo, 1 link\)", err)
    assert re.search(r"gotrace: wall [\d.]+s, tools' CPU [\d.]+s, peak RSS [\d.]+ MiB \(compile \S+\)", err)
    head, rest = err.split("gotrace: slowest packages", 1)[1].split(":\n", 1)
    slowest = rest.split("gotrace: trace written")[0].splitlines()
    assert len(slowest) == 5
    # one std policy: the standard library is one row, as in `gotrace summary`, which says how to expand it
    assert "--std lists its packages" in head
    summary = json.loads(run_gotrace(["summary", str(multi_build.trace), "--json"], check=True).stdout)
    text = run_gotrace(["summary", str(multi_build.trace)], check=True).stdout.decode()
    names = [row.strip().rsplit("  ", 1)[0].strip() for row in slowest]
    assert [n.split(" (")[0] for n in names] == [r["name"] for r in summary["top"]["wall"][:5]]
    [std_row] = [n for n in names if n.startswith("std (")]
    assert re.match(r"std \(\d+ packages\)$", std_row) and f"  {std_row}  " in text
    assert not any(line.split()[0] == "runtime" for line in slowest)
    assert f"gotrace: trace written to {multi_build.trace}" in err


def test_records_describe_packages_dependencies_and_cgo_flags(multi_build):
    events, reader = events_of(multi_build.trace, include_probes=True)
    by = {(e.tool, e.pkg): e for e in events if not e.probe}
    main = by[("compile", "example.com/multi/cmd/multi")]
    assert {"fmt", "os", "example.com/multi/internal/geom", "example.com/multi/internal/cgohash"} <= set(main.deps)
    assert main.go_files == 1 and main.goos and main.goarch and main.goversion.startswith("go1.")
    link = by[("link", "example.com/multi/cmd/multi")]
    assert "runtime" in link.deps and "example.com/multi/internal/asmsum" in link.deps
    cgo = [e for e in events if e.tool == "cgo" and e.pkg == "example.com/multi/internal/cgohash"]
    assert cgo and isinstance(cgo[0].cflags, tuple)
    assert ("asm", "example.com/multi/internal/asmsum") in by
    # the C compiler probe arrives as a bare name and was found on PATH
    gcc = [e for e in events if e.tool in ("gcc", "cc") and e.probe]
    assert gcc and os.path.isabs(gcc[0].path)
    # every record is of this build, and the build record says what ran
    (build_id,) = {e.build for e in events}
    info = reader.builds[build_id]
    assert info.cold and info.exit == 0 and info.argv[:2] == ("go", "build") and info.cores == os.cpu_count()


def test_traced_binary_is_identical_and_a_traced_build_reuses_an_untraced_cache(multi_build, tmp_path):
    # multi_build is traced with its C compiles wrapped (runtime/cgo, internal/cgohash): an untraced
    # build in a fresh cache compiles the C code itself and must give the same bytes
    module = multi_build.module
    cache = tmp_path / "cache"
    untraced = go_build(module, ["-o", str(tmp_path / "plain") + "/", "./..."], cache)
    assert untraced.returncode == 0, untraced.stderr
    traced_bin = Path(multi_build.trace).parent / "bin" / "multi"
    assert (tmp_path / "plain" / "multi").read_bytes() == traced_bin.read_bytes()

    # Same cache, now traced: the version probes key the cache identically, so nothing recompiles.
    trace = tmp_path / "warm.jsonl"
    # (same -o as the untraced build: a binary that is up to date is not even relinked)
    result = run_gotrace(["run", "--trace", str(trace), "--", "go", "build", "-o", str(tmp_path / "plain") + "/",
                          "./..."], cwd=module, env=test_env(GOCACHE=str(cache)))
    assert result.returncode == 0, result.stderr
    events, _ = events_of(trace, include_probes=True)
    assert not [e for e in events if not e.probe], "a traced build after an untraced one recompiled"
    assert any(e.probe and e.tool == "compile" for e in events)
    assert b"nothing was compiled" in result.stderr and b"--cold" in result.stderr
    assert (tmp_path / "plain" / "multi").read_bytes() == traced_bin.read_bytes()


def test_failing_build_prints_the_same_bytes_and_exit_status(go, tmp_path):
    module = copy_sample("broken", tmp_path)
    plain = go_build(module, ["./..."], tmp_path / "c1")
    trace = tmp_path / "t.jsonl"
    traced = run_gotrace(["run", "-q", "--trace", str(trace), "--", "go", "build", "./..."], cwd=module,
                         env=test_env(GOCACHE=str(tmp_path / "c2")))
    assert plain.returncode == 1
    assert (traced.returncode, traced.stdout, traced.stderr) == (plain.returncode, plain.stdout, plain.stderr)
    events, _ = events_of(trace)
    bad = [e for e in events if e.pkg == "example.com/broken/bad"]
    assert bad and bad[0].exit == 2 and bad[0].failed  # compile's own status; go then exits 1


def test_broken_build_exit_status_is_the_go_commands(broken_build):
    assert broken_build.result.returncode == 1
    assert b"cannot use ok.Answer()" in broken_build.result.stderr


KILLER = """#!/bin/sh
# a user's own -toolexec: kills the compile of example.com/broken/ok with SIGKILL
if [ "$TOOLEXEC_IMPORTPATH" = "example.com/broken/ok" ] && [ "${1##*/}" = compile ]; then kill -KILL $$; fi
exec "$@"
"""


def test_a_tool_killed_by_a_signal_is_reported_as_without_the_shim(go, shim, tmp_path):
    module = copy_sample("broken", tmp_path)
    killer = tmp_path / "killer.sh"
    killer.write_text(KILLER)
    killer.chmod(0o755)
    plain = go_build(module, ["-toolexec", str(killer), "./ok"], tmp_path / "c1")
    trace = tmp_path / "t.jsonl"
    traced = run_gotrace(["run", "-q", "--trace", str(trace), "--", "go", "build", "-toolexec", str(killer), "./ok"],
                         cwd=module, env=test_env(GOCACHE=str(tmp_path / "c2")))
    assert plain.returncode == traced.returncode == 1
    assert b"signal: killed" in plain.stderr
    # go names the -toolexec program in its message: the user's wrapper, or the shim that chains it
    chained_note = b"gotrace: chaining your -toolexec: the shim runs %s for every tool\n" % str(killer).encode()
    assert traced.stderr.replace(shim.encode(), str(killer).encode()) == chained_note + plain.stderr
    events, _ = events_of(trace)
    (killed,) = [e for e in events if e.pkg == "example.com/broken/ok"]
    assert killed.signal == 9 and killed.exit == 137


def test_goflags_toolexec_is_chained_not_dropped(go, tmp_path):
    module = copy_sample("broken", tmp_path)
    log = tmp_path / "wrapper.log"
    wrapper = tmp_path / "wrapper.sh"
    wrapper.write_text(f'#!/bin/sh\necho "$TOOLEXEC_IMPORTPATH ${{1##*/}}" >> {log}\nexec "$@"\n')
    wrapper.chmod(0o755)
    trace = tmp_path / "t.jsonl"
    result = run_gotrace(["run", "-q", "--trace", str(trace), "--", "go", "build", "./ok"], cwd=module,
                         env=test_env(GOCACHE=str(tmp_path / "c"), GOFLAGS=f"-toolexec={wrapper}"))
    assert result.returncode == 0, result.stderr
    assert "example.com/broken/ok compile" in log.read_text()
    assert [e.pkg for e in events_of(trace)[0] if e.tool == "compile"] == ["example.com/broken/ok"]


def test_unwritable_trace_still_builds_and_says_so(go, tmp_path):
    module = copy_sample("broken", tmp_path)
    result = run_gotrace(["run", "--trace", str(tmp_path / "no" / "dir" / "t.jsonl"), "--", "go", "build", "./ok"],
                         cwd=module, env=test_env(GOCACHE=str(tmp_path / "c")))
    assert result.returncode == 0
    assert re.search(rb"cannot write trace .*No such file or directory; the build runs untraced", result.stderr)


def test_run_refuses_commands_that_build_nothing(tmp_path):
    result = run_gotrace(["run", "--", "go", "env"], cwd=tmp_path)
    assert result.returncode == 2 and b"runs no build tools" in result.stderr
    result = run_gotrace(["run", "--", "make"], cwd=tmp_path)
    assert result.returncode == 2 and b"expected a go command" in result.stderr


def test_test_variants_and_vet_are_traced(multi_test_build):
    events, _ = events_of(multi_test_build.trace)
    pkgs = {e.pkg for e in events}
    assert "example.com/multi/internal/geom [example.com/multi/internal/geom.test]" in pkgs
    assert any(e.tool == "vet" for e in events)
    assert any(e.tool == "link" and e.pkg.endswith(".test") for e in events)


def test_progress_finds_the_tools_running_under_the_go_command(shim, tmp_path):
    # A stand-in for the go command: a process whose child is the shim running a slow tool.
    parent = subprocess.Popen(["/bin/sh", "-c", f'"{shim}" /bin/sleep 300 & wait'],
                              env=test_env(GOTRACE_FILE=str(tmp_path / "t.jsonl"), TOOLEXEC_IMPORTPATH="example.com/slow"))
    try:
        deadline = time.monotonic() + 240  # a generous bound for a busy machine; found at once when idle
        running = []
        while time.monotonic() < deadline and not running:
            time.sleep(0.1)
            running = running_tools(parent.pid, shim)
        assert [(t.tool, t.pkg) for t in running] == [("sleep", "example.com/slow")]
    finally:
        subprocess.run(["pkill", "-P", str(parent.pid)])
        parent.wait()


# --- faults: a traced build ends exactly like an untraced one ---------------------------------------

def hello_run(module: Path, cache: Path, run_args: list[str], go_args: list[str], **env):
    return run_gotrace(["run", *run_args, "--", "go", *go_args], cwd=module,
                       env=test_env(GOCACHE=str(cache), **env))


def whole_lines(trace: Path) -> list:
    data = trace.read_bytes()
    assert not data or data.endswith(b"\n"), "the trace ends in a torn record"
    events, _ = events_of(trace, include_probes=True)
    return events


def test_a_full_disk_keeps_go_s_exit_status_and_leaves_no_torn_record(hello_cache, tiny_disk, tmp_path):
    module = changed_hello(tmp_path)
    stats = os.statvfs(tiny_disk)
    (tiny_disk / "filler").write_bytes(b"f" * ((stats.f_bavail - 1) * stats.f_frsize))  # one page left
    trace = tiny_disk / "t.jsonl"
    result = hello_run(module, hello_cache, ["--trace", str(trace)], ["build", "-o", "x", "."])
    assert result.returncode == 0, result.stderr
    assert (module / "x").exists()
    assert re.search(rb"gotrace: warning: the trace is incomplete: .* could not be recorded \(.*space", result.stderr)
    whole_lines(trace)


@pytest.mark.parametrize("kind", ["a FIFO", "a device", "a directory"])
def test_a_trace_that_is_not_a_regular_file_is_refused_before_the_build(tmp_path, kind):
    target = {"a FIFO": tmp_path / "t.fifo", "a device": Path("/dev/full"), "a directory": tmp_path}[kind]
    if kind == "a FIFO":
        os.mkfifo(target)
    # a FIFO nobody reads would block the first writer for ever: the timeout catches that
    result = subprocess.run([str(BIN / "gotrace"), "run", "--trace", str(target), "--", "go", "build", "."],
                            cwd=tmp_path, env=test_env(), capture_output=True, timeout=60)
    assert result.returncode == 2
    assert f"is {kind}; the trace must be a regular file".encode() in result.stderr
    assert b"Traceback" not in result.stderr


def test_closed_stderr_builds_and_exits_like_go(hello_cache, tmp_path):
    module = changed_hello(tmp_path)
    trace = tmp_path / "t.jsonl"
    gotrace = BIN / "gotrace"
    traced = subprocess.run(["sh", "-c", f"'{gotrace}' run --trace '{trace}' -- go build -o x . 2>&-"], cwd=module,
                            env=test_env(GOCACHE=str(hello_cache)))
    plain = subprocess.run(["sh", "-c", "go build -o plain . 2>&-"], cwd=module, env=test_env(GOCACHE=str(hello_cache)))
    assert plain.returncode == traced.returncode == 0
    assert (module / "x").exists()
    assert {e.tool for e in whole_lines(trace) if not e.probe} == {"compile", "link"}


GATE = """#!/bin/sh
# a user's -toolexec: holds the compile of the main package until the test lets it go
if [ "$TOOLEXEC_IMPORTPATH" = "example.com/hello" ] && [ "${1##*/}" = compile ]; then
  %(trap)s
  touch "%(dir)s/ready"
  while [ ! -e "%(dir)s/go-on" ]; do sleep 0.05; done
fi
exec "$@"
"""


def gate(tmp_path: Path, trap: str = "") -> Path:
    path = tmp_path / "gate.sh"
    path.write_text(GATE % {"trap": trap, "dir": tmp_path})
    path.chmod(0o755)
    return path


def wait_for(path: Path, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 300
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the build never reached the gate"
        time.sleep(0.05)


def ignoring_sighup():
    signal.signal(signal.SIGHUP, signal.SIG_IGN)


def test_a_sighup_ignored_by_the_caller_does_not_stop_a_traced_build(hello_cache, tmp_path):
    wrapper = gate(tmp_path)
    results = []
    for name, prefix in (("plain", []), ("traced", [str(BIN / "gotrace"), "run", "-q", "--trace",
                                                    str(tmp_path / "t.jsonl"), "--"])):
        for marker in ("ready", "go-on"):
            (tmp_path / marker).unlink(missing_ok=True)
        module = changed_hello(tmp_path / name)  # its own source: each build compiles it
        # as under nohup: SIGHUP ignored, then the whole group gets one
        proc = subprocess.Popen([*prefix, "go", "build", "-toolexec", str(wrapper), "-o", name, "."], cwd=module,
                                env=test_env(GOCACHE=str(hello_cache)), start_new_session=True,
                                preexec_fn=ignoring_sighup, stderr=subprocess.PIPE)
        wait_for(tmp_path / "ready", proc)
        os.killpg(proc.pid, signal.SIGHUP)
        (tmp_path / "go-on").touch()
        results.append((proc.wait(timeout=300), proc.stderr.read()))
    assert results[0][0] == 0, results[0][1]
    assert results[1][0] == 0, results[1][1]
    assert (tmp_path / "traced" / "hello" / "traced").exists()


def test_ctrl_c_waits_for_the_tools_still_running_and_marks_the_build_interrupted(hello_cache, tmp_path):
    module = changed_hello(tmp_path)
    # the held compile takes a moment to die after Ctrl-C, as a busy compiler does; go does not wait
    wrapper = gate(tmp_path, trap="trap 'sleep 1; trap - INT; kill -INT $$' INT")
    trace = tmp_path / "t.jsonl"
    proc = subprocess.Popen([str(BIN / "gotrace"), "run", "--trace", str(trace), "--", "go", "build", "-toolexec",
                             str(wrapper), "-o", "x", "."], cwd=module, env=test_env(GOCACHE=str(hello_cache)),
                            start_new_session=True, stderr=subprocess.PIPE)
    wait_for(tmp_path / "ready", proc)
    os.killpg(proc.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
    err = proc.communicate(timeout=300)[1].decode()
    assert proc.returncode != 0
    lines = trace.read_bytes().splitlines()
    assert b'"kind":"build"' in lines[-1], "a record arrived after the build record"
    events, reader = events_of(trace)
    (stopped,) = [e for e in events if e.pkg == "example.com/hello"]
    assert stopped.signal == signal.SIGINT
    (info,) = reader.builds.values()
    assert info.interrupted == signal.SIGINT
    assert "gotrace: 1 tool invocations (1 compile); 1 failed" in err
    assert "gotrace: the build was interrupted by SIGINT (Ctrl-C); 1 tool invocation(s) were stopped" in err

    summary = run_gotrace(["summary", str(trace)], check=True).stdout.decode()
    assert "interrupted by SIGINT (Ctrl-C)" in summary
    doctor = run_gotrace(["doctor", str(trace)]).stdout.decode()
    assert "interrupted by SIGINT (Ctrl-C)" in doctor
    assert "out-of-memory" not in doctor and "dmesg" not in doctor
    report = run_gotrace(["report", str(trace), "-o", str(tmp_path / "r.html")], check=True)
    assert "interrupted by SIGINT (Ctrl-C)" in (tmp_path / "r.html").read_text()
    assert report.returncode == 0


@pytest.mark.parametrize("where", ["after", "before"])
def test_go_s_chdir_flag_works_in_both_places(hello_cache, tmp_path, where):
    module = changed_hello(tmp_path)
    go_args = ["build", "-C", module.name, "-o", "x", "."] if where == "after" else \
        ["-C", module.name, "build", "-o", "x", "."]
    result = hello_run(tmp_path, hello_cache, ["-q", "--trace", str(tmp_path / "t.jsonl")], go_args)
    assert result.returncode == 0, result.stderr
    assert (module / "x").exists()
    assert {e.tool for e in whole_lines(tmp_path / "t.jsonl") if not e.probe} == {"compile", "link"}


ARGS_PROGRAM = """package main

import (
	"fmt"
	"os"
)

func main() { fmt.Printf("%q\\n", os.Args[1:]) }
"""


def test_go_run_program_arguments_stay_the_program_s(hello_cache, tmp_path):
    module = changed_hello(tmp_path)
    (module / "args").mkdir()
    (module / "args" / "main.go").write_text(ARGS_PROGRAM)
    go_args = ["run", "./args", "-p", "3", "-toolexec=env", "x"]
    plain = subprocess.run(["go", *go_args], cwd=module, capture_output=True, env=test_env(GOCACHE=str(hello_cache)))
    traced = hello_run(module, hello_cache, ["-q", "--trace", str(tmp_path / "t.jsonl")], go_args)
    assert plain.stdout == b'["-p" "3" "-toolexec=env" "x"]\n'
    assert (traced.returncode, traced.stdout) == (0, plain.stdout)
    assert not traced.stderr.startswith(b"gotrace: chaining")


def test_an_empty_toolexec_on_the_command_line_turns_off_the_one_in_goflags(hello_cache, tmp_path):
    module = changed_hello(tmp_path)
    log = tmp_path / "wrapper.log"
    wrapper = tmp_path / "w.sh"
    wrapper.write_text(f'#!/bin/sh\necho ran >> {log}\nexec "$@"\n')
    wrapper.chmod(0o755)
    result = hello_run(module, hello_cache, ["-q", "--trace", str(tmp_path / "t.jsonl")],
                       ["build", "-toolexec=", "-o", "x", "."], GOFLAGS=f"-toolexec={wrapper}")
    assert result.returncode == 0, result.stderr
    assert not log.exists()


def test_a_shim_path_with_a_space_and_an_apostrophe_works(hello_cache, shim, tmp_path):
    odd = tmp_path / "it's a dir"
    odd.mkdir()
    shutil.copy(shim, odd / "gotrace-shim")
    module = changed_hello(tmp_path)
    result = hello_run(module, hello_cache, ["-q", "--trace", str(tmp_path / "t.jsonl")], ["build", "-o", "x", "."],
                       GOTRACE_SHIM=str(odd / "gotrace-shim"))
    assert result.returncode == 0, result.stderr
    assert {e.tool for e in whole_lines(tmp_path / "t.jsonl") if not e.probe} == {"compile", "link"}


def test_actiongraph_is_read_where_the_user_asked_go_to_write_it(hello_cache, tmp_path):
    module = changed_hello(tmp_path)
    result = hello_run(module, hello_cache, ["-q", "--actiongraph", "--trace", str(tmp_path / "t.jsonl")],
                       ["build", "-debug-actiongraph=mine.json", "-o", "x", "."])
    assert result.returncode == 0, result.stderr
    assert (module / "mine.json").exists()
    assert b"merged go's action graph" in result.stderr and b"wrote no action graph" not in result.stderr


def go_list_count(traced, go_args: list[str]) -> int:
    line = parse_go_command(["go", *go_args])
    listing = subprocess.run(list_packages_command(line), cwd=traced.module, capture_output=True,
                             env=test_env(), check=True).stdout
    return packages_to_compile(listing)


def test_progress_counts_the_packages_a_build_really_compiles(multi_build):
    compiled = {e.pkg for e in events_of(multi_build.trace)[0] if e.tool == "compile"}
    assert go_list_count(multi_build, ["build", "-x", "-o", "bin/", "./..."]) == len(compiled)


def test_progress_counts_test_variants_as_go_test_compiles_them(multi_test_build):
    compiled = {e.pkg for e in events_of(multi_test_build.trace)[0] if e.tool == "compile"}
    assert any("[" in p for p in compiled)
    assert go_list_count(multi_test_build, ["test", "./..."]) == len(compiled)
