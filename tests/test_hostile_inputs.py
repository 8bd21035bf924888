"""Every command over a corpus of hostile inputs (tests/hostile_corpus.py): no traceback, no hang,
and either exit 0 (damaged lines skipped and counted) or a status docs/usage/exit-status.md lists
for that command, with exactly one line on stderr. No go build: the inputs are generated."""
from __future__ import annotations

import math
import re
import subprocess
from pathlib import Path

import orjson
import pytest

from gotrace.collapse import clean_frame
from tests import hostile_corpus as corpus
from tests.conftest import BIN, ROOT, test_env

# Generous: a loaded 2-core machine can be slow, but a hang (quadratic reading, a recursion that
# never ends) takes far longer than this.
TIMEOUT = 180
# what can drive a terminal (tabs and newlines aside): C0 controls, DEL, the C1 controls in UTF-8
CONTROL = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]")


def documented_statuses() -> dict[str, set[int]]:
    """command -> the exit statuses docs/usage/exit-status.md lists for it."""
    table = (ROOT / "docs" / "usage" / "exit-status.md").read_text()
    header = None
    statuses: dict[str, set[int]] = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not line.startswith("|"):
            continue
        if cells[0] == "command":
            header = cells
            continue
        name = cells[0].strip("`")
        if header is None or not name.isalpha():
            continue
        statuses[name] = {int(h) for h, c in zip(header[1:], cells[1:]) if h.isdigit() and c}
    return statuses


STATUSES = documented_statuses()


