"""cgo's C compiler in the trace: the compiles the go command runs itself, recorded by the shim run
under the compiler's name (first on PATH), named for their package, with the build unchanged."""
from __future__ import annotations

import collections
import os
import re
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

from gotrace.analysis.coverage import coverage
from gotrace.events import Event, read_events
from tests.conftest import Traced, copy_sample, run_gotrace, test_env

C_COMPILER_LINE = re.compile(r"^(?:\w+='[^']*' )*(gcc|g\+\+|cc|c\+\+|clang|clang\+\+) (.*)$")
OBJDIR = re.compile(r"\$WORK/(b\d+)/")


@dataclass(frozen=True)
class ListedCompile:
    tool: str
    objdir: str  # bNNN
    pkg: str     # the import path the cgo run of that object directory named


def listed_c_compiles(x_listing: str) -> list[ListedCompile]:
    """The C compiler commands `go build -x` printed, flag checks (`... || true`) and the lines it only
    shows (`# test for internal linking errors`, a repeat of the link before it) left out; each
    with the package whose cgo run used the same object directory."""
    packages = {}
    for line in x_listing.splitlines():
        if "/cgo -objdir $WORK/" in line and "-importpath " in line:
            objdir = OBJDIR.search(line.split("-objdir ", 1)[1]).group(1)
            packages[objdir] = line.split("-importpath ", 1)[1].split()[0]
    found = []
    for line in x_listing.splitlines():
        m = C_COMPILER_LINE.match(line)
        if not m or line.endswith("|| true") or "# test for internal linking" in line:
            continue
        objdir = OBJDIR.search(m.group(2).split(" -o ", 1)[1]).group(1)
        found.append(ListedCompile(m.group(1), objdir, packages[objdir]))
    return found


def work_objdir(event: Event) -> str:
    return re.search(r"/go-build\d+/(b\d+)/", event.output).group(1)


def stamp(module: Path, *packages: str) -> None:
    # New file content gives a package a new cache key: its cgo and C compiles run again.
    for pkg in packages:
        (module / pkg / "stamp.go").write_text(f"package {pkg.rsplit('/', 1)[-1]}\n\n// stamp {uuid.uuid4()}\n")


def c_compiles(trace: Path, **options) -> list[Event]:
    events, reader = read_events(str(trace), **options)
    assert reader.skipped == 0
    return [e for e in events if e.tool in ("gcc", "g++", "cc", "c++", "clang", "clang++") and not e.probe]


@pytest.fixture(scope="session")
def cgo_heavy_build(go, tmp_path_factory) -> Traced:
    """samples/cgo-heavy (a C package of several files, a C++ package) built with -x, traced; its two
    cgo packages are stamped so that they compile whatever GOCACHE holds."""
    tmp = tmp_path_factory.mktemp("cgo_heavy")
    module = copy_sample("cgo-heavy", tmp)
    stamp(module, "internal/vec", "internal/words")
    trace = tmp / "heavy.jsonl"
    result = run_gotrace(["run", "--trace", str(trace), "--", "go", "build", "-x", "-o", str(tmp / "bin") + "/",
                          "./..."], cwd=module)
    assert result.returncode == 0, result.stderr.decode()
    return Traced(trace=trace, module=module, result=result)


@pytest.mark.parametrize("build", ["multi_build", "cgo_heavy_build"])
def test_every_c_compile_the_go_command_ran_is_recorded_for_its_package(build, request):
    traced = request.getfixturevalue(build)
    listed = listed_c_compiles(traced.result.stderr.decode())
    recorded = c_compiles(traced.trace)
    assert listed and recorded
    listed_per_package = collections.Counter(c.pkg for c in listed)
    recorded_per_package = collections.Counter(e.pkg for e in recorded)
    for pkg, n in listed_per_package.items():
        assert recorded_per_package[pkg] >= 0.9 * n, (pkg, recorded_per_package[pkg], n)
    assert sum(recorded_per_package.values()) >= 0.9 * len(listed)
    # each record is named for the package whose object directory it compiled into
    package_of_objdir = {c.objdir: c.pkg for c in listed}
    assert all(package_of_objdir[work_objdir(e)] == e.pkg for e in recorded)
    assert collections.Counter(c.tool for c in listed) == collections.Counter(e.tool for e in recorded)


