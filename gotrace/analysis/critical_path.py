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

The graph is columns (`Graph`, made by `nodes_of_columns` and `wired`, the one place invocations are grouped
into nodes and wired): the summary, the what-if model, the report's "waited for" and the timeline's
path all read it. It replaced a list of Node objects, each holding its Events and a list of
(input, edge) tuples, and a second grouping over columns for the timeline. At 1,000,000 records
(416,149 nodes, 1,782,567 edges; in-process CPU on a loaded 2-core machine) the graph of Events
took 15.9 s and held ~450 MB more than the Events; the columns take 5.0 s (of them ~1.2 s making
the columns of the Events and ~2.5 s resolving import names, one dict lookup each), the edges ~16 MB.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, compress, count, repeat

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
EDGES = tuple(EDGE_RANK)  # Graph.input_edge indexes these


def variant_of(pkg: str) -> str | None:
    """The test binary a package belongs to: 'p [p.test]' and 'p.test' both belong to 'p.test'."""
    base, variant = split_variant(pkg)
    if variant:
        return variant
    return base if base.endswith(".test") else None


@dataclass
class Nodes:
    """A build's invocations grouped into nodes (module doc), as columns: node i is one go action,
    the nodes in order of (start, end, package, kind). Its rows are indexes into the invocations it
    was made from (`nodes_of_columns`). Not yet wired: `Graph` adds the edges; what needs only the
    nodes (the what-if model's sharing) can start before them."""

    pkg: list[str]  # per node: the package as the trace names it
    kind: list[str]  # per node: "build", "link" or "vet"
    start_ns: np.ndarray  # int64 per node: its first tool's start
    end_ns: np.ndarray  # int64 per node: its last tool's end
    own_ns: np.ndarray  # int64 per node: time at least one of its tools ran
    order: np.ndarray  # the rows, node by node, a node's by start, end, tool (then trace order)
    first: np.ndarray  # per node: where its rows begin in `order`
    count: np.ndarray  # per node: how many rows it has

    def __len__(self) -> int:
        return len(self.pkg)

    @property
    def span_ns(self) -> np.ndarray:
        return self.end_ns - self.start_ns

    def rows(self, i: int) -> list[int]:
        """Node i's rows in its tools' order."""
        at = int(self.first[i])
        return self.order[at:at + int(self.count[i])].tolist()


@dataclass
class Graph(Nodes):
    """A build's dependency graph as columns: its `Nodes`, each node's inputs pointing to earlier
    nodes only, so that a million-record build is a few arrays, not a million Events regrouped into
    objects (`dependency_graph`, `nodes_of_columns`, `wired`)."""

    input_offsets: np.ndarray  # node i's inputs are input_node[input_offsets[i]:input_offsets[i + 1]]
    input_node: np.ndarray  # int64: an earlier node the node waited for (node_inputs)
    input_edge: np.ndarray  # int8: how, an index into EDGES
    ready_ns: np.ndarray  # int64 per node: when its last input ended (at most its start); NO_INPUT without

    NO_INPUT = -(1 << 63)

    def ready(self, i: int) -> int | None:
        """When node i's last input ended; None without inputs."""
        ready = int(self.ready_ns[i])
        return None if ready == self.NO_INPUT else ready

    def inputs_of(self, i: int) -> list[tuple[int, str]]:
        """Node i's inputs: (earlier node, edge)."""
        a, b = int(self.input_offsets[i]), int(self.input_offsets[i + 1])
        return [(j, EDGES[k]) for j, k in zip(self.input_node[a:b].tolist(), self.input_edge[a:b].tolist())]

    def input_lists(self) -> list[list[int]]:
        """Each node's input nodes, as lists (for loops over every node)."""
        off, src = self.input_offsets.tolist(), self.input_node.tolist()
        return [src[off[i]:off[i + 1]] for i in range(len(self))]

    def chain(self) -> tuple[list[int], list[str], int]:
        """(the nodes of the heaviest chain in order, the edge into each, its weight): `heaviest_chain`."""
        return heaviest_chain(self.input_offsets, self.input_node, self.input_edge, self.end_ns.tolist(),
                              self.own_ns.tolist())


