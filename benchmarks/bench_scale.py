"""Every analyzer on a million-record trace made from a real build's records, against the floor.

The floor is the least any command can do: decode every line of the trace with orjson.loads, in one
Python process (`python -c`, so it pays the interpreter's start like the commands do). Each command
runs as a user runs it (`gotrace CMD TRACE -o FILE`), side by side with the floor: floor, command,
floor, command, ... (--rounds), and the figures are medians. Printed per command: wall time and its
ratio to the floor's wall time, CPU time (user+sys, all processes) and its ratio to the floor's CPU
time, and peak RSS (the largest of its processes). The issue's targets: <= 3x the floor, < 1 GiB.

    python benchmarks/bench_scale.py                       # traces samples/multi cold, grows it to 1,000,000
    python benchmarks/bench_scale.py --source real.jsonl -n 200000 --only summary --only fold
    python benchmarks/bench_scale.py --keep /tmp/big.jsonl  # reuse (or write) the big trace there

timeline (profiled: analysis/build_rows.py's docstring): columns from two processes, no Events; at 1M
71.6 s -> 29.0 s wall at load 5 (6.7x -> 4.0x; 3.0-3.3x at load 1), 1,343 -> 753 MiB; left: the
reader (~2.3x the floor's CPU), the critical path's Python work per node, matplotlib.

Every command at 1M records after this session's work (one round, load 1.5-2.7, 21:40; wall x
floor / CPU x floor / peak RSS): fold 2.10/3.56 243 MiB, flame 2.08/3.44 244 MiB, doctor 2.13/3.73
497 MiB, chrome 2.42/3.44 574 MiB, diff 2.48/3.78 610 MiB, timeline 3.00/4.15 753 MiB, speedscope
3.22/4.29 717 MiB (3.02/4.03, median of two rounds at load 0.7-1.0, 22:01), summary 6.19/9.85 1,510 MiB (--json 6.15/9.55), report 13.88/17.54 1,995 MiB.
summary (events from two processes as columns: events.EventList; the what-if model in a forked
child, its replays shared with a grandchild), wall by stage at 1M: reading 12.1 s, dependency
graph 9.0 s, the rest 10.5 s beside the what-if, then 10.9 s more waiting for it (three processes
on two cores); before this session 7.9x wall / 10.4x CPU at load 5-9, 1.8 GiB.
The what-if replays (whatif.ReplayPlan) at 1M, every -p, CPU: 17.2 -> 10.2 s, the same ints
(bench_summary.py --replay; whatif.py's docstring).
Then (23:40-23:55, load 1.1-1.9, one round unless said): summary 4.37x / 6.75x, 1,297 MiB
(--json 3.63x / 5.87x; 4.52x / 7.21x median of two), timeline 2.97x / 4.19x, 769 MiB (median of
two; 3.07x in a third round), report 10.50x / 13.04x, 1,831 MiB. What changed: the dependency
graph is columns (critical_path.Graph; at 1M 15.9 s and ~450 MB of Node objects -> ~4 s), one
set of per-invocation columns (parallelism.Invocations) shared by summary, graph, what-if and the
report's page data, the replays' plan made once (whatif.ReplayPlan), coverage's gaps as columns.
Profiled (cProfile and RSS per stage, gc off as the CLI runs) at 1M: summary = reading 12 s,
columns and graph ~5 s, the rest ~7 s beside the what-if child, ~2.5 s waiting for it; the
report's page on top: dependency facts ~9 s, package rows ~10 s, flame graph ~8 s, the rest of
the timeline's columns ~6 s. At 00:21-00:26 (medians of two, load 1.5-1.8), after reading the
deps and actions a column at a time: summary 4.10x / 6.37x, 1,299 MiB, --json 4.24x / 6.76x,
timeline 3.06x / 4.28x, 753 MiB (19.0 s beside a 6.2 s floor). Left: a million Event tuples (~630 MB) in summary and report, the
what-if replays (a Python event loop per -p), the report's per-invocation and per-package Python.

2026-12-02 (01:14-02:45): summary and report read one build's columns (analysis/build_rows.py:
the reader's "build" view, the whole Event of only the ~130,000 records that say more than the
columns, and the probes), not a million Events. Profiled (stage timers, cProfile, RSS and VmHWM per
stage and per forked child, gc off as the CLI runs) at 1M: summary = reading 12.8 s (the parent's
half 8.5 s, then ~2.7 s for the second half's columns to cross the pipe, ~1.5 s to merge them), the
graph 4.5 s beside a child making the tables that need none (2.4 s), the critical path 1 s beside
the what-if child (sharing 1.6 s, then replays split into halves of about equal cost, 4.7 and
5.6 s): 26 s. The report on top: what each invocation waited for ~4 s (numpy group-bys; a
Python walk of every node before, ~9 s), package rows ~3.5 s (a dict per row before, ~9 s), the
flame graph in a forked child meanwhile, the page's JSON written part by part (its parent peaked
at 1.29 GiB holding the data, its JSON as bytes and as text at once). Medians of two rounds at
02:40 (load 1.5), wall x floor / CPU x floor / peak RSS: summary 3.75x / 6.02x, 966 MiB (25.1 s,
was 4.10x and 1,299 MiB; the floor moved between 5.5 and 7.6 s across these runs, so compare
seconds: 28.5 -> 25.1 s); --json 23.7 s, 963 MiB; report 6.15x / 9.92x, 1,013 MiB (38.5 s, was
10.50x and 1,831 MiB); timeline 2.73x / 3.89x, 779 MiB (17.6 s; was 3.06x). Left: reading (two
processes, ~1.9x the floor's wall), the graph's Python work per node and import name, the what-if
replays (an event loop per -p, ~10 s of CPU), and the report's per-node Python for nodes of
several tools. Then (03:17-03:26) with 55% of the file read by the first process (build_rows.
FIRST_SHARE) and the report's lanes, deps and per-node lists kept small: summary 3.38x / 5.52x,
962 MiB (24.4 s); report 5.44x / 9.05x then 6.39x / 10.30x (37.4 s, 42.6 s), 970 MiB (its parent
peaked at 1,017 MiB before); timeline 2.83x / 4.09x (20.9 s beside a 7.4 s floor), 781 MiB.

2026-12-02 (04:13-05:30), stage timers per process (gc off) at 1M first: summary = reading ~11 s
(both parts done at ~7.4 s, then 2.3 s waiting for the helper's pickled part and a 1.7 s merge),
nodes 1 s, wiring the edges 3.6 s beside the tables child, then the what-if child 7.5-7.9 s (its
sharing 1.6 s before its replays, and halves of 5.2 and 4.2 s). Changed: the graph's nodes apart
from its edges (critical_path.Nodes), so a forked child measures the sharing while the edges are
wired; the replays split by each -p's measured cost (whatif.REPLAY_COST: halves of 4.6 and 4.8 s);
each reading process names its own kinds (build_rows.ReadPart's name columns: the merge 1.7 ->
1.0 s, the helper's pickling 1.8 -> 0.9 s); speedscope's package and tool names made by the child
that assigns the lanes, beside the folds (the parent's step between the folds and the writing
2.1 -> 1.1 s); the report's page parts other than the timeline made by a forked child (page data
12.4 -> 9.3 s beside the flame graph's child: the three processes are then CPU-bound). Medians of
two rounds (05:17-05:27, load ~1; the floor moved between 5.8 and 7.0 s within the run, so
compare seconds): summary 21.5 s, 3.66x / 6.34x, 834 MiB (was 24.4 s, 962 MiB); --json 21.8 s,
3.12x, 840 MiB (was 23.7 s); speedscope 17.8 s, 3.02x / 4.66x, 728 MiB (was 19.6-23.0 s); timeline
17.6 s, 3.05x / 4.29x, 697 MiB (was 17.6-20.9 s, 781 MiB); report 35.3 s, 5.66x / 9.79x, 871 MiB
(was 37.4-42.6 s, 970 MiB). One round at 05:00 (load 0.8): fold 2.12x, flame 2.13x, chrome 2.03x,
doctor 1.97x, diff 2.30x, all under 620 MiB. Left: reading (~13.5 us a line per process against
the floor's ~6: the row maker's checks ~4 us, the kinds' dict ~2 us), the what-if replays (~9 s of
CPU, a Python event loop per -p), and the report's CPU (61 s: at two cores it cannot go below
~30 s without less work).

2026-12-02 (07:17-08:50): the two reading processes take over each other's lines (file_parts: the
one that finishes first takes the later half of what the other has left; a fixed split left one
idle for 1.2-3 s at 1M, as the two cores' speed moved), commands are imported when they run (0.55 s
of imports at each start -> 0.1 s plus the command's own), the big commands end by os._exit once
their output is flushed (quick_exit: freeing a million rows took 0.67 s), the report's flame graph
starts beside the summary, the timeline's critical path beside the bars. A/B at 1M against the
commit before (farm-bench, alternating; same bytes): report 26.3 vs 28.8 s, timeline 14.2 vs
15.9 s, summary 18.0 vs 18.8 s (spread 0.77-1.15: within this machine's noise). This machine's
speed moved by a third within the session: the floor took 6.3-7.2 s at 07:50 and 3.7-5.5 s at
08:40, and the ratios of the two-process commands did not follow it down (one process alone
may run faster than two at once). Medians of two rounds at 08:41-08:50 (load 0.3), wall x floor /
CPU x floor / peak RSS: summary 3.74x / 6.72x, 832 MiB (14.3 s); --json 3.91x, 829 MiB (15.2 s);
fold 1.99x, 238 MiB; flame 1.92x, 237 MiB; speedscope 2.77x / 4.28x, 719 MiB; chrome 2.31x, 576 MiB;
report 5.75x / 10.28x, 864 MiB (22.4 s); timeline 2.73x / 4.42x, 687 MiB; doctor 2.00x, 500 MiB;
diff 2.30x, 605 MiB. Tried and dropped: columns of a batch of lines per record shape in place of a
row per line (a prototype: 12-25 us a line against read_part's 12-14: a batch's shapes split it
into groups of ~25 records, each paying numpy's and the checks' per-call cost, and big batches
lose the decoder's cache).

2026-12-02 (10:23-11:40): fork's cost measured. At 1M a summary's processes took 25.4 s of CPU
(3.8 s of it system time: 890,000 page faults, a shared page copied before a process writes it)
for ~19.5 s of work done in one process (reading 9 s, summarize 9.7 s serially, the merge 0.7 s):
a third process beside two cores ran each at two thirds of a core. Changed: a child's answer waits
in a file in memory (forked.py: memfd), so a child ends when its work is done, not when its parent
reads a pipe; summarize never runs more processes than cores (one child for the what-if sharing
and the tables beside the graph, then the replays split with one child; summary.py's docstring).
A/B against the stop before (farm-bench, alternating, same bytes): summary 0.93x (4 pairs) and
0.99x (6 pairs, spread 0.88-1.09), system time 2.6 s against 3.3 s; report 0.98x; speedscope
1.00x. Tried and dropped: FIRST_SHARE 0.50 (1.06x) and 0.55 (1.01x); speedscope's timeline events
encoded half by a child (0.99x, peak 941 MiB against 726); the replays' halves swapped (noise).
Medians at 11:00-11:28 (load 0.7-1.0; the floor took 2.6-4.4 s here, 3.7-7.2 s in the runs above,
and the two-process commands' seconds fell less than the floor's, so their ratios rose), wall x
floor / CPU x floor / peak RSS: fold 2.29x / 3.76x, 236 MiB; flame 2.27x / 3.71x, 238 MiB; doctor
2.27x / 3.92x, 501 MiB; chrome 2.85x / 4.04x, 576 MiB; diff 2.70x / 4.01x, 613 MiB (two rounds,
11:00-11:05); timeline 2.92x / 4.67x, 713 MiB (9.6 s); speedscope 3.51x / 5.25x, 728 MiB (12.4 s;
3.30x, 10.2 s in the two-round run); summary 4.59x / 8.08x, 832 MiB (12.1 s; 3.44x, 15.2 s beside
a 4.4 s floor in the two-round run); --json 4.44x, 831 MiB (12.7 s); report 7.11x / 12.71x,
866 MiB (20.6 s) (three rounds, 11:20-11:28).

2026-12-02 (13:12-14:20), each change A/B against the stop before (farm-bench, alternating pairs,
the same bytes) and checked with a process's own CPU clock: line profilers put Python calls at
several times their cost (a package's frames at 1.8 s that take 0.75). Changed: the report's page
makes its dependency facts in the forked child and the rest here (before: the child 1.8 s, this
process 2.6 s), finds what a tool waited for at once for nodes whose tools ran one after another
(89% of the nodes of several tools) and groups the package rows' tool mixes by one lexsort (numpy's
unique rows: 0.58 s -> 0.04): report 0.937x (12.9 s against 13.8 s). The timeline draws its curve
and labels before it waits for the critical path's child: 0.914x and 0.936x (6.34 s against
6.90 s). fold_columns without a filter skips its per-kind test and lookup (1.4-1.6 -> 1.2 s CPU);
speedscope's timeline events (158 MB of JSON) are encoded by a second child into a file in memory
while this process writes the frames and the folds, then copied by the kernel (sendfile): 0.897x
(7.22 s against 8.10 s), peak RSS unchanged. Tried and dropped, measured: skipping argv's decoding
(it is never used): a regex that validates it costs 2.3 us a line against the 0.86 us orjson
spends on it, and even an unchecked cut (slicing and joining 1.3 KB) cost 2.35 us against 1.98 us
for decoding the whole line; a quicker frame head per package (0.75 -> 0.70 s); speedscope's
timeline written whole by the first child with the frames numbered timeline-first (1.08x slower:
this process waited for it and rebuilt the frame index); first_share 0.52 for load_spans (noise).
Why summary stays above 3x: its stage timers at 1M: reading 3.2-3.5 s in each process (6.4 us a
line, 2.3 of it decoding), the merge 0.7 s, nodes 0.4 s, then the graph 1.5 s and the critical
path 0.4 s beside the sharing and tables 1.7 s, then the replays (3.6 s of CPU) split in two: the
schedule is within ~0.7 s (the serial steps) of an even split of its ~7.4 s of work after reading,
so it needs less work, not more overlap: 3x of a 2.4-2.5 s floor is 7.2-7.5 s, the summary takes
8.7-9.1 s. Medians of two rounds at 14:10-14:18 (load 0.6), wall x floor / CPU x floor / peak
RSS: fold 1.94x / 3.27x, 237 MiB; flame 2.06x / 3.44x, 237 MiB; doctor 2.14x / 3.68x, 494 MiB;
chrome 2.57x / 3.63x, 568 MiB; diff 2.39x / 3.64x, 590 MiB; timeline 2.83x / 4.90x, 674 MiB
(7.1 s); speedscope 2.86x / 4.65x, 724 MiB (7.1 s); summary 3.70x / 6.62x, 838 MiB (9.1 s);
--json 3.88x, 838 MiB (9.2 s); report 5.75x / 10.49x, 844 MiB (14.1 s).

2026-12-02 (14:41-15:40), A/B against the stop before (046616e; farm-bench, 4 alternating pairs):
the timeline's concurrency line drawn as an outline per pixel column (charts.step_outline: five
vertices per column, not two per step; Axes.step 0.44 s and savefig 0.82 -> 0.12 s at 1M) and its
graph's nodes made before the critical path's child is forked (the child had made them in 0.6 s,
copying the pages fork shares): timeline 0.89x and 0.91x, peak 545 against 672 MiB, the same
picture; speedscope's lanes put in order by the child that assigns them: 0.97x, the same bytes;
the report 0.99x (its page 112 MB, was 141: times as differences, package names once; it opens
in ~4 s, was 20 s, most of it stroking 3.7 million vertices of the concurrency line). Tried and
dropped: speedscope's samples made beside the timeline's encoder (1.02x slower: the sample lists
were then made in pages shared with the child, each copied first). Then a C compile's row keeps
its files, not its whole Event (build_rows: 130,000 Events at 1M): summary --json 0.97x, peak 737
against 830 MiB; report 0.97x, 739 against 829 MiB (farm-bench, 4 and 3 pairs, the same bytes;
after the medians below). Medians of two rounds at 15:26-15:30 (load 2.1
at the start; the floor took 2.7-2.9 s, 2.4-2.5 s at 14:10: this machine's speed moves, and the
two-process commands' seconds move more than the floor's), wall x floor / CPU x floor / peak
RSS: fold 1.98x / 3.32x, 239 MiB; flame 2.07x / 3.46x, 238 MiB; doctor 2.12x / 3.67x, 499 MiB;
chrome 2.54x / 3.65x, 576 MiB; diff 2.57x / 3.88x, 599 MiB; timeline 2.62x / 4.51x, 548 MiB
(7.3 s); speedscope 2.95x / 4.79x, 703 MiB (8.2 s; 3.08x in a run at 15:08); summary 3.79x /
6.76x, 831 MiB (10.7 s); --json 3.90x (10.8 s); report 5.43x / 9.85x, 827 MiB (15.5 s).

2026-12-02 (16:42-17:35). Found by timing one stage two ways (in the command and in a harness):
numpy asks the kernel for huge pages for every array of 4 MB or more (madvise), and with
transparent huge pages "madvise" and defrag "madvise" (this machine, and the default of many
distributions) each such fresh array stalled while the kernel compacted memory: the summary's
dependency graph took 2.2-2.4 s with the advice and 1.1 s without, its system time 1.5-3 s against
0.5 s. The command now turns the advice off unless NUMPY_MADVISE_HUGEPAGE is set (pages.small_pages):
summary 0.85x (farm-bench, 4 pairs, the same bytes), speedscope 0.93x (3 pairs). speedscope's
frames written from their names encoded at once (no dict per frame): peak 602 against 703 MiB.
Tried and dropped, measured: a packed int64 sort in place of numpy's stable argsort and unique
(40x quicker alone, but with the advice off np.unique took 54 ms of the graph's 1.1 s); the
graph's name lookups as C-level passes (no change: the dict lookups themselves are the cost);
package frames by C-level passes (slower than the loop: 1.16 against 0.88 s); glibc malloc
thresholds raised (MALLOC_MMAP_THRESHOLD_ and co., no change); the reading consumer batched (a
list of rows then C-level passes: 7.0 against 6.1 us a line). This machine is a VM whose memory
moves under it (DAMON pages out cold memory, and fresh pages cost the host's work too): chrome,
which writes 381 MB, took 5.9-6.1 s at 17:12 with 0.9 s of system time and 8.1-11 s at 17:20-17:33
with 2.5-5 s of it, the same code; so compare user time, and alternate runs. Medians of two rounds
at 17:21-17:30 (load 1.2), wall x floor / CPU x floor / peak RSS: fold 1.99x / 3.37x, 238 MiB;
flame 2.02x / 3.38x, 245 MiB; doctor 2.10x / 3.61x, 499 MiB; diff 2.49x / 3.76x, 600 MiB; timeline
2.59x / 4.44x, 553 MiB (6.5 s); speedscope 3.04x / 4.89x, 602 MiB (7.8 s; 3.05x at 17:16);
chrome 3.66x / 4.59x, 569 MiB (9.3 s, its system time as above: 2.44x, 6.1 s at 17:05); summary
3.62x / 6.48x, 739 MiB (9.0 s); --json 3.58x, 741 MiB (9.2 s); report 6.31x / 10.98x, 744 MiB
(16.3 s). Summary's stages at 1M now (stage timers, gc off): reading 4.3 s (each process ~3.4-3.7 s,
7 us a line: decoding 2.1-2.5, the row maker's checks ~1.8, the rest the loop and the columns),
merge 0.6 s, nodes 0.3 s, the graph 1.4 s beside the sharing and tables 1.6 s, the critical path
0.3 s, the replays 2.3 s (4 s of CPU, halves of 1.9 and 2.0 s): ~7.6 s of CPU after reading on two
cores, within ~0.4 s of an even split. Then (18:10) the replays' plan made beside the sharing
child and the critical path walked beside the replays' child: summary 0.972x (8 pairs). The
report's page data written without a second look for control characters (every one in it is a
JSON escape already; `printable` took 0.28 s over its 112 MB): report 0.978x (4 pairs, the same
bytes).

The source is a real cold trace (by default a fresh `gotrace run --cold` of samples/multi, 149
invocations); benchmarks/real_trace.py grows it (copies of the real build with renamed packages).

Exports at 1M records (wall x floor / CPU x floor / peak RSS, one round). Before, load average 4.3:
speedscope 5.97/5.69 873 MiB, flame 4.88/4.77 322 MiB, doctor 2.71/3.57 428 MiB (fold 1.6/3.9, chrome
2.2/3.7 from the last session). After the columns fold (collapse.fold_columns), the numpy speedscope
renderer, doctor's two-process read and chrome's numpy counter track, load average 4.0: speedscope
4.04/4.11 726 MiB, flame 3.48/3.50 258 MiB, doctor 3.63/3.77 498 MiB, fold 2.61/3.35 244 MiB, chrome
3.84/3.85 576 MiB. Wall equal to CPU means the second reading process found no free core: on this
busy machine the ratios follow the load; compare CPU (A/B runs: speedscope 36.6 -> 24.5 s CPU,
flame 30.7 -> 21.3 s, chrome 23.4 -> 22.0 s).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from real_trace import grow_trace  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
FLOOR = ("import orjson, sys\n"
         "loads = orjson.loads\n"
         "with open(sys.argv[1], 'rb', buffering=1 << 20) as f:\n"
         "    for line in f:\n"
         "        loads(line)\n")
COMMANDS = {
    "summary": ["summary", "{t}", "-o", "{o}.txt"],
    "summary --json": ["summary", "{t}", "--json", "-o", "{o}.json"],
    "fold": ["fold", "{t}", "-o", "{o}.folded"],
    "flame": ["flame", "{t}", "-o", "{o}.svg"],
    "speedscope": ["speedscope", "{t}", "-o", "{o}.speedscope.json"],
    "chrome": ["chrome", "{t}", "-o", "{o}.trace.json"],
    "report": ["report", "{t}", "-o", "{o}.html"],
    "timeline": ["timeline", "{t}", "-o", "{o}.png"],
    "doctor": ["doctor", "{t}", "--machine-memory", "16G", "-o", "{o}.txt"],
    "diff": ["diff", "{t}", "{t2}", "-o", "{o}.txt"],
}


def measure(argv: list[str]) -> tuple[float, float, int]:
    """(wall s, CPU s, peak RSS KiB) of one run; the run must succeed."""
    start = time.monotonic()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.monotonic() - start
    err = child.stderr.read().decode(errors="replace")
    child.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(argv)}\n{err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def source_trace(tmp: Path) -> Path:
    """A real cold trace of samples/multi, made now."""
    module = tmp / "multi"
    shutil.copytree(ROOT / "samples" / "multi", module)
    trace = tmp / "real.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOTRACE_") and k != "GOFLAGS"}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", GOTOOLCHAIN="local", GOPROXY="off")
    subprocess.run([str(BIN / "gotrace"), "run", "--cold", "--trace", str(trace), "--progress", "never", "-q",
                    "--", "go", "build", "-o", str(tmp / "bin") + "/", "./..."], cwd=module, env=env, check=True)
    return trace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--records", type=int, default=1_000_000)
    parser.add_argument("--source", help="a real trace to grow (default: trace samples/multi cold now)")
    parser.add_argument("--keep", metavar="FILE", help="write the big trace here, or reuse it if present")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", action="append", choices=sorted(COMMANDS), help="just these commands")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gotrace-scale-") as tmpdir:
        tmp = Path(tmpdir)
        big = Path(args.keep) if args.keep else tmp / "big.jsonl"
        if not big.exists():
            source = Path(args.source) if args.source else source_trace(tmp)
            grow_trace(str(source), str(big), args.records)
        # diff's second trace: the same records one build later, as two CI runs of one commit would be
        second = tmp / "second.jsonl"
        os.link(big, second) if big.stat().st_dev == tmp.stat().st_dev else shutil.copyfile(big, second)
        size = big.stat().st_size
        lines = sum(1 for _ in open(big, "rb"))
        print(f"trace: {lines:,} records, {size / 1e6:,.0f} MB; {os.cpu_count()} cores, load average "
              f"{os.getloadavg()[0]:.1f}; medians of {args.rounds} rounds, floor and command side by side")
        print(f"{'command':<16}{'wall':>8}{'x floor':>9}{'CPU':>8}{'x floor':>9}{'peak RSS':>11}  target")
        floor_argv = [sys.executable, "-c", FLOOR, str(big)]
        for name in args.only or COMMANDS:
            argv = [str(BIN / "gotrace"), *(a.format(t=big, t2=second, o=tmp / "out") for a in COMMANDS[name]), "-q"]
            floors, runs = [], []
            for _ in range(args.rounds):
                floors.append(measure(floor_argv))
                runs.append(measure(argv))
            fw, fc = statistics.median(f[0] for f in floors), statistics.median(f[1] for f in floors)
            if name == "diff":  # two traces to read: the floor is reading both
                fw, fc = 2 * fw, 2 * fc
            wall, cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
            rss = max(r[2] for r in runs)
            ok = wall / fw <= 3 and rss < 1 << 20
            print(f"{name:<16}{wall:>7.1f}s{wall / fw:>8.2f}x{cpu:>7.1f}s{cpu / fc:>8.2f}x{rss / 1024:>8.0f} MiB  "
                  f"{'met' if ok else 'NOT met'}   (floor {fw:.1f}s wall, {fc:.1f}s CPU)", flush=True)


if __name__ == "__main__":
    main()
