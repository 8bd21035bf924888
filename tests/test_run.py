"""`gotrace run` and the shim under real go builds: complete traces, builds unchanged, cache shared."""
from __future__ import annotations

import collections
import os
import re
import subprocess
import time
from pathlib import Path

from gotrace.events import open_trace
from gotrace.progress import running_tools
from tests.conftest import copy_sample, run_gotrace, test_env


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
    slowest = err.split("gotrace: slowest packages:\n", 1)[1].split("gotrace: trace written")[0].splitlines()
    assert len(slowest) == 5 and "runtime" in err
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


def test_a_full_disk_makes_the_trace_incomplete_and_run_says_how_much(go, tmp_path):
    module = copy_sample("broken", tmp_path)
    result = run_gotrace(["run", "--trace", "/dev/full", "--", "go", "build", "./ok"], cwd=module,
                         env=test_env(GOCACHE=str(tmp_path / "c")))
    assert result.returncode == 0
    # one compile and its -V=full probe could not be recorded
    assert re.search(rb"trace is incomplete: 2 tool invocation\(s\) could not be recorded \(.*space", result.stderr)


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
    parent = subprocess.Popen(["/bin/sh", "-c", f'"{shim}" /bin/sleep 5 & wait'],
                              env=test_env(GOTRACE_FILE=str(tmp_path / "t.jsonl"), TOOLEXEC_IMPORTPATH="example.com/slow"))
    try:
        deadline = time.monotonic() + 5
        running = []
        while time.monotonic() < deadline and not running:
            time.sleep(0.1)
            running = running_tools(parent.pid, shim)
        assert [(t.tool, t.pkg) for t in running] == [("sleep", "example.com/slow")]
    finally:
        subprocess.run(["pkill", "-P", str(parent.pid)])
        parent.wait()
