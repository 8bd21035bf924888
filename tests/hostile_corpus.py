"""A hostile-input corpus, generated: traces whose every field holds wrong types and extreme values,
damaged files of each kind `gotrace import` reads, and damaged folded stacks.

Each family is a few files, with many damaged lines in one file where a reader must skip them, so
that running every command over every family stays a few dozen subprocesses.
"""
from __future__ import annotations

import orjson

from gotrace.events import BUILD_RULES, EVENT_RULES

BIG = 2**63 - 1
HUGE = 2**64 - 1
# (DEL and the C1 control CSI, U+009B, drive some terminals as ESC [ does)
NASTY_TEXT = "pkg\x00nul\x1b]0;pwned\x07bel\x1b[31mred\x7fdel\x9b31mcsi $x^2$ <svg>&amp;" + "ß" * 3

# Values of every JSON type and the extremes of each; each one is wrong for most fields.
EXTREMES: list[object] = [
    BIG, HUGE, -1, -(2**63), 1e300, -1e300, 0.5, "", "x" * 100_000, NASTY_TEXT, True, False,
    [], [1, 2], ["a", None], {}, {"a": "b"}, {"a": -1}, {"a": HUGE},
]


def valid_event(i: int, build: str = "b1", **fields) -> dict:
    record = {"v": 1, "build": build, "tool": "compile", "pkg": f"example.com/p{i}",
              "start_ns": 1_700_000_000_000_000_000 + i * 1_000_000, "wall_ns": 5_000_000 + i,
              "user_ns": 4_000_000, "sys_ns": 1_000_000, "max_rss_kib": 50_000 + i, "exit": 0}
    record.update(fields)
    return record


def _line(record: object) -> bytes:
    return orjson.dumps(record, option=orjson.OPT_PASSTHROUGH_DATACLASS) if not isinstance(record, bytes) else record


def damaged_trace() -> tuple[bytes, int]:
    """A trace of a few valid records among lines that break every field's rule, and lines that are
    no record at all; returns the bytes and the number of valid records."""
    good = [valid_event(i) for i in range(3)]
    good.append(valid_event(3, tool="link", pkg="example.com/p0"))
    lines = [_line(r) for r in good]
    for name in EVENT_RULES:
        for value in EXTREMES:
            record = valid_event(99, **{name: value})
            if _allowed(EVENT_RULES[name], value):
                continue  # a value the field may hold: not damage
            lines.append(_line(record))
    for name in BUILD_RULES:
        for value in EXTREMES:
            record = {"v": 1, "kind": "build", "build": "b1", name: value}
            if not _allowed(BUILD_RULES[name], value):
                lines.append(_line(record))
    lines += [
        b'{"v":1,"build":"b1","tool":"compile"',                     # truncated
        b"\x00" * 64, b"\xff\xfe not utf-8 \xc3\x28",                  # NULs, bad UTF-8
        b'{"v":1,"build":"b\xff","tool":"compile","pkg":"p","start_ns":1,"wall_ns":1}',
        b"[" * 5000 + b"]" * 5000, b'{"a":' * 3000 + b"1" + b"}" * 3000,  # deep nesting
        b"1e300", b"null", b"[]", b'"text"', b"{}",
        b'{"v":"1","build":"b1","tool":"compile","pkg":"p","start_ns":1,"wall_ns":1}',
        b'{"v":0,"build":"b1","tool":"compile","pkg":"p","start_ns":1,"wall_ns":1}',
        b'{"v":1,"build":"b1","tool":"compile","pkg":"p","start_ns":1,"wall_ns":1,"start_ns":-5}',
        b'{"v":1,"build":"b1","tool":"compile","pkg":"p","start_ns":' + b"9" * 5000 + b',"wall_ns":1}',
        b'{"v":1,"build":"b1","tool":"compile","pkg":"p","start_ns":1e400,"wall_ns":1}',
        b'{"v":1,"build":"b1","tool":"compile","pkg":"p","start_ns":NaN,"wall_ns":1}',
        b"\x1b]0;title\x07\x1b[2J",
    ]
    return b"\n".join(lines) + b"\n", len(good)


def _allowed(rule, value) -> bool:
    if type(value) is not rule.kind:
        return False
    if rule.kind is int:
        return rule.low <= value <= rule.high
    if rule.kind is list:
        return all(type(v) is str for v in value)
    if rule.kind is dict:
        return all(type(v) is int and rule.low <= v <= rule.high for v in value.values())
    return True


