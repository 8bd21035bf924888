"""`gotrace doctor`: name what makes a traced build slow or flaky, and what to do about it."""
from __future__ import annotations

import json
import os
import sys
from typing import TextIO

import click

from gotrace.analysis.doctor import SEVERITIES, Context, Finding, diagnose_facts, gather, previous_packages
from gotrace.analysis.per_build import merge_parts
from gotrace.capture import parse_size
from gotrace.commands._common import (
    TEXT,
    SelectedEvents,
    build_option,
    output_option,
    selected_in_parts,
    trace_argument,
)

# Distinct from 1 (unreadable trace) and 2 (bad option): a CI step can tell "findings" from "broken".
GATE_EXIT = 3


def physical_memory_kib() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 1024
    except (ValueError, OSError, AttributeError):
        return None


def go_mod_finder():
    """cwd -> (path, text) of the nearest go.mod at or above it, read once per directory."""
    cache: dict[str, tuple[str, str] | None] = {}

    def find(cwd: str) -> tuple[str, str] | None:
        if cwd in cache:
            return cache[cwd]
        path = os.path.join(cwd, "go.mod")
        found = None
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                found = (path, f.read())
        except OSError:
            parent = os.path.dirname(cwd)
            found = find(parent) if parent and parent != cwd else None
        cache[cwd] = found
        return found

    return find


def render_text(findings: list[Finding], out: TextIO) -> None:
    for f in findings:
        build = f"  (build {f.build})" if f.build else ""
        out.write(f"{f.severity.upper():7} [{f.check}] {f.title}{build}\n")
        out.writelines(f"        - {line}\n" for line in f.evidence)
        out.write(f"        why: {f.why}\n")
        out.write(f"        fix: {f.fix}\n\n")
    counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}
    if findings:
        parts = [f"{counts[s]} {s}{'s' if counts[s] > 1 else ''}" for s in reversed(SEVERITIES) if counts[s]]
        out.write(f"{len(findings)} finding(s): {', '.join(parts)}\n")
    else:
        out.write("no findings: no failures, cgo host flags, mixed toolchains, memory hogs, cache misses, "
                  "serial bottlenecks, starved or idle cores in this trace\n")


def render_json(findings: list[Finding], out: TextIO) -> None:
    counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}
    json.dump({"findings": [f.to_dict() for f in findings], "counts": counts}, out, indent=2, sort_keys=True)
    out.write("\n")


def _size_kib(value: str | None, option: str) -> int | None:
    if value is None:
        return None
    try:
        return parse_size(value) // 1024
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint=option) from None


@click.command("doctor")
@trace_argument
@build_option
@click.option("--previous", metavar="TRACE", type=click.Path(dir_okay=False),
              help="The same build traced just before: packages that compiled again are reported.")
@click.option("--json", "as_json", is_flag=True, help="Findings as JSON.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), metavar="SEVERITY",
              help=f"Exit {GATE_EXIT} when a finding is at least this severe (info, warning, error).")
@click.option("--machine-memory", metavar="SIZE",
              help="Memory of the machine the build must fit (default: this machine's), e.g. 8G.")
@output_option("findings", TEXT, "findings.txt")
def command(trace, build_id, previous, as_json, fail_on, machine_memory, output):
    """Diagnose a traced build: failures, cgo host flags, toolchains, memory, cache, serial stretches, cores.

    Each finding has a severity (info, warning, error), the evidence (invocations and numbers), why it
    matters and what to do. Exit status: 0, or 3 with --fail-on when a finding is at least that
    severe; 1 for an unreadable trace, 2 for a bad option.

    \b
    Example:
      gotrace run -- go build ./... && gotrace doctor gotrace.jsonl
      gotrace doctor ci.jsonl --json --fail-on error
      gotrace run --trace second.jsonl -- go build ./...
      gotrace doctor second.jsonl --previous first.jsonl
    """
    # one pass over each trace, keeping the facts the checks need, not the events; a large trace
    # is read in two parts by two processes, whose facts are merged
    parts, reader = selected_in_parts(trace, build_id, lambda selection: gather(selection.records()),
                                      allow_empty=lambda reader: bool(reader.builds), include_probes=True)
    facts = merge_parts(parts)  # a build record alone is something to diagnose
    before = None
    if previous:
        earlier = SelectedEvents(previous, include_probes=True)
        before = previous_packages(earlier.records())
        earlier.check(allow_empty=True)
    memory = _size_kib(machine_memory, "--machine-memory") or physical_memory_kib()
    context = Context(machine_memory_kib=memory, find_go_mod=go_mod_finder())
    findings = diagnose_facts(facts, reader.builds, context, previous=before)
    with output.open() as out:
        (render_json if as_json else render_text)(findings, out)
    output.done()
    if fail_on and any(SEVERITIES.index(f.severity) >= SEVERITIES.index(fail_on) for f in findings):
        # not click's Exit: gotrace.cli.main runs click with standalone_mode=False, which turns it into 0
        sys.exit(GATE_EXIT)
