"""`gotrace doctor` on real traced builds: each check has a build that triggers it and one that does not.

The builds here are small on purpose: samples/doctor-toolchain and the generated modules import no
standard-library package, so they compile in about a second even with an empty cache. The one build
that needs the standard library (cgo) reuses the default GOCACHE, with a fresh stamp in the sample
so its own package still runs cgo.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gotrace.analysis.doctor import diagnose
from gotrace.events import Event, events_from_text, read_events

from .conftest import Traced, copy_sample, run_gotrace
from .conftest import test_env as go_env

HOG_STATEMENTS = 6000  # a compile of about 350 MiB and a few seconds, far above its 15 MiB neighbours


def doctor(trace: Path, *args: str, expect: int = 0) -> list[dict]:
    result = run_gotrace(["doctor", str(trace), "--json", *args])
    assert result.returncode == expect, result.stderr.decode()
    return json.loads(result.stdout)["findings"]


def checks(findings: list[dict]) -> dict[str, dict]:
    return {f["check"]: f for f in findings}


def gotrace_run(module: Path, trace: Path, go_args: list[str], *run_args: str, env=None) -> subprocess.CompletedProcess:
    return run_gotrace(["run", "--trace", str(trace), "--progress", "never", *run_args, "--", "go", *go_args],
                       cwd=module, env=env or go_env())


def write_hog_module(root: Path) -> Path:
    """A module with three tiny packages and one whose single huge function makes the compiler's
    memory jump (register allocation over thousands of live values)."""
    module = root / "hog"
    (module / "big").mkdir(parents=True)
    (module / "go.mod").write_text("module example.com/hog\n\ngo 1.22\n")
    lines = ["package big", "", "func F(a []int) int {"]
    lines += [f"\tx{i} := a[{i % 7}] * {i + 3}" for i in range(HOG_STATEMENTS)]
    lines += ["\treturn " + " + ".join(f"x{i}" for i in range(HOG_STATEMENTS)), "}", ""]
    (module / "big" / "big.go").write_text("\n".join(lines))
    for name in ("a", "b", "c"):
        (module / name).mkdir()
        (module / name / f"{name}.go").write_text(f'package {name}\n\nfunc Name() string {{ return "{name}" }}\n')
    return module


@pytest.fixture(scope="session")
def hog_build(go, tmp_path_factory) -> Traced:
    tmp = tmp_path_factory.mktemp("doctor_hog")
    module = write_hog_module(tmp)
    trace = tmp / "hog.jsonl"
    result = gotrace_run(module, trace, ["build", "./..."], "--cold")
    assert result.returncode == 0, result.stderr.decode()
    return Traced(trace=trace, module=module, result=result)


@pytest.fixture(scope="session")
def cgo_native_build(go, tmp_path_factory) -> Traced:
    tmp = tmp_path_factory.mktemp("doctor_cgo")
    module = copy_sample("doctor-cgo-native", tmp)
    # A new file content gives the package a new cache key: cgo runs even when GOCACHE has it.
    (module / "native" / "stamp.go").write_text(f"package native\n\n// stamp {uuid.uuid4()}\n")
    trace = tmp / "cgo.jsonl"
    result = gotrace_run(module, trace, ["build", "./..."])
    assert result.returncode == 0, result.stderr.decode()
    return Traced(trace=trace, module=module, result=result)


@pytest.fixture(scope="session")
def private_compiler_build(go, shim, tmp_path_factory) -> Traced:
    """samples/doctor-toolchain built through a user's -toolexec that swaps in a private copy of the
    compiler, outside GOROOT, in front of the shim (`-toolexec 'swap.sh gotrace-shim'`)."""
    tmp = tmp_path_factory.mktemp("doctor_toolchain")
    module = copy_sample("doctor-toolchain", tmp)
    goroot = subprocess.run([go, "env", "GOROOT"], capture_output=True, text=True, env=go_env(),
                            check=True).stdout.strip()
    private = tmp / "private-go"
    private.mkdir()
    shutil.copy2(Path(goroot) / "pkg" / "tool" / "linux_amd64" / "compile", private / "compile")
    swap = tmp / "swap.sh"
    swap.write_text('#!/bin/sh\nshim=$1 tool=$2\nshift 2\n'
                    f'case "$tool" in */compile) tool={private}/compile ;; esac\n'
                    'exec "$shim" "$tool" "$@"\n')
    swap.chmod(0o755)
    trace = tmp / "private.jsonl"
    env = go_env(GOTRACE_FILE=str(trace), GOCACHE=str(tmp / "gocache"))
    result = subprocess.run([go, "build", "-toolexec", f"{swap} {shim}", "./..."], check=False, cwd=module, env=env,
                            capture_output=True)
    assert result.returncode == 0, result.stderr.decode()
    return Traced(trace=trace, module=module, result=result)


@pytest.fixture(scope="session")
def cache_builds(go, tmp_path_factory) -> dict[str, Path]:
    """Three non-cold builds of samples/doctor-toolchain sharing one GOCACHE that starts empty:
    `first` compiles everything, `again` nothing, `stamped` after a generated constant changed."""
    tmp = tmp_path_factory.mktemp("doctor_cache")
    module = copy_sample("doctor-toolchain", tmp)
    env = go_env(GOCACHE=str(tmp / "gocache"))
    traces = {}
    for name in ("first", "again", "stamped"):
        if name == "stamped":
            base = module / "base" / "base.go"
            base.write_text(base.read_text().replace("const Stamp = 1", "const Stamp = 2"))
        traces[name] = tmp / f"{name}.jsonl"
        result = gotrace_run(module, traces[name], ["build", "./..."], env=env)
        assert result.returncode == 0, result.stderr.decode()
    return traces


@pytest.fixture(scope="session")
def killed_build(go, tmp_path_factory) -> Traced:
    """A build whose user -toolexec (chained by `gotrace run`) dies by SIGKILL for one package, the
    way the kernel's OOM killer ends a compile."""
    tmp = tmp_path_factory.mktemp("doctor_killed")
    module = copy_sample("doctor-toolchain", tmp)
    wrapper = tmp / "oom.sh"
    wrapper.write_text('#!/bin/sh\nif [ "$TOOLEXEC_IMPORTPATH" = example.com/doctor/toolchain/mid ] && '
                       '[ "${1##*/}" = compile ]; then kill -KILL $$; fi\nexec "$@"\n')
    wrapper.chmod(0o755)
    trace = tmp / "killed.jsonl"
    result = gotrace_run(module, trace, ["build", "-toolexec", str(wrapper), "./..."], "--cold")
    assert result.returncode != 0
    return Traced(trace=trace, module=module, result=result)


