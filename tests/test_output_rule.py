"""The one output rule of every command that writes a file-like output, checked on a real terminal
(a pty): -o FILE writes the file, -o - stdout; without -o, stdout when redirected and a one-line
error on a terminal; never SVG, PNG or HTML onto a terminal, never a wait on a terminal's stdin; and
one line on stderr says where the output went, unless -q. Also: text on a terminal is escaped."""
from __future__ import annotations

import ast
import json
import os
import pty
import select
import subprocess
import time
from pathlib import Path

import pytest

from gotrace.text import printable
from tests.conftest import BIN, ROOT, run_gotrace, test_env

EVIL = "example.com/evil\x1b]0;pwned\x07\x1b[31mred\x9b2J"


def small_trace(path: Path, pkg: str = "example.com/app", link_exit: int = 0) -> Path:
    lines = [{"v": 1, "kind": "build", "build": "b", "argv": ["go", "build", "./..."], "cwd": "/tmp", "cores": 2},
             {"v": 1, "build": "b", "tool": "compile", "pkg": pkg, "start_ns": 0, "wall_ns": 40_000_000,
              "user_ns": 30_000_000, "max_rss_kib": 50_000, "exit": 0},
             {"v": 1, "build": "b", "tool": "compile", "pkg": "fmt", "start_ns": 0, "wall_ns": 30_000_000,
              "user_ns": 20_000_000, "max_rss_kib": 40_000, "exit": 0},
             {"v": 1, "build": "b", "tool": "link", "pkg": pkg, "start_ns": 40_000_000, "wall_ns": 20_000_000,
              "user_ns": 10_000_000, "max_rss_kib": 90_000, "exit": link_exit}]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def on_terminal(args: list[str], cwd: Path, stdin_terminal: bool = False, timeout: float = 60):
    """Run gotrace with stdout (and maybe stdin) on a pty: (exit status, what the terminal got, stderr)."""
    main, side = pty.openpty()
    proc = subprocess.Popen([str(BIN / "gotrace"), *args], cwd=cwd, env=test_env(), stdout=side,
                            stderr=subprocess.PIPE, stdin=side if stdin_terminal else subprocess.DEVNULL)
    os.close(side)
    screen, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(main, 1 << 16)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            screen += chunk
        elif proc.poll() is not None:
            break
    else:
        proc.kill()
        pytest.fail(f"gotrace {' '.join(args)} was still running after {timeout}s (waiting on the terminal?)")
    os.close(main)
    return proc.wait(timeout=timeout), screen, proc.stderr.read().decode()


# command, extra arguments, what must never reach the terminal
FILE_LIKE = [("flame", [], b"<svg"), ("timeline", [], b"PNG"), ("report", [], b"<html"),
             ("speedscope", [], b"$schema"), ("chrome", [], b"traceEvents"), ("fold", [], b"build;")]


@pytest.mark.parametrize(("command", "extra", "payload"), FILE_LIKE)
def test_a_file_like_output_is_refused_on_a_terminal_with_one_line_saying_what_to_do(
        command, extra, payload, tmp_path):
    trace = small_trace(tmp_path / "t.jsonl")
    status, screen, err = on_terminal([command, str(trace), *extra], tmp_path)
    assert status == 2 and payload not in screen
    assert len(err.strip().splitlines()) == 1 and "-o FILE" in err and "redirect" in err, err
    assert "Traceback" not in err and list(tmp_path.iterdir()) == [trace]


def test_import_output_is_refused_on_a_terminal(tmp_path):
    graph = tmp_path / "graph.json"
    graph.write_text('[{"ID":0,"Mode":"build","Package":"p","Deps":null,"Cmd":["compile"],'
                     '"TimeStart":"2026-01-01T00:00:00Z","TimeDone":"2026-01-01T00:00:01Z"}]')
    status, screen, err = on_terminal(["import", str(graph)], tmp_path)
    assert status == 2 and b'"v"' not in screen and "-o FILE" in err


@pytest.mark.parametrize("args", [["flame"], ["flame", "-"], ["summary", "-"], ["fold", "-"]])
def test_stdin_on_a_terminal_is_an_error_not_a_wait(args, tmp_path):
    status, _, err = on_terminal(args, tmp_path, stdin_terminal=True, timeout=30)
    assert status == 2 and "no input" in err and "pipe" in err and len(err.strip().splitlines()) == 1


def test_dash_o_dash_prints_text_data_on_a_terminal_but_never_svg(tmp_path):
    trace = small_trace(tmp_path / "t.jsonl")
    status, screen, _ = on_terminal(["fold", str(trace), "-o", "-"], tmp_path)
    assert status == 0 and b"build;std;fmt;compile 30000" in screen
    status, screen, err = on_terminal(["flame", str(trace), "-o", "-"], tmp_path)
    assert status == 2 and b"<svg" not in screen and "-o FILE" in err


def test_summary_text_goes_to_the_terminal(tmp_path):
    trace = small_trace(tmp_path / "t.jsonl")
    status, screen, err = on_terminal(["summary", str(trace)], tmp_path)
    assert status == 0 and b"Top packages by wall time" in screen and err == ""


