"""The dependency critical path: the longest chain of real dependencies through a build, and where
the rest of the build's wall time went.

A node is one go action as the trace shows it, keyed by (package as the trace names it, kind):
- "build": the tools of a package's build action (cgo, the C compiler, asm, compile, pack);
- "vet": its vet; "link": its link (a separate action each).
Edges are real dependencies only, and count only where the trace shows the wait (the input ended
before the dependent started):
- "import": a build waits for the builds of the packages its compile imports (`Event.deps`, from
  -importcfg); a vet waits for the vets of those packages;
- "link": a link waits for the build of every package it links (its -importcfg);
- "package": a link or vet waits for the build of its own package;
- "action": records imported or merged from the go command's action graph name the actions they
  waited for (`action_deps`).
Test variants: a compile of "p [p.test]" or a link of "p.test" importing "q" waited for
"q [p.test]" when the build has it (q recompiled for p's test), else for plain "q".

Each node weighs its own tool time: the time at least one of its tools ran (the union of their
intervals, so C compiles that go runs side by side count once). The chain with the largest total
weight is the build's floor: the least it could take with unlimited cores, its tools running as
long as they did here. No -p slot is an edge: waiting for a slot is a cost, not a dependency.

`CriticalPath` then accounts for the build's wall time (first tool start to last tool end): the
path's own tool time, plus every other instant put in one of four buckets, by what the path did:
- `off_path_ns`: the next step waited for an input off the path that finished later (an input
  delayed elsewhere), or the path had ended while other tools still ran;
- `slot_wait_ns`: the next step was ready but all -p slots were busy;
- `go_work_ns`: it was ready and a slot was free: the go command's own work between tools
  (cache checks, writing archives, starting the tool);
- `untraced_ns`: no traced tool ran at all (the go command loading packages, an untraced tool).
One pass over the nodes in start order and one binary search over the concurrency steps for all the waits: O(E + n log n)
for n invocations and E dependency names in the trace.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from gotrace.analysis.parallelism import step_arrays, time_columns
from gotrace.collapse import split_variant
from gotrace.events import Event

# A dependent starts after its inputs ended; start (wall clock) and duration (monotonic clock) come
# from different clocks, so allow this much disagreement.
CLOCK_SLACK_NS = 2_000_000
KINDS = {"link": "link", "vet": "vet"}  # tool -> node kind; every other tool is part of a build
# Prefer naming an edge by what it means over "action" when two sources give the same edge.
EDGE_RANK = {"import": 0, "link": 0, "package": 1, "action": 2}


def node_kind(tool: str) -> str:
    return KINDS.get(tool, "build")


def variant_of(pkg: str) -> str | None:
    """The test binary a package belongs to: 'p [p.test]' and 'p.test' both belong to 'p.test'."""
    base, variant = split_variant(pkg)
    if variant:
        return variant
    return base if base.endswith(".test") else None


def resolve(consumer: str, dep: str, known) -> str | None:
    """The trace's package name for import path `dep` as seen from package `consumer`; None when
    the trace has no such package (it came from the cache)."""
    variant = variant_of(consumer)
    if variant:
        name = f"{dep} [{variant}]"
        if name in known:
            return name
    return dep if dep in known else None


@dataclass(slots=True)
class Node:
    pkg: str
    kind: str
    events: list[Event]  # by start
    start_ns: int
    end_ns: int
    own_ns: int  # time at least one of its tools ran
    deps: list[tuple[int, str]] = field(default_factory=list)  # (earlier node, edge)
    ready_ns: int | None = None  # when its last input ended; None without inputs

    @property
    def span_ns(self) -> int:
        return self.end_ns - self.start_ns


def _union_ns(events: list[Event]) -> int:
    total, reach = 0, None
    for e in events:  # by start
        end = e.start_ns + e.wall_ns
        if reach is None or e.start_ns >= reach:
            total += e.wall_ns
            reach = end
        elif end > reach:
            total += end - reach
            reach = end
    return total


def _node(pkg: str, kind: str, events: list[Event]) -> Node:
    if len(events) == 1:  # most nodes: one tool, nothing to sort or merge
        e = events[0]
        return Node(pkg, kind, events, e.start_ns, e.start_ns + e.wall_ns, e.wall_ns)
    events.sort(key=lambda e: (e.start_ns, e.start_ns + e.wall_ns, e.tool))
    return Node(pkg, kind, events, events[0].start_ns, max(e.start_ns + e.wall_ns for e in events),
                _union_ns(events))


def _resolve_into(found: dict[int, str], deps: Sequence[str], nodes_of: dict[str, int], suffix: str | None,
                  edge: str) -> None:
    """`resolve` for each of one consumer's `deps` (its test variant's " [v]" `suffix` found once),
    straight to node indexes: the first edge named for a node stays."""
    get = nodes_of.get
    for d in deps:
        j = get(d + suffix) if suffix is not None else None
        if j is None:
            j = get(d)
        if j is not None and j not in found:
            found[j] = edge


def dependency_graph(events: Sequence[Event]) -> list[Node]:
    """The build's nodes in start order; each node's deps point to earlier nodes only.

    One dict lookup per dependency name (each node's test variant found once, names resolved
    straight to node indexes): the graph of a 100,000-record trace takes 0.3 s, not 2.9 s."""
    groups: dict[tuple[str, str], list[Event]] = {}
    imports: dict[str, set[str]] = {}
    actions = False
    for e in events:
        if not e.probe and not e.cached:
            tool = e.tool
            key = (e.pkg, KINDS.get(tool, "build"))
            group = groups.get(key)
            if group is None:
                groups[key] = [e]
            else:
                group.append(e)
            if tool == "compile" and e.deps:
                imports.setdefault(e.pkg, set()).update(e.deps)
            if e.action is not None:
                actions = True
    nodes = [_node(pkg, kind, evs) for (pkg, kind), evs in groups.items()]
    del groups
    nodes.sort(key=lambda n: (n.start_ns, n.end_ns, n.pkg, n.kind))
    node_of_action: dict[str, int] = {}
    for i, n in enumerate(nodes if actions else ()):  # only records from an action graph name actions
        for e in n.events:
            if e.action is not None:
                node_of_action[e.action] = i
    imported = {pkg: sorted(names) for pkg, names in imports.items()}
    del imports
    inputs = node_inputs([n.pkg for n in nodes], [n.kind for n in nodes], [n.start_ns for n in nodes],
                         [n.end_ns for n in nodes], imported,
                         lambda i: sorted({d for e in nodes[i].events for d in e.deps or ()}),
                         (lambda i: [a for e in nodes[i].events for a in e.action_deps or ()]) if actions else None,
                         node_of_action)
    for n, deps in zip(nodes, inputs):
        if deps:
            n.deps = deps
            n.ready_ns = min(n.start_ns, max(nodes[j].end_ns for j, _ in deps))
    return nodes


def node_inputs(pkgs: Sequence[str], kinds: Sequence[str], starts: Sequence[int], ends: Sequence[int],
                imported: Mapping[str, Sequence[str]], linked: Callable[[int], Sequence[str]],
                waited_actions: Callable[[int], Sequence[str]] | None,
                node_of_action: dict[str, int]) -> Iterator[list[tuple[int, str]]]:
    """The edges into each node (see the module doc) of nodes given as columns in start order:
    (earlier node, edge) pairs, the first edge named for a node kept. `imported`: each package's
    compiled imports, sorted; `linked(i)`: the sorted packages link node i linked; `waited_actions(i)`:
    the actions node i's tools waited for (None when no record names one). The one statement of the
    wiring rules, for the graph of Events (`dependency_graph`) and of columns (`chain_rows`); one
    node's edges at a time (a million-record build has millions), in node order."""
    build_of = {pkg: i for i, (pkg, kind) in enumerate(zip(pkgs, kinds)) if kind == "build"}
    vet_of = {pkg: i for i, (pkg, kind) in enumerate(zip(pkgs, kinds)) if kind == "vet"}
    get_build = build_of.get
    for i, (pkg, kind) in enumerate(zip(pkgs, kinds)):
        found: dict[int, str] = {}  # the first edge named for a node wins (EDGE_RANK's order)
        # (variant_of is None unless the name ends in "]" or ".test": one test, not two calls, per node)
        variant = variant_of(pkg) if pkg.endswith(("]", ".test")) else None
        suffix = None if variant is None else f" [{variant}]"
        if kind == "build":
            names = imported.get(pkg, ())
            if suffix is None:  # _resolve_into, inlined for the common case: a node a million times
                for d in names:
                    j = get_build(d)
                    if j is not None and j not in found:
                        found[j] = "import"
            else:
                _resolve_into(found, names, build_of, suffix, "import")
        else:
            j = build_of.get(pkg)
            if j is not None:
                found[j] = "package"
            if kind == "link":
                _resolve_into(found, linked(i), build_of, suffix, "link")
            elif kind == "vet":
                _resolve_into(found, imported.get(pkg, ()), vet_of, suffix, "import")
        if waited_actions is not None:
            for a in waited_actions(i):
                j = node_of_action.get(a)
                if j is not None and j not in found:
                    found[j] = "action"
        if found:
            limit = starts[i] + CLOCK_SLACK_NS
            yield [(j, edge) for j, edge in found.items() if j < i and ends[j] <= limit]
        else:
            yield []