def nodes_of_columns(pkg: np.ndarray, pkgs: Sequence[str], tool: np.ndarray, tools: Sequence[str],
                     start_ns: np.ndarray, wall_ns: np.ndarray) -> Nodes:
    """One build's invocations that ran, given as columns (package and tool as indexes into `pkgs`
    and `tools`, start and wall time), grouped into nodes: numpy group-bys of the rows by package and
    node kind; a node's own time, the union of its tools' intervals, from a running maximum. With
    `wired`, the one place a build's invocations are grouped into nodes and wired
    (build_rows.BuildRows.graph; `dependency_graph` gives Events' columns)."""
    n = len(start_ns)
    if not n:
        nothing = np.zeros(0, np.int64)
        return Nodes([], [], nothing, nothing, nothing, nothing, nothing, nothing)
    kind_names = ("build", "link", "vet")  # in string order, as the nodes' sort compares kinds
    kind_of_tool = np.array([kind_names.index(KINDS.get(t, "build")) for t in tools], np.int64)
    node_kind = kind_of_tool[tool]
    end_ns = start_ns + wall_ns
    tool_rank = string_ranks(tools)[tool]
    # rows by node, and in a node by start, end, tool (stable: then trace order)
    node_key = pkg.astype(np.int64) * 3 + node_kind
    order = np.lexsort((tool_rank, end_ns, start_ns, node_key))
    keys = node_key[order]
    first = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    count = np.diff(np.r_[first, n])
    s, e = start_ns[order], end_ns[order]
    node_start = s[first]
    node_end = np.maximum.reduceat(e, first)
    # a node's own time (the union of its tools' intervals): each tool adds what it ran past the
    # reach (latest end) of the node's earlier tools; the reach is a running maximum per node, taken
    # over dense ranks of the ends offset by node, so that no sum can overflow
    distinct, rank = np.unique(e, return_inverse=True)
    group = np.repeat(np.arange(len(first)), count)
    offset = group * len(distinct)
    reach = np.maximum.accumulate(rank.reshape(-1) + offset) - offset
    before = np.r_[0, reach[:-1]].astype(np.int64)
    added = np.maximum(0, e - np.maximum(s, distinct[before]))
    added[first] = e[first] - s[first]
    own = np.add.reduceat(added, first)
    node_pkg, node_kind_of = keys[first] // 3, keys[first] % 3
    # nodes by start, end, package name, kind
    by_start = np.lexsort((node_kind_of, string_ranks(pkgs)[node_pkg], node_end, node_start))
    names = [pkgs[p] for p in node_pkg[by_start].tolist()]
    kinds = [kind_names[k] for k in node_kind_of[by_start].tolist()]
    counts = count[by_start]
    # the rows node by node, in the nodes' order
    node_of_sorted = np.repeat(np.argsort(by_start, kind="stable"), count)  # per place in `order`
    order = order[np.argsort(node_of_sorted, kind="stable")]
    firsts = np.zeros(len(counts), np.int64)
    np.cumsum(counts[:-1], out=firsts[1:])
    return Nodes(names, kinds, node_start[by_start], node_end[by_start], own[by_start], order, firsts, counts)


