"""What if the build had more cores: its real graph replayed through go's scheduler on the machine's cores.

The go command runs a build as a graph of actions (cmd/go/internal/work/exec.go, Builder.Do): an
action becomes ready when all its dependencies are done, ready actions wait in a priority queue,
and -p workers each take the next ready action and run it to the end. `replay` does the same with
the nodes of `critical_path.dependency_graph` (one per package build, vet and link; their real
dependency edges), each holding a worker for the go command's own work per action and then for its
tools, served in the order this build started them (go's own priority order, as far as the trace
shows it).

Tools share the machine's cores. -p counts processes, not cores: on 2 cores a compile running alone
keeps ~1.4 cores busy (its backend and garbage collector run beside the main thread), two at once
get ~1 core each. So a tool's measured duration is not its own: it holds how many others ran beside
it. The model takes that out and puts it back, from what the trace holds (each tool's CPU time,
user + sys; its wall time; the build record's cores):
- *Alone rate* of a tool (compile, link, asm, ...): cores its invocations kept busy (CPU / wall)
  when they ran alone in this build (no other traced tool for at least ALONE_SHARE of their run).
- *Demand* of an invocation: the cores it would use alone. One that ran alone: its own CPU / wall;
  one that ran beside others: its tool's alone rate, or its own CPU / wall when that is more (or
  when no invocation of its tool ran alone: then nothing says it was held back).
- *Shared cores*: what the tools got together while at least `cores` of them ran (the tools' CPU
  over that time; `tools_capacity`), and at least the largest alone rate. The build record's cores
  on a quiet machine (1.95 of 2 here); less when other processes took the rest (0.74 of 2 for a
  build beside another test suite): the trace cannot see them, only what its tools were left.
- *Processor sharing*: while the running invocations demand more than the shared cores, each
  progresses at shared cores / (their total demand) of its alone speed. A fluid model of the
  kernel's sharing; proportional, so one progress rate holds for all running tools and the replay
  follows them in virtual time, O(log n) per event.
- A node's *alone time*: its span with every instant one of its tools ran weighted by the progress
  rate then (an instant at rate 0.7 is 0.7 of an instant alone). Its demand: the CPU the model gave
  its tools then, at least their CPU time, over its alone time (a tool that used less than its
  share, waiting for the disk, still held its share from the others in the measured build).
The replay runs each node for its alone time, stretched by the same sharing among the nodes it runs
beside. Replayed at the build's own -p it gives back about the measured durations; at -p 1 the
tools that shared the cores run faster; at -p beyond the cores they share more: a prediction never
falls below the CPU bound (total CPU / cores), since the replay never runs more CPU at once than the
shared cores. Past the cores the curve is flat and may even rise a little: more tools at once slow
the ones on the critical path. Without the build's cores or any CPU time in the trace (an imported
debug trace), tools replay as long as they ran.

The go command's own work per action (checking the cache, hashing inputs, writing the archive,
starting the tool) is measured in the build itself, so a busy machine's slower go command is in it:
the lower quartile, over the build's actions that had inputs, of the time between their last input
ending and their first tool starting while a -p slot was free. The lower quartile, not the median:
the go command holds a slot for its own work around each tool (the cache check is an action of its
own), which the trace cannot see, so many of those gaps hold other actions' work as well. Measured
here before tools shared cores in the model (replay at the build's own -p against its wall): the
median overestimated a cold `go build -a cmd/go` on a loaded machine by 17% and samples/multi
builds by 0-3%; the lower quartile landed within -6%..+0.1% on all of them, no overhead at all
within -10%..-4%.

Cost (issue 14: a million-record trace near the cost of reading it). The grid of instants and
every sum over it are numpy arrays, each float sum made in the order the Python loops it replaced
made it (ufunc.at and cumsum go element by element: the pinned outputs kept their bytes), nodes of
one tool in numpy and only nodes of several tools in a Python loop; the replays (one Python loop
over the nodes each) stop once a replay had no ready node waiting for a slot (every larger -p runs
that schedule), and a big graph's replays are shared with a forked child (gotrace.forked). At
100,000 records (CPU, this process): sharing 1.43 -> 0.34 s, replays 1.9 s -> half of it in each
process; at 1,000,000: one replay 1.5 s (5.5 s unlimited) over 416,149 nodes.

The replays' cost, profiled (cProfile of summary at 100,000 records: 8 replays 5.25 s, 1.2 s of
it rebuilding every replay's lists of dependents, 0.5 s heappop, 0.2 s heappush; py-spy of one
replay at 1,000,000 records: at -p 8 17% popping a heap of the 118,015 nodes without inputs, at
unlimited 40% popping the heap of (time, node) tuples of 118,015 nodes running at once, most of
them tied: a grown trace's copies of one build). So a ReplayPlan makes the graph's part once per
`predict_columns` (its forked child gets it by fork), the go command's work is a queue, ready nodes
a merge of the sorted roots and a small heap, -p 1 a plain loop in index order, unlimited one heap
entry per distinct finishing time; every float operation the one the heaps made, in their order
(tests/test_whatif_replay.py compares every -p with the replay before, kept there). Every -p of
SLOTS with the build's cores, CPU s of one process, before / after (benchmarks/bench_summary.py
--replay, alternately, load 2.3-3 on 2 cores): 100,000 records (41,615 nodes) 1.39 / 0.86 (-p 1
0.09 / 0.03, unlimited 0.43 / 0.19); 1,000,000 records (416,149 nodes, 1,782,567 edges) 17.2 /
10.2 (-p 1 1.3-1.6 / 0.5, -p 2-64 1.5-2.0 / 0.85-1.5 each, unlimited 5.2-5.5 / 2.4, the plan 0.3).

What the model leaves out, so read the curve as an estimate: other processes' load changing during
the build or between builds (the shared cores are one figure for the whole build, and a -p 1 trace,
where tools never competed, cannot tell what they would be left), tools whose need differs from
their tool's alone rate (a small compile keeps fewer cores busy than the runtime's), package
loading before the first tool, and the go command's own CPU. `WhatIf.measured_error` says how far
the replay at the build's own -p lands from the build's measured wall time: the size of what the
model leaves out in this build.

Measured (benchmarks/bench_whatif.py; 2 cores shared with other work; "others" is the CPU other
processes used during each build, from /proc/stat; "before" is the same trace with tools as long
as they ran, the model until this sharing):
- samples/multi (66 packages), quiet (load 1.0-1.3, 2026-12-01 16:55): replay at its own -p -5.3%
  (-p 2) and -0.7% (-p 1); -p 1 predicted from the -p 2 trace 20.16s vs a real -p 1 build 20.08s:
  +0.4% (tools as long as they ran: +14.8%); -p 2 from the -p 1 trace -9.9% (before: -13.5%).
- samples/multi beside other test suites (others 1.31 and 1.50 of 2 cores, load 1.6-4.9, 17:03):
  own -p -2.2% / -1.9%; -p 1 from -p 2 -1.0% (before: +18.0%); -p 2 from -p 1 -13.3%.
- samples/multi, others 1.51 and 1.54 cores (load 10-12, 17:34): own -p -2.4% / -0.5%; -p 1 from
  -p 2 +9.4% (before: +31.5%; -0.4% once the machine's speed in each run is taken out: the same
  compiles ran alone 9% faster in the -p 1 run); -p 2 from -p 1 -23.0%.
- go build -a cmd/go (333 packages), others 1.42 and 1.44 cores (load 7.7-10.5, 17:36-17:44):
  own -p +1.9% / -0.1%; -p 1 from -p 2 285.0s vs 234.4s measured, +21.6% (before: +92.0%;
  +12.7% load-adjusted); -p 2 from -p 1 -44.5%. A first pair (16:58, others not measured, the
  -p 2 build slower than the -p 1 one: its tools got 0.60 of a core each, the -p 1 build's 1.15):
  own -p +1.5% / -0.3%, -p 1 from -p 2 +88.6% (before: +127%).
- go build -a cmd (1,274 invocations, 21 links), load 7-9, 18:24: replay at its own -p 2 720.9s
  vs 666.7s measured (+8.1%); no -p 1 build to compare with (another 10+ minutes here).
So: -p 1 predicted from a -p 2 trace lands within 10% for samples/multi at every load seen, and
22% off for cmd/go under 1.4 cores of other load (13% after the load adjustment; issue 15 asks
15%). -p 2 predicted from a -p 1 trace underestimates on a loaded machine (-10% quiet, -45% at
1.4 cores of other load): nothing in a -p 1 trace says what competing tools would be left.
"""
from __future__ import annotations