def test_more_than_one_cgo_package_and_the_cxx_compiler_are_recorded(cgo_heavy_build):
    recorded = c_compiles(cgo_heavy_build.trace)
    by_pkg = collections.defaultdict(set)
    for e in recorded:
        by_pkg[e.pkg].add((e.tool, e.file and os.path.basename(e.file)))
    vec, words = "example.com/cgoheavy/internal/vec", "example.com/cgoheavy/internal/words"
    assert {("gcc", f) for f in ("sum.c", "dot.c", "minmax.c", "hash.c", "vec.cgo2.c", "_cgo_export.c",
                                 "_cgo_main.c")} <= by_pkg[vec]
    assert ("gcc", None) in by_pkg[vec]  # the _cgo_.o link, which has no source file
    assert ("g++", "words.cc") in by_pkg[words] and ("g++", None) in by_pkg[words]  # C++ links with g++
    for e in recorded:
        assert os.path.isabs(e.path) and e.exit == 0 and e.user_ns is not None and e.max_rss_kib > 0
        assert e.output.endswith(".o") and "-c" not in e.cflags and e.output not in e.cflags
        assert e.argv is None  # not kept by default; with keep_argv the compiler's full command line


def test_flag_checks_and_the_version_probe_are_probes_not_work(multi_build):
    events, _ = read_events(str(multi_build.trace), include_probes=True, keep_argv=True)
    probes = [e for e in events if e.tool == "gcc" and e.probe]
    assert any("-###" in e.argv for e in probes)
    flag_checks = [e for e in probes if "/dev/null" in e.argv]
    listed = [line for line in multi_build.result.stderr.decode().splitlines()
              if C_COMPILER_LINE.match(line) and line.endswith("|| true")]
    assert len(flag_checks) == len(listed) > 0
    assert all(e.output == "/dev/null" for e in flag_checks)  # so doctor knows a "no" is an answer
    assert all(e.pkg == "" for e in probes)
    assert not any(e.probe for e in c_compiles(multi_build.trace, include_probes=True))


def go_env(**extra) -> dict:
    return test_env(**extra)


def go_build_x(module: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["go", "build", "-x", *args, "./..."], cwd=module, capture_output=True,
                          env=env or go_env())


def test_the_build_cache_is_shared_both_ways_with_c_compiles_wrapped(go, tmp_path):
    module = copy_sample("cgo-heavy", tmp_path)
    # the same -o each time: a binary that is up to date is not even relinked
    out = ["-o", str(tmp_path / "bin") + "/"]
    # untraced first, then traced: nothing to compile, no C compiler runs
    stamp(module, "internal/vec", "internal/words")
    plain = go_build_x(module, *out)
    assert plain.returncode == 0 and listed_c_compiles(plain.stderr.decode())
    trace = tmp_path / "after-untraced.jsonl"
    result = run_gotrace(["run", "--trace", str(trace), "--", "go", "build", *out, "./..."], cwd=module)
    assert result.returncode == 0, result.stderr.decode()
    events, _ = read_events(str(trace), include_probes=True)
    assert [e for e in events if not e.probe] == []
    assert any(e.tool == "gcc" and e.probe for e in events)  # the -### probe that keys the cache ran

    # traced first, then untraced: the go command prints no C compile, no compile
    stamp(module, "internal/vec", "internal/words")
    trace = tmp_path / "first.jsonl"
    result = run_gotrace(["run", "--trace", str(trace), "--", "go", "build", *out, "./..."], cwd=module)
    assert result.returncode == 0 and c_compiles(trace)
    after = go_build_x(module, *out)
    assert after.returncode == 0
    assert listed_c_compiles(after.stderr.decode()) == []
    assert "/compile " not in after.stderr.decode() and "/link " not in after.stderr.decode()


BAD_C = """package bad

/*
static int broken(void) { return undeclared_name; }
*/
import "C"

// Broken calls C code that does not compile.
func Broken() int { return int(C.broken()) }
"""


