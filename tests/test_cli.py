"""The command line as a whole: every command explains itself and fails cleanly on bad input."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from gotrace.cli import cli
from tests.conftest import run_gotrace

COMMANDS = cli.list_commands(None)
# commands whose first argument is a trace (or a file to convert)
TRACE_COMMANDS = [c for c in COMMANDS if c not in ("run", "diff")]
OUTPUT_NAME = {"timeline": "out.png", "report": "out.html"}


def test_the_expected_commands_are_registered():
    assert {"run", "fold", "flame", "speedscope", "chrome", "summary", "timeline", "report", "doctor", "diff",
            "import"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_with_an_example(name):
    result = CliRunner().invoke(cli, [name, "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "Example:" in result.output and f"gotrace {name}" in result.output


@pytest.mark.parametrize("name", TRACE_COMMANDS)
def test_a_missing_input_file_is_one_line_and_a_non_zero_exit(name, tmp_path):
    result = run_gotrace([name, str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / OUTPUT_NAME.get(name, "out"))])
    assert result.returncode != 0
    assert b"Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and b"missing.jsonl" in result.stderr


def test_usage_errors_are_one_line_with_where_to_look():
    result = run_gotrace(["fold", "--no-such-option"])
    assert result.returncode == 2
    assert result.stderr.decode().strip().splitlines() == [
        "Error: No such option '--no-such-option' (see 'gotrace fold --help')"]


def test_diff_of_missing_files_is_one_line(tmp_path):
    result = run_gotrace(["diff", str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl")])
    assert result.returncode != 0 and b"Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("name", TRACE_COMMANDS)
def test_a_directory_or_binary_garbage_is_refused_cleanly(name, tmp_path):
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_bytes(b"\x00\x01\x02\xff" * 100)
    result = run_gotrace([name, str(garbage), "-o", str(tmp_path / OUTPUT_NAME.get(name, "out"))])
    assert result.returncode != 0 and b"Traceback" not in result.stderr
    # at most a warning about the skipped lines and the error itself
    assert 1 <= len(result.stderr.strip().splitlines()) <= 2


@pytest.mark.parametrize("args", [["summary"], ["summary", "--json"], ["timeline", "-o", "-"]],
                         ids=["summary", "summary --json", "timeline"])
def test_a_command_that_ends_by_exiting_writes_every_byte_as_the_command_in_process_does(args):
    """Under the console script a command that keeps its data ends with os._exit (quick_exit), its
    output flushed first: the same bytes and status as the click command run in this process, where
    nothing is kept."""
    from gotrace import quick_exit
    from tests.conftest import ROOT

    trace = str(ROOT / "tests" / "pinned" / "multi-p2.jsonl")
    console = run_gotrace([args[0], trace, *args[1:]], check=True)
    in_process = CliRunner().invoke(cli, [args[0], trace, *args[1:]], catch_exceptions=False)
    assert in_process.exit_code == console.returncode == 0
    assert console.stdout == in_process.stdout_bytes and len(console.stdout) > 1000
    assert quick_exit._kept is None  # keep() held nothing in this process


def test_a_command_whose_reader_goes_away_still_ends_cleanly():
    """`gotrace summary T | head -1`: the reader closes the pipe before the output is written; the
    command (which ends by exiting) neither hangs nor prints a traceback."""
    import subprocess

    from tests.conftest import BIN, ROOT, test_env

    trace = ROOT / "tests" / "pinned" / "multi-p2.jsonl"
    result = subprocess.run(["sh", "-c", f"'{BIN / 'gotrace'}' summary '{trace}' | head -1"], env=test_env(),
                            capture_output=True, timeout=120)
    assert result.returncode == 0 and len(result.stdout.splitlines()) == 1
    assert b"Traceback" not in result.stderr and b"Exception ignored" not in result.stderr


def started_with(user: str | None, code: str) -> str:
    """What `code` prints in a fresh Python whose NUMPY_MADVISE_HUGEPAGE is `user`'s (None: unset)."""
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    if user is not None:
        env["NUMPY_MADVISE_HUGEPAGE"] = user
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=True).stdout.decode().strip()


# numpy's huge-page advice in a process that starts as the console script does: small_pages, then
# numpy imported by the command (`_set_madvise_hugepage` returns the setting it replaces)
HUGE_PAGE_ADVICE = ("from gotrace.pages import small_pages; small_pages(); import numpy; "
                    "print(int(numpy._core.multiarray._set_madvise_hugepage(True)))")
# what `gotrace run` hands the go command there
GO_ENVIRONMENT = ("import json; from gotrace.pages import small_pages, users_environment; small_pages(); "
                  "print(json.dumps(users_environment().get('NUMPY_MADVISE_HUGEPAGE')))")


@pytest.mark.parametrize(("user", "advice", "go_gets"), [(None, "0", "null"), ("1", "1", '"1"'), ("0", "0", '"0"')])
def test_numpy_asks_for_no_huge_pages_unless_the_user_says_and_go_gets_the_users_environment(user, advice, go_gets):
    assert started_with(user, HUGE_PAGE_ADVICE) == advice
    assert started_with(user, GO_ENVIRONMENT) == go_gets
