"""The analyzers' outputs on two small real traces (cold builds of samples/multi at -p 2 and -p 1),
pinned byte for byte: a change to how traces are read or analysed must not change what any command
writes, unless it means to (then run `python tests/pinned/cases.py` and review the diff of
tests/pinned/expected/ as part of the change).

Each case is (name, gotrace arguments); `{p2}` and `{p1}` are the traces, `{out}` the output file.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXPECTED = HERE / "expected"
ROOT = HERE.parent.parent
# relative to the repository (the commands run there): the report names its trace, and a path of the
# checkout would make the pinned bytes depend on where the repository lives
TRACES = {"p2": "tests/pinned/multi-p2.jsonl", "p1": "tests/pinned/multi-p1.jsonl"}

CASES = [
    ("summary.txt", ["summary", "{p2}", "-o", "{out}"]),
    ("summary-std.txt", ["summary", "{p2}", "--std", "--depth", "2", "-o", "{out}"]),
    ("summary.json", ["summary", "{p2}", "--json", "-o", "{out}"]),
    ("fold-path.txt", ["fold", "{p2}", "-o", "{out}"]),
    ("fold-cpu-tool.txt", ["fold", "{p2}", "--weight", "cpu", "--grouping", "tool", "-o", "{out}"]),
    ("fold-rss-file.txt", ["fold", "{p2}", "--weight", "rss", "--grouping", "file", "-o", "{out}"]),
    ("flame.svg", ["flame", "{p2}", "-o", "{out}"]),
    ("speedscope.json", ["speedscope", "{p2}", "-o", "{out}"]),
    ("chrome.json", ["chrome", "{p2}", "-o", "{out}"]),
    ("report.html", ["report", "{p2}", "-o", "{out}"]),
    ("timeline.svg", ["timeline", "{p2}", "--format", "svg", "-o", "{out}"]),
    ("doctor.txt", ["doctor", "{p2}", "--machine-memory", "8G", "-o", "{out}"]),
    ("doctor.json", ["doctor", "{p2}", "--previous", "{p1}", "--json", "--machine-memory", "8G", "-o", "{out}"]),
    ("diff.txt", ["diff", "{p2}", "{p1}", "-o", "{out}"]),
    ("diff-cpu.txt", ["diff", "{p1}", "{p2}", "--metric", "cpu", "-o", "{out}"]),
]


def run_case(gotrace: str, args: list[str], out: Path) -> bytes:
    argv = [gotrace, *(a.format(out=out, **TRACES) for a in args), "-q"]
    subprocess.run(argv, check=False, capture_output=True, timeout=300, cwd=ROOT)
    return out.read_bytes()


def main() -> None:
    """Write the expected outputs from this version of gotrace."""
    gotrace = str(Path(sys.executable).parent / "gotrace")
    EXPECTED.mkdir(exist_ok=True)
    for name, args in CASES:
        (EXPECTED / name).write_bytes(run_case(gotrace, args, EXPECTED / name))
        print(f"{EXPECTED / name}: {(EXPECTED / name).stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