def test_a_failing_c_compile_is_reported_exactly_as_without_gotrace(go, tmp_path):
    module = tmp_path / "badc"
    (module / "bad").mkdir(parents=True)
    (module / "go.mod").write_text("module example.com/badc\n\ngo 1.27\n")
    (module / "bad" / "bad.go").write_text(BAD_C)
    plain = subprocess.run(["go", "build", "./..."], cwd=module, capture_output=True, env=go_env())
    trace = tmp_path / "t.jsonl"
    traced = run_gotrace(["run", "-q", "--trace", str(trace), "--", "go", "build", "./..."], cwd=module)
    assert plain.returncode == 1 and b"undeclared_name" in plain.stderr
    assert (traced.returncode, traced.stdout, traced.stderr) == (plain.returncode, plain.stdout, plain.stderr)


def test_c_compiles_of_a_test_variant_are_named_like_its_other_records(go, tmp_path):
    module = copy_sample("cgo-heavy", tmp_path)
    stamp(module, "internal/vec")
    trace = tmp_path / "test.jsonl"
    result = run_gotrace(["run", "--trace", str(trace), "--", "go", "test", "./internal/vec"], cwd=module)
    assert result.returncode == 0, result.stderr.decode()
    events, _ = read_events(str(trace))
    variant = "example.com/cgoheavy/internal/vec [example.com/cgoheavy/internal/vec.test]"
    cgo_names = {e.pkg for e in events if e.tool == "cgo"}
    gcc_names = {e.pkg for e in c_compiles(trace)}
    assert variant in cgo_names and variant in gcc_names
    assert gcc_names <= cgo_names  # never the plain package the test build did not build


def test_no_wrap_cc_and_an_absolute_cc_leave_the_c_compiles_out_and_say_why(go, tmp_path):
    module = copy_sample("cgo-heavy", tmp_path)
    stamp(module, "internal/vec", "internal/words")
    trace = tmp_path / "off.jsonl"
    result = run_gotrace(["run", "--no-wrap-cc", "--trace", str(trace), "--", "go", "build", "./..."], cwd=module)
    assert result.returncode == 0 and c_compiles(trace) == []
    assert any(e.tool == "cgo" for e in read_events(str(trace))[0])

    stamp(module, "internal/vec", "internal/words")
    trace = tmp_path / "absolute.jsonl"
    result = run_gotrace(["run", "--trace", str(trace), "--", "go", "build", "./..."], cwd=module,
                         env=go_env(CC="/usr/bin/gcc"))
    # CC is a path: its runs are not looked up on PATH; CXX is still the bare g++, recorded
    assert result.returncode == 0 and {e.tool for e in c_compiles(trace)} == {"g++"}
    assert b"C compiles by /usr/bin/gcc are not recorded" in result.stderr


def test_the_readmes_hand_typed_line_records_the_c_compiles_too(go, tmp_path):
    module = copy_sample("cgo-heavy", tmp_path)
    stamp(module, "internal/vec")
    line = "PATH=$(gotrace-shim --cc-dir):$PATH go build -toolexec gotrace-shim ./..."
    assert line in (Path(__file__).parent.parent / "README.md").read_text()
    gocache = subprocess.run(["go", "env", "GOCACHE"], capture_output=True, text=True, env=go_env()).stdout.strip()
    # the compiler directory goes to $XDG_CACHE_HOME/gotrace; go's own cache stays where it was
    result = subprocess.run(["/bin/sh", "-c", line], cwd=module, capture_output=True,
                            env=go_env(XDG_CACHE_HOME=str(tmp_path / "xdg"), GOCACHE=gocache))
    assert result.returncode == 0, result.stderr
    events, _ = read_events(str(module / "gotrace.jsonl"))
    recorded = c_compiles(module / "gotrace.jsonl")
    assert "example.com/cgoheavy/internal/vec" in {e.pkg for e in recorded}
    assert {e.pkg for e in recorded} <= {e.pkg for e in events if e.tool == "cgo"}
    assert [p.name for p in (tmp_path / "xdg" / "gotrace").iterdir()][0].startswith("cc-")


# -- the shim in compiler mode, on its own ---------------------------------------------------------

FAKE_COMPILER = """#!/bin/sh
# a stand-in C compiler: says how it was run, writes both streams, exits as told
printf 'out argv0=%s PATH=%s\\n' "$0" "$PATH"
printf 'err\\001\\n' >&2
exit "${CC_EXIT:-0}"
"""


