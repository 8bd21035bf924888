"""`gotrace diff`: what changed between two traced builds, as a table, a differential flame graph
and folded text, with a CI gate on slowdowns."""
from __future__ import annotations

import json
import math
import re
import sys
from typing import TextIO

import click

from gotrace.analysis.diff import (
    METRICS,
    BuildTable,
    Comparison,
    Gate,
    Threshold,
    comparable,
    compare,
    differential_stacks,
    gate,
    noise,
    recording_differences,
    speed_factor,
    tables,
)
from gotrace.analysis.per_build import merge_parts
from gotrace.capture import parse_size
from gotrace.collapse import weight_unit, write_folded
from gotrace.commands._common import (
    BINARY,
    DATA,
    TEXT,
    Output,
    no_terminal_stdin,
    output_option,
    say,
    selected_in_parts,
)
from gotrace.events import BuildInfo
from gotrace.text import write_table

GATE_EXIT = 3  # as `gotrace doctor --fail-on`: distinct from 1 (unreadable trace) and 2 (bad option)
UNLIKE_EXIT = 4  # --fail-if-slower on traces recorded differently: no verdict either way
DEFAULT_THRESHOLD = {"wall": "50ms", "cpu": "50ms", "rss": "5MiB"}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ns|us|ms|s|m)?\s*$")
_NS = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000, "m": 60_000_000_000, None: 1_000_000_000}