def wired(nodes: Nodes, pkg: np.ndarray, pkgs: Sequence[str], tool: np.ndarray, tools: Sequence[str],
          deps: Mapping[int, Sequence[str]], actions: Mapping[int, str] | None = None,
          action_deps: Mapping[int, Sequence[str]] | None = None) -> Graph:
    """The graph of `nodes` (`nodes_of_columns` of the same rows, `pkg` and `tool` as there): each
    node's inputs, one node's edges at a time (`node_inputs`), and when its last input ended. By row,
    the `deps` of compiles and links, the `actions` records name and the actions each waited for
    (`action_deps`)."""
    names, kinds, starts, ends = nodes.pkg, nodes.kind, nodes.start_ns, nodes.end_ns
    order, counts = nodes.order, nodes.count
    first_of, count_of = nodes.first.tolist(), counts.tolist()

    def rows_of(i: int) -> list[int]:
        return order[first_of[i]:first_of[i] + count_of[i]].tolist()

    # each package's compiled imports, as the trace lists them (order and repeats do not matter)
    imported: dict[str, Sequence[str]] = {}
    if deps:
        compile_id = tools.index("compile") if "compile" in tools else -1
        rows = np.fromiter(deps, np.int64, len(deps))
        rows = rows[tool[rows] == compile_id]  # the compiles' (a link's deps are what it linked)
        for row, p in zip(rows.tolist(), pkg[rows].tolist()):
            names_of_row, name = deps[row], pkgs[p]
            if names_of_row:
                imported[name] = (*imported[name], *names_of_row) if name in imported else names_of_row
    node_of_action: dict[str, int] = {}
    waited = None
    if actions:
        n = len(order)
        node_of_row = np.empty(n, np.int64)
        node_of_row[order] = np.repeat(np.arange(len(counts)), counts)
        place = np.empty(n, np.int64)  # a row's place in `order`: its tool's place in its node
        place[order] = np.arange(n)
        # the last tool naming an action, in node order then tool order, keeps it
        for row in sorted(actions, key=lambda r: place[r]):
            node_of_action[actions[row]] = int(node_of_row[row])
        if action_deps:
            def waited(i: int) -> list[str]:
                return [a for r in rows_of(i) for a in action_deps.get(r, ())]
    offsets, sources, edges = node_inputs(names, kinds, starts, ends, imported,
                                          lambda i: [d for r in rows_of(i) for d in deps.get(r, ())],
                                          waited, node_of_action)
    # when each node's last input ended, at most its start
    ready = np.full(len(names), Graph.NO_INPUT, np.int64)
    waits = offsets[1:] > offsets[:-1]
    if waits.any():
        ready[waits] = np.minimum(starts[waits], np.maximum.reduceat(ends[sources], offsets[:-1][waits]))
    return Graph(names, kinds, starts, ends, nodes.own_ns, order, nodes.first, counts, offsets, sources, edges, ready)


def dependency_graph(events: Sequence[Event]) -> Graph:
    """The dependency graph of one build's events (`BuildRows.graph` of their columns,
    build_rows.BuildRows); its rows index `events`. Version probes and cache hits are left out:
    they are not actions that ran."""
    from gotrace.analysis.build_rows import BuildRows  # (it builds on this module)

    ran = [k for k, e in enumerate(events) if not e.probe and not e.cached]
    graph = BuildRows.of_events(events).graph()
    if len(ran) != len(events):
        graph.order = np.array(ran, np.int64)[graph.order]
    return graph


