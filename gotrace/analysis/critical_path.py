"""Critical path: the chain of invocations that bounded a build's wall time.

An invocation could start only when its inputs were done and, in a build already running as many
tools as it may (`go build -p N`), when another invocation freed a slot. Edges:
- "import"/"link": compile and link name their inputs (`Event.deps`, from -importcfg); they wait for
  every build step of those packages (cgo, asm, compile run in one go action, which must finish);
  the other tools of a package's action (cgo, asm) wait for the same inputs as its compile;
- "package": tools of one package's action run one after another (cgo, asm -gensymabis, compile,
  asm, ...); vet of a package follows its build;
- "action": records imported from the go command's action graph carry `action`/`action_deps`;
- "slot": with the build's -p known, an invocation that started when another ended while all -p
  slots were busy waited for that one, whatever their packages.

Test variants: compile of "p [p.test]" or link of "p.test" import "q"; when the build has a "q [p.test]"
(q recompiled for p's test) that is the one used, else plain "q".

Walking back from the invocation that ended last, each step goes to the candidate that finished
last: the one it was waiting for. `span_ns` (first start to last end) is what the chain took in
this build, waits included: in a sequential build (-p 1) it is the whole build. `work_ns` is the
time its tools ran.
"""
from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from gotrace.collapse import split_variant
from gotrace.events import Event

# A dependent starts after its inputs ended; start (wall clock) and duration (monotonic clock) come
# from different clocks, so allow this much disagreement.
CLOCK_SLACK_NS = 2_000_000
# Separate go actions: a compile never waits for a vet or a link of the packages it imports.
SEPARATE_ACTIONS = frozenset({"vet", "link"})


@dataclass(frozen=True)
class Step:
    event: Event
    edge: str  # how this step depends on the previous one (see the module doc); "" for the first
    wait_ns: int  # between the previous step's end and this one's start


@dataclass(frozen=True)
class CriticalPath:
    steps: list[Step]

    @property
    def span_ns(self) -> int:
        return self.steps[-1].event.end_ns - self.steps[0].event.start_ns if self.steps else 0

    @property
    def work_ns(self) -> int:
        return sum(s.event.wall_ns for s in self.steps)

    @property
    def slot_wait_ns(self) -> int:
        return sum(s.wait_ns for s in self.steps if s.edge == "slot")

    @property
    def packages(self) -> list[str]:
        """Packages along the path, each once, in build order."""
        seen: dict[str, None] = {}
        for s in self.steps:
            seen.setdefault(s.event.pkg, None)
        return list(seen)

    def to_dict(self) -> dict:
        return {
            "span_ns": self.span_ns,
            "work_ns": self.work_ns,
            "slot_wait_ns": self.slot_wait_ns,
            "packages": self.packages,
            "steps": [{"tool": s.event.tool, "pkg": s.event.pkg, "start_ns": s.event.start_ns,
                       "wall_ns": s.event.wall_ns, "wait_ns": s.wait_ns, "edge": s.edge}
                      for s in self.steps],
        }


def listed_steps(path: CriticalPath) -> list[Step]:
    """The steps worth listing: those that took at least 1% of the path's tool time, and the last
    one (short asm and cgo steps add nothing to read); the summary and the report list these."""
    work_ns = path.work_ns  # a sum over the steps: once, not per step
    return [s for s in path.steps if s.event.wall_ns * 100 >= work_ns or s is path.steps[-1]]


def variant_of(pkg: str) -> str | None:
    """The test binary a package belongs to: 'p [p.test]' and 'p.test' both belong to 'p.test'."""
    base, variant = split_variant(pkg)
    if variant:
        return variant
    return base if base.endswith(".test") else None


