"""Every command reads a trace through the one reader (gotrace.events): on a real traced build with
damaged lines appended they all count the same invocations, the same total time and the same
skipped lines, and the reader's two views (events, columns) agree field by field."""
from __future__ import annotations

import json
import re

import orjson
import pytest

from gotrace.events import Spans, TraceReader, read_events
from gotrace.progress import TraceTail
from tests.conftest import run_gotrace

# what can go wrong with a line, each once
DAMAGE = {
    "deps of the wrong type": {"deps": "oops"},
    "negative CPU": {"user_ns": -1},
    "start near 2^63": {"start_ns": (1 << 63) - 1000},
    "wall 2^64-1": {"wall_ns": (1 << 64) - 1},
    "a boolean for a number": {"exit": True},
}
SKIPPED = len(DAMAGE) + 2  # and a truncated line, and one that is not JSON


@pytest.fixture(scope="module")
def damaged(multi_build, tmp_path_factory):
    """(damaged trace, the original's invocations that ran a tool)."""
    original = multi_build.trace.read_bytes()
    compile_line = next(line for line in original.splitlines()
                        if b'"tool":"compile"' in line and b'"probe"' not in line)
    record = orjson.loads(compile_line)
    bad = [orjson.dumps({**record, **change}) + b"\n" for change in DAMAGE.values()]
    bad.insert(2, compile_line[: len(compile_line) // 2] + b"\n")
    bad.insert(4, b"not json at all\n")
    trace = tmp_path_factory.mktemp("damaged") / "damaged.jsonl"
    trace.write_bytes(original + b"".join(bad))
    events, _ = read_events(str(multi_build.trace))
    ran = [e for e in events if not e.cached]
    assert len(ran) > 20
    return trace, ran


def _ok(*args: str) -> tuple[bytes, str]:
    result = run_gotrace(list(args), check=True)
    return result.stdout, result.stderr.decode()


@pytest.mark.parametrize("command", ["summary --json", "chrome", "speedscope", "fold", "flame",
                                     "timeline -o {out}.png", "report -o {out}.html", "doctor",
                                     "diff {original}"])
def test_every_command_skips_and_reports_the_same_damaged_lines(damaged, multi_build, tmp_path, command):
    trace, _ = damaged
    name, *rest = command.format(out=tmp_path / "out", original=multi_build.trace).split()
    args = [name, *rest, str(trace)] if name != "diff" else [name, *rest, str(trace)]
    if name in ("chrome", "speedscope", "flame"):
        args += ["-o", str(tmp_path / f"out.{name}")]
    _, stderr = _ok(*args)
    assert stderr.count(f"skipped {SKIPPED} unreadable line(s) in {trace}") == 1, stderr
    assert "Traceback" not in stderr


def test_summary_chrome_speedscope_fold_and_report_count_the_same_invocations_and_time(damaged, tmp_path):
    trace, ran = damaged
    count, total_us = len(ran), sum(e.wall_ns for e in ran) / 1000

    summary = json.loads(_ok("summary", "--json", "--top", "100000", "--std", str(trace))[0])
    assert summary["totals"]["invocations"] == count
    assert sum(row["value"] for row in summary["top"]["wall"]) / 1000 == total_us

    _ok("chrome", str(trace), "-o", str(tmp_path / "t.json"))
    chrome = json.loads((tmp_path / "t.json").read_bytes())
    slices = [e for e in chrome["traceEvents"] if e["ph"] == "X"]
    assert len(slices) == count
    assert abs(sum(e["dur"] for e in slices) - total_us) <= count  # microseconds, rounded per slice

    _ok("speedscope", str(trace), "-o", str(tmp_path / "s.json"))
    profiles = json.loads((tmp_path / "s.json").read_bytes())["profiles"]
    lanes = [p for p in profiles if p["type"] == "evented"]
    assert sum(_outermost_opens(p["events"]) for p in lanes) == count  # one stack per invocation
    (wall,) = [p for p in profiles if p["type"] == "sampled" and p["unit"] == "microseconds"]
    assert abs(sum(wall["weights"]) - total_us) <= count

    folded = _ok("fold", str(trace))[0].decode().splitlines()
    assert abs(sum(int(line.rsplit(" ", 1)[1]) for line in folded) - total_us) <= count

    _ok("report", str(trace), "-o", str(tmp_path / "r.html"))
    html = (tmp_path / "r.html").read_text()
    assert int(re.search(r"<dt>invocations</dt><dd>(\d+):", html).group(1)) == count


def _outermost_opens(events: list[dict]) -> int:
    depth = opens = 0
    for e in events:
        opens += e["type"] == "O" and depth == 0
        depth += 1 if e["type"] == "O" else -1
    return opens


def test_diff_of_a_trace_and_its_damaged_copy_finds_nothing_changed(damaged, multi_build):
    trace, _ = damaged
    diff = json.loads(_ok("diff", str(multi_build.trace), str(trace), "--json")[0])
    assert diff["total_before"] == diff["total_after"]
    assert diff["changes"] == diff["new_packages"] == diff["vanished_packages"] == []


def test_run_progress_counts_what_the_commands_count(damaged, tmp_path):
    trace, ran = damaged
    data = trace.read_bytes()
    growing = tmp_path / "growing.jsonl"
    growing.write_bytes(b"")
    tail = TraceTail(str(growing))
    # the file grows in pieces that cut lines in two, as parallel shims append to it
    for start in range(0, len(data), 997):
        with growing.open("ab") as f:
            f.write(data[start:start + 997])
        tail.poll()
    tail.poll(final=True)
    assert tail.records == len(ran)
    assert tail.wall_ns == sum(e.wall_ns for e in ran)
    assert tail.skipped == SKIPPED
    assert tail.packages_done == {e.pkg for e in ran if e.tool == "compile"}


def _columns_of(events) -> list[tuple]:
    u = Spans.UNKNOWN
    return [(e.build, e.pkg, e.tool, e.start_ns, e.wall_ns, u if e.cpu_ns is None else e.cpu_ns,
             u if e.max_rss_kib is None else e.max_rss_kib, e.exit or 0, u if e.signal is None else e.signal,
             e.error, e.phases) for e in events if not e.cached]


def _rows_of(spans: Spans) -> list[tuple]:
    return [(*spans.kinds[spans.kind[i]], spans.start_ns[i], spans.wall_ns[i], spans.cpu_ns[i],
             spans.max_rss_kib[i], spans.exit[i], spans.signal[i], spans.errors.get(i), spans.phases.get(i))
            for i in range(len(spans))]


@pytest.mark.parametrize("which", ["clean", "damaged"])
def test_the_events_and_columns_views_agree_field_by_field_on_a_real_trace(damaged, multi_build, which):
    path = multi_build.trace if which == "clean" else damaged[0]
    with open(path, "rb") as f:
        events_reader = TraceReader(f)
        events = list(events_reader)
    with open(path, "rb") as f:
        columns_reader = TraceReader(f)
        spans = columns_reader.columns()
    assert len(spans) > 20 and _rows_of(spans) == _columns_of(events)
    for count in ("lines", "skipped", "first_bad_line", "first_problem", "probes", "cached", "builds",
                  "seen_builds"):
        assert getattr(columns_reader, count) == getattr(events_reader, count), count
    assert events_reader.skipped == (0 if which == "clean" else SKIPPED)