# -- failures -------------------------------------------------------------------------------------

def test_a_compile_error_is_reported_as_a_failed_invocation_with_its_package(broken_build):
    failed = checks(doctor(broken_build.trace))["failed"]
    events, _ = read_events(str(broken_build.trace))
    bad = next(e for e in events if e.tool == "compile" and e.pkg == "example.com/broken/bad")
    assert failed["severity"] == "error" and bad.exit != 0
    assert any(line.startswith(f"compile example.com/broken/bad: exit status {bad.exit} after ")
               for line in failed["evidence"])
    assert not any("broken/ok" in line for line in failed["evidence"])


def test_a_tool_killed_by_sigkill_is_reported_as_killed_with_the_oom_hint(killed_build):
    killed = checks(doctor(killed_build.trace))["killed"]
    assert killed["severity"] == "error"
    assert any(line.startswith("compile example.com/doctor/toolchain/mid: killed by SIGKILL")
               for line in killed["evidence"])
    assert "out-of-memory" in killed["why"] and "dmesg" in killed["fix"]


def test_a_clean_build_has_no_failure_findings(multi_build):
    found = checks(doctor(multi_build.trace))
    assert not {"failed", "killed", "timeout", "memory-limit"} & set(found)


def test_fail_on_error_turns_findings_into_exit_status_3(broken_build, multi_build):
    doctor(broken_build.trace, "--fail-on", "error", expect=3)
    doctor(broken_build.trace, expect=0)
    doctor(multi_build.trace, "--fail-on", "warning", expect=0)


