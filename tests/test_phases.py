"""`gotrace run --phases`: compiler phase times on real builds, without touching the build cache."""
from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from gotrace.analysis.phases import PHASE_NAMES, phase_frames, phase_table, phase_times
from gotrace.collapse import fold_events
from gotrace.events import events_from_text, open_trace
from tests.conftest import BIN, copy_sample, run_gotrace, test_env


@dataclass
class PhaseBuilds:
    untraced: subprocess.CompletedProcess
    warm: Path  # `gotrace run --phases` right after the untraced build, same GOCACHE
    changed: Path  # `gotrace run --phases` after editing two packages: they and their importers compile
    changed_result: subprocess.CompletedProcess


@pytest.fixture(scope="module")
def phase_builds(go, tmp_path_factory) -> PhaseBuilds:
    tmp = tmp_path_factory.mktemp("phases")
    module = copy_sample("multi", tmp)
    env = test_env(GOCACHE=str(tmp / "gocache"))
    untraced = subprocess.run([go, "build", "./..."], cwd=module, env=env, capture_output=True, check=False)
    assert untraced.returncode == 0, untraced.stderr
    warm = tmp / "warm.jsonl"
    run_gotrace(["run", "-q", "--phases", "--trace", str(warm), "--", "go", "build", "./..."],
                cwd=module, env=env, check=True)
    for name in ("internal/geom/geom.go", "internal/textutil/textutil.go"):
        path = module / name
        path.write_text(path.read_text() + "\nfunc gotracePhasesEdit() int { return 42 }\n")
    changed = tmp / "changed.jsonl"
    result = run_gotrace(["run", "-q", "--phases", "--trace", str(changed), "--", "go", "build", "./..."],
                         cwd=module, env=env)
    return PhaseBuilds(untraced, warm, changed, result)


def compiles(trace: Path, **options):
    return [e for e in open_trace(str(trace), **options) if e.tool == "compile"]


def test_a_phases_build_after_an_untraced_one_hits_the_cache(phase_builds):
    everything = list(open_trace(str(phase_builds.warm), include_probes=True))
    assert any(e.probe and e.tool == "compile" for e in everything), "the traced build did not run"
    assert compiles(phase_builds.warm) == [], "adding -bench changed the cache key: compiles ran again"


def test_every_compile_records_its_phases(phase_builds):
    assert phase_builds.changed_result.returncode == 0, phase_builds.changed_result.stderr.decode()
    ran = compiles(phase_builds.changed)
    assert {e.pkg for e in ran} >= {"example.com/multi/internal/geom", "example.com/multi/internal/textutil",
                                    "example.com/multi/cmd/multi"}
    for e in ran:
        assert e.phases, f"compile {e.pkg} has no phase times"
        assert {"fe:parse", "be:compilefuncs", "total"} <= set(e.phases)
        assert [name for name, _ in phase_times(e)][:1] == ["startup"]


def test_phase_times_add_up_to_about_the_compile_duration(phase_builds):
    for e in compiles(phase_builds.changed):
        measured = sum(ns for key, ns in e.phases.items() if key != "total")
        # the compiler's own total covers its phases; the shim's wall time adds process start-up,
        # which on a busy machine can be any length: only its sign is a property of the build
        assert measured == pytest.approx(e.phases["total"], rel=0.05)
        assert measured <= e.wall_ns, e.pkg
        frames = phase_frames(e)
        assert 0 < sum(w for _, w in frames) <= e.wall_ns


def test_summary_and_folds_show_phases_under_compile(phase_builds):
    data = json.loads(run_gotrace(["summary", str(phase_builds.changed), "--json"], check=True).stdout)
    table = data["phases"]
    ran = compiles(phase_builds.changed)
    assert table["compiles"] == len(ran) and table["compiles_without_phases"] == 0
    names = [row["phase"] for row in table["phases"]]
    assert "parse&typecheck" in names and "SSA&codegen" in names
    assert set(names) <= set(PHASE_NAMES.values())
    assert sum(row["pct"] for row in table["phases"]) == pytest.approx(100, abs=0.1)
    text = run_gotrace(["summary", str(phase_builds.changed)], check=True).stdout.decode()
    assert "Compiler phases" in text and "SSA&codegen" in text

    events = list(open_trace(str(phase_builds.changed)))
    stacks = fold_events(events)
    assert sum(stacks.values()) == sum(e.wall_ns // 1000 for e in events)
    under_compile = [k for k in stacks if len(k) >= 2 and k[-2] == "compile"]
    assert {k[-1] for k in under_compile} <= set(PHASE_NAMES.values()) and under_compile
    # the same child frames in every view: folded text, and speedscope's aggregate profile
    folded = run_gotrace(["fold", str(phase_builds.changed)], check=True).stdout.decode()
    assert ";compile;parse&typecheck " in folded and ";compile;SSA&codegen " in folded
    document = json.loads(run_gotrace(["speedscope", str(phase_builds.changed)], check=True).stdout)
    names = {frame["name"] for frame in document["shared"]["frames"]}
    assert {"parse&typecheck", "SSA&codegen"} <= names


def test_traces_without_phases_have_no_phase_table(multi_build):
    events = list(open_trace(str(multi_build.trace)))
    assert phase_table(events) is None
    assert fold_events(events) == fold_events(events, phases=False)


def test_phase_frames_scale_down_timers_that_outrun_the_process():
    (e,) = events_from_text(json.dumps({
        "v": 1, "build": "b", "tool": "compile", "pkg": "p", "start_ns": 0, "wall_ns": 1000,
        "phases": {"fe:parse": 800, "be:compilefuncs": 400, "fe:new-phase": 100, "total": 1300}}) + "\n")
    assert phase_times(e) == [("parse&typecheck", 800), ("SSA&codegen", 400), ("fe:new-phase", 100)]
    frames = phase_frames(e)
    assert [n for n, _ in frames] == ["parse&typecheck", "SSA&codegen", "fe:new-phase"]
    assert sum(w for _, w in frames) <= 1000


def test_the_readme_recipe_sort_k2_ranks_the_largest_stacks_of_a_phases_trace(phase_builds):
    # README: `gotrace fold T | sort -k2 -n | tail -3`; a frame name with a space would shift the
    # count out of field 2 and rank the wrong lines
    recipe = subprocess.run(f"'{BIN / 'gotrace'}' fold '{phase_builds.changed}' -q | sort -k2 -n | tail -3",
                            shell=True, capture_output=True, check=True, env=test_env()).stdout.decode()
    stacks = fold_events(list(open_trace(str(phase_builds.changed))))
    assert not any(" " in frame for key in stacks for frame in key)
    largest = sorted(stacks.values())[-3:]
    assert [int(line.rsplit(" ", 1)[1]) for line in recipe.splitlines()] == largest
