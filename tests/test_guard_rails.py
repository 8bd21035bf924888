"""`gotrace run --tool-timeout/--tool-memory` end to end: real tools, really killed, and recorded.

Two small builds: one whose (chained) -toolexec sleeps for one package, one with a generated package
whose compile grows past the memory limit. In both, the other packages are the control: they run
under the same limit and must be untouched.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from gotrace.events import read_events

from .conftest import Traced, copy_sample, run_gotrace
from .test_doctor import write_hog_module

SLEEPER = "example.com/doctor/toolchain/mid"


def doctor_checks(trace: Path) -> dict[str, dict]:
    result = run_gotrace(["doctor", str(trace), "--json"], check=True)
    return {f["check"]: f for f in json.loads(result.stdout)["findings"]}


SLEEP_S = 900  # the sleeping tool's length: far longer than any build of the sample, even on a busy machine


@pytest.fixture(scope="session")
def timeout_build(go, tmp_path_factory) -> tuple[Traced, float, Path]:
    tmp = tmp_path_factory.mktemp("guard_timeout")
    module = copy_sample("doctor-toolchain", tmp)
    pid_file = tmp / "sleep.pid"
    sleepy = tmp / "sleepy.sh"
    # The user's -toolexec: for one package it starts a long sleep (in the tool's process group)
    # before running the tool; `gotrace run` chains it behind the shim.
    sleepy.write_text(f'#!/bin/sh\nif [ "$TOOLEXEC_IMPORTPATH" = {SLEEPER} ] && [ "${{1##*/}}" = compile ]; then\n'
                      f'  sleep {SLEEP_S} & echo $! > {pid_file}; wait\nfi\nexec "$@"\n')
    sleepy.chmod(0o755)
    trace = tmp / "timeout.jsonl"
    t0 = time.monotonic()
    result = run_gotrace(["run", "--trace", str(trace), "--progress", "never", "--cold", "--tool-timeout", "2",
                          "--", "go", "build", "-toolexec", str(sleepy), "./..."], cwd=module)
    return Traced(trace=trace, module=module, result=result), time.monotonic() - t0, pid_file


@pytest.fixture(scope="session")
def memory_build(go, tmp_path_factory) -> Traced:
    tmp = tmp_path_factory.mktemp("guard_memory")
    module = write_hog_module(tmp)
    trace = tmp / "memory.jsonl"
    result = run_gotrace(["run", "--trace", str(trace), "--progress", "never", "--cold", "--tool-memory", "120M",
                          "--", "go", "build", "./..."], cwd=module)
    return Traced(trace=trace, module=module, result=result)


def compiles(trace: Path) -> dict[str, object]:
    events, _ = read_events(str(trace))
    return {e.pkg: e for e in events if e.tool == "compile"}


def test_a_tool_past_the_time_limit_is_killed_and_recorded_as_a_timeout(timeout_build):
    traced, elapsed, _ = timeout_build
    assert traced.result.returncode != 0
    # structural, not a timing: a build that waited for the tool would have taken the whole sleep
    assert elapsed < SLEEP_S, "the build waited for the sleeping tool instead of killing it"
    slow = compiles(traced.trace)[SLEEPER]
    assert slow.limit == "timeout" and slow.signal == 9 and slow.exit == 137
    assert 2e9 <= slow.wall_ns < SLEEP_S * 1e9


def test_the_time_limit_kills_the_tools_whole_process_group(timeout_build):
    _, _, pid_file = timeout_build
    pid = int(pid_file.read_text())
    for _ in range(50):  # the kernel reaps the orphaned sleep asynchronously
        if not os.path.exists(f"/proc/{pid}") or "Z" in Path(f"/proc/{pid}/stat").read_text().split(")")[1][:3]:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the sleep the tool started (pid {pid}) survived the timeout")


def test_tools_within_the_time_limit_are_untouched(timeout_build):
    traced, _, _ = timeout_build
    base = compiles(traced.trace)["example.com/doctor/toolchain/base"]
    assert base.exit == 0 and base.limit is None and base.signal is None


def test_doctor_reports_the_timeout(timeout_build):
    traced, _, _ = timeout_build
    found = doctor_checks(traced.trace)["timeout"]
    assert found["severity"] == "error"
    assert found["evidence"][0].startswith(f"compile {SLEEPER}: killed by the time limit after ")


def test_a_compile_past_the_memory_limit_is_killed_and_recorded(memory_build):
    assert memory_build.result.returncode != 0
    big = compiles(memory_build.trace)["example.com/hog/big"]
    assert big.limit == "memory" and big.signal == 9
    assert big.max_rss_kib >= 120 * 1024 * 0.95  # it was killed for being over the limit


def test_compiles_under_the_memory_limit_are_untouched(memory_build):
    small = [e for pkg, e in compiles(memory_build.trace).items() if pkg != "example.com/hog/big"]
    assert len(small) == 3
    assert all(e.exit == 0 and e.limit is None for e in small)


def test_doctor_reports_the_memory_limit(memory_build):
    found = doctor_checks(memory_build.trace)["memory-limit"]
    assert found["evidence"][0].startswith("compile example.com/hog/big: killed by the memory limit after ")


def test_without_limits_nothing_is_recorded_as_limited(multi_build):
    events, _ = read_events(str(multi_build.trace))
    assert events and all(e.limit is None for e in events)
    assert not {"timeout", "memory-limit"} & set(doctor_checks(multi_build.trace))


@pytest.mark.parametrize("option, value", [("--tool-timeout", "0"), ("--tool-memory", "lots")])
def test_bad_limits_are_refused_before_building(option, value, tmp_path):
    result = run_gotrace(["run", "--trace", str(tmp_path / "t.jsonl"), option, value, "--", "go", "build", "./..."],
                         cwd=tmp_path)
    assert result.returncode == 2
    assert f"Error: Invalid value for {option}" in result.stderr.decode()
    assert not (tmp_path / "t.jsonl").exists()