class DependencyIndex:
    """For each invocation, the invocations it could have waited for."""

    def __init__(self, events: Sequence[Event], parallelism: int | None = None):
        self.parallelism = parallelism
        self.by_pkg: dict[str, list[Event]] = defaultdict(list)
        self.by_action: dict[str, Event] = {}
        self.pkg_deps: dict[str, set[str]] = defaultdict(set)
        for e in events:
            self.by_pkg[e.pkg].append(e)
            if e.action is not None:
                self.by_action[e.action] = e
            if e.tool == "compile" and e.deps:
                self.pkg_deps[e.pkg].update(e.deps)
        self.by_end = sorted(events, key=lambda e: e.end_ns)
        self.ends = [e.end_ns for e in self.by_end]
        self.starts = sorted(e.start_ns for e in events)
        # each package's invocations by end, to find the last one before a time by bisection
        for pkg_events in self.by_pkg.values():
            pkg_events.sort(key=lambda e: e.end_ns)
        self.pkg_ends = {pkg: [e.end_ns for e in pkg_events] for pkg, pkg_events in self.by_pkg.items()}

    def resolve(self, consumer: Event, dep: str) -> str | None:
        """The trace's package name for import path `dep` as seen from `consumer`."""
        variant = variant_of(consumer.pkg)
        if variant:
            name = f"{dep} [{variant}]"
            if name != consumer.pkg and name in self.by_pkg:
                return name
        return dep if dep != consumer.pkg and dep in self.by_pkg else None

    def deps_of(self, e: Event) -> list[str]:
        """Import paths an invocation waited for: its own -importcfg, else its package's compile's."""
        return list(e.deps) if e.deps is not None else sorted(self.pkg_deps.get(e.pkg, ()))

    def latest(self, pkg: str, limit: int, accept) -> list[Event]:
        """The invocations of `pkg` that `accept` allows and that ended last, at or before `limit`."""
        events, ends = self.by_pkg.get(pkg, ()), self.pkg_ends.get(pkg, ())
        i = bisect.bisect_right(ends, limit)
        found: list[Event] = []
        while i > 0:
            i -= 1
            d = events[i]
            if found and d.end_ns < found[0].end_ns:
                break
            if accept(d):
                found.append(d)
        return found

    def dependencies(self, e: Event) -> list[tuple[Event, str]]:
        """(predecessor, edge) for the inputs of `e` that ended last before it started: only those
        can be what it waited for."""
        limit = e.start_ns + CLOCK_SLACK_NS
        out: list[tuple[Event, str]] = []
        for a in e.action_deps or ():
            d = self.by_action.get(a)
            if d is not None and d is not e and d.end_ns <= limit:
                out.append((d, "action"))
        same = self.latest(e.pkg, limit, lambda d: d is not e and d.start_ns <= e.start_ns
                           and (d.tool not in SEPARATE_ACTIONS or d.tool == e.tool))
        out.extend((d, "package") for d in same)
        edge = "link" if e.tool == "link" else "import"
        for dep in self.deps_of(e):
            name = self.resolve(e, dep)
            if name is not None:
                found = self.latest(name, limit, lambda d: d.tool not in SEPARATE_ACTIONS
                                    or d.tool == e.tool == "vet")
                out.extend((d, edge) for d in found)
        return out

    def running_at_end(self, d: Event) -> int:
        """Invocations running just before `d` ended, `d` included."""
        return bisect.bisect_left(self.starts, d.end_ns) - bisect.bisect_left(self.ends, d.end_ns)

    def slot_freed_for(self, e: Event, after_ns: int) -> Event | None:
        """The invocation whose end, in a build running all -p slots, let `e` start; only one that
        ended after `after_ns` (when `e`'s inputs were ready) matters."""
        if not self.parallelism:
            return None
        # The go command's and the shim's start-up (tens of ms, more on a busy machine) sit between
        # a slot freeing and the next tool's recorded start, so look a few ends back, not one.
        i = bisect.bisect_right(self.ends, e.start_ns + CLOCK_SLACK_NS)
        for _ in range(4 * self.parallelism + 4):
            if i == 0:
                break
            i -= 1
            d = self.by_end[i]
            if d.end_ns <= after_ns:
                return None
            if d is not e and d.start_ns < e.start_ns and self.running_at_end(d) >= self.parallelism:
                return d
        return None


def critical_path(events: Sequence[Event], parallelism: int | None = None) -> CriticalPath | None:
    """The chain ending at the last invocation to finish; None for a trace without invocations.

    Pass the events of one build (edges between builds mean nothing) and its -p, when known, so
    that waits for a free slot count; without it the path follows dependencies only."""
    ran = [e for e in events if not e.probe and not e.cached]
    if not ran:
        return None
    index = DependencyIndex(ran, parallelism)
    # Ties prefer a real dependency over "same package", then a stable order.
    rank = {"action": 0, "import": 0, "link": 0, "package": 1, "slot": 2}

    def order(option: tuple[Event, str]) -> tuple:
        d, edge = option
        return d.end_ns, -rank[edge], d.tool, d.pkg, d.start_ns

    # Each step goes strictly back in (start, end, trace order): two zero-length records of one
    # package at the same instant would otherwise name each other and end the walk early.
    position = {id(e): (e.start_ns, e.end_ns, i) for i, e in enumerate(ran)}
    current = max(ran, key=lambda e: (e.end_ns, e.start_ns, e.tool, e.pkg))
    walked: list[tuple[Event, str]] = []  # (event, edge to the next event towards the end)
    edge = ""
    seen = set()
    while id(current) not in seen:
        seen.add(id(current))
        walked.append((current, edge))
        here = position[id(current)]
        options = [(d, e) for d, e in index.dependencies(current) if position[id(d)] < here]
        ready = max((d.end_ns for d, _ in options), default=0)
        freed = index.slot_freed_for(current, ready)
        if freed is not None and position[id(freed)] < here:
            options.append((freed, "slot"))
        if not options:
            break
        current, edge = max(options, key=order)
    walked.reverse()
    steps = []
    for i, (event, _) in enumerate(walked):
        if i == 0:
            steps.append(Step(event, "", 0))
        else:
            before, edge = walked[i - 1]
            steps.append(Step(event, edge, max(0, event.start_ns - before.end_ns)))
    return CriticalPath(steps)