def parse_threshold(text: str, metric: str) -> Threshold:
    """'5%' (relative), '50ms'/'2s' for time, '10MiB' for memory."""
    s = text.strip()
    try:
        if s.endswith("%"):
            relative = float(s[:-1]) / 100
            if not 0 <= relative < math.inf:  # nan% would hide every change
                raise ValueError
            return Threshold(relative=relative)
        if metric == "rss":
            return Threshold(absolute=parse_size(s) // 1024)
        m = _DURATION.match(s)
        if not m:
            raise ValueError
        return Threshold(absolute=int(float(m.group(1)) * _NS[m.group(2)]))
    except (ValueError, OverflowError):  # OverflowError: 1e400s
        example = "10MiB" if metric == "rss" else "50ms"
        raise click.BadParameter(f"not a threshold: {text!r} (examples: 5%, {example})",
                                 param_hint="--threshold") from None


def parse_percent(text: str) -> float:
    try:
        value = float(text.strip().rstrip("%"))
    except ValueError:
        raise click.BadParameter(f"not a percentage: {text!r} (example: 10%)",
                                 param_hint="--fail-if-slower") from None
    if not math.isfinite(value):  # nan% compares false with everything: the gate would never close
        raise click.BadParameter(f"not a finite percentage: {text!r} (example: 10%)",
                                 param_hint="--fail-if-slower")
    if value < 0:
        raise click.BadParameter("must not be negative", param_hint="--fail-if-slower")
    return value / 100


def _last_build(path: str, fold: str | None) -> tuple[BuildTable, BuildInfo | None]:
    """The table of the trace's last build (one pass, no events kept) and its build record."""
    parts, reader = selected_in_parts(path, None, lambda selection: tables(selection.records(), fold))
    per_build = merge_parts(parts)
    # A trace written with --append holds several builds; comparing their sum would mean nothing.
    ids = list(per_build)
    if len(ids) > 1:
        say(f"gotrace: {path} holds {len(ids)} builds; comparing the last one, {ids[-1]}")
    return per_build[ids[-1]], reader.builds.get(ids[-1])


def fmt(value: int | None, unit: str, signed: bool = False) -> str:
    if value is None:
        return "-"
    sign = "+" if signed and value > 0 else ""
    if unit == "KiB":
        return f"{sign}{value / 1024:.1f}MiB"
    return f"{sign}{value / 1e9:.3f}s"


def fmt_rel(rel: float | None) -> str:
    return "" if rel is None else f"{100 * rel:+.1f}%"


def render_table(comparison: Comparison, threshold: Threshold, threshold_text: str, out: TextIO) -> None:
    unit = comparison.unit
    what = METRICS[comparison.metric][0]
    delta = comparison.total_after - comparison.total_before
    change = ", ".join(filter(None, [fmt(delta, unit, signed=True), fmt_rel(comparison.total_relative)]))
    before, after = fmt(comparison.total_before, unit), fmt(comparison.total_after, unit)
    out.write(f"{what}: {before} -> {after} ({change if delta else 'no change'})\n")
    shown = [c for c in comparison.changes if threshold.passes(c)]
    hidden = sum(1 for c in comparison.changes if c.status != "same" and not threshold.passes(c))
    if shown:
        rows = [[c.status if c.status != "changed" else fmt(c.delta, unit, signed=True), fmt_rel(c.relative),
                 fmt(c.before, unit), fmt(c.after, unit), c.kind, c.name] for c in shown]
        write_table(out, ["change", "rel", "before", "after", "kind", "name"], rows, right=(0, 1, 2, 3))
    else:
        out.write("  no package or tool changed past the noise threshold\n")
    if hidden:
        out.write(f"  {hidden} smaller change(s) under the {threshold_text} noise threshold not shown\n")
    if comparison.unit == "ns":
        factor = speed_factor(comparison)
        out.write(f"  machine-wide: the after-build's packages ran {100 * (factor - 1):+.1f}% as a whole (median); "
                  f"likely noise between these builds: {100 * noise(comparison, factor):.1f}% per package\n")
    for status in ("new", "vanished"):
        n = sum(1 for c in comparison.changes if c.kind == "package" and c.status == status)
        if n:
            out.write(f"  {n} {status} package(s) in all\n")


def _packages(comparison: Comparison, status: str) -> list[str]:
    return sorted(c.name for c in comparison.changes if c.kind == "package" and c.status == status)


def render_json(comparison: Comparison, threshold: Threshold, reasons: list[str], out: TextIO,
                verdict: Gate | None = None, differences: list[str] = ()) -> None:
    json.dump({"metric": comparison.metric, "unit": comparison.unit,
               "total_before": comparison.total_before, "total_after": comparison.total_after,
               "changes": [c.to_dict() for c in comparison.changes if threshold.passes(c)],
               # complete, whatever the threshold: a package that came or went is never noise to CI
               "new_packages": _packages(comparison, "new"),
               "vanished_packages": _packages(comparison, "vanished"),
               "gate_failures": reasons,
               "gate": verdict.to_dict() if verdict else None,
               "recording_differences": list(differences)}, out, indent=2, sort_keys=True)
    out.write("\n")


@click.command("diff")
@click.argument("before", metavar="BEFORE", type=click.Path(dir_okay=False, allow_dash=True),
                callback=no_terminal_stdin)
@click.argument("after", metavar="AFTER", type=click.Path(dir_okay=False, allow_dash=True),
                callback=no_terminal_stdin)
@click.option("--metric", type=click.Choice(list(METRICS)),
              help="Compare wall time, CPU time or peak RSS [default: wall; the gate judges cpu unless given].")
@click.option("--threshold", metavar="NOISE",
              help="Hide (and never fail on) changes smaller than this: 5%, 200ms, 10MiB "
                   "[default: 50ms for time, 5MiB for rss].")
@click.option("--fail-if-slower", "fail_if_slower", metavar="PERCENT",
              help=f"Exit {GATE_EXIT} when the total, or a package past the noise, grew more than PERCENT "
                   f"(e.g. 10%) beyond the machine-wide change; exit {UNLIKE_EXIT} when the traces were "
                   "recorded differently.")
@click.option("--svg", "svg_path", metavar="FILE", type=click.Path(dir_okay=False, allow_dash=True),
              help="Also write a differential flame graph: the after-build, red where it grew, "
                   "blue where it shrank (for rss: memory-time, KiB*s).")
@click.option("--folded", "folded_path", metavar="FILE", type=click.Path(dir_okay=False, allow_dash=True),
              help="Also write differential folded stacks ('stack before after') for flamegraph.pl "
                   "or inferno; - is stdout, instead of the table.")
@click.option("--json", "as_json", is_flag=True, help="The table as JSON.")
@output_option("comparison", TEXT, "diff.txt")
def command(before, after, metric, threshold, fail_if_slower, svg_path, folded_path, as_json, output):
    """Compare two traced builds: packages and tools whose time or memory changed, new and vanished ones.

    Rows are sorted by the size of the change. The gate (--fail-if-slower) judges CPU time unless
    --metric says otherwise, after taking out how much slower the machine ran the after-build as a
    whole (the median package); a package counts past max(PERCENT, 3x the noise) and past 250ms and
    40ms per tool run of the package (process starts drift on a busy machine). Traces
    recorded differently (action graph or not, Go version, -p, cores, cold or warm cache) are
    compared on what both have, with a warning, and never gated. The table's rss is peak RSS (the
    largest, not a sum); the --svg and --folded stacks weigh memory-time (peak RSS x wall, KiB*s),
    which adds up as a flame graph needs.

    Exit status: 0; 3 when the gate fails; 4 when --fail-if-slower is given for traces recorded
    differently; 1 for an unreadable trace; 2 for a bad option. A trace holding several builds
    contributes its last.

    \b
    Example:
      gotrace diff before.jsonl after.jsonl
      gotrace diff before.jsonl after.jsonl --metric rss --threshold 10MiB
      gotrace diff main.jsonl pr.jsonl --fail-if-slower 10% --svg diff.svg
      gotrace diff before.jsonl after.jsonl --folded - | inferno-flamegraph > diff.svg
    """
    gate_metric = metric or "cpu"
    metric = metric or "wall"
    threshold_text = threshold or DEFAULT_THRESHOLD[metric]
    floor = parse_threshold(threshold_text, metric)
    limit = parse_percent(fail_if_slower) if fail_if_slower is not None else None
    svg = Output(svg_path, output.quiet, "differential flame graph (SVG)", BINARY, "diff.svg")
    folded = Output(folded_path, output.quiet, "differential folded stacks", DATA, "diff.folded")
    for extra in (svg, folded):
        if extra.path is not None:
            extra.check()
    fold = metric if svg_path or folded_path else None
    (b_events, b_info), (a_events, a_info) = (_last_build(path, fold) for path in (before, after))
    differences = recording_differences(b_events, a_events, b_info, a_info)
    if differences:
        say(f"gotrace: warning: the two traces were recorded differently ({'; '.join(differences)}): "
            "comparing what both have; record both builds the same way to compare like with like")
        b_events, a_events = comparable(b_events, a_events), comparable(a_events, b_events)
    comparison = compare(b_events, a_events, metric, b_info, a_info)
    verdict = None
    if limit is not None and not differences:
        judged = comparison if gate_metric == metric else compare(b_events, a_events, gate_metric, b_info, a_info)
        gate_floor = floor if gate_metric == metric else parse_threshold(DEFAULT_THRESHOLD[gate_metric], gate_metric)
        verdict = gate(judged, limit, gate_floor)
    reasons = list(verdict.reasons) if verdict else []

    if svg_path or folded_path:
        stacks = differential_stacks(b_events, a_events, weight=metric)
        if folded_path:
            with folded.open() as out:
                write_folded(stacks, out)
            folded.done(f"of {len(stacks)} stacks ({weight_unit(metric)})")
        if svg_path:
            _write_svg(stacks, svg, metric)
    if folded_path == "-" and output.path is None:
        pass  # stdout carries the folded stacks, for a pipe into flamegraph.pl or inferno
    else:
        _write_report(output, as_json, comparison, floor, threshold_text, reasons, fail_if_slower, verdict,
                      differences)
        output.done()
    if limit is not None and differences:
        say("gotrace: not gating: traces recorded differently cannot tell a slower build from a different "
            "recording")
        sys.exit(UNLIKE_EXIT)
    if reasons:
        # not click's Exit: gotrace.cli.main runs click with standalone_mode=False, which turns it into 0
        sys.exit(GATE_EXIT)


def _write_report(output, as_json, comparison, floor, threshold_text, reasons, fail_if_slower, verdict,
                  differences) -> None:
    with output.open() as out:
        if as_json:
            render_json(comparison, floor, reasons, out, verdict, differences)
        else:
            render_table(comparison, floor, threshold_text, out)
            for reason in reasons:
                out.write(f"slower than {fail_if_slower}: {reason}\n")


def _write_svg(stacks, svg: Output, metric: str) -> None:
    from gotrace.render.svg import FlameError, FlameOptions, render_svg

    what = "memory-time, peak RSS x wall" if metric == "rss" else METRICS[metric][0]
    options = FlameOptions(title=f"Differential flame graph ({what})",
                           subtitle="width: after; red: grew, blue: shrank", countname=weight_unit(metric),
                           nametype="Frame:", root="build")
    # the renderer draws its own root frame; the folded stacks already start with "build"
    stacks = {stack[1:]: values for stack, values in stacks.items()}
    try:
        with svg.open() as out:
            render_svg(stacks, out, options)
    except FlameError as e:
        raise click.ClickException(str(e)) from None
    svg.done(hint="open it in a browser")