def longest_chain(nodes: list[Node]) -> tuple[list[int], list[str], int]:
    """(node indices of the heaviest chain in order, the edge into each, its weight)."""
    return heaviest_chain([n.deps for n in nodes], [n.end_ns for n in nodes], [n.own_ns for n in nodes])


def heaviest_chain(inputs: Iterable[Sequence[tuple[int, str]]], ends: Sequence[int], weights: Sequence[int]
                   ) -> tuple[list[int], list[str], int]:
    """`longest_chain` of nodes given as columns: each node's inputs (`node_inputs`), end and own
    tool time. Ties go to the input that ended later, then by EDGE_RANK, then to the earlier node."""
    if not len(ends):
        return [], [], 0
    best = list(weights)
    prev: list[tuple[int, str] | None] = [None] * len(ends)

    def key(dep: tuple[int, str]) -> tuple[int, int, int, int]:
        j = dep[0]
        return best[j], ends[j], -EDGE_RANK[dep[1]], -j

    for i, deps in enumerate(inputs):
        if deps:  # most nodes have one input or none: no key to build
            choice = prev[i] = deps[0] if len(deps) == 1 else max(deps, key=key)
            best[i] += best[choice[0]]
    last = max(range(len(ends)), key=lambda i: (best[i], ends[i], -i))
    chain, edges = [], []
    at: int | None = last
    while at is not None:
        chain.append(at)
        link = prev[at]
        edges.append(link[1] if link else "")
        at = link[0] if link else None
    chain.reverse()
    edges.reverse()
    return chain, edges, best[last]