import bisect
import heapq
import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from gotrace.analysis.critical_path import Concurrency, Graph, Nodes, dependency_graph
from gotrace.analysis.parallelism import Invocations, time_columns
from gotrace.events import _UNKNOWN as UNKNOWN_CPU
from gotrace.events import Event
from gotrace.forked import Forked, can_fork

SLOTS = (1, 2, 4, 8, 16, 32, 64, None)  # None: unlimited
# An invocation ran alone when no other traced tool ran for at least this share of its wall time.
ALONE_SHARE = 0.9
# Cores assumed for an invocation whose CPU time the trace does not know: one process, one core.
UNKNOWN_DEMAND = 1.0
# Graphs of at least this many nodes share their replays with a forked child (`predict`).
PARALLEL_NODES = 20_000


def action_overhead_ns(graph: Graph, level: Concurrency) -> int:
    """The go command's own work per action in this build: the lower quartile of the gaps between an
    action's last input ending and its start while a slot was free (see the module doc)."""
    waited = graph.ready_ns != Graph.NO_INPUT
    ready, start = graph.ready_ns[waited], graph.start_ns[waited]
    gaps = np.sort(np.maximum(0, start - ready - level.full_ns_between(ready, start)))
    return int(gaps[len(gaps) // 4]) if len(gaps) else 0


class Timeline:
    """The instants where any of a build's invocations starts or ends, and step functions over them
    (one value per step [times[k], times[k+1])): every invocation starts and ends on this grid, so
    the integral of a step function over one invocation's run is a difference of two prefix sums.

    numpy arrays throughout, each sum made in the order the Python loops it replaced made it (ufunc.at
    and cumsum go element by element), so the model's floats are the same to the last bit."""

    def __init__(self, events: Sequence[Event] = (), *, columns: tuple[np.ndarray, np.ndarray] | None = None):
        """The grid of `events`, or of the invocations whose start and wall times are `columns`."""
        start, wall = time_columns(events) if columns is None else columns
        self.wall = wall  # int64, per event
        # as concurrency_steps counts them: [start, end), at least one nanosecond (occupied_end)
        end = np.where(wall > 0, start + wall, start + 1)
        times = np.sort(np.concatenate((start, end)))  # np.unique's hash table was 20x slower here
        distinct = np.ones(len(times), bool)
        distinct[1:] = times[1:] != times[:-1]
        self.times = times[distinct]
        self.starts = np.searchsorted(self.times, start)  # per event: where it starts on the grid
        self.ends = np.searchsorted(self.times, end)
        self.widths = np.diff(self.times)
        # how many run in each step: sums of 1.0 and -1.0, exact integers in a float
        self.running = self.levels(np.ones(len(start)))

    def levels(self, weights: np.ndarray) -> np.ndarray:
        """The sum of the weights of the invocations (one weight each) running in each step."""
        delta = np.zeros(len(self.times))
        np.add.at(delta, self.starts, weights)
        np.subtract.at(delta, self.ends, weights)
        return np.cumsum(delta)

    def integrals(self, prefix: np.ndarray) -> np.ndarray:
        """The integral of a step function (its `prefix`) over each invocation's run."""
        return prefix[self.ends] - prefix[self.starts]

    def prefix(self, values: np.ndarray) -> np.ndarray:
        """The integral of a step function from the first instant to each instant."""
        out = np.zeros(len(self.times))
        np.cumsum(values[:len(self.widths)] * self.widths, out=out[1:])
        return out


def _cpu_columns(column: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(CPU ns as floats, 0 where unknown; whether known) of each invocation (a CPU column,
    UNKNOWN where unknown: `Invocations.cpu_ns`)."""
    known = column != UNKNOWN_CPU
    return np.where(known, column, 0).astype(np.float64), known


def _rates(cpu: np.ndarray, known: np.ndarray, wall: np.ndarray) -> np.ndarray:
    """Cores each invocation kept busy on average while it ran (UNKNOWN_DEMAND without its CPU time)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(wall > 0, cpu / wall, 0.0)
    return np.where(known, rate, UNKNOWN_DEMAND)


def ran_alone(events: Sequence[Event], grid: Timeline | None = None) -> np.ndarray:
    """For each invocation, whether no other ran for ALONE_SHARE of its run."""
    grid = grid or Timeline(events)
    solo = grid.integrals(grid.prefix(np.where(grid.running == 1, 1.0, 0.0)))
    return (grid.wall > 0) & (solo >= ALONE_SHARE * grid.wall)


def tools_capacity(rates: np.ndarray, cores: int, grid: Timeline) -> float:
    """The cores the build's tools (on `grid`, each keeping `rates` cores busy: its CPU time spread
    evenly over its run) got together while at least `cores` of them ran; `cores` when they never
    did. Below `cores` when other processes took the rest (or the go command did, or the tools
    waited for the disk)."""
    steps = len(grid.widths)
    competing = grid.running[:steps] >= cores
    busy_ns = float(grid.widths[competing].sum())
    cpu = grid.levels(rates)[:steps][competing] * grid.widths[competing]
    cpu_ns = float(np.cumsum(cpu)[-1]) if len(cpu) else 0.0  # summed in order, as the loop did
    return min(float(cores), cpu_ns / busy_ns) if busy_ns and cpu_ns > 0 else float(cores)


@dataclass(frozen=True)
class Sharing:
    """How this build's tools shared the machine's cores, and what each node takes on its own."""
    cores: int  # the machine's
    capacity: float  # cores the tools got together when they competed (tools_capacity)
    alone_rates: dict[str, float]  # tool -> cores its invocations kept busy when they ran alone
    alone_ns: list[float]  # per node: its span as it would run with the shared cores to itself
    demand: list[float]  # per node: cores it keeps busy then


def measure_sharing(nodes: Nodes, events: Sequence[Event], cores: int, *,
                    invocations: Invocations | None = None) -> Sharing | None:
    """The sharing model of the module doc for the nodes of a build's dependency graph (all its
    invocations that ran; `events` are those its rows index, `invocations` their columns when the
    caller has them);
    None when no invocation knows its CPU time (nothing says how busy the cores were). A few passes
    over one grid of the invocations' instants, taken node by node: O(n log n)."""
    rows = nodes.order
    c = Invocations.of(events) if invocations is None else invocations
    cpu, cpu_known = _cpu_columns(c.cpu_ns[rows])
    if not cpu_known.any():
        return None
    start_of, wall_of = c.start_ns, c.wall_ns
    grid = Timeline(columns=(start_of[rows], wall_of[rows]))
    alone = ran_alone((), grid)
    wall = grid.wall.astype(np.float64)
    # the tools that ran, numbered (the rates below are by name)
    tool_ids = c.tool[rows]
    distinct, tool = np.unique(tool_ids, return_inverse=True)
    tools = {c.tools[t]: i for i, t in enumerate(distinct.tolist())}
    tool = tool.reshape(-1)
    # each tool's CPU and wall time over its invocations that ran alone (integer sums: exact)
    counted = alone & cpu_known
    cpu_sums, wall_sums = np.zeros(len(tools), np.int64), np.zeros(len(tools), np.int64)
    np.add.at(cpu_sums, tool[counted], cpu[counted].astype(np.int64))
    np.add.at(wall_sums, tool[counted], wall[counted].astype(np.int64))
    rates = {name: int(cpu_sums[t]) / int(wall_sums[t]) for name, t in sorted(tools.items()) if wall_sums[t] > 0}
    used = _rates(cpu, cpu_known, wall)
    # a tool that ran beside others wanted at least its tool's alone rate
    tool_rate = np.array([rates.get(name, -np.inf) for name in tools], np.float64)
    demand = np.where(alone | ~cpu_known, used, np.maximum(used, tool_rate[tool]))
    # at least what one tool got alone: the machine gave the build that much then
    capacity = max(tools_capacity(used, cores, grid), min(float(cores), max(rates.values(), default=0.0)))
    level = grid.levels(demand)
    with np.errstate(divide="ignore"):
        progress_array = grid.prefix(np.where(level <= capacity, 1.0, capacity / level))
    progressed_array = grid.integrals(progress_array)  # per invocation: its run's alone time
    # The CPU the model gave each invocation while measuring: a node's demand is that, or its CPU
    # time when more; where a tool used less than its share (it waited for the disk, or lost CPU to
    # something untraced), the replay holds its share from the others as the measured build did.
    model_cpu_array = demand * progressed_array
    # A node of one tool (most of them): its alone time is its tool's, held within 0..its wall, and
    # its demand the larger of its CPU and the model's over that; the same floats as the loop below.
    counts, first = nodes.count, nodes.first
    cpu_used = np.where(cpu_known, cpu, UNKNOWN_DEMAND * wall)
    one = first[counts == 1]
    own_one = np.minimum(wall[one], np.maximum(0.0, progressed_array[one]))
    with np.errstate(divide="ignore", invalid="ignore"):
        demand_one = np.where(own_one > 0, np.maximum(cpu_used[one], model_cpu_array[one]) / own_one, 0.0)
    alone_ns = np.zeros(len(nodes))
    demands = np.zeros(len(nodes))
    alone_ns[counts == 1], demands[counts == 1] = own_one, demand_one
    # nodes of several tools: the union of their intervals, each piece once; their tools' figures
    # gathered first (lists of every invocation's, and of the grid's, held a big build's child
    # process ~200 MB over its parent)
    several = np.flatnonzero(counts > 1)
    at = np.repeat(first[several] - np.cumsum(counts[several]) + counts[several], counts[several]) + \
        np.arange(int(counts[several].sum()))  # the places of their tools, node by node
    tool_start, tool_wall = start_of[rows[at]].tolist(), wall_of[rows[at]].tolist()
    progressed = progressed_array[at].tolist()
    progress_at_end = progress_array[grid.ends[at]].tolist()
    progress_at_start = progress_array[grid.starts[at]].tolist()
    used_cpu, model_cpu = cpu_used[at].tolist(), model_cpu_array[at].tolist()
    spans = nodes.span_ns[several].tolist()
    done = 0  # tools of the nodes before
    for i, count, span in zip(several.tolist(), counts[several].tolist(), spans):
        ran_ns = own_alone = node_cpu = given = 0.0
        reach, reach_progress = None, 0.0  # the furthest end so far, and the progress there
        for k in range(done, done + count):  # the node's tools, by start
            tool_ns = tool_wall[k]
            end = tool_start[k] + tool_ns
            if reach is None or tool_start[k] >= reach:
                ran_ns += tool_ns
                own_alone += progressed[k]
            elif end > reach:  # overlaps an earlier tool of the node: only the rest is new
                ran_ns += end - reach
                own_alone += progress_at_end[k] - reach_progress
            if reach is None or end > reach:
                reach, reach_progress = end, progress_at_end[k] if tool_ns > 0 else progress_at_start[k]
            node_cpu += used_cpu[k]
            given += model_cpu[k]
        done += count
        # within 0..span: sums of float progress can land a few 1e-6 ns outside (a link that ran
        # alone came out 2e-6 ns longer than its span)
        own = min(float(span), max(0.0, span - ran_ns + own_alone))
        alone_ns[i] = own
        demands[i] = max(node_cpu, given) / own if own > 0 else 0.0
    alone_ns, demands = alone_ns.tolist(), demands.tolist()
    return Sharing(cores, capacity, rates, alone_ns, demands)


def replay_columns(graph: Graph) -> tuple[list[list[int]], list[int]]:
    """(inputs, spans) of a dependency graph, the columns a ReplayPlan reads: for each node, the
    earlier nodes it waits for, and its span in ns."""
    return graph.input_lists(), graph.span_ns.tolist()


class ReplayPlan:
    """A graph ready to replay at any -p: everything its replays share, made once (`predict_columns`
    makes one; its forked child gets it by fork), so a replay copies only the counts it changes.

    `inputs`: for each node, in start order (the priority go gave it, as far as the trace shows),
    the indices of the earlier nodes it waits for; `spans`: each node's span in ns (ints or floats),
    how long it runs without `sharing`; `overhead_ns`: the go command's own work per action
    (`action_overhead_ns`).

    A replay's queues, each popping what the heaps of the first replay popped, in the same order
    (ties by node index), so every float operation is the one that replay made:
    - nodes in the go command's work: its ends (`now + overhead_ns`) never decrease, so a queue in
      two lists (times, nodes) read from a head index; a node joining a tie with a smaller index
      (or a float rounding that took `now` back) is inserted in its place (`_insert`);
    - ready nodes: the nodes without inputs are ascending already, and the few a finished node makes
      ready wait in a small heap: the next is the lower of the two heads;
    - -p 1 runs the nodes in index order (`_replay_one_slot`), unlimited starts every ready node at
      once and keys its heap of finishing times by distinct time (`_replay_unlimited`)."""

    def __init__(self, inputs: Sequence[Sequence[int]], spans: Sequence[float], overhead_ns: int = 0,
                 sharing: Sharing | None = None):
        self.size = len(inputs)
        self.inputs = inputs
        self.spans = spans
        self.overhead_ns = float(overhead_ns)  # what `now + overhead_ns` converts it to anyway
        self.waiting = [len(d) for d in inputs]
        dependents: list[list[int]] = [[] for _ in range(self.size)]
        for i, d in enumerate(inputs):
            for j in d:
                dependents[j].append(i)
        self.dependents = dependents
        self.ready = [i for i, w in enumerate(self.waiting) if not w]  # ascending
        self.share(sharing)

    def share(self, sharing: Sharing | None) -> None:
        """Replay with `sharing` (None: each node for its span, on as many cores as it likes). The
        graph's part of a plan is made apart (`replay_plan`): a summary makes it while a child
        measures the sharing."""
        self.durations = sharing.alone_ns if sharing else [float(s) for s in self.spans]
        self.demands = sharing.demand if sharing else [0.0] * self.size
        # without sharing every node runs at its alone speed: no load ever exceeds infinite cores
        self.capacity = sharing.capacity if sharing else math.inf

    def replay(self, slots: int | None) -> tuple[int, bool]:
        """(Wall time of the graph run by `slots` workers (None: as many as there are ready nodes),
        whether a ready node ever waited for a free slot). A replay no slot held back is the replay
        of every larger number of slots too: the same schedule.

        Event-driven list scheduling: ready nodes wait by priority (their index); a started node
        first holds its worker for `overhead_ns` of the go command's own work, then runs its tools
        for its alone time (`sharing`; without it, its span), all running nodes progressing at
        (shared cores / their total demand) of their alone speed when that is below 1. That rate is
        common to all, so a heap of finishing points in virtual time (alone time progressed) holds
        them: O(n log n + E)."""
        if not self.size:
            return 0, False
        if slots is None:
            return self._replay_unlimited(), False
        if slots == 1:
            one = self._replay_one_slot()
            if one is not None:
                return one
        durations, demands, capacity, overhead = self.durations, self.demands, self.capacity, self.overhead_ns
        dependents = self.dependents
        waiting = self.waiting.copy()
        first, firsts, r = self.ready, len(self.ready), 0  # the nodes without inputs, from r on
        later: list[int] = []  # heap of the nodes a finished node made ready
        heappush, heappop = heapq.heappush, heapq.heappop
        starting_at: list[float] = []  # end of the go command's work ...
        starting: list[int] = []  # ... of this node, from `head` on, in (time, node) order
        head = 0
        tools: list[tuple[float, int]] = []  # (virtual time its tools finish, node)
        busy = 0  # workers held
        now = virtual = load = 0.0
        held_back = False
        while True:
            if busy < slots and (r < firsts or later):
                t = now + overhead
                while busy < slots:
                    if later:
                        if r < firsts and first[r] < later[0]:
                            i = first[r]
                            r += 1
                        else:
                            i = heappop(later)
                    elif r < firsts:
                        i = first[r]
                        r += 1
                    else:
                        break
                    busy += 1
                    if head == len(starting) or t > starting_at[-1] or (t == starting_at[-1] and i > starting[-1]):
                        starting_at.append(t)
                        starting.append(i)
                    else:
                        _insert(starting_at, starting, head, t, i)
            if r < firsts or later:
                held_back = True
            while True:  # start the tools of each node whose go command's work ends before a tool does
                rate = 1.0 if load <= capacity else capacity / load
                finish = now + (tools[0][0] - virtual) / rate if tools else math.inf
                if head == len(starting) or not starting_at[head] <= finish:
                    break
                t = starting_at[head]
                i = starting[head]
                head += 1
                virtual += (t - now) * rate
                now = t
                heappush(tools, (virtual + durations[i], i))
                load += demands[i]
            if not tools:  # nothing starting either (finish was infinite), so nothing ready
                return round(now), held_back
            virtual, i = heappop(tools)
            now = finish
            load = load - demands[i] if tools else 0.0  # no float residue once nothing runs
            busy -= 1
            for k in dependents[i]:
                w = waiting[k] - 1
                waiting[k] = w
                if not w:
                    heappush(later, k)

    def _replay_one_slot(self) -> tuple[int, bool] | None:
        """`replay(1)`, None when some node waits for a later one. With one slot the nodes run one
        at a time, each alone, in index order: when nodes 0..i-1 are done, node i's inputs (earlier
        nodes) are, and no lower node is left. So no queue and no heap, the float operations of
        `replay` for each node as it made them. A ready node waited for the slot when some node j
        could start before j - 1 did: all its inputs below j - 1."""
        latest = [max(d, default=-1) for d in self.inputs]
        if any(last >= i for i, last in enumerate(latest)):
            return None
        durations, demands, capacity, overhead = self.durations, self.demands, self.capacity, self.overhead_ns
        now = virtual = 0.0
        for i in range(self.size):
            t = now + overhead
            virtual += t - now  # started with nothing running: rate 1.0
            now = t
            finish_at = virtual + durations[i]
            load = 0.0 + demands[i]
            now = now + (finish_at - virtual) / (1.0 if load <= capacity else capacity / load)
            virtual = finish_at
        return round(now), any(last <= i - 2 for i, last in enumerate(latest))

    def _replay_unlimited(self) -> int:
        """`replay(None)`'s wall time: every ready node starts at once, so nothing waits (no heap of
        ready nodes) and many nodes run together, often finishing at the same virtual time (a grown
        trace's copies of one build): their finishing points are a heap of distinct times, each time's
        node in `finishing` (several in `tied`, by index), not a heap of (time, node) tuples."""
        durations, demands, capacity, overhead = self.durations, self.demands, self.capacity, self.overhead_ns
        dependents = self.dependents
        waiting = self.waiting.copy()
        ready = self.ready.copy()  # ascending
        heappush, heappop = heapq.heappush, heapq.heappop
        starting_at: list[float] = []
        starting: list[int] = []
        head = 0
        tools: list[float] = []  # distinct virtual times some tools finish: a heap
        finishing: dict[float, int] = {}  # virtual time -> the node finishing then, -1 for several
        tied: dict[float, deque[int]] = {}  # virtual time -> the nodes finishing then, ascending
        now = virtual = load = 0.0
        while True:
            if ready:
                t = now + overhead
                i = ready[0]
                if head == len(starting) or t > starting_at[-1] or (t == starting_at[-1] and i > starting[-1]):
                    starting_at.extend([t] * len(ready))  # ascending nodes at one time: in order
                    starting.extend(ready)
                else:
                    for i in ready:
                        _insert(starting_at, starting, head, t, i)
                ready = []
            while True:  # as in `replay`
                rate = 1.0 if load <= capacity else capacity / load
                finish = now + (tools[0] - virtual) / rate if tools else math.inf
                if head == len(starting) or not starting_at[head] <= finish:
                    break
                t = starting_at[head]
                i = starting[head]
                head += 1
                virtual += (t - now) * rate
                now = t
                finish_at = virtual + durations[i]
                if finishing.setdefault(finish_at, i) == i:
                    heappush(tools, finish_at)
                else:
                    _tie(finishing, tied, finish_at, i)
                load += demands[i]
            if not tools:
                return round(now)
            virtual = tools[0]
            i = finishing[virtual]
            if i >= 0:
                heappop(tools)
                del finishing[virtual]
            else:
                i = _untie(finishing, tied, virtual, tools)
            now = finish
            load = load - demands[i] if tools else 0.0
            for k in dependents[i]:
                w = waiting[k] - 1
                waiting[k] = w
                if not w:
                    ready.append(k)
            if ready:
                ready.sort()


def _insert(times: list[float], nodes: list[int], head: int, t: float, i: int) -> None:
    """Put (t, i) into the queue times[head:], nodes[head:] (sorted by time, then node) in its place."""
    lo = bisect.bisect_left(times, t, head)
    at = bisect.bisect_left(nodes, i, lo, bisect.bisect_right(times, t, lo))
    times.insert(at, t)
    nodes.insert(at, i)


def _tie(finishing: dict[float, int], tied: dict[float, deque[int]], v: float, i: int) -> None:
    """Node `i` finishes at virtual time `v` as another one does: both wait in `tied`, by index."""
    j = finishing[v]
    if j >= 0:
        tied[v] = deque((j, i) if j < i else (i, j))
        finishing[v] = -1
        return
    nodes = tied[v]
    if i > nodes[-1]:  # nodes start in index order: almost always
        nodes.append(i)
        return
    k = len(nodes)
    while k and nodes[k - 1] > i:
        k -= 1
    nodes.insert(k, i)


def _untie(finishing: dict[float, int], tied: dict[float, deque[int]], v: float, tools: list[float]) -> int:
    """The first of the nodes finishing at virtual time `v`; `v` leaves the heap with the last."""
    nodes = tied[v]
    i = nodes.popleft()
    if not nodes:
        del tied[v], finishing[v]
        heapq.heappop(tools)
    return i


def replay(graph: Graph, slots: int | None, overhead_ns: int = 0, sharing: Sharing | None = None) -> int:
    """Wall time of the graph run by `slots` workers (None: as many as there are ready nodes)."""
    return ReplayPlan(*replay_columns(graph), overhead_ns, sharing).replay(slots)[0]


def _replays(plan: ReplayPlan, slots: Sequence[int | None]) -> dict[int | None, tuple[int, bool]]:
    """`ReplayPlan.replay` for each of `slots` in order (ascending, unlimited last), stopping after
    the first that no slot held back: the larger ones are the same."""
    done = {}
    for s in slots:
        done[s] = plan.replay(s)
        if not done[s][1]:
            break
    return done


def slot_order(slots: int | None) -> tuple[bool, int]:
    """Numbers of slots in ascending order, unlimited (None) last."""
    return slots is None, slots or 0


# What a replay costs, relative to one at -p 8 (1.0): -p 1 is a plain loop, a larger -p keeps more
# nodes running, unlimited every ready one (CPU s at 1,000,000 records, two rounds: -p 1 0.46-0.57,
# 2 0.58-0.94, 4 0.71-0.90, 8 0.88-1.06, 16 0.83-1.12, 32 0.79-1.33, 64 1.11-1.37, unlimited
# 1.93-2.18); any other -p costs 1.0
REPLAY_COST = {1: 0.5, 2: 0.75, 4: 0.8, 32: 1.05, 64: 1.25, None: 2.1}


def _halves(slots: Sequence[int | None], here: float = 0.0) -> tuple[list[int | None], list[int | None]]:
    """`slots` (ascending, unlimited last) in two lists of about equal cost (REPLAY_COST), each
    ascending: the costliest first, each to the cheaper list so far. The first list's process has
    work of cost `here` besides (`predict_columns`' beside)."""
    lists: tuple[list[int | None], list[int | None]] = ([], [])
    costs = [here, 0.0]
    for s in sorted(slots, key=lambda s: -REPLAY_COST.get(s, 1.0)):  # (stable: ties keep their order)
        k = 0 if costs[0] <= costs[1] else 1
        lists[k].append(s)
        costs[k] += REPLAY_COST.get(s, 1.0)
    return sorted(lists[0], key=slot_order), sorted(lists[1], key=slot_order)


def predict_columns(inputs: Sequence[Sequence[int]], spans: Sequence[float], slots: Sequence[int | None],
                    overhead_ns: int = 0, sharing: Sharing | None = None,
                    beside: tuple[Callable[[], object], float] | None = None) -> list[Prediction]:
    """The replay for each of `slots` (ascending, unlimited last) of the graph whose nodes (in start
    order) wait for `inputs` (earlier node indices) and run for `spans` (ns; their alone time with
    `sharing`), each holding a slot for `overhead_ns` first. One ReplayPlan serves every replay. A
    big graph's replays are shared with a forked child (gotrace.forked), every other -p each: each
    replay is a Python loop over the nodes, and they are independent. `beside`: (work, its cost
    in REPLAY_COST's units) for this process to do meanwhile (a summary's critical path), given
    the smaller share of the replays; done here, before them, when nothing is forked."""
    return predict_plan(ReplayPlan(inputs, spans, overhead_ns, sharing), slots, beside)


def predict_plan(plan: ReplayPlan, slots: Sequence[int | None],
                 beside: tuple[Callable[[], object], float] | None = None) -> list[Prediction]:
    """`predict_columns` of a ReplayPlan made already."""
    slots = list(slots)
    work, cost = beside or (None, 0.0)
    helper = None
    mine = slots
    if plan.size >= PARALLEL_NODES and len(slots) > 1 and can_fork():
        mine, theirs = _halves(slots, here=cost)
        helper = Forked(lambda: _replays(plan, theirs))
    if work is not None:
        work()
    done = _replays(plan, mine)
    if helper is not None:
        done.update(helper.result())
    out, same = [], None
    for s in slots:
        if same is None:
            wall, held_back = done[s]
            if not held_back:
                same = wall
        out.append(Prediction(s, same if same is not None else wall))
    return out


def replay_plan(graph: Graph, level: Concurrency) -> ReplayPlan:
    """The ReplayPlan of a build's dependency graph, with the go command's own work per action
    measured on it (`action_overhead_ns`), not yet shared (`ReplayPlan.share`)."""
    return ReplayPlan(*replay_columns(graph), action_overhead_ns(graph, level))


def predict(graph: Graph, slots: Sequence[int | None], overhead_ns: int = 0,
            sharing: Sharing | None = None, beside: tuple[Callable[[], object], float] | None = None
            ) -> list[Prediction]:
    """`predict_columns` of a dependency graph."""
    return predict_columns(*replay_columns(graph), slots, overhead_ns, sharing, beside)


@dataclass(frozen=True)
class Prediction:
    slots: int | None  # None: unlimited
    wall_ns: int

    def to_dict(self) -> dict:
        return {"slots": self.slots, "wall_ns": self.wall_ns}


@dataclass(frozen=True)
class WhatIf:
    predictions: list[Prediction]  # for SLOTS, and the build's own -p when it is not among them
    measured_slots: int | None  # the build's -p, when the trace says
    overhead_ns: int  # the go command's own work per action, as measured in this build
    measured_wall_ns: int  # first tool start to last tool end
    replayed_wall_ns: int | None  # the replay at the build's own -p
    cores: int | None = None  # the machine's cores (build record); None: sharing not modelled
    shared_cores: float | None = None  # of those, what the tools got together when they competed
    alone_rates: dict[str, float] = field(default_factory=dict)  # tool -> cores used when alone

    @property
    def measured_error(self) -> float | None:
        """(replayed - measured) / measured at the build's own -p; None when -p is unknown."""
        if self.replayed_wall_ns is None or not self.measured_wall_ns:
            return None
        return (self.replayed_wall_ns - self.measured_wall_ns) / self.measured_wall_ns

    def predicted(self, slots: int | None) -> int | None:
        return next((p.wall_ns for p in self.predictions if p.slots == slots), None)

    def to_dict(self) -> dict:
        error = self.measured_error
        return {"predictions": [p.to_dict() for p in self.predictions], "measured_slots": self.measured_slots,
                "overhead_ns": self.overhead_ns, "measured_wall_ns": self.measured_wall_ns,
                "replayed_wall_ns": self.replayed_wall_ns,
                "measured_error": None if error is None else round(error, 4),
                "cores": self.cores,
                "shared_cores": None if self.shared_cores is None else round(self.shared_cores, 3),
                "alone_rates": {t: round(r, 3) for t, r in self.alone_rates.items()}}


def what_if(events: Sequence[Event], parallelism: int | None = None, slots: Sequence[int | None] = SLOTS,
            graph: Graph | None = None, cores: int | None = None, level: Concurrency | None = None, *,
            invocations: Invocations | None = None, sharing: Sharing | None | str = "measure",
            beside: tuple[Callable[[], object], float] | None = None,
            plan: ReplayPlan | None = None) -> WhatIf | None:
    """Predicted wall time of one build's events for each number of `slots` (go build -p N) on
    `cores` (the build record's; None: tools run as long as they did); None for a trace without
    invocations. Pass `graph` when the dependency graph of the events is already built, `level`
    when their Concurrency at `parallelism` is, `invocations` when their columns are (then every
    event ran), and `sharing` when it is measured already (`measure_sharing` of the graph's nodes
    on `cores`: it needs no edges, so a summary measures it while the graph is wired); `beside`:
    work for this process while a child replays (`predict_columns`), run here in any case; `plan`:
    the graph's `replay_plan`, when it is made already (a summary makes it while its sharing is
    measured)."""
    graph = dependency_graph(events) if graph is None else graph
    if not len(graph):
        if beside is not None:
            beside[0]()
        return None
    wanted = list(slots)
    if parallelism and parallelism not in wanted:
        wanted.append(parallelism)
    wanted.sort(key=slot_order)
    if plan is None:
        if level is None:
            level = Concurrency([e for e in events if not e.probe and not e.cached], parallelism)
        plan = replay_plan(graph, level)
    overhead = int(plan.overhead_ns)  # (measured in whole ns: the float is exact)
    if isinstance(sharing, str):  # "measure"
        sharing = measure_sharing(graph, events, cores, invocations=invocations) if cores else None
    plan.share(sharing)
    predicted = predict_plan(plan, wanted, beside)
    measured = int(graph.end_ns.max() - graph.start_ns.min())
    own = next((p.wall_ns for p in predicted if p.slots == parallelism), None) if parallelism else None
    if sharing is None:
        return WhatIf(predicted, parallelism, overhead, measured, own)
    return WhatIf(predicted, parallelism, overhead, measured, own, sharing.cores, sharing.capacity,
                  sharing.alone_rates)

