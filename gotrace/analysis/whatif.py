"""What if the build had more cores: its real graph and durations replayed through go's scheduler.

The go command runs a build as a graph of actions (cmd/go/internal/work/exec.go, Builder.Do): an
action becomes ready when all its dependencies are done, ready actions wait in a priority queue,
and -p workers each take the next ready action and run it to the end. `replay` does the same with
the nodes of `critical_path.dependency_graph` (one per package build, vet and link; their real
dependency edges), each holding a worker for its span in this build (first tool's start to last
tool's end) plus the go command's own work per action, served in the order this build started
them (go's own priority order, as far as the trace shows it).

The go command's own work per action (checking the cache, hashing inputs, writing the archive,
starting the tool) is measured in the build itself, so a busy machine's slower go command is in it:
the lower quartile, over the build's actions that had inputs, of the time between their last input
ending and their first tool starting while a -p slot was free. The lower quartile, not the median:
the go command holds a slot for its own work around each tool (the cache check is an action of its
own), which the trace cannot see, so many of those gaps hold other actions' work as well. Measured
here (replay at the build's own -p against its wall): the median overestimated a cold `go build -a
cmd/go` on a loaded machine by 17% and samples/multi builds by 0-3%; the lower quartile lands within
-6%..+0.1% on all of them, no overhead at all within -10%..-4%.

What the model leaves out, so read the curve as an estimate: tools run as long as they did here
(more cores would not speed up a tool that competed for this machine's CPUs, nor slow one down when
more run at once than there are cores), and package loading before the first tool counts as
nothing. `WhatIf.measured_error` says how far the replay at the build's own -p lands from the
build's measured wall time: the size of what the model leaves out in this build.
"""
from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

from gotrace.analysis.critical_path import Concurrency, Node, dependency_graph
from gotrace.events import Event

SLOTS = (1, 2, 4, 8, 16, 32, 64, None)  # None: unlimited


def action_overhead_ns(nodes: Sequence[Node], level: Concurrency) -> int:
    """The go command's own work per action in this build: the lower quartile of the gaps between an
    action's last input ending and its start while a slot was free (see the module doc)."""
    gaps = sorted(max(0, n.start_ns - n.ready_ns - level.full_ns(n.ready_ns, n.start_ns))
                  for n in nodes if n.ready_ns is not None)
    return gaps[len(gaps) // 4] if gaps else 0


def replay(nodes: Sequence[Node], slots: int | None, overhead_ns: int = 0) -> int:
    """Wall time of the graph run by `slots` workers (None: as many as there are ready nodes).

    Event-driven list scheduling: a heap of running nodes by end time, a heap of ready ones by
    priority (their position in start order); O(n log n + E)."""
    if not nodes:
        return 0
    waiting = [len(n.deps) for n in nodes]
    dependents: list[list[int]] = [[] for _ in nodes]
    for i, n in enumerate(nodes):
        for j, _ in n.deps:
            dependents[j].append(i)
    ready = [i for i, w in enumerate(waiting) if w == 0]
    heapq.heapify(ready)
    running: list[tuple[int, int]] = []  # (end, node)
    now = end = 0
    while ready or running:
        while ready and (slots is None or len(running) < slots):
            i = heapq.heappop(ready)
            heapq.heappush(running, (now + nodes[i].span_ns + overhead_ns, i))
        now, i = heapq.heappop(running)
        end = max(end, now)
        for k in dependents[i]:
            waiting[k] -= 1
            if waiting[k] == 0:
                heapq.heappush(ready, k)
    return end


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
                "measured_error": None if error is None else round(error, 4)}


def what_if(events: Sequence[Event], parallelism: int | None = None, slots: Sequence[int | None] = SLOTS,
            nodes: Sequence[Node] | None = None) -> WhatIf | None:
    """Predicted wall time of one build's events for each number of `slots` (go build -p N); None
    for a trace without invocations. Pass `nodes` when the dependency graph is already built."""
    ran = [e for e in events if not e.probe and not e.cached]
    if not ran:
        return None
    nodes = dependency_graph(ran) if nodes is None else nodes
    wanted = list(slots)
    if parallelism and parallelism not in wanted:
        wanted.append(parallelism)
    wanted.sort(key=lambda s: (s is None, s or 0))
    overhead = action_overhead_ns(nodes, Concurrency(ran, parallelism))
    predictions = [Prediction(s, replay(nodes, s, overhead)) for s in wanted]
    measured = max(e.end_ns for e in ran) - min(e.start_ns for e in ran)
    own = next((p.wall_ns for p in predictions if p.slots == parallelism), None) if parallelism else None
    return WhatIf(predictions, parallelism, overhead, measured, own)
