"""Every analyzer's output on two small real traces is byte-identical to the pinned one in
tests/pinned/expected: the readers and analyzers are rewritten for million-record traces without
changing a byte of what they write (tests/pinned/cases.py says how to re-pin on purpose)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "pinned"))
from cases import CASES, EXPECTED, run_case  # noqa: E402

GOTRACE = str(Path(sys.executable).parent / "gotrace")


@pytest.mark.parametrize("name,args", CASES, ids=[name for name, _ in CASES])
def test_output_on_a_small_real_trace_is_unchanged(name, args, tmp_path):
    got = run_case(GOTRACE, args, tmp_path / name)
    expected = (EXPECTED / name).read_bytes()
    if got != expected:
        lines = zip(got.decode(errors="replace").splitlines(), expected.decode(errors="replace").splitlines())
        first = next(((i, a, b) for i, (a, b) in enumerate(lines, 1) if a != b), None)
        pytest.fail(f"{name} changed ({len(got)} bytes, pinned {len(expected)}); first differing line: {first}")