def gotrace(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([str(BIN / "gotrace"), *args], cwd=cwd, env=test_env(), capture_output=True,
                              timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"gotrace {' '.join(args)} hung (no end after {TIMEOUT}s)")


def assert_well_behaved(result: subprocess.CompletedProcess, command: str, *, expect: int | None = None) -> str:
    """The command ended as documented; returns its stderr."""
    err = result.stderr.decode("utf-8", "replace")
    where = f"gotrace {command} exited {result.returncode}:\n{err[-3000:]}"
    assert "Traceback" not in err, where
    assert result.returncode in STATUSES[command] | {0}, where
    if expect is not None:
        assert result.returncode == expect, where
    if result.returncode != 0:
        assert len(err.strip().splitlines()) == 1, where
    assert not CONTROL.search(result.stderr), f"control characters on stderr: {err!r}"
    return err


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("hostile")
    damaged, _ = corpus.damaged_trace()
    (d / "damaged.jsonl").write_bytes(damaged)
    (d / "extreme.jsonl").write_bytes(corpus.extreme_trace())
    (d / "unreadable.jsonl").write_bytes(corpus.unreadable_trace())
    (d / "damaged.folded").write_bytes(corpus.damaged_folded())
    (d / "nonewline.folded").write_bytes(corpus.folded_without_newlines())
    for name, data in {**corpus.actiongraphs(), **corpus.debug_traces(), **corpus.not_go_files()}.items():
        (d / f"{name}.json").write_bytes(data)
    return d


# command -> (arguments after the input, output file suffix or None for terminal text)
TRACE_COMMANDS = {
    "summary": ([], None), "summary --json": (["--json"], None), "fold": ([], "folded"),
    "flame": ([], "svg"), "speedscope": ([], "json"), "chrome": ([], "json"), "timeline": ([], "png"),
    "report": ([], "html"), "doctor": ([], None), "diff": (["{other}"], None),
}
# family -> the exit status every command must give
TRACE_FAMILIES = {"damaged": 0, "extreme": 0, "unreadable": 1}


@pytest.mark.parametrize("family", TRACE_FAMILIES)
@pytest.mark.parametrize("label", TRACE_COMMANDS)
def test_every_command_survives_hostile_traces(inputs, label, family):
    name = label.split()[0]
    extra, suffix = TRACE_COMMANDS[label]
    trace = str(inputs / f"{family}.jsonl")
    args = [name, trace, *(a.format(other=inputs / "extreme.jsonl") for a in extra)]
    out = inputs / f"{family}-{name}.{suffix}"
    if suffix:
        args += ["-o", str(out)]
    result = gotrace(*args, cwd=inputs)
    err = assert_well_behaved(result, name, expect=TRACE_FAMILIES[family])
    if family == "damaged":
        assert "skipped" in err and "unreadable line" in err
    if result.returncode == 0 and suffix is None:
        # names with ESC/BEL/NUL reach the terminal escaped
        assert not CONTROL.search(result.stdout)
    if result.returncode == 0 and suffix == "json":
        assert_finite_json(orjson.loads(out.read_bytes()))
    if label == "summary --json" and result.returncode == 0:
        assert_finite_json(orjson.loads(result.stdout))


# every JSON a command writes of the extreme trace, and where: (its arguments, an output file or
# None for stdout); diff's new packages are the extreme trace's
JSON_OUTPUTS = {"summary": (["{extreme}", "--json"], None), "doctor": (["{extreme}", "--json"], None),
                "diff": (["{damaged}", "{extreme}", "--json"], None), "report": (["{extreme}"], "page.html")}


@pytest.mark.parametrize("command", sorted(JSON_OUTPUTS))
def test_json_outputs_name_the_trace_exactly_with_its_control_characters_escaped(inputs, command):
    arguments, name = JSON_OUTPUTS[command]
    args = [command, *(a.format(extreme=inputs / "extreme.jsonl", damaged=inputs / "damaged.jsonl")
                       for a in arguments)]
    result = gotrace(*args, *(["-o", str(inputs / name)] if name else []), cwd=inputs)
    assert_well_behaved(result, command, expect=0)
    if name is None:
        raw = result.stdout
    else:
        page = (inputs / name).read_bytes()
        raw = re.search(rb'<script type="application/json" id="report-data">(.*?)</script>', page, re.S).group(1)
    assert not CONTROL.search(raw)  # written as JSON's \u escapes (not the characters, nor \x7f)
    named = (corpus.NASTY_TEXT, clean_frame(corpus.NASTY_TEXT))  # (diff names frames: ';' is ':' there)
    assert any(name in text for text in strings_in(orjson.loads(raw)) for name in named)


def strings_in(value) -> list[str]:
    """Every string in a JSON value, keys too."""
    found, stack = [], [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            found.extend(v)
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, str):
            found.append(v)
    return found


def assert_finite_json(value) -> None:
    """Every number is a finite one a JSON reader takes as it is meant (no null stands for one)."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, float):
            assert math.isfinite(v)


def test_a_trace_of_only_unreadable_lines_is_one_line_naming_the_damage(inputs):
    result = gotrace("summary", str(inputs / "unreadable.jsonl"), cwd=inputs)
    err = assert_well_behaved(result, "summary", expect=1)
    assert "unreadable" in err and "line 1" in err


@pytest.mark.parametrize("name", [*corpus.actiongraphs(), *corpus.debug_traces(), *corpus.not_go_files()])
def test_import_of_damaged_go_files_is_a_trace_or_one_line(inputs, name):
    out = inputs / f"{name}.jsonl"
    result = gotrace("import", str(inputs / f"{name}.json"), "-o", str(out), cwd=inputs)
    err = assert_well_behaved(result, "import")
    assert len(err) < 400, f"an error line a person can read: {err!r}"
    if result.returncode == 0:
        for command in ("summary", "doctor"):
            assert_well_behaved(gotrace(command, str(out), cwd=inputs), command, expect=0)
    else:
        assert not out.exists()


# Files that hold a usable build and must import (what is wrong in them is survivable).
MUST_IMPORT = {"ag-empty-cmd", "ag-cycle", "ag-deep-nop-chain", "ag-tool-cycle", "ag-deep-compile-chain", "ag-hostile-names", "dt-hostile-names",
               "dt-flow-cycle"}


@pytest.mark.parametrize("name", sorted(MUST_IMPORT))
def test_import_survives_cycles_deep_chains_and_empty_commands(inputs, name):
    out = inputs / f"must-{name}.jsonl"
    result = gotrace("import", str(inputs / f"{name}.json"), "-o", str(out), cwd=inputs)
    assert_well_behaved(result, "import", expect=0)
    records = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert any(r.get("kind") != "build" for r in records)


def test_import_of_a_deep_chain_keeps_the_dependency_through_it(inputs):
    out = inputs / "chain.jsonl"
    gotrace("import", str(inputs / "ag-deep-nop-chain.json"), "-o", str(out), cwd=inputs)
    by_pkg = {r["pkg"]: r for r in map(orjson.loads, out.read_bytes().splitlines()) if "pkg" in r}
    assert by_pkg["top"]["action_deps"] == [by_pkg["leaf"]["action"]]


@pytest.mark.parametrize("family", ["damaged", "nonewline"])
@pytest.mark.parametrize("command,suffix", [("flame", "svg"), ("speedscope", "json")])
def test_folded_commands_skip_counts_no_reader_can_trust(inputs, family, command, suffix):
    out = inputs / f"{family}-folded-{command}.{suffix}"
    result = gotrace(command, str(inputs / f"{family}.folded"), "-o", str(out), cwd=inputs)
    err = assert_well_behaved(result, command, expect=0)
    if family == "damaged":
        # the 5,000-digit count, the 400-digit float, inf, nan, -5, 1e400, the NUL-only line
        assert "skipped" in err
    if suffix == "json":
        doc = orjson.loads(out.read_bytes())
        assert_finite_json(doc)
        weights = [w for p in doc["profiles"] for w in p.get("weights", [])]
        assert weights and all(w is not None and w < 10**19 for w in weights)


def test_fold_of_folded_stacks_says_it_needs_a_trace_in_one_line(inputs):
    result = gotrace("fold", str(inputs / "damaged.folded"), cwd=inputs)
    assert_well_behaved(result, "fold", expect=1)


@pytest.mark.parametrize("option,value", [("--fail-if-slower", "nan%"), ("--fail-if-slower", "inf%"),
                                          ("--fail-if-slower", "1e400%"), ("--threshold", "nan%"),
                                          ("--threshold", "1e400s")])
def test_diff_refuses_limits_that_would_disable_the_gate_or_overflow(inputs, option, value):
    trace = str(inputs / "extreme.jsonl")
    result = gotrace("diff", trace, trace, option, value, cwd=inputs)
    err = assert_well_behaved(result, "diff", expect=2)
    assert option in err


@pytest.mark.parametrize("name", ["ag-year-9999", "dt-ts-1e300", "ag-extreme-durations"])
def test_import_out_of_range_names_the_action_in_one_short_line(inputs, name):
    result = gotrace("import", str(inputs / f"{name}.json"), "-o", str(inputs / "out-of-range.jsonl"), cwd=inputs)
    err = assert_well_behaved(result, "import", expect=1)
    assert "action " in err and "out of range" in err and len(err) < 300
