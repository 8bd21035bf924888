"""Work in a forked child: its answer, its exception, and its death, as the parent sees them."""
from __future__ import annotations

import os
import signal

import pytest

from gotrace.forked import Forked, can_fork

pytestmark = pytest.mark.skipif(not can_fork(), reason="fork on Linux with two cores or more")


def test_a_forked_child_answers_with_what_its_work_returned_and_can_fork_again():
    parent = os.getpid()

    def work():
        inner = Forked(lambda: os.getpid())
        return os.getpid(), inner.result()

    child, grandchild = Forked(work).result()
    assert len({parent, child, grandchild}) == 3


def test_a_forked_childs_exception_is_raised_where_the_result_is_asked_for():
    def work():
        raise ValueError("no such build")

    with pytest.raises(ValueError, match="no such build"):
        Forked(work).result()


def test_a_forked_child_that_dies_costs_time_not_the_answer():
    parent = os.getpid()

    def work():
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return "answered here"

    assert Forked(work).result() == "answered here"


def test_work_too_small_to_fork_runs_here_when_asked_for():
    ran_in = []
    job = Forked(lambda: ran_in.append(os.getpid()) or 7, fork=False)
    assert ran_in == []
    assert job.result() == 7 and ran_in == [os.getpid()]


def _gone(pid: int) -> bool:
    """Whether a process has ended (a zombie waiting for its reaper has)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def test_a_forked_child_stops_when_its_parent_is_killed(tmp_path):
    """A child whose parent was killed alone (not its process group: `kill PID`, an OOM kill) would
    otherwise work on for nobody, holding a core and its memory."""
    import subprocess
    import sys
    import time

    from tests.conftest import ROOT

    marker = tmp_path / "child.pid"
    script = ("import os, time\n"
              "from gotrace.forked import Forked\n"
              "def work():\n"
              f"    open({str(marker)!r} + '.tmp', 'w').write(str(os.getpid()))\n"
              f"    os.replace({str(marker)!r} + '.tmp', {str(marker)!r})\n"
              "    time.sleep(600)\n"
              "Forked(work).result()\n")
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert parent.poll() is None and time.monotonic() < deadline, "the child never started"
            time.sleep(0.05)
        child = int(marker.read_text())
        parent.kill()
        parent.wait()
        deadline = time.monotonic() + 30
        while not _gone(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        stopped = _gone(child)
        if not stopped:
            os.kill(child, signal.SIGKILL)
        assert stopped
    finally:
        if parent.poll() is None:
            parent.kill()


def test_a_block_that_fails_stops_its_forked_child():
    """`with Forked(work) as child:` ends the child when the block raises (its answer is no longer
    wanted); a block that ends well leaves it to answer."""
    import time

    with pytest.raises(RuntimeError, match="the page failed"):
        with Forked(lambda: time.sleep(600)) as sleeper:
            pid = sleeper._pid
            raise RuntimeError("the page failed")
    assert _gone(pid)
    with Forked(lambda: 42) as answering:
        pass
    assert answering.result() == 42


def test_a_child_with_a_big_answer_ends_before_its_parent_reads_it():
    """A child's answer waits in memory, not in a pipe: a child whose answer is larger than a pipe
    holds ends when its work is done, rather than when its parent reads (while a child lives, every
    page the parent writes that fork shares is copied first)."""
    import time

    answer = bytes(range(256)) * (32 << 10)  # 8 MiB: far more than a pipe holds
    child = Forked(lambda: answer)
    pid = child._pid
    deadline = time.monotonic() + 60
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    ended = _gone(pid)
    assert child.result() == answer
    assert ended


def test_where_no_answer_file_can_be_made_the_work_runs_here(monkeypatch):
    def no_memfd(*args):
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(os, "memfd_create", no_memfd)
    job = Forked(lambda: os.getpid())
    assert job._pid is None
    assert job.result() == os.getpid()