@pytest.fixture
def compiler_setup(shim, tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (real / "gcc").write_text(FAKE_COMPILER)
    (real / "gcc").chmod(0o755)
    made = subprocess.run([shim, f"--cc-dir={tmp_path / 'cc'}"], capture_output=True, text=True)
    assert made.returncode == 0 and made.stdout == f"{tmp_path / 'cc'}\n"
    # a parent named like the go command (`go`): the shim records only the go command's compiles
    go_like = tmp_path / "go"
    go_like.symlink_to("/bin/sh")
    return tmp_path, real, tmp_path / "cc"


def run_as_go(tmp: Path, argv: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([str(tmp / "go"), "-c", '"$@"; status=$?; exit $status', "go", *argv],
                          capture_output=True, env=env)


def test_compiler_mode_passes_output_and_exit_through_and_records_one_line(compiler_setup):
    tmp, real, cc = compiler_setup
    objdir = tmp / "go-build123" / "b007"
    args = ["-I", f"{objdir}/", "-O2", "-o", f"{objdir}/_x001.o", "-c", "sum.c"]
    plain_path = f"{real}:{os.environ['PATH']}"
    direct = run_as_go(tmp, [str(real / "gcc"), *args], go_env(PATH=plain_path, CC_EXIT="3"))
    trace = tmp / "t.jsonl"
    wrapped = run_as_go(tmp, [str(cc / "gcc"), *args], go_env(
        PATH=f"{cc}:{plain_path}", CC_EXIT="3", GOTRACE_FILE=str(trace), TOOLEXEC_IMPORTPATH="example.com/p"))
    # the compiler ran with go's argv[0] (its path) and the PATH of a build without gotrace
    assert (wrapped.returncode, wrapped.stdout, wrapped.stderr) == (3, direct.stdout, direct.stderr)
    (rec,) = [orjson.loads(line) for line in trace.read_bytes().splitlines()]
    assert rec["tool"] == "gcc" and rec["pkg"] == "example.com/p" and rec["exit"] == 3
    assert rec["path"] == str(real / "gcc") and rec["file"] == "sum.c" and rec["output"] == f"{objdir}/_x001.o"
    assert rec["cflags"] == ["-I", f"{objdir}/", "-O2"] and "probe" not in rec


def test_compiler_runs_of_a_tool_are_passed_through_unrecorded(compiler_setup):
    # cgo runs gcc itself to learn about the C code: that time is in cgo's own record
    tmp, real, cc = compiler_setup
    trace = tmp / "t.jsonl"
    result = subprocess.run([str(cc / "gcc"), "-E", "-dM", "-"], capture_output=True, env=go_env(
        PATH=f"{cc}:{real}:{os.environ['PATH']}", GOTRACE_FILE=str(trace)))
    assert result.returncode == 0 and result.stderr == b"err\x01\n"
    assert f"PATH={real}:".encode() in result.stdout  # our directory taken out of the compiler's PATH
    assert not trace.exists()


def test_cc_dir_names_extra_compilers_and_links_them_to_the_shim(shim, tmp_path):
    made = subprocess.run([shim, f"--cc-dir={tmp_path / 'cc'}", "x86_64-linux-gnu-gcc-12"], capture_output=True)
    assert made.returncode == 0
    names = sorted(p.name for p in (tmp_path / "cc").iterdir())
    assert names == sorted(["gcc", "cc", "clang", "g++", "c++", "clang++", "x86_64-linux-gnu-gcc-12"])
    assert all(os.path.samefile(p, shim) for p in (tmp_path / "cc").iterdir())
    bad = subprocess.run([shim, f"--cc-dir={tmp_path / 'cc'}", "../evil"], capture_output=True)
    assert bad.returncode == 1 and b"not a compiler name" in bad.stderr and bad.stdout == b""


# -- every output shows the C compiles ------------------------------------------------------------

def test_summary_shows_coverage_gaps_and_c_compile_time_per_package(multi_build):
    text = run_gotrace(["summary", str(multi_build.trace)], check=True).stdout.decode()
    assert re.search(r"coverage \d+\.\d%: a recorded tool ran during [\d.]+s of the [\d.]+s", text)
    table = text.split("C compiles (cgo)\n", 1)[1].split("\n\n", 1)[0]
    assert "runtime/cgo" in table and "example.com/multi/internal/cgohash" in table
    doc = orjson.loads(run_gotrace(["summary", "--json", str(multi_build.trace)], check=True).stdout)
    rows = {r["pkg"]: r for r in doc["c_compiles"]}
    events, _ = read_events(str(multi_build.trace))
    cgohash = [e for e in c_compiles(multi_build.trace) if e.pkg.endswith("cgohash")]
    assert rows["example.com/multi/internal/cgohash"]["compiles"] == len(cgohash)
    assert rows["example.com/multi/internal/cgohash"]["wall_ns"] == sum(e.wall_ns for e in cgohash)
    assert 0 < doc["coverage"]["share"] <= 1 and doc["coverage"]["span_ns"] == doc["totals"]["wall_ns"]


def test_fold_by_file_puts_each_c_file_under_its_compiler_and_keeps_the_totals(multi_build):
    by_file = run_gotrace(["fold", "--grouping", "file", str(multi_build.trace)], check=True).stdout.decode()
    by_path = run_gotrace(["fold", str(multi_build.trace)], check=True).stdout.decode()

    def total(text):
        return sum(int(line.rsplit(" ", 1)[1]) for line in text.splitlines())

    assert total(by_file) == total(by_path)
    cgohash = "build;example.com/;example.com/multi/;example.com/multi/internal/;example.com/multi/internal/cgohash"
    assert f"{cgohash};gcc;cgohash.cgo2.c " in by_file
    assert "build;std;runtime/;runtime/cgo;gcc;gcc_libinit_unix.c " in by_file
    assert f"{cgohash};gcc " in by_path


def test_chrome_and_speedscope_lanes_hold_the_c_compiles(multi_build, tmp_path):
    run_gotrace(["chrome", str(multi_build.trace), "-o", str(tmp_path / "c.json")], check=True)
    doc = orjson.loads((tmp_path / "c.json").read_bytes())
    spans = [e for e in doc["traceEvents"] if e.get("ph") == "X"]
    gcc = [e for e in spans if "gcc" in e["name"] and "cgohash" in orjson.dumps(e).decode()]
    assert len(gcc) == len([e for e in c_compiles(multi_build.trace) if e.pkg.endswith("cgohash")])
    run_gotrace(["speedscope", str(multi_build.trace), "-o", str(tmp_path / "s.json")], check=True)
    frames = orjson.loads((tmp_path / "s.json").read_bytes())["shared"]["frames"]
    assert any(f["name"] == "gcc" for f in frames)


def test_the_timeline_and_the_report_draw_and_list_the_c_compiles(multi_build, tmp_path):
    n = len(c_compiles(multi_build.trace))
    run_gotrace(["timeline", str(multi_build.trace), "-o", str(tmp_path / "t.svg")], check=True)
    assert f"gcc ({n})" in (tmp_path / "t.svg").read_text()  # the legend counts the bars of each tool
    run_gotrace(["report", str(multi_build.trace), "-o", str(tmp_path / "r.html")], check=True)
    html = (tmp_path / "r.html").read_text()
    table = html.split('id="c-compiles-table"', 1)[1].split("</table>", 1)[0]
    assert "runtime/cgo" in table and "example.com/multi/internal/cgohash" in table
    assert re.search(r"<dt>coverage</dt><dd>\d+\.\d%", html)


def test_doctor_reads_host_and_debug_flags_from_the_c_compiler_itself(go, tmp_path):
    module = copy_sample("cgo-heavy", tmp_path)
    stamp(module, "internal/vec", "internal/words")
    trace = tmp_path / "debug.jsonl"
    # flags the cgo tool never sees: they come with CC, as a cross or distro setup may have it
    result = run_gotrace(["run", "--trace", str(trace), "--", "go", "build", "./..."], cwd=module,
                         env=go_env(CC="gcc -march=native", CGO_CFLAGS="-O0 -g3"))
    assert result.returncode == 0, result.stderr.decode()
    doc = orjson.loads(run_gotrace(["doctor", "--json", str(trace)]).stdout)
    found = {f["check"]: f for f in doc["findings"]}
    host = found["cgo-host-flags"]["evidence"]
    assert "example.com/cgoheavy/internal/vec: C compiler flags include -march=native" in host
    debug = found["cgo-debug-flags"]
    assert debug["severity"] == "info"
    assert "example.com/cgoheavy/internal/words: C compiler flags include -O0 -g3" in debug["evidence"]


# -- coverage -------------------------------------------------------------------------------------

def span(start_s: float, end_s: float, tool: str = "compile", probe: bool = False) -> Event:
    return Event(build="b", tool=tool, pkg="p", start_ns=int(start_s * 1e9), wall_ns=int((end_s - start_s) * 1e9),
                 probe=probe)


def test_coverage_is_the_union_of_tool_intervals_and_lists_gaps_over_a_second():
    c = coverage([span(0, 2), span(1, 3), span(4.5, 5), span(5.2, 10), span(9, 9.5)])
    assert (c.span_ns, c.covered_ns) == (10 * 10**9, int(3e9) + int(0.5e9) + int(4.8e9))
    assert [g.describe() for g in c.listed()] == ["1.5 s at 3.0 s: nothing traced ran"]
    assert [round(g.wall_ns / 1e9, 1) for g in c.gaps] == [1.5, 0.2]


def test_a_probe_covers_time_but_does_not_stretch_the_span():
    c = coverage([span(-1, 0.5, "gcc", probe=True), span(0, 1), span(2, 3), span(1, 2, "gcc", probe=True)])
    assert (c.span_ns, c.covered_ns, c.gaps) == (3 * 10**9, 3 * 10**9, ())


def test_the_traced_multi_build_leaves_no_command_of_the_go_command_unrecorded(multi_build):
    """samples/multi's cold build had a ~1 s gap while the C compiler ran unrecorded. The structural
    fact behind "no gap over 0.5 s": every command the go command ran (-x) is a record, so what is
    left between records is the go command's own work. How long that takes depends on the machine's
    load, so it is a figure of benchmarks/bench_cgo.py, not an assertion here."""
    listing = multi_build.result.stderr.decode()
    events, _ = read_events(str(multi_build.trace), include_probes=True)
    assert len(c_compiles(multi_build.trace)) == len(listed_c_compiles(listing))
    flag_checks = [line for line in listing.splitlines() if C_COMPILER_LINE.match(line) and line.endswith("|| true")]
    assert len([e for e in events if e.tool == "gcc" and e.probe]) == len(flag_checks) + 1  # and -###
    # and every other command: tools through the shim, counted per tool in tests/test_run.py
    assert {e.tool for e in events if not e.probe} >= {"cgo", "gcc", "compile", "asm", "link"}


def test_bare_compiler_names_are_wrapped_and_paths_are_named_for_the_note():
    from gotrace.capture import c_compiler_env, compiler_names

    assert compiler_names(["gcc", "g++"]) == (["gcc", "g++"], [])
    assert compiler_names(["zig cc -target x86_64-linux-musl", "/opt/cross/bin/g++"]) == (["zig"], ["/opt/cross/bin/g++"])
    assert compiler_names(["", "'unterminated"]) == ([], [])
    env = c_compiler_env({"PATH": "/usr/bin", "HOME": "/h"}, "/run/cc")
    assert env == {"PATH": "/run/cc" + os.pathsep + "/usr/bin", "HOME": "/h"}


def test_an_imported_action_graph_names_a_test_variants_c_compiles_like_its_cgo_run(go, tmp_path):
    module = copy_sample("cgo-heavy", tmp_path)
    stamp(module, "internal/vec")
    graph = tmp_path / "graph.json"
    tested = subprocess.run(["go", "test", f"-debug-actiongraph={graph}", "./..."], cwd=module,
                            capture_output=True, env=go_env())
    assert tested.returncode == 0, tested.stderr
    run_gotrace(["import", str(graph), "-o", str(tmp_path / "t.jsonl")], check=True)
    events, _ = read_events(str(tmp_path / "t.jsonl"))
    variant = "example.com/cgoheavy/internal/vec [example.com/cgoheavy/internal/vec.test]"
    ran = [e for e in events if not e.cached]
    assert {e.pkg for e in ran if e.tool == "gcc"} == {e.pkg for e in ran if e.tool == "cgo"} >= {variant}