@dataclass(frozen=True)
class Step:
    event: Event
    edge: str  # how this step depends on the previous one (see the module doc); "" for the first
    wait_ns: int  # between the previous step's end and this one's start


@dataclass(frozen=True)
class CriticalPath:
    steps: list[Step]
    length_ns: int = 0  # the floor: the path's own tool time
    wall_ns: int = 0  # the build's, first tool start to last tool end
    off_path_ns: int = 0
    slot_wait_ns: int = 0
    go_work_ns: int = 0
    untraced_ns: int = 0
    slots: int | None = None  # the -p the slot waits were measured against

    @property
    def span_ns(self) -> int:
        """First start to last end of the path as it ran in this build, waits included."""
        return self.steps[-1].event.end_ns - self.steps[0].event.start_ns if self.steps else 0

    @property
    def work_ns(self) -> int:
        """The path's own tool time (= length_ns)."""
        return self.length_ns

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
            "length_ns": self.length_ns,
            "wall_ns": self.wall_ns,
            "slot_wait_ns": self.slot_wait_ns,
            "off_path_ns": self.off_path_ns,
            "go_work_ns": self.go_work_ns,
            "untraced_ns": self.untraced_ns,
            "slots": self.slots,
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


class Concurrency:
    """Time spent at each level of concurrency between two instants, by binary search over the steps
    (numpy's searchsorted: one call answers every interval of a question)."""

    def __init__(self, events: Sequence[Event], slots: int | None, *,
                 columns: tuple[np.ndarray, np.ndarray] | None = None):
        times, levels = step_arrays(*(time_columns(events) if columns is None else columns))
        lasted = np.diff(times)
        # time with nothing running / with all slots busy before each step
        self.idle = np.zeros(len(times), np.int64)
        np.cumsum(np.where(levels[:-1] == 0, lasted, 0), out=self.idle[1:])
        self.full = np.zeros(len(times), np.int64)
        if slots:
            np.cumsum(np.where(levels[:-1] >= slots, lasted, 0), out=self.full[1:])
        self.times, self.levels, self.slots = times, levels, slots

    def _between(self, cum: np.ndarray, counted: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Time in [a[k], b[k]] spent in the steps where `counted` holds (`cum`: its running total)."""
        if not len(self.times):
            return np.zeros(len(a), np.int64)

        def at(x: np.ndarray) -> np.ndarray:
            i = np.searchsorted(self.times, x, side="right") - 1
            j = np.maximum(i, 0)
            return np.where(i < 0, 0, cum[j] + np.where(counted[j], x - self.times[j], 0))
        return at(np.asarray(b, np.int64)) - at(np.asarray(a, np.int64))

    def idle_ns_between(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Time with no tool running in each interval [a[k], b[k]]."""
        return self._between(self.idle, self.levels == 0, a, b)

    def full_ns_between(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Time with every -p slot busy in each interval [a[k], b[k]] (0 when -p is unknown)."""
        if not self.slots:
            return np.zeros(len(a), np.int64)
        return self._between(self.full, self.levels >= self.slots, a, b)


def critical_path(events: Sequence[Event], parallelism: int | None = None,
                  nodes: list[Node] | None = None, *, level: Concurrency | None = None) -> CriticalPath | None:
    """The dependency critical path of one build's events, with its wall-time account; None for a
    trace without invocations. `parallelism` (the build's -p) lets waits for a slot be told apart
    from the go command's own work; without it they count as the latter. Pass `nodes` when the
    dependency graph of these events is already built, and `level` when their Concurrency is."""
    ran = [e for e in events if not e.probe and not e.cached]
    if not ran:
        return None
    nodes = dependency_graph(ran) if nodes is None else nodes
    chain, edges, length = longest_chain(nodes)
    steps: list[Step] = []
    for i, edge in zip(chain, edges):
        for k, e in enumerate(nodes[i].events):
            wait = max(0, e.start_ns - steps[-1].event.end_ns) if steps else 0
            steps.append(Step(e, edge if k == 0 else "package", wait))

    start, end = min(n.start_ns for n in nodes), max(n.end_ns for n in nodes)  # the nodes hold every tool
    level = Concurrency(ran, parallelism) if level is None else level
    waits: list[tuple[int, int, bool]] = []  # (from, to, waiting for an input) along the path

    def waited(a: int, b: int, for_input: bool) -> None:
        if b > a:
            waits.append((a, b, for_input))

    at = start
    for i in chain:
        n = nodes[i]
        ready = max(at, min(n.ready_ns if n.ready_ns is not None else at, n.start_ns))
        waited(at, ready, True)
        waited(ready, max(ready, n.start_ns), False)
        at = max(at, n.start_ns)
        for e in n.events:  # gaps inside the node: it had started, so it was ready
            if e.start_ns > at:
                waited(at, e.start_ns, False)
            at = max(at, e.end_ns)
    waited(at, end, True)
    # every wait split at once: no tool running (untraced), else an input off the path, else all
    # slots busy, else the go command's own work
    spans = np.array([(a, b) for a, b, _ in waits], np.int64).reshape(-1, 2)
    a, b = spans[:, 0], spans[:, 1]
    for_input = np.array([f for _, _, f in waits], bool)
    idle = level.idle_ns_between(a, b)
    full = np.where(for_input, 0, level.full_ns_between(a, b))
    untraced = int(idle.sum())
    off_path = int((b - a - idle)[for_input].sum())
    slot = int(full.sum())
    go = int((b - a - idle - full)[~for_input].sum())
    return CriticalPath(steps, length_ns=length, wall_ns=end - start, off_path_ns=off_path,
                        slot_wait_ns=slot, go_work_ns=go, untraced_ns=untraced, slots=parallelism)


def chain_rows(pkg: np.ndarray, pkgs: Sequence[str], tool: np.ndarray, tools: Sequence[str], start_ns: np.ndarray,
               wall_ns: np.ndarray, deps: dict[int, Sequence[str]], actions: dict[int, str] | None = None,
               action_deps: dict[int, Sequence[str]] | None = None) -> np.ndarray:
    """Which invocations are on the critical path, of one build's invocations that ran given as
    columns (package and tool as indexes into `pkgs` and `tools`; `deps`, `actions`, `action_deps`
    by row): the rows of the nodes of `critical_path`'s chain, found without an Event or a Node.

    The same nodes (numpy group-bys of the rows by package and node kind), the same edges
    (`node_inputs`) and the same chain (`heaviest_chain`) as `dependency_graph` and `longest_chain`."""
    n = len(start_ns)
    on_path = np.zeros(n, bool)
    if not n:
        return on_path
    kind_names = ("build", "link", "vet")  # in string order, as the nodes' sort compares kinds
    kind_of_tool = np.array([kind_names.index(KINDS.get(t, "build")) for t in tools], np.int64)
    node_kind = kind_of_tool[tool]
    end_ns = start_ns + wall_ns
    tool_rank = string_ranks(tools)[tool]
    # rows by node, and in a node by start, end, tool (a node's events in dependency_graph's order)
    node_key = pkg.astype(np.int64) * 3 + node_kind
    order = np.lexsort((tool_rank, end_ns, start_ns, node_key))
    keys = node_key[order]
    first = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    count = np.diff(np.r_[first, n])
    node_start = start_ns[order][first]
    node_end = np.maximum.reduceat(end_ns[order], first)
    # a node's own time, the union of its tools' intervals (_union_ns): each tool adds what it ran
    # past the reach (latest end) of the node's earlier tools; the reach is a running maximum per
    # node, taken over dense ranks of the ends offset by node, so that no sum can overflow
    s, e = start_ns[order], end_ns[order]
    distinct, rank = np.unique(e, return_inverse=True)
    group = np.repeat(np.arange(len(first)), count)
    offset = group * len(distinct)
    reach = np.maximum.accumulate(rank.reshape(-1) + offset) - offset
    before = np.r_[0, reach[:-1]]
    added = np.maximum(0, e - np.maximum(s, distinct[before]))
    added[first] = e[first] - s[first]
    own = np.add.reduceat(added, first)
    node_pkg, node_kind_of = keys[first] // 3, keys[first] % 3
    # nodes by start, end, package name, kind
    by_start = np.lexsort((node_kind_of, string_ranks(pkgs)[node_pkg], node_end, node_start))
    names = [pkgs[p] for p in node_pkg[by_start].tolist()]
    kinds = [kind_names[k] for k in node_kind_of[by_start].tolist()]
    starts, ends = node_start[by_start].tolist(), node_end[by_start].tolist()
    # a node's rows, in its events' order: order[first[m]:first[m] + count[m]] for node m (before by_start)
    first_of, count_of = first[by_start].tolist(), count[by_start].tolist()

    def rows_of(i: int) -> list[int]:
        return order[first_of[i]:first_of[i] + count_of[i]].tolist()

    # each package's compiled imports, as the trace lists them: the chain does not depend on their
    # order or repeats (an input is found once; the heaviest input wins by a key unique per node)
    imported: dict[str, tuple[str, ...]] = {}
    if deps:
        with_deps = np.fromiter(deps, np.int64, len(deps))
        compiles = np.array([name == "compile" for name in tools], bool)[tool[with_deps]]
        for row, p in zip(with_deps[compiles].tolist(), pkg[with_deps[compiles]].tolist()):
            name = pkgs[p]
            imported[name] = imported[name] + deps[row] if name in imported else deps[row]
    node_of_action: dict[str, int] = {}
    waited = None
    if actions:
        node_at = np.empty(len(first), np.int64)
        node_at[by_start] = np.arange(len(first))
        node_of_row = np.empty(n, np.int64)
        node_of_row[order] = np.repeat(node_at, count)
        place = np.empty(n, np.int64)  # a row's place in `order`: its event's place in its node
        place[order] = np.arange(n)
        # the last tool naming an action, in node order then event order, keeps it
        for row in sorted(actions, key=lambda r: (node_of_row[r], place[r])):
            node_of_action[actions[row]] = int(node_of_row[row])
        if action_deps:
            def waited(i: int) -> list[str]:
                return [a for r in rows_of(i) for a in action_deps.get(r, ())]
    inputs = node_inputs(names, kinds, starts, ends, imported,
                         lambda i: sorted({d for r in rows_of(i) for d in deps.get(r, ())}),
                         waited, node_of_action)
    chain, _, _ = heaviest_chain(inputs, ends, own[by_start].tolist())
    for i in chain:
        on_path[rows_of(i)] = True
    return on_path


def string_ranks(names: Sequence[str]) -> np.ndarray:
    """Each name's place among the names in Python's string order."""
    ranks = np.empty(len(names), np.int64)
    ranks[sorted(range(len(names)), key=names.__getitem__)] = np.arange(len(names))
    return ranks