# -- cgo ------------------------------------------------------------------------------------------

def test_cgo_with_march_native_and_avx2_is_reported(cgo_native_build):
    found = checks(doctor(cgo_native_build.trace))["cgo-host-flags"]
    assert found["severity"] == "warning"
    # the C compiler's own arguments, now that its runs are recorded
    assert found["evidence"] == ["example.com/doctor/cgonative/native: C compiler flags include -march=native -mavx2"]
    assert "SIGILL" in found["why"] and "CGO_CFLAGS" in found["fix"]


def test_portable_cgo_flags_are_not_reported(multi_build):
    events, _ = read_events(str(multi_build.trace))
    assert any(e.tool == "cgo" and e.cflags and e.pkg.endswith("cgohash") for e in events)
    assert "cgo-host-flags" not in checks(doctor(multi_build.trace))


# -- toolchains -----------------------------------------------------------------------------------

def test_a_compiler_outside_goroot_is_reported_as_mixed_toolchain(private_compiler_build):
    found = checks(doctor(private_compiler_build.trace))["mixed-toolchain"]
    private = str(private_compiler_build.trace.parent / "private-go" / "compile")
    assert any(line.startswith(f"{private} is outside the go command's GOROOT") for line in found["evidence"])


def test_a_go_mod_toolchain_line_newer_than_the_go_that_ran_is_reported(private_compiler_build):
    found = checks(doctor(private_compiler_build.trace))["go-mod-toolchain"]
    events, _ = read_events(str(private_compiler_build.trace))
    assert found["severity"] == "warning"
    assert found["title"] == f"go.mod asks for go1.99.0, {events[0].goversion} built"
    assert found["evidence"][0] == f"{private_compiler_build.module / 'go.mod'}: toolchain go1.99.0"


def test_version_probes_from_two_toolchains_are_an_error():
    # No second Go toolchain is installed for the tests, so this branch is checked on records alone.
    probe = '{{"v":1,"build":"b","tool":"{tool}","pkg":"","start_ns":1,"wall_ns":1,"probe":true,"version":"{v}"}}'
    text = "\n".join([probe.format(tool="compile", v="compile version go1.27.3"),
                      probe.format(tool="asm", v="asm version go1.22.1")])
    found = diagnose(events_from_text(text, include_probes=True), {})
    assert [(f.check, f.severity) for f in found] == [("mixed-toolchain", "error")]
    assert found[0].evidence == ("asm: go1.22.1", "compile: go1.27.3")


def test_the_go_commands_own_tools_and_a_plain_go_mod_are_not_reported(multi_build):
    found = checks(doctor(multi_build.trace))
    assert "mixed-toolchain" not in found and "go-mod-toolchain" not in found


# -- memory ---------------------------------------------------------------------------------------

def test_a_compile_far_above_the_rest_is_a_memory_hog(hog_build):
    found = checks(doctor(hog_build.trace))
    hog = found["memory-hog"]
    assert hog["severity"] == "warning"
    assert len(hog["evidence"]) == 1 and hog["evidence"][0].startswith("compile example.com/hog/big: peak ")
    assert "memory-concurrency" not in found  # this machine has room for it


def test_a_hog_on_a_small_machine_is_an_error_and_risks_oom_at_p_n(hog_build):
    found = checks(doctor(hog_build.trace, "--machine-memory", "400M"))
    assert found["memory-hog"]["severity"] == "error"
    assert "% of the machine's memory" in found["memory-hog"]["evidence"][0]
    risk = found["memory-concurrency"]
    assert risk["title"].startswith("at -p ") and "GOMEMLIMIT" in risk["fix"]


def test_a_build_of_many_modest_compiles_has_no_memory_findings(multi_build):
    found = checks(doctor(multi_build.trace))
    assert not {"memory-hog", "memory-concurrency", "link-memory"} & set(found)


