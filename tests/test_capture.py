"""How `gotrace run` rewrites a go command: pure rules, checked without running go."""
from __future__ import annotations

import pytest

from gotrace.capture import WRAP_SEPARATOR, CaptureError, parse_size, prepare_build, split_quoted
from tests.conftest import run_gotrace

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


def test_a_toolexec_in_goflags_is_chained_and_goflags_left_as_they_are():
    # our -toolexec on the command line overrides GOFLAGS' for this go command, as go applies flags;
    # nested go commands (a test running go) see GOFLAGS untouched
    p = prepare(["go", "build", "./..."], env={"GOFLAGS": "-mod=vendor -toolexec=/bin/echo -trimpath"})
    assert p.env["GOFLAGS"] == "-mod=vendor -toolexec=/bin/echo -trimpath" and p.env["GOTRACE_WRAP"] == "/bin/echo"


def test_a_toolexec_on_the_command_line_wins_over_goflags_even_when_empty():
    p = prepare(["go", "build", "-toolexec=", "."], env={"GOFLAGS": "-toolexec=/bin/true"})
    assert p.chained == [] and "GOTRACE_WRAP" not in p.env
    p = prepare(["go", "build", "-toolexec=/bin/echo", "."], env={"GOFLAGS": "-toolexec=/bin/true"})
    assert p.chained == ["/bin/echo"]


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


@pytest.mark.parametrize("path, flag", [
    ("/my tools/gotrace-shim", "'/my tools/gotrace-shim'"),
    ("/it's here/gotrace-shim", '"/it\'s here/gotrace-shim"'),
    ("/plain/gotrace-shim", "/plain/gotrace-shim"),
])
def test_a_shim_path_is_quoted_as_the_go_command_splits_toolexec(path, flag):
    p = prepare_build(["go", "build", "."], {}, shim=path, trace="t", build_id="b")
    assert p.argv[2] == "-toolexec=" + flag and split_quoted(flag) == [path]


def test_a_shim_path_go_cannot_be_given_is_refused_with_a_way_out():
    with pytest.raises(CaptureError, match="GOTRACE_SHIM"):
        prepare_build(["go", "build", "."], {}, shim="/a b/it's \"x\"", trace="t", build_id="b")


@pytest.mark.parametrize("command, argv, toolexec, packages", [
    # -C must stay go's first flag, before or after the subcommand
    (["go", "build", "-C", "d", "."], ["go", "build", "-C", "d", f"-toolexec={SHIM}", "."], None, ["."]),
    (["go", "-C", "d", "build", "-o", "x", "."], ["go", "-C", "d", "build", f"-toolexec={SHIM}", "-o", "x", "."],
     None, ["."]),
    # go run: everything after the package is the program's, -toolexec included
    (["go", "run", "./args", "-p", "3", "-toolexec=env", "x"],
     ["go", "run", f"-toolexec={SHIM}", "./args", "-p", "3", "-toolexec=env", "x"], None, ["./args"]),
    # go test: go's flags may follow the packages; after -args they are the test binary's
    (["go", "test", "./a", "-run", "X", "-toolexec", "/bin/echo", "-args", "-toolexec=z"],
     ["go", "test", f"-toolexec={SHIM}", "./a", "-run", "X", "-args", "-toolexec=z"], "/bin/echo", ["./a"]),
    (["go", "build", "-o", "out", "--", "./p"], ["go", "build", f"-toolexec={SHIM}", "-o", "out", "--", "./p"],
     None, ["./p"]),
])
def test_go_command_lines_are_read_as_the_go_command_reads_them(command, argv, toolexec, packages):
    p = prepare(command)
    assert p.argv == argv and p.line.toolexec == toolexec and p.line.packages == packages


@pytest.mark.parametrize("text, words", [
    ("a b", ["a", "b"]), ("'a b' c", ["a b", "c"]), ('"it\'s" x', ["it's", "x"]), ("  x  ", ["x"]),
])
def test_toolexec_values_are_split_as_go_splits_them(text, words):
    assert split_quoted(text) == words


@pytest.mark.parametrize("text, value", [("512M", 512 << 20), ("2G", 2 << 30), ("1.5GiB", 3 << 29), ("4194304", 4 << 20)])
def test_sizes_are_read_with_binary_units(text, value):
    assert parse_size(text) == value


@pytest.mark.parametrize("text", ["", "lots", "-1G", "5X", "nan", "inf", "1e400"])
def test_bad_sizes_are_refused(text):
    with pytest.raises(ValueError, match="not a size"):
        parse_size(text)


@pytest.mark.parametrize("text", ["0.5", "4096", "1K", "9000000000G"])
def test_sizes_no_tool_could_run_under_or_that_limit_nothing_are_refused(text):
    # 0.5 bytes once became 0, which the shim reads as "no limit"
    with pytest.raises(ValueError, match="out of range"):
        parse_size(text)


@pytest.mark.parametrize("args", [["--tool-timeout", "nan"], ["--tool-timeout", "inf"], ["--tool-timeout", "0"],
                                  ["--tool-timeout", "-5"], ["--tool-memory", "0.5"], ["--tool-memory", "1e400"]])
def test_guard_rail_values_that_would_mean_no_limit_are_one_line_errors(args, tmp_path):
    result = run_gotrace(["run", *args, "--trace", str(tmp_path / "t.jsonl"), "--", "go", "version"])
    err = result.stderr.decode()
    assert result.returncode == 2 and "Invalid value" in err and "Traceback" not in err
    assert not (tmp_path / "t.jsonl").exists()


def test_the_private_directory_reaches_the_shim_and_a_stale_one_is_cleared():
    assert prepare(["go", "build", "."], private_dir="/tmp/gotrace-run-x").env["GOTRACE_TMPDIR"] == "/tmp/gotrace-run-x"
    assert "GOTRACE_TMPDIR" not in prepare(["go", "build", "."], env={"GOTRACE_TMPDIR": "/old"}).env