@pytest.mark.parametrize(("command", "magic"), [("flame", b"<?xml"), ("timeline", b"\x89PNG"),
                                                ("report", b"<!DOCTYPE html>"), ("speedscope", b"{"),
                                                ("chrome", b"{"), ("fold", b"build;")])
def test_redirected_stdout_gets_the_output_and_stderr_says_where(command, magic, tmp_path):
    trace = small_trace(tmp_path / "t.jsonl")
    result = run_gotrace([command, str(trace)], cwd=tmp_path, check=True)
    assert result.stdout.startswith(magic)
    [line] = result.stderr.decode().splitlines()
    assert line.startswith("gotrace: ") and line.split(" (")[0].endswith("written to stdout") or \
        "written to stdout" in line
    quiet = run_gotrace([command, str(trace), "-q"], cwd=tmp_path, check=True)
    assert quiet.stdout == result.stdout and quiet.stderr == b""
    out = tmp_path / f"out.{command}"
    if command == "timeline":
        out = tmp_path / "out.png"
    to_file = run_gotrace([command, str(trace), "-o", str(out)], cwd=tmp_path, check=True)
    assert out.read_bytes() == result.stdout and to_file.stdout == b""
    assert f"written to {out}" in to_file.stderr.decode()


@pytest.mark.parametrize("command", ["summary", "doctor"])
def test_control_characters_from_a_trace_never_reach_the_terminal(command, tmp_path):
    trace = small_trace(tmp_path / "t.jsonl", pkg=EVIL, link_exit=1)  # a failure names it in doctor too
    result = run_gotrace([command, str(trace)])
    shown = result.stdout.decode() + result.stderr.decode()
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown
    assert "\\x1b]0;pwned\\x07" in shown
    status, screen, _ = on_terminal([command, str(trace)], tmp_path)
    assert b"\x1b]0;" not in screen and b"\x07" not in screen


@pytest.mark.parametrize("command", ["speedscope", "chrome"])
def test_json_data_asked_for_on_a_terminal_holds_its_names_as_json_escapes(command, tmp_path):
    trace = small_trace(tmp_path / "t.jsonl", pkg=EVIL + "\x7fdel")
    status, screen, _ = on_terminal([command, str(trace), "-o", "-"], tmp_path)
    assert status == 0
    assert b"\x1b" not in screen and b"\x07" not in screen and b"\x7f" not in screen and b"\xc2\x9b" not in screen
    data = json.loads(screen.replace(b"\r\n", b"\n"))  # (the terminal turns each newline into \r\n)
    named = (EVIL + "\x7fdel", EVIL.replace(";", ":") + "\x7fdel")  # (speedscope's frames write ';' as ':')
    assert any(name in text for text in strings_in(data) for name in named)
    assert data == json.loads(run_gotrace([command, str(trace), "-o", "-"], check=True).stdout)  # the same data


def strings_in(value) -> list[str]:
    """Every string in a JSON value."""
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return [value] if isinstance(value, str) else []


def test_diff_escapes_names_too(tmp_path):
    before = small_trace(tmp_path / "a.jsonl", pkg="example.com/app")
    after = small_trace(tmp_path / "b.jsonl", pkg=EVIL)
    result = run_gotrace(["diff", str(before), str(after)], check=True)
    assert b"\x1b" not in result.stdout and b"\\x1b]0;pwned\\x07" in result.stdout


def test_printable_escapes_c0_del_and_c1_but_keeps_tabs_newlines_and_unicode():
    assert printable("a\x1b[31mb\x07\x7f\x9b\tc\nd\u00e9") == "a\\x1b[31mb\\x07\\x7f\\x9b\tc\nd\u00e9"


def test_analysis_does_not_import_render():
    for path in (ROOT / "gotrace" / "analysis").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("gotrace.render"), f"{path.name} imports {node.module}"


@pytest.mark.parametrize("command", ["fold", "flame"])
def test_an_output_that_is_not_a_regular_file_is_written_into_not_replaced(command, tmp_path):
    # `-o /dev/null` once replaced the device node with a regular file (a temporary file renamed
    # over it); a FIFO shows the same without touching the machine's /dev/null
    trace = small_trace(tmp_path / "t.jsonl")
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # never blocks, whatever gotrace does
    proc = subprocess.Popen([str(BIN / "gotrace"), command, str(trace), "-o", str(fifo)], cwd=tmp_path,
                            env=test_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    received = b""
    while True:
        ready, _, _ = select.select([reader], [], [], 0.2)
        chunk = os.read(reader, 1 << 16) if ready else b""
        received += chunk
        if not chunk and proc.poll() is not None:
            break
    os.close(reader)
    assert proc.wait() == 0, proc.stderr.read().decode()
    assert fifo.is_fifo(), "the FIFO was replaced by a regular file"
    expected = run_gotrace([command, str(trace), "-o", "-"], cwd=tmp_path, check=True).stdout
    assert received == expected and received