def _records(*records: dict, cores: int = 2, parallelism: int | None = None):
    build = {"v": 1, "kind": "build", "build": "b", "cores": cores, "parallelism": parallelism or cores,
             "cold": True}
    text = "".join(json.dumps(r) + "\n" for r in [build, *({"v": 1, "build": "b", **r} for r in records)])
    import io

    from gotrace.events import TraceReader

    reader = TraceReader(io.BytesIO(text.encode()))
    return list(reader), reader.builds


MIB = 1024
S = 1_000_000_000


def big_binary_build():
    """Twenty 30 MiB compiles and the 727 MiB link of a big binary, as the issue saw it."""
    compiles = [{"tool": "compile", "pkg": f"x.org/p{i}", "start_ns": i * S // 10, "wall_ns": S // 10,
                 "user_ns": S // 10, "max_rss_kib": 30 * MIB} for i in range(20)]
    link = {"tool": "link", "pkg": "x.org/cmd/big", "start_ns": 2 * S, "wall_ns": S, "user_ns": S,
            "max_rss_kib": 727 * MIB}
    return _records(*compiles, link)


def test_the_link_of_a_big_binary_is_no_memory_hog_where_it_fits():
    from gotrace.analysis.doctor import Context

    events, builds = big_binary_build()
    assert diagnose(events, builds, Context(machine_memory_kib=24 * 1024 * MIB)) == []


def test_a_link_taking_much_of_a_small_machine_gets_link_advice_not_compile_advice():
    from gotrace.analysis.doctor import Context

    events, builds = big_binary_build()
    found = {f.check: f for f in diagnose(events, builds, Context(machine_memory_kib=2 * 1024 * MIB))}
    assert set(found) == {"link-memory"}
    link = found["link-memory"]
    assert link.severity == "warning" and link.evidence == ("link x.org/cmd/big: peak 727 MiB of the machine's 2048 MiB",)
    assert "-ldflags=-w" in link.fix and "go:embed" not in link.fix


def test_tools_that_ran_but_got_little_cpu_are_reported_as_oversubscription():
    # 25% CPU use of 2 cores with 1.7 tools running on average, as the issue saw it
    records = [{"tool": "compile", "pkg": f"x.org/p{i}", "start_ns": 0, "wall_ns": 10 * S, "user_ns": S * 25 // 17}
               for i in range(2)]
    records.append({"tool": "compile", "pkg": "x.org/q", "start_ns": 10 * S, "wall_ns": 0, "user_ns": 0})
    events, builds = _records(*records)
    (found,) = diagnose(events, builds)
    assert (found.check, found.severity) == ("oversubscribed", "info")
    assert found.title.startswith("tools ran but got little CPU: 15% CPU use of 2 cores with 2.0 tools")


def test_cores_idle_behind_a_chain_of_dependencies_are_reported_with_the_floor():
    chain = [{"tool": "compile", "pkg": f"x.org/p{i}", "start_ns": i * S, "wall_ns": S, "user_ns": S,
              "deps": [f"x.org/p{i - 1}"] if i else []} for i in range(4)]
    events, builds = _records(*chain, cores=8)
    (found,) = diagnose(events, builds)
    assert (found.check, found.severity) == ("idle-cores", "info")
    assert "dependency floor (longest chain of real dependencies): 4.0 s of the 4.0 s wall" in found.evidence
    events, builds = _records(*chain, cores=8, parallelism=1)
    (found,) = diagnose(events, builds)
    assert found.title == "cores left idle by -p 1 on 8 cores"


# -- serial stretches -----------------------------------------------------------------------------

def test_a_package_compiling_alone_for_most_of_the_build_is_a_serial_bottleneck(hog_build):
    """A real cold build whose one huge package compiles alone after its three tiny neighbours. How
    long it takes follows the machine's speed (1.6 s on a quiet fast day, a few seconds on a busy
    one), so the check here keeps its share of the build and leaves out the absolute floor of 2 s,
    which the synthetic test below covers."""
    from gotrace.analysis.doctor import Context, check_serial

    events, reader = read_events(str(hog_build.trace))
    (found,) = check_serial(events, events[0].build, Context(serial_floor_ns=0))
    assert found.check == "serial-bottleneck" and len(found.evidence) == 1
    assert found.evidence[0].startswith("compile example.com/hog/big ran alone for ")


@pytest.mark.parametrize("alone, flagged", [(14, False), (29, True)])
def test_only_a_package_alone_for_two_seconds_or_more_is_a_serial_bottleneck(alone, flagged):
    """However much of a short build one compile ran alone (1.4 s of 1.5 s), under 2 s it is not worth
    a finding; 2.9 s is."""
    from gotrace.analysis.doctor import check_serial

    events = _timed([(0, 1, 1), (0, alone + 1, 1)])  # (start, wall, RSS) in tenths of a second
    found = check_serial(events, "b")
    assert bool(found) is flagged
    if flagged:
        assert found[0].evidence == ("compile x.org/p1 ran alone for 2.9 s of the build's 3.0 s (97%)",)


def test_the_standard_library_compiling_alone_in_a_cold_build_is_not_a_bottleneck(multi_build):
    assert "serial-bottleneck" not in checks(doctor(multi_build.trace))


# -- cache ----------------------------------------------------------------------------------------

def test_a_non_cold_build_that_compiled_everything_reports_cache_misses(cache_builds):
    found = checks(doctor(cache_builds["first"]))["cache-misses"]
    assert found["title"] == "3 of 3 known packages compiled in a build that was not cold"


def test_a_rebuild_from_a_warm_cache_has_no_cache_findings(cache_builds, multi_build):
    found = checks(doctor(cache_builds["again"], "--previous", str(cache_builds["first"])))
    assert "cache-misses" not in found and "recompiled" not in found
    assert "cache-misses" not in checks(doctor(multi_build.trace))  # cold on purpose


def test_packages_compiled_again_after_a_generated_file_changed_are_reported(cache_builds):
    found = checks(doctor(cache_builds["stamped"], "--previous", str(cache_builds["first"])))["recompiled"]
    assert found["evidence"] == [f"example.com/doctor/toolchain/{p}" for p in ("base", "mid", "top")]


def test_two_builds_in_one_trace_are_compared_in_order(cache_builds, tmp_path):
    both = tmp_path / "both.jsonl"
    both.write_bytes(cache_builds["again"].read_bytes() + cache_builds["stamped"].read_bytes())
    found = [f for f in doctor(both) if f["check"] == "recompiled"]
    assert len(found) == 1 and len(found[0]["evidence"]) == 3


# -- the command ----------------------------------------------------------------------------------

def test_text_report_names_severity_check_evidence_why_and_fix(broken_build):
    out = run_gotrace(["doctor", str(broken_build.trace)], check=True).stdout.decode()
    assert out.startswith("ERROR   [failed] ")
    assert "\n        - compile example.com/broken/bad: exit status " in out
    assert "\n        why: " in out and "\n        fix: " in out
    assert out.rstrip().endswith("error") and "finding(s)" in out


def test_a_clean_report_says_so(cache_builds):
    out = run_gotrace(["doctor", str(cache_builds["again"])], check=True).stdout.decode()
    assert out.startswith("no findings")


def test_a_normal_build_passes_a_warning_gate_and_an_injected_problem_fails_it_by_name(multi_build, hog_build):
    # info findings may name the machine's load at the time (oversubscribed): never a warning
    assert all(f["severity"] == "info" for f in doctor(multi_build.trace, "--fail-on", "warning"))
    result = run_gotrace(["doctor", str(hog_build.trace), "--fail-on", "warning"])
    assert result.returncode == 3
    assert "WARNING [memory-hog] 1 compile(s) use far more memory than the rest" in result.stdout.decode()


def test_output_is_deterministic(hog_build, tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for path in (a, b):
        run_gotrace(["doctor", str(hog_build.trace), "--json", "-o", str(path)], check=True)
    assert a.read_bytes() == b.read_bytes()


def test_bad_input_is_one_line_and_a_non_zero_exit(tmp_path, multi_build):
    missing = run_gotrace(["doctor", str(tmp_path / "nope.jsonl")])
    assert missing.returncode == 1 and missing.stderr.decode().count("\n") == 1
    bad_size = run_gotrace(["doctor", str(multi_build.trace), "--machine-memory", "lots"])
    assert bad_size.returncode == 2 and b"not a size" in bad_size.stderr
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert run_gotrace(["doctor", str(empty)]).returncode == 1


# -- the one-pass facts ---------------------------------------------------------------------------

PINNED = Path(__file__).resolve().parent / "pinned"


def test_findings_from_events_and_from_the_one_pass_facts_are_the_same():
    from gotrace.analysis.doctor import Context, diagnose_facts, gather, previous_packages
    from gotrace.events import open_trace

    context = Context(machine_memory_kib=300 * 1024, serial_floor_ns=0, serial_share=0.0)  # findings to compare
    events, reader = read_events(str(PINNED / "multi-p2.jsonl"), include_probes=True)
    earlier, _ = read_events(str(PINNED / "multi-p1.jsonl"), include_probes=True)
    found = diagnose(events, reader.builds, context, previous=earlier)
    records = open_trace(str(PINNED / "multi-p2.jsonl"), include_probes=True)
    facts = gather(records.records())
    before = previous_packages(open_trace(str(PINNED / "multi-p1.jsonl")).records())
    assert {f.check for f in found} >= {"serial-bottleneck", "memory-hog", "memory-concurrency"}
    assert diagnose_facts(facts, records.builds, context, previous=before) == found


_intervals = st.lists(st.tuples(st.integers(0, 60), st.integers(0, 25), st.integers(0, 9)), min_size=2, max_size=40)
_UNIT = 100_000_000  # 0.1 s: serial stretches start at 0.2 s


def _timed(triples) -> list[Event]:
    return [Event(build="b", tool="compile", pkg=f"x.org/p{i}", start_ns=s * _UNIT, wall_ns=d * _UNIT,
                  user_ns=d * _UNIT, max_rss_kib=r * 1024) for i, (s, d, r) in enumerate(triples)]


@settings(max_examples=200, deadline=None)
@given(_intervals)
def test_doctor_reports_every_serial_stretch_summary_lists(triples):
    from gotrace.analysis.doctor import Context, check_serial
    from gotrace.analysis.parallelism import parallelism

    events = _timed(triples)
    span = max(e.end_ns for e in events) - min(e.start_ns for e in events)
    expected = [f"{st.alone} ran alone for {st.alone_ns / 1e9:.1f} s of the build's {span / 1e9:.1f} s "
                f"({100 * st.alone_ns / span:.0f}%)"
                for st in sorted(parallelism(events).serial, key=lambda st: (-st.alone_ns, st.start_ns))
                if st.invocation is not None]
    found = check_serial(events, "b", Context(serial_floor_ns=0, serial_share=0.0))
    assert (list(found[0].evidence) if found else []) == expected


def _peak_by_sweep(events: list[Event]) -> tuple[int, list[str]]:
    # the sweep over events, a tool running over [start, end) and at least its first nanosecond
    # (as parallelism counts it): one that took no time runs at its instant, never after it
    points = sorted([(e.start_ns, 1, i) for i, e in enumerate(events)]
                    + [(e.end_ns if e.wall_ns > 0 else e.start_ns + 1, 0, i) for i, e in enumerate(events)])
    running: set[int] = set()
    total = best = 0
    best_set: list[str] = []
    for _, is_start, i in points:
        if is_start:
            running.add(i)
            total += events[i].max_rss_kib
            if total > best:
                best, best_set = total, sorted(f"compile {events[j].pkg}" for j in running)
        else:
            running.discard(i)
            total -= events[i].max_rss_kib
    return best, best_set


@settings(max_examples=200, deadline=None)
@given(_intervals)
def test_the_memory_of_tools_at_once_is_the_largest_sum_of_peaks_in_the_sweep(triples):
    from gotrace.analysis.doctor import _facts, _peak_concurrent_rss

    events = _timed(triples)
    facts = _facts(events)
    rows = np.arange(len(facts))
    starts, walls, rss = (facts.column(name) for name in ("start_ns", "wall_ns", "max_rss_kib"))
    assert _peak_concurrent_rss(facts, rows, starts, walls, rss) == _peak_by_sweep(events)


@pytest.mark.parametrize("build", [None, "one"])
def test_a_trace_read_by_two_processes_gives_the_findings_of_one(killed_build, private_compiler_build,
                                                                 cgo_native_build, tmp_path, monkeypatch, build):
    """Doctor reads a large trace in two parts and merges each build's facts: the same findings, and
    the same facts, as one pass, for a build cut in two with failures, probes, two toolchains and
    corrupt lines in both halves, cgo flags in the second, and a build of its own after it."""
    from click.testing import CliRunner

    import gotrace.events
    from gotrace.analysis.doctor import gather
    from gotrace.analysis.per_build import merge_parts
    from gotrace.cli import cli
    from gotrace.commands._common import selected_in_parts

    lines = []
    for trace in (killed_build.trace, private_compiler_build.trace, PINNED / "multi-p2.jsonl",
                  cgo_native_build.trace, killed_build.trace):
        for line in trace.read_bytes().splitlines():  # all of them one build, cut in two by the reading
            lines.append(orjson.dumps({**orjson.loads(line), "build": "one"}) + b"\n")
    lines += (PINNED / "multi-p1.jsonl").read_bytes().splitlines(keepends=True)
    lines.insert(5, b"{truncated\n")
    lines.insert(len(lines) - 5, b"not json\n")
    path = tmp_path / "two-builds.jsonl"
    path.write_bytes(b"".join(lines))
    outputs, facts = {}, {}
    for parallel in (False, True):
        monkeypatch.setattr(gotrace.events, "PARALLEL_BYTES", 0 if parallel else 1 << 60)
        args = ["doctor", str(path), "--json", "--machine-memory", "200M"] + (["--build", build] if build else [])
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
        outputs[parallel] = (result.exit_code, result.stdout, result.stderr)
        parts, reader = selected_in_parts(str(path), build, lambda s: gather(s.records()), include_probes=True)
        assert len(parts) == (2 if parallel else 1)
        facts[parallel] = {name: (f.names, f.who.tolist(), f._numbers.tolist(), f.deps, f.actions, f.failed,
                                  dict(f.versions), dict(f.outside), f.goversions, f.module_dirs,
                                  dict(f.compiler_cflags), dict(f.cgo_cflags), f.packages.compiled,
                                  f.packages.known)
                           for name, f in merge_parts(parts).items()}
    assert outputs[True] == outputs[False]
    assert facts[True] == facts[False]
    assert json.loads(outputs[True][1])["findings"]  # something to compare
    assert "skipped 2 unreadable line(s)" in outputs[True][2]


def test_a_tool_that_took_no_time_is_not_counted_among_the_tools_running_later():
    from gotrace.analysis.doctor import Context

    # an instant asm at the start (its peak 500 MiB), then two compiles of 300 MiB side by side
    events, builds = _records(
        {"tool": "asm", "pkg": "x.org/instant", "start_ns": 0, "wall_ns": 0, "user_ns": 0, "max_rss_kib": 500 * MIB},
        *({"tool": "compile", "pkg": f"x.org/p{i}", "start_ns": S, "wall_ns": S, "user_ns": S,
           "max_rss_kib": 300 * MIB} for i in range(2)))
    found = {f.check: f for f in diagnose(events, builds, Context(machine_memory_kib=1024 * MIB))}
    risk = found["memory-concurrency"]
    assert risk.evidence[0] == "peak memory of tools running at once: 600 MiB (compile x.org/p0, compile x.org/p1)"
    assert risk.severity == "warning"
