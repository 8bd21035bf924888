"""The dependency critical path and the what-if model against real cold builds, side by side.

For a target (samples/multi by default, or Go's own `cmd/go` with --cmd: a few hundred packages)
it traces a cold build at -p N (default: the cores) and one at -p 1, then prints for each:
- whether every step of the dependency critical path is a real edge (an import named in the
  consumer's -importcfg, the link of a package, the next tool of the same action) and its length
  against the build's wall time;
- the what-if replay at the build's own -p against its measured wall time (same run: what the
  model leaves out);
- the -p 1 prediction made from the -p N trace against the measured -p 1 build (two runs: the
  machine's load at each moment is in the figure, so read it with the load averages printed).

    python benchmarks/bench_whatif.py            # samples/multi, about a minute on 2 cores
    python benchmarks/bench_whatif.py --cmd      # go build -a cmd/go: many minutes; run it rarely
    python benchmarks/bench_whatif.py --cmd --keep DIR --reuse   # analyse kept traces again

Each build's line says how many cores other processes kept busy meanwhile (/proc/stat minus the
build's own CPU): the model sees its own run only, so a -p 1 prediction can be no better than the
load stayed alike. "load-adjusted" scales the prediction by how much faster the same compiles and
links ran alone in the -p 1 build than in the -p N one; "no sharing" is the model with every tool
as long as it ran (before the model shared the cores).

Measured on 2 shared cores, 2026-12-01 (figures: replay at own -p 2 / -p 1; -p 1 predicted from
the -p 2 trace vs the real -p 1 build):
- samples/multi, quiet (load 1.0-1.3, 16:55): -5.3% / -0.7%; 20.16s vs 20.08s, +0.4% (no sharing
  +14.8%, load-adjusted -0.1%); -p 2 from the -p 1 trace -9.9%.
- samples/multi, others 1.31 / 1.50 cores (load 1.6-4.9, 17:03): -2.2% / -1.9%; 50.78s vs 51.29s,
  -1.0% (no sharing +18.0%, load-adjusted +7.2%); -p 2 from -p 1 -13.3%.
- samples/multi, others 1.51 / 1.54 cores (load 10-12, 17:34): -2.4% / -0.5%; 70.46s vs 64.39s,
  +9.4% (no sharing +31.5%, load-adjusted -0.4%); -p 2 from -p 1 -23.0%.
- go build -a cmd/go, 333 packages, others 1.42 / 1.44 cores (load 7.7-10.5, 17:36-17:44): critical
  path 61/61 and 65/65 edges real, 148.4s <= wall 238.2s and 87.1s <= 234.4s; +1.9% / -0.1%;
  285.0s vs 234.4s, +21.6% (no sharing +92.0%, load-adjusted +12.7%); -p 2 from -p 1 -44.5%.
- go build -a cmd/go, quiet (others 0.02 / 0.02 cores, load 1.3-2.4, 20:01-20:04): critical path
  65/65 edges real, 38.9s <= wall 63.6s and 29.5s <= 88.4s; +0.8% / -0.3%; 99.84s vs 88.40s,
  +12.9% (no sharing +36.0%, load-adjusted +12.6%); -p 2 from -p 1 -7.0%. These two traces are
  tests/pinned/cmd-go-p{2,1}.jsonl.gz, checked by tests/test_recorded_cmd_build.py.
  An earlier pair (16:58, others not measured; load 1.4-3.3): the -p 2 build took 108.4s, longer
  than the -p 1 build's 91.3s (its tools got 0.60 of a core each, the -p 1 build's 1.15): +1.5% /
  -0.3%; -p 1 from -p 2 +88.6% (no sharing +127%).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gotrace.analysis.critical_path import CLOCK_SLACK_NS, critical_path
from gotrace.analysis.parallelism import parallelism
from gotrace.analysis.whatif import ran_alone, what_if
from gotrace.collapse import split_variant
from gotrace.events import open_trace

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def busy_cpu_s() -> float:
    """CPU time the whole machine has been busy (all processes, every container; steal included)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def traced(module: Path, trace: Path, go_args: list[str]) -> dict:
    """Run one traced cold build; how long it took and how busy the machine was meanwhile: the
    build's own CPU (gotrace run and everything it waited for) and everyone else's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOTRACE_") and k != "GOFLAGS"}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", GOTOOLCHAIN="local", GOPROXY="off")
    before, machine, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), busy_cpu_s(), time.monotonic()
    subprocess.run([str(BIN / "gotrace"), "run", "--cold", "--trace", str(trace), "--progress", "never", "-q",
                    "--", "go", *go_args], cwd=module, env=env, check=True)
    wall, machine = time.monotonic() - t0, busy_cpu_s() - machine
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {"wall_s": wall, "build_cpu_s": own, "others_cores": max(0.0, machine - own) / wall,
            "loadavg": os.getloadavg()}


def real_edges(events, path) -> tuple[int, int]:
    """(steps checked, steps whose edge the trace's own records confirm)."""
    compile_deps: dict[str, set[str]] = {}
    for e in events:
        if e.tool == "compile":
            compile_deps.setdefault(e.pkg, set()).update(e.deps or ())
    checked = confirmed = 0
    for before, after in zip(path.steps, path.steps[1:]):
        b, a = before.event, after.event
        checked += 1
        base_b, base_a = split_variant(b.pkg)[0], split_variant(a.pkg)[0]
        if after.edge == "package":
            confirmed += base_b == base_a
        elif after.edge in ("import", "link"):
            named = set(a.deps) if a.deps is not None else compile_deps.get(a.pkg, set())
            confirmed += base_b in named and b.end_ns <= a.start_ns + CLOCK_SLACK_NS
        elif after.edge == "action":
            confirmed += b.action in (a.action_deps or ())
    return checked, confirmed


def report(name: str, trace: Path) -> dict:
    reader = open_trace(str(trace))
    events = list(reader)
    info = list(reader.builds.values())[-1]
    path = critical_path(events, info.parallelism)
    w = what_if(events, info.parallelism, cores=info.cores)
    checked, confirmed = real_edges(events, path)
    wall = path.wall_ns
    print(f"{name}: -p {info.parallelism}, {len({e.pkg for e in events})} packages, {len(events)} invocations, "
          f"wall {wall / 1e9:.2f}s (go command {info.wall_ns / 1e9:.2f}s)")
    print(f"  dependency critical path: {len(path.steps)} steps over {len(path.packages)} packages, "
          f"{confirmed}/{checked} edges confirmed real by the records; length {path.length_ns / 1e9:.2f}s "
          f"<= wall {wall / 1e9:.2f}s: {path.length_ns <= wall}")
    print(f"  wall account: path {path.length_ns / 1e9:.2f}s, inputs off the path {path.off_path_ns / 1e9:.2f}s, "
          f"slot {path.slot_wait_ns / 1e9:.2f}s, go's work {path.go_work_ns / 1e9:.2f}s, untraced "
          f"{path.untraced_ns / 1e9:.2f}s")
    print(f"  replay at its own -p {info.parallelism}: {w.replayed_wall_ns / 1e9:.2f}s vs measured "
          f"{w.measured_wall_ns / 1e9:.2f}s ({100 * w.measured_error:+.1f}%); go's work per action "
          f"{w.overhead_ns / 1e6:.0f} ms")
    print("  curve: " + ", ".join(f"-p {p.slots or 'unlimited'} {p.wall_ns / 1e9:.2f}s" for p in w.predictions))
    par = parallelism(events, info)
    per_tool = par.utilisation * par.cores / par.average if par.average else 0.0
    print(f"  each running tool got {per_tool:.2f} of a core on average (1 or more: a machine of its own); "
          "alone: " + ", ".join(f"{tool} {rate:.2f}" for tool, rate in w.alone_rates.items()))
    # the model before tools shared the cores: every tool as long as it ran in this build
    unshared = what_if(events, info.parallelism)
    return {"wall": wall, "whatif": w, "unshared": unshared, "per_tool": per_tool, "alone": alone_walls(events)}


def alone_walls(events) -> dict[tuple[str, str], int]:
    """Wall time of each compile and link that ran alone, by (tool, package): the same work in two
    builds, to compare how fast the machine ran each of them."""
    ran = [e for e in events if not e.probe and not e.cached]
    seen: dict[tuple[str, str], list[int]] = {}
    for e, alone in zip(ran, ran_alone(ran)):
        if e.tool in ("compile", "link"):
            seen.setdefault((e.tool, e.pkg), []).append(e.wall_ns if alone else -1)
    return {key: walls[0] for key, walls in seen.items() if len(walls) == 1 and walls[0] >= 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cmd", action="store_true", help="build Go's own cmd/go (-a) instead of samples/multi")
    parser.add_argument("-p", type=int, default=os.cpu_count(), help="the -p of the parallel build")
    parser.add_argument("--keep", metavar="DIR", help="keep the traces in DIR")
    parser.add_argument("--reuse", action="store_true", help="analyse the traces kept in --keep DIR, no builds")
    args = parser.parse_args()
    tmp = Path(args.keep or tempfile.mkdtemp(prefix="bench-whatif-"))
    tmp.mkdir(parents=True, exist_ok=True)
    if args.cmd:
        module, target = ROOT, ["-a", "cmd/go"]
        name = "go build -a cmd/go"
    else:
        module = tmp / "multi"
        if not args.reuse:
            shutil.rmtree(module, ignore_errors=True)
            shutil.copytree(ROOT / "samples" / "multi", module)
        target, name = ["./..."], "samples/multi"
    print(f"{name}, {os.cpu_count()} cores; load averages before: {os.getloadavg()}")
    figures = {}
    for p in (args.p, 1):
        trace = tmp / f"p{p}.jsonl"
        load_file = tmp / f"p{p}.load.json"
        if not args.reuse:
            load = traced(module, trace, ["build", "-p", str(p), "-o",
                                          os.devnull if args.cmd else str(tmp / f"bin{p}") + "/", *target])
            load_file.write_text(json.dumps(load))
        if load_file.exists():
            load = json.loads(load_file.read_text())
            print(f"-p {p} build: other processes kept {load['others_cores']:.2f} of {os.cpu_count()} cores busy "
                  f"(the build itself {load['build_cpu_s'] / load['wall_s']:.2f}); load averages after it "
                  f"{tuple(round(x, 2) for x in load['loadavg'])}")
        figures[p] = report(f"{name} -p {p}", trace)
    predicted = figures[args.p]["whatif"].predicted(1)
    measured = figures[1]["wall"]
    print(f"-p 1 predicted from the -p {args.p} trace: {predicted / 1e9:.2f}s; measured -p 1 build: "
          f"{measured / 1e9:.2f}s ({100 * (predicted - measured) / measured:+.1f}%)")
    unshared = figures[args.p]["unshared"].predicted(1)
    print(f"  tools as long as they ran (no sharing of cores): {unshared / 1e9:.2f}s "
          f"({100 * (unshared - measured) / measured:+.1f}%)")
    # Two runs, two loads: the model sees one run only. The same compiles and links, run alone in
    # both builds, say how much faster the machine was in one than in the other.
    same = figures[args.p]["alone"].keys() & figures[1]["alone"].keys()
    walls = [sum(figures[p]["alone"][k] for k in same) for p in (args.p, 1)]
    factor = walls[1] / walls[0] if walls[0] else 0.0
    adjusted = predicted * factor
    print(f"  load-adjusted (x {factor:.3f}: {len(same)} compiles and links ran alone in both builds, "
          f"{walls[0] / 1e9:.2f}s at -p {args.p} and {walls[1] / 1e9:.2f}s at -p 1): "
          f"{adjusted / 1e9:.2f}s ({100 * (adjusted - measured) / measured:+.1f}%)")
    own = figures[1]["whatif"].predicted(args.p)
    measured_p = figures[args.p]["wall"]
    print(f"-p {args.p} predicted from the -p 1 trace: {own / 1e9:.2f}s; measured -p {args.p} build: "
          f"{measured_p / 1e9:.2f}s ({100 * (own - measured_p) / measured_p:+.1f}%; load-adjusted "
          f"{100 * (own / factor - measured_p) / measured_p if factor else 0:+.1f}%; no sharing "
          f"{100 * (figures[1]['unshared'].predicted(args.p) - measured_p) / measured_p:+.1f}%)")
    print(f"load averages now: {os.getloadavg()}")
    print(f"traces in {tmp}")


if __name__ == "__main__":
    main()
