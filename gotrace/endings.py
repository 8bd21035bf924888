"""How a process ended, said the same way by every output: which signals mean "the user stopped it"
and which look like the machine killing it."""
from __future__ import annotations

import signal

# Ctrl-C, kill/systemd/CI cancel, a closed terminal, Ctrl-\: someone stopped the build on purpose
USER_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT})
_HOW = {signal.SIGINT: "Ctrl-C", signal.SIGHUP: "the terminal closed", signal.SIGQUIT: "Ctrl-\\"}


def signal_name(number: int) -> str:
    """'SIGINT' for 2; 'signal 77' for a number this system does not name."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def stopped_by_user(number: int | None) -> bool:
    return number in USER_SIGNALS


def interruption(number: int) -> str:
    """'interrupted by SIGINT (Ctrl-C)', for one line of run, summary, report and doctor."""
    how = _HOW.get(number)
    return f"interrupted by {signal_name(number)}" + (f" ({how})" if how else "")