def node_inputs(pkgs: Sequence[str], kinds: Sequence[str], starts: np.ndarray, ends: np.ndarray,
                imported: Mapping[str, Sequence[str]], linked: Callable[[int], Sequence[str]],
                waited_actions: Callable[[int], Sequence[str]] | None,
                node_of_action: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The edges into each node (see the module doc) of nodes given as columns in start order, as
    (offsets, input nodes, edges): node i's inputs are input_node[offsets[i]:offsets[i + 1]], each
    an earlier node, with its edge (an index into EDGES), the first edge named for a node kept.
    `imported`: each package's compiled imports (any order, repeats allowed); `linked(i)`: the
    packages link node i linked; `waited_actions(i)`: the actions node i's tools waited for (None
    when no record names one). The one statement of the wiring rules.

    Names are resolved one dict lookup each, those of plain packages' builds all in one pass;
    dropping repeats (the first edge named for a node wins) and inputs that had not ended when the
    node started are numpy passes over all the edges at once (a million-record build has millions)."""
    build_of = dict(compress(zip(pkgs, count()), map("build".__eq__, kinds)))
    vet_of = dict(compress(zip(pkgs, count()), map("vet".__eq__, kinds)))
    get_build = build_of.get
    import_code, link_code, package_code, action_code = (EDGES.index(name) for name in
                                                         ("import", "link", "package", "action"))
    n = len(pkgs)
    # a test variant's " [v]" suffix, per node (variant_of is None unless the name ends in "]" or ".test")
    suffixes = [None if not pkg.endswith(("]", ".test")) or (variant := variant_of(pkg)) is None
                else f" [{variant}]" for pkg in pkgs]
    # the builds of plain packages (most nodes): every compiled import of all of them resolved in one
    # pass of dict lookups, no Python statement per node
    plain = [i for i, (kind, suffix) in enumerate(zip(kinds, suffixes)) if kind == "build" and suffix is None]
    lists = [imported.get(pkgs[i], ()) for i in plain]
    names = list(chain.from_iterable(lists))
    plain_source = np.fromiter(map(get_build, names, repeat(-1)), np.int64, len(names))
    plain_consumer = np.repeat(np.array(plain, np.int64), list(map(len, lists)))
    del names, lists
    resolved = plain_source >= 0
    plain_source, plain_consumer = plain_source[resolved], plain_consumer[resolved]
    # every other node, and the actions any node waited for: one node at a time
    sources: list[int] = []
    codes: list[int] = []
    consumers: list[int] = []
    add, add_many, code_many = sources.append, sources.extend, codes.extend
    others = [i for i, (kind, suffix) in enumerate(zip(kinds, suffixes)) if kind != "build" or suffix is not None]
    for i in range(n) if waited_actions is not None else others:
        pkg, kind, suffix = pkgs[i], kinds[i], suffixes[i]
        before = mark = len(sources)
        if kind == "build":
            if suffix is not None:
                add_many(_resolved(imported.get(pkg, ()), build_of, suffix))
                code_many(repeat(import_code, len(sources) - mark))
        else:
            j = get_build(pkg)
            if j is not None:
                add(j)
                codes.append(package_code)
            mark = len(sources)
            if kind == "link":
                add_many(_resolved(linked(i), build_of, suffix))
                code_many(repeat(link_code, len(sources) - mark))
            elif kind == "vet":
                add_many(_resolved(imported.get(pkg, ()), vet_of, suffix))
                code_many(repeat(import_code, len(sources) - mark))
        if waited_actions is not None:
            mark = len(sources)
            add_many(filter(_is_node, map(node_of_action.get, waited_actions(i))))
            code_many(repeat(action_code, len(sources) - mark))
        consumers.extend(repeat(i, len(sources) - before))
    # node by node, each node's edges in the order named (a plain build's imports before its actions)
    consumer = np.concatenate((plain_consumer, np.array(consumers, np.int64)))
    source = np.concatenate((plain_source, np.array(sources, np.int64)))
    code = np.concatenate((np.full(len(plain_source), import_code, np.int8), np.array(codes, np.int8)))
    del sources, codes, consumers
    by_node = np.argsort(consumer, kind="stable")
    consumer, source, code = consumer[by_node], source[by_node], code[by_node]
    # the first edge named for a node wins; an input must be earlier and have ended by the start
    keep = np.zeros(len(source), bool)
    keep[np.unique(consumer * max(n, 1) + source, return_index=True)[1]] = True
    keep &= source < consumer
    keep &= ends[source] <= starts[consumer] + CLOCK_SLACK_NS
    consumer, source, code = consumer[keep], source[keep], code[keep]
    return np.searchsorted(consumer, np.arange(n + 1)), source, code


def _is_node(j: int | None) -> bool:
    return j is not None


def _resolved(names: Iterable[str], nodes_of: dict[str, int], suffix: str | None) -> Iterable[int]:
    """The nodes (of `nodes_of`: package name -> node) one consumer's import paths `names` name: a
    test variant's consumer (its " [v]" `suffix`, found once) takes "name [v]" where the trace has
    that package recompiled for the test, else plain "name"; names the trace has no node for (they
    came from the cache) are left out."""
    get = nodes_of.get
    if suffix is None:
        return filter(_is_node, map(get, names))
    out = []
    for d in names:
        j = get(d + suffix)
        if j is None:
            j = get(d)
        if j is not None:
            out.append(j)
    return out


def heaviest_chain(offsets: np.ndarray, sources: np.ndarray, edges: np.ndarray, ends: Sequence[int],
                   weights: Sequence[int]) -> tuple[list[int], list[str], int]:
    """The heaviest chain of nodes given as columns: each node's inputs (`node_inputs`' offsets,
    input nodes and edges), end and own tool time: (its nodes in order, the edge into each, its
    weight). Ties go to the input that ended later, then by EDGE_RANK, then to the earlier node.

    Each node's heaviest chain weight first (the largest of its inputs', whichever input ties: one
    C-level max per node), then the choices by the full order only along the chain, walked back."""
    n = len(ends)
    if not n:
        return [], [], 0
    best = list(weights)
    weight_of = best.__getitem__
    off, src = offsets.tolist(), sources.tolist()
    for i in np.flatnonzero(np.diff(offsets)).tolist():  # nodes with inputs, in order: inputs are earlier
        best[i] += max(map(weight_of, src[off[i]:off[i + 1]]))
    last = int(np.lexsort((-np.arange(n), np.asarray(ends, np.int64), np.array(best, np.int64)))[-1])
    code = edges.tolist()
    rank = [EDGE_RANK[name] for name in EDGES]
    chain, names = [last], []
    at = last
    while off[at] < off[at + 1]:
        k = max(range(off[at], off[at + 1]), key=lambda k: (best[src[k]], ends[src[k]], -rank[code[k]], -src[k]))
        names.append(EDGES[code[k]])
        at = src[k]
        chain.append(at)
    names.append("")
    chain.reverse()
    names.reverse()
    return chain, names, best[last]


@dataclass(frozen=True)
class Step:
    event: Event
    edge: str  # how this step depends on the previous one (see the module doc); "" for the first
    wait_ns: int  # between the previous step's end and this one's start
    row: int = -1  # the index of `event` among the events the dependency graph's rows index


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
                  graph: Graph | None = None, *, level: Concurrency | None = None) -> CriticalPath | None:
    """The dependency critical path of one build's events, with its wall-time account; None for a
    trace without invocations. `parallelism` (the build's -p) lets waits for a slot be told apart
    from the go command's own work; without it they count as the latter. Pass `graph` when the
    dependency graph of these events is already built, and `level` when their Concurrency is."""
    graph = dependency_graph(events) if graph is None else graph
    if not len(graph):
        return None
    chain, edges, length = graph.chain()
    steps: list[Step] = []
    for i, edge in zip(chain, edges):
        for k, row in enumerate(graph.rows(i)):
            e = events[row]
            wait = max(0, e.start_ns - steps[-1].event.end_ns) if steps else 0
            steps.append(Step(e, edge if k == 0 else "package", wait, row))

    start, end = int(graph.start_ns.min()), int(graph.end_ns.max())  # the nodes hold every tool
    if level is None:
        level = Concurrency([e for e in events if not e.probe and not e.cached], parallelism)
    waits: list[tuple[int, int, bool]] = []  # (from, to, waiting for an input) along the path

    def waited(a: int, b: int, for_input: bool) -> None:
        if b > a:
            waits.append((a, b, for_input))

    at = start
    for i in chain:
        node_start, ready_ns = int(graph.start_ns[i]), graph.ready(i)
        ready = max(at, min(ready_ns if ready_ns is not None else at, node_start))
        waited(at, ready, True)
        waited(ready, max(ready, node_start), False)
        at = max(at, node_start)
        for row in graph.rows(i):  # gaps inside the node: it had started, so it was ready
            e = events[row]
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


def chain_rows(graph: Graph, rows: int) -> np.ndarray:
    """Which of a build's `rows` invocations are on the critical path, given their dependency graph
    (`BuildRows.graph`): the rows of the nodes of `critical_path`'s chain."""
    on_path = np.zeros(rows, bool)
    if len(graph):
        for i in graph.chain()[0]:
            on_path[graph.rows(i)] = True
    return on_path


def string_ranks(names: Sequence[str]) -> np.ndarray:
    """Each name's place among the names in Python's string order."""
    ranks = np.empty(len(names), np.int64)
    ranks[sorted(range(len(names)), key=names.__getitem__)] = np.arange(len(names))
    return ranks
