"""The shim on its own: it passes everything through untouched and writes exactly one whole record."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson
import pytest

from gotrace.events import open_trace
from tests.conftest import ROOT, test_env

TOOL = """#!/bin/sh
# a stand-in tool: writes binary-ish bytes to both streams, reads stdin, exits as told
printf 'out\\001\\377 %s\\n' "$*"
printf 'err\\002\\n' >&2
cat
exit "${TOOL_EXIT:-0}"
"""


@pytest.fixture
def tool(tmp_path) -> Path:
    path = tmp_path / "faketool"
    path.write_text(TOOL)
    path.chmod(0o755)
    return path


def run_shim(shim: str, args: list[str], trace: Path | str | None, stdin: bytes = b"", **env) -> subprocess.CompletedProcess:
    environment = test_env(**env)
    if trace is not None:
        environment["GOTRACE_FILE"] = str(trace)
    return subprocess.run([shim, *args], input=stdin, capture_output=True, env=environment)


def records(trace: Path) -> list[dict]:
    return [orjson.loads(line) for line in trace.read_bytes().splitlines()]


def test_installed_shim_is_the_one_in_the_repository(shim):
    assert Path(shim).read_bytes() == (ROOT / "shim" / "gotrace-shim").read_bytes(), \
        "the installed gotrace-shim is stale: run `make venv`"


def test_output_exit_status_and_stdin_pass_through_unchanged(shim, tool, tmp_path):
    direct = subprocess.run([str(tool), "a b", "c"], input=b"in\x00put", capture_output=True,
                            env=test_env(TOOL_EXIT="3"))
    traced = run_shim(shim, [str(tool), "a b", "c"], tmp_path / "t.jsonl", stdin=b"in\x00put", TOOL_EXIT="3")
    assert (traced.returncode, traced.stdout, traced.stderr) == (3, direct.stdout, direct.stderr)
    (rec,) = records(tmp_path / "t.jsonl")
    assert rec["exit"] == 3 and rec["argv"] == [str(tool), "a b", "c"] and rec["tool"] == "faketool"


def test_one_record_carries_timing_cpu_and_memory_from_the_os(shim, tmp_path):
    trace = tmp_path / "t.jsonl"
    # burn a little CPU in a child so rusage has something to report
    run_shim(shim, [sys.executable, "-c", "sum(range(3_000_000)); b = bytearray(50 << 20)"], trace,
             TOOLEXEC_IMPORTPATH="example.com/x [example.com/x.test]", GOTRACE_BUILD_ID="B7")
    (rec,) = records(trace)
    assert rec["v"] == 1 and rec["build"] == "B7" and rec["pkg"] == "example.com/x [example.com/x.test]"
    assert rec["wall_ns"] > 0 and rec["user_ns"] > 0 and rec["max_rss_kib"] > 50 * 1024
    assert rec["pid"] > 0 and rec["ppid"] == os.getpid()
    assert rec["cwd"] == os.getcwd()


def test_a_tool_killed_by_a_signal_kills_the_shim_the_same_way(shim, tmp_path):
    trace = tmp_path / "t.jsonl"
    result = run_shim(shim, ["/bin/sh", "-c", "kill -TERM $$"], trace)
    assert result.returncode == -signal.SIGTERM and result.stdout == b"" and result.stderr == b""
    (rec,) = records(trace)
    assert rec["signal"] == signal.SIGTERM and rec["exit"] == 128 + signal.SIGTERM


def test_bare_tool_names_are_found_on_path(shim, tmp_path):
    trace = tmp_path / "t.jsonl"
    result = run_shim(shim, ["true"], trace)
    assert result.returncode == 0
    (rec,) = records(trace)
    assert rec["tool"] == "true" and os.path.isabs(rec["path"]) and os.access(rec["path"], os.X_OK)


def test_missing_tool_exits_127_silently_and_is_recorded(shim, tmp_path):
    trace = tmp_path / "t.jsonl"
    result = run_shim(shim, ["no-such-tool-gotrace"], trace)
    assert (result.returncode, result.stdout, result.stderr) == (127, b"", b"")
    (rec,) = records(trace)
    assert rec["exit"] == 127 and "not found" in rec["error"]


@pytest.mark.parametrize("trace", ["/nonexistent-dir/t.jsonl", "/dev/full", "/proc/version"])
def test_unwritable_trace_never_changes_what_the_tool_does(shim, tool, trace):
    direct = subprocess.run([str(tool), "x"], capture_output=True, env=test_env(TOOL_EXIT="5"))
    traced = run_shim(shim, [str(tool), "x"], trace, TOOL_EXIT="5")
    assert (traced.returncode, traced.stdout, traced.stderr) == (5, direct.stdout, direct.stderr)


def fill(disk: Path, leave: int) -> None:
    """Fill a tmpfs so that `leave` bytes of its last page stay free for a file that starts there."""
    stats = os.statvfs(disk)
    (disk / "filler").write_bytes(b"f" * ((stats.f_bavail - 1) * stats.f_frsize))
    (disk / "t.jsonl").write_bytes(b"")
    assert leave < stats.f_frsize


def test_failed_writes_are_counted_for_gotrace_run(shim, tiny_disk, tmp_path):
    fill(tiny_disk, 0)
    (tiny_disk / "t.jsonl").write_bytes(b"x" * os.statvfs(tiny_disk).f_frsize)  # the last page
    failures = tmp_path / "failures"
    run_shim(shim, ["true"], tiny_disk / "t.jsonl", GOTRACE_FAILURES=str(failures))
    assert failures.read_text().count("\n") == 1 and "space" in failures.read_text()


def test_a_record_that_does_not_fit_on_the_disk_is_not_left_torn(shim, tool, tiny_disk, tmp_path):
    fill(tiny_disk, 0)
    trace = tiny_disk / "t.jsonl"
    first = subprocess.run([shim, "true", "small"], env=test_env(GOTRACE_FILE=str(trace)))
    assert first.returncode == 0 and trace.read_bytes().endswith(b"\n")
    kept = trace.read_bytes()
    # this record is larger than what is left of the page the first one started
    big = "x" * os.statvfs(tiny_disk).f_frsize
    failures = tmp_path / "failures"
    direct = subprocess.run([str(tool), big], capture_output=True, env=test_env())
    traced = run_shim(shim, [str(tool), big], trace, GOTRACE_FAILURES=str(failures))
    assert (traced.returncode, traced.stdout, traced.stderr) == (0, direct.stdout, direct.stderr)
    assert trace.read_bytes() == kept and "space" in failures.read_text()


def test_a_fifo_as_the_trace_never_blocks_the_tool(shim, tool, tmp_path):
    fifo = tmp_path / "t.fifo"
    os.mkfifo(fifo)
    failures = tmp_path / "failures"
    direct = subprocess.run([str(tool), "x"], capture_output=True, env=test_env())
    # nobody reads the FIFO: a shim that opened it for writing would wait forever
    traced = subprocess.run([shim, str(tool), "x"], capture_output=True, timeout=60,
                            env=test_env(GOTRACE_FILE=str(fifo), GOTRACE_FAILURES=str(failures)))
    assert (traced.returncode, traced.stdout, traced.stderr) == (0, direct.stdout, direct.stderr)
    assert failures.read_text().count("\n") == 1  # no reader: ENXIO; with one: "not a regular file"


def ignoring(sig: int):
    return lambda: signal.signal(sig, signal.SIG_IGN)


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGINT])
def test_a_signal_the_shim_inherited_as_ignored_stays_ignored_for_the_tool(shim, tmp_path, sig):
    # nohup ignores SIGHUP, a script's background job SIGINT: the tool must ignore it too, and the
    # shim (the tool's parent) must not pass it on
    direct = subprocess.run(["/bin/sh", "-c", f"kill -{sig} $$; echo survived"], capture_output=True,
                            env=test_env(), preexec_fn=ignoring(sig))
    traced = subprocess.run([shim, "/bin/sh", "-c", f"kill -{sig} $PPID; kill -{sig} $$; echo survived"],
                            capture_output=True, preexec_fn=ignoring(sig),
                            env=test_env(GOTRACE_FILE=str(tmp_path / "t.jsonl")))
    assert direct.stdout == b"survived\n"
    assert (traced.returncode, traced.stdout) == (direct.returncode, direct.stdout)
    (rec,) = records(tmp_path / "t.jsonl")
    assert rec["exit"] == 0 and "signal" not in rec


FAKE_COMPILE = """#!/bin/sh
# a stand-in compiler: appends one -bench line to the file its -bench flag names
case "$1" in -bench=*) echo "BenchmarkCompile:x:fe:parse 1 1234 ns/op" >> "${1#-bench=}";; esac
"""


def test_phase_files_are_private_so_planted_files_change_nothing(shim, tmp_path):
    compile_tool = tmp_path / "bin" / "compile"
    compile_tool.parent.mkdir()
    compile_tool.write_text(FAKE_COMPILE)
    compile_tool.chmod(0o755)
    planted = tmp_path / "tmp"
    planted.mkdir()
    victim = tmp_path / "victim"
    victim.write_text("keep\n")
    # the names an attacker can guess: gotrace-bench-<pid>.txt for the next pids
    with open("/proc/sys/kernel/ns_last_pid") as f:
        last = int(f.read())
    for pid in range(last, last + 3000):
        if pid % 2:
            os.symlink(victim, planted / f"gotrace-bench-{pid}.txt")
        else:
            os.mkdir(planted / f"gotrace-bench-{pid}.txt")
    trace = tmp_path / "t.jsonl"
    for _ in range(3):
        result = run_shim(shim, [str(compile_tool), "x.go"], trace, GOTRACE_PHASES="1", TMPDIR=str(planted))
        assert result.returncode == 0
    assert victim.read_text() == "keep\n"
    assert [r["phases"] for r in records(trace)] == [{"fe:parse": 1234}] * 3
    assert not list(planted.glob("gotrace-bench-*-*"))  # and the shim's own files are gone


def test_version_probe_output_is_byte_identical_and_recorded(shim, go, tmp_path):
    goroot = subprocess.run([go, "env", "GOROOT"], capture_output=True, text=True, env=test_env()).stdout.strip()
    compile_tool = os.path.join(goroot, "pkg", "tool", f"{sys.platform}_amd64", "compile")
    if not os.path.exists(compile_tool):
        compile_tool = subprocess.run([go, "tool", "-n", "compile"], capture_output=True, text=True,
                                      env=test_env()).stdout.strip()
    direct = subprocess.run([compile_tool, "-V=full"], capture_output=True)
    traced = run_shim(shim, [compile_tool, "-V=full"], tmp_path / "t.jsonl")
    assert (traced.returncode, traced.stdout, traced.stderr) == (0, direct.stdout, direct.stderr)
    (rec,) = records(tmp_path / "t.jsonl")
    assert rec["probe"] is True and rec["version"] == direct.stdout.decode().strip()


def test_settings_given_as_arguments_win_over_the_environment(shim, tmp_path):
    env_trace, arg_trace = tmp_path / "env.jsonl", tmp_path / "arg.jsonl"
    run_shim(shim, [f"--trace={arg_trace}", "--build=from-arg", "true"], env_trace)
    assert not env_trace.exists()
    assert records(arg_trace)[0]["build"] == "from-arg"


def test_two_hundred_parallel_shims_lose_and_tear_no_line(shim, tmp_path):
    trace = tmp_path / "t.jsonl"
    env = test_env(GOTRACE_FILE=str(trace))
    big = "x" * 20_000  # records far larger than PIPE_BUF, so only one write per record keeps them whole

    def one(i: int) -> int:
        return subprocess.run([shim, "/bin/echo", f"n{i}", big], env=env, stdout=subprocess.DEVNULL).returncode

    with ThreadPoolExecutor(max_workers=200) as pool:
        assert set(pool.map(one, range(200))) == {0}
    reader = open_trace(str(trace), keep_argv=True)
    events = list(reader)
    assert reader.skipped == 0
    assert sorted(e.argv[1] for e in events) == sorted(f"n{i}" for i in range(200))


def test_names_with_quotes_control_bytes_and_invalid_utf8_stay_valid_json(shim, tmp_path):
    trace = tmp_path / "t.jsonl"
    weird = os.fsdecode(b'a"b\\c\x01\n\xff\xfe<script>')
    run_shim(shim, ["/bin/echo", weird], trace, TOOLEXEC_IMPORTPATH='p"q')
    reader = open_trace(str(trace), keep_argv=True)
    (event,) = list(reader)
    assert event.pkg == 'p"q' and event.argv[1].startswith('a"b\\c\x01\n') and "\ufffd" in event.argv[1]


def test_shim_without_arguments_explains_itself(shim):
    result = subprocess.run([shim], capture_output=True)
    assert result.returncode == 2 and b"usage" in result.stderr
