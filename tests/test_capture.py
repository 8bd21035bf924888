"""How `gotrace run` rewrites a go command: pure rules, checked without running go."""
from __future__ import annotations

import pytest

from gotrace.capture import WRAP_SEPARATOR, CaptureError, parse_size, prepare_build

SHIM = "/venv/bin/gotrace-shim"


def prepare(command, env=None, **options):
    return prepare_build(command, {"PATH": "/bin:/usr/bin", **(env or {})}, shim=SHIM, trace="t.jsonl",
                         build_id="B1", **options)


def test_toolexec_goes_right_after_the_subcommand_before_packages():
    p = prepare(["go", "test", "-count=1", "./...", "-run", "X"])
    assert p.argv == ["go", "test", f"-toolexec={SHIM}", "-count=1", "./...", "-run", "X"]
    assert p.env["GOTRACE_BUILD_ID"] == "B1" and p.env["GOTRACE_FILE"].endswith("/t.jsonl")


@pytest.mark.parametrize("flag", [["-toolexec", "/bin/echo x"], ["-toolexec=/bin/echo x"], ["--toolexec=/bin/echo x"]])
def test_a_toolexec_of_the_users_is_chained_through_the_shim(flag):
    p = prepare(["go", "build", *flag, "./..."])
    assert p.argv == ["go", "build", f"-toolexec={SHIM}", "./..."]
    assert p.env["GOTRACE_WRAP"] == WRAP_SEPARATOR.join(["/bin/echo", "x"]) and p.chained == ["/bin/echo", "x"]


def test_a_toolexec_in_goflags_is_chained_and_the_other_goflags_kept():
    p = prepare(["go", "build", "./..."], env={"GOFLAGS": "-mod=vendor -toolexec=/bin/echo -trimpath"})
    assert p.env["GOFLAGS"] == "-mod=vendor -trimpath" and p.env["GOTRACE_WRAP"] == "/bin/echo"


def test_toolexec_in_both_places_is_refused():
    with pytest.raises(CaptureError, match="both"):
        prepare(["go", "build", "-toolexec=/bin/echo", "."], env={"GOFLAGS": "-toolexec=/bin/true"})


def test_a_chained_toolexec_that_does_not_exist_is_refused():
    with pytest.raises(CaptureError, match="not on PATH"):
        prepare(["go", "build", "-toolexec", "no-such-wrapper-xyz", "."])


@pytest.mark.parametrize("command, message", [
    ([], "no command"), (["make"], "expected a go command"), (["go", "env"], "runs no build tools"),
    (["go"], "runs no build tools"),
])
def test_commands_that_cannot_be_traced_are_refused_with_an_example(command, message):
    with pytest.raises(CaptureError, match=message):
        prepare(command)


def test_options_become_shim_settings_and_stale_ones_are_cleared():
    stale = {"GOTRACE_PHASES": "1", "GOTRACE_TOOL_MEMORY": "5", "GOTRACE_WRAP": "/bin/x"}
    p = prepare(["go", "build", "-p", "3", "."], env=stale, gocache="/tmp/c", tool_timeout=2.5, tool_memory=1 << 30)
    assert p.env["GOCACHE"] == "/tmp/c" and p.env["GOTRACE_TOOL_TIMEOUT"] == "2.5"
    assert p.env["GOTRACE_TOOL_MEMORY"] == str(1 << 30) and p.parallelism == 3
    assert "GOTRACE_PHASES" not in p.env and "GOTRACE_WRAP" not in p.env
    assert prepare(["go", "build", "."], phases=True).env["GOTRACE_PHASES"] == "1"


def test_a_shim_path_with_spaces_is_quoted_for_the_go_command():
    p = prepare_build(["go", "build", "."], {}, shim="/my tools/gotrace-shim", trace="t", build_id="b")
    assert p.argv[2] == "-toolexec='/my tools/gotrace-shim'"


@pytest.mark.parametrize("text, value", [("512M", 512 << 20), ("2G", 2 << 30), ("1.5GiB", 3 << 29), ("4096", 4096)])
def test_sizes_are_read_with_binary_units(text, value):
    assert parse_size(text) == value


@pytest.mark.parametrize("text", ["", "lots", "-1G", "5X"])
def test_bad_sizes_are_refused(text):
    with pytest.raises(ValueError, match="not a size"):
        parse_size(text)