def extreme_trace() -> bytes:
    """Valid records at the edges of every range, with hostile names: every command must read them."""
    from gotrace.events import MAX_DURATION_NS, MAX_EXIT, MAX_KIB, MAX_SIGNAL, MAX_TIME_NS

    records = [
        {"v": 1, "kind": "build", "build": NASTY_TEXT, "argv": ["go", "build", "$\\frac{a}{b}$", NASTY_TEXT],
         "cwd": NASTY_TEXT, "start_ns": 0, "wall_ns": MAX_DURATION_NS, "exit": MAX_EXIT, "cores": 2**31 - 1,
         "parallelism": 2**31 - 1, "goversion": NASTY_TEXT},
        valid_event(0, build=NASTY_TEXT, pkg=NASTY_TEXT, tool=NASTY_TEXT, start_ns=0, wall_ns=MAX_DURATION_NS,
                    user_ns=MAX_DURATION_NS, sys_ns=MAX_DURATION_NS, max_rss_kib=MAX_KIB),
        valid_event(1, build=NASTY_TEXT, pkg="$\\sqrt{x}$ [$y$.test]", start_ns=MAX_TIME_NS,
                    wall_ns=MAX_DURATION_NS, exit=MAX_EXIT, signal=MAX_SIGNAL, max_rss_kib=0),
        valid_event(2, build=NASTY_TEXT, pkg="x" * 100_000, wall_ns=0, user_ns=0, sys_ns=0,
                    phases={NASTY_TEXT: MAX_DURATION_NS, "total": 0}),
        valid_event(3, build=NASTY_TEXT, pkg="", tool="", deps=[NASTY_TEXT] * 50, error=NASTY_TEXT),
        valid_event(4, build=NASTY_TEXT, pkg="a;b c\td", tool="gcc", cflags=[NASTY_TEXT], limit="memory"),
    ]
    lines = [_line(r) for r in records]
    # a raw non-UTF-8 name is not JSON; a \u-escaped lone surrogate is, and must not crash an encoder
    lines.append(b'{"v":1,"build":"' + NASTY_TEXT.encode() + b'","tool":"compile","pkg":"bad\\ud800surrogate",'
                 b'"start_ns":5,"wall_ns":7}')
    return b"\n".join(lines) + b"\n"


def unreadable_trace() -> bytes:
    """Nothing in it is a record: a command must say so in one line and exit 1."""
    return b"\x00\xff garbage\n{\"v\":1,\n" + b"[" * 2000 + b"\n"


# -- go build -debug-actiongraph ---------------------------------------------------------------

def _action(aid: int, mode: str, pkg: str = "", deps=(), **extra) -> dict:
    a = {"ID": aid, "Mode": mode, "Package": pkg, "Deps": list(deps)}
    a.update(extra)
    return a


def _ran(aid: int, pkg: str, deps=(), start="2026-12-01T10:00:00.000000001Z", **extra) -> dict:
    fields = {"TimeReady": start, "TimeStart": start, "TimeDone": "2026-12-01T10:00:01Z",
              "Cmd": [f"/go/pkg/tool/linux_amd64/compile -o x -p {pkg} a.go"], "CmdReal": 1_000_000,
              "CmdUser": 900_000, "CmdSys": 100_000, "BuildID": "abc"}
    return _action(aid, "build", pkg, deps, **{**fields, **extra})


