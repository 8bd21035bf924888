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