def actiongraphs() -> dict[str, bytes]:
    """Damaged -debug-actiongraph files, by name."""
    good = [_ran(0, "p0"), _ran(1, "p1", [0])]
    cycle = good + [_action(2, "nop", "", [3]), _action(3, "nop", "", [2]), _ran(4, "p4", [2])]
    chain = [_ran(0, "leaf")] + [_action(i, "nop", "", [i - 1]) for i in range(1, 50_000)]
    chain.append(_ran(50_000, "top", [49_999]))
    whole = orjson.dumps(good)
    return {
        "ag-truncated": whole[: len(whole) // 2],
        "ag-wrong-types": orjson.dumps([_action("0", 5, ["p"], "x")]),
        "ag-wrong-field-types": orjson.dumps(good + [_ran(2, "p2", CmdReal="1", TimeStart=5)]),
        "ag-empty-cmd": orjson.dumps([_ran(0, "p0", Cmd=[""]), _ran(1, "p1", Cmd=["", " "])]),
        "ag-cycle": orjson.dumps(cycle),
        "ag-deep-nop-chain": orjson.dumps(chain),
        "ag-tool-cycle": orjson.dumps([_ran(0, "p0", [1]), _ran(1, "p1", [0]), _ran(2, "p2", [2])]),
        "ag-deep-compile-chain": orjson.dumps([_ran(0, "c0")] + [_ran(i, f"c{i}", [i - 1]) for i in range(1, 5_000)]),
        "ag-duplicate-ids": orjson.dumps(good + [_ran(1, "other")]),
        "ag-year-9999": orjson.dumps([_ran(0, "p0", start="9999-12-31T23:59:59.999999999Z")]),
        "ag-bad-times": orjson.dumps([_ran(0, "p0", start="2026-13-45T99:99:99Z"),
                                      _ran(1, "p1", start="2026-12-01T10:00:00.5+99:99")]),
        "ag-extreme-durations": orjson.dumps([_ran(0, "p0", CmdReal=HUGE, CmdUser=-1, CmdSys=BIG)]),
        "ag-hostile-names": orjson.dumps([_ran(0, NASTY_TEXT), _ran(1, "$x$", [0])]),
        "ag-missing-dep": orjson.dumps([_ran(0, "p0", [7])]),
        "ag-empty-list": b"[]",
    }


# -- go build -debug-trace (Chrome trace events) --------------------------------------------------

def _span(name: str, ts: object, end: object, tid: int = 1) -> list[dict]:
    full = f"Executing action ({name})"
    return [{"name": full, "ph": "B", "ts": ts, "pid": 0, "tid": tid},
            {"name": full, "ph": "E", "ts": end, "pid": 0, "tid": tid}]


def debug_traces() -> dict[str, bytes]:
    """Damaged -debug-trace files, by name."""
    base = 1_764_583_200_000_000.0
    good = _span("build p0", base, base + 1000) + _span("link p0", base + 1000, base + 3000)
    whole = orjson.dumps(good)
    return {
        "dt-truncated": whole[: len(whole) // 2],
        "dt-ts-1e300": orjson.dumps(good + _span("build p1", 1e300, 1e300)),
        "dt-ts-negative": orjson.dumps(_span("build p1", -1e18, -1.0)),
        "dt-ts-huge-int": orjson.dumps(_span("build p1", HUGE, HUGE)),
        "dt-wrong-types": orjson.dumps([{"name": 5, "ph": "B", "ts": "x"}]),
        "dt-end-before-start": orjson.dumps(_span("build p1", base + 5000, base)),
        "dt-hostile-names": orjson.dumps(_span(f"build {NASTY_TEXT}", base, base + 10)
                                         + _span("build $x^2$", base, base + 10)),
        "dt-flow-cycle": orjson.dumps(good + [
            {"name": "Executing action (build p0) -> Executing action (link p0)", "ph": "s", "id": 1,
             "ts": base + 1000}, {"name": "x -> Executing action (build p0)", "ph": "f", "id": 1, "ts": base},
            {"name": "Executing action (link p0) -> y", "ph": "s", "id": 2, "ts": base + 3000},
            {"name": "y -> Executing action (build p0)", "ph": "f", "id": 2, "ts": base}]),
    }


def not_go_files() -> dict[str, bytes]:
    """Files `gotrace import` may be given by mistake, or that are not JSON at all."""
    return {
        "other-gotrace-trace": damaged_trace()[0],
        "other-folded": damaged_folded(),
        "other-binary": b"\x00\xff\xfe\x1b]0;x\x07",
        "other-deep-nesting": b"[" * 100_000,
        "other-trace-events-not-a-list": b'{"traceEvents": 5}',
        "other-empty": b"",
    }


# -- folded stacks ------------------------------------------------------------------------------

def damaged_folded() -> bytes:
    """Folded stacks with a few good lines among counts no reader should trust."""
    return b"\n".join([
        b"build;std;fmt;compile 100",
        b"build;main;link 50",
        b"build;big " + b"9" * 5000,
        b"build;bigfloat " + b"9" * 400 + b".5",
        b"build;inf inf", b"build;nan nan", b"build;neg -5", b"build;exp 1e400",
        b"build;nul\x00frame 7", b"\x00\x00\x00", b"build;\xff\xfe 3",
        b"build;esc\x1b]0;pwned\x07 4",
        b"build;diff 5 " + b"9" * 5000,
        b"build;frac .5",
        b"build;" + b"deep;" * 20000 + b"leaf 1",
    ]) + b"\n"


def folded_without_newlines() -> bytes:
    return b"build;a;b 5 build;c 7 " * 20_000
