"""The flame-graph SVG: geometry, pruning, escaping, input handling and options, read back as XML."""
from __future__ import annotations

import io
import random
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gotrace.collapse import fold_events, write_folded
from gotrace.events import read_events
from gotrace.render.flame.external_sort import sorted_stacks
from gotrace.render.svg import XPAD, FlameOptions, guess_total, render_folded, render_svg

from .conftest import run_gotrace

SVG = "{http://www.w3.org/2000/svg}"


def frames_of(svg: str) -> list[dict]:
    """Every drawn frame: name, depth, value and the rect's geometry."""
    root = ET.fromstring(svg.encode())
    out = []
    for g in root.find(f".//{SVG}g[@id='frames']"):
        rect = g.find(f"{SVG}rect")
        title = g.find(f"{SVG}title").text
        out.append({"name": re.sub(r" \([^(]*\)$", "", title), "title": title, "depth": int(g.get("data-d")),
                    "start": float(g.get("data-x")), "value": float(g.get("data-w")),
                    "x": float(rect.get("x")), "y": float(rect.get("y")), "width": float(rect.get("width")),
                    "fill": rect.get("fill"), "label": g.find(f"{SVG}text").text or ""})
    return out


def svg_of(stacks, **options) -> str:
    out = io.StringIO()
    render_svg(stacks, out, FlameOptions(**options))
    return out.getvalue()


def svg_of_text(text: bytes, **options) -> str:
    out = io.StringIO()
    render_folded(io.BytesIO(text), out, FlameOptions(**options))
    return out.getvalue()


def expected_frames(stacks: dict, ratio: float) -> set[tuple[int, str, float]]:
    """(depth, name, value) of every frame at least ratio * total wide, by summing prefixes."""
    total = sum(stacks.values())
    prefixes: dict[tuple, float] = {}
    for key, value in stacks.items():
        for i in range(1, len(key) + 1):
            prefixes[key[:i]] = prefixes.get(key[:i], 0) + value
    return {(len(k), k[-1], v) for k, v in prefixes.items() if v > 0 and v >= ratio * total}


SAMPLE = {("main", "parse", "lex"): 30, ("main", "parse"): 10, ("main", "eval"): 45, ("gc",): 15}


def test_svg_parses_as_xml_with_one_frame_per_distinct_prefix():
    frames = frames_of(svg_of(SAMPLE))
    assert [(f["depth"], f["name"], f["value"]) for f in frames] == [
        (0, "all", 100), (1, "gc", 15), (1, "main", 85), (2, "eval", 45), (2, "parse", 40), (3, "lex", 30)]


def test_frame_widths_are_proportional_to_values():
    width = 1000
    frames = frames_of(svg_of(SAMPLE, width=width))
    usable = width - 2 * XPAD
    for f in frames:
        assert f["width"] == pytest.approx(f["value"] / 100 * usable, abs=0.01)
        assert f["x"] == pytest.approx(XPAD + f["start"] / 100 * usable, abs=0.01)
    main = next(f for f in frames if f["name"] == "main")
    lex = next(f for f in frames if f["name"] == "lex")
    assert main["width"] / lex["width"] == pytest.approx(85 / 30, rel=1e-3)


def test_children_sit_on_their_parent_inside_its_span():
    frames = frames_of(svg_of(SAMPLE))
    main = next(f for f in frames if f["name"] == "main")
    for child in (f for f in frames if f["name"] in ("parse", "eval")):
        assert child["y"] < main["y"]
        assert main["x"] - 1e-6 <= child["x"] and child["x"] + child["width"] <= main["x"] + main["width"] + 0.01


def random_stacks(rng: random.Random, n: int) -> dict:
    names = ["a", "a.b", "a b", "b", "c", "main", "main.f", "x"]
    stacks = {}
    for _ in range(n):
        key = tuple(rng.choice(names) for _ in range(rng.randint(1, 7)))
        stacks[key] = stacks.get(key, 0) + rng.choice([1, 1, 2, 5, 40, 1000])
    return stacks


@pytest.mark.parametrize("minwidth", [0.1, 2.0, 25.0])
def test_exactly_the_frames_wider_than_minwidth_are_drawn(minwidth):
    stacks = random_stacks(random.Random(7), 3000)
    frames = frames_of(svg_of(stacks, minwidth=minwidth))
    drawn = {(f["depth"], f["name"], f["value"]) for f in frames if f["depth"] > 0}
    assert drawn == expected_frames(stacks, minwidth / (1200 - 2 * XPAD))
    assert all(f["width"] >= minwidth - 0.01 for f in frames)


def test_minwidth_as_a_percentage_of_the_total():
    stacks = random_stacks(random.Random(3), 2000)
    frames = frames_of(svg_of(stacks, minwidth_percent=1.0))
    assert {(f["depth"], f["name"], f["value"]) for f in frames if f["depth"]} == expected_frames(stacks, 0.01)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.lists(st.sampled_from(["a", "a.b", "a b", "ab", "b", "\u00e9", "z"]),
                                min_size=1, max_size=6).map(tuple),
                       st.integers(min_value=0, max_value=50), min_size=1, max_size=40),
       st.randoms(use_true_random=False))
def test_sorted_shuffled_and_in_memory_stacks_draw_the_same_bytes(stacks, rnd):
    if sum(stacks.values()) == 0:
        return
    out = io.StringIO()
    write_folded(stacks, out)
    lines = out.getvalue().encode().splitlines(keepends=True)
    in_memory = svg_of(stacks, minwidth=0.5)
    assert svg_of_text(b"".join(lines), minwidth=0.5) == in_memory
    rnd.shuffle(lines)
    assert svg_of_text(b"".join(lines), minwidth=0.5) == in_memory


def test_names_are_escaped_and_run_nothing():
    evil = "<script>alert(1)</script>"
    svg = svg_of_text(f"main;{evil} 5\nmain;a&b \"q\" 'x' 3\n".encode() + b"main;\xff\xfebad 2\n")
    root = ET.fromstring(svg.encode())
    assert len(root.findall(f".//{SVG}script")) == 1, "only the graph's own script"
    names = {f["name"] for f in frames_of(svg)}
    assert {evil, "a&b \"q\" 'x'", "\ufffd\ufffdbad"} <= names
    assert "<script>alert" not in svg


def test_control_characters_in_names_still_give_valid_xml():
    svg = svg_of({("a\x01b", "c\x1b[31m"): 3})
    assert {f["name"] for f in frames_of(svg)} >= {"a\ufffdb", "c\ufffd[31m"}


def test_differential_lines_are_drawn_red_for_growth_and_blue_for_shrinkage():
    frames = frames_of(svg_of_text(b"main;grow 10 30\nmain;shrink 30 10\nmain;same 5 5\n"))
    by_name = {f["name"]: f for f in frames}
    assert by_name["grow"]["value"] == 30, "widths come from the second count"
    r, g, b = map(int, re.findall(r"\d+", by_name["grow"]["fill"]))
    assert r == 255 and g < 255 and b < 255
    r, g, b = map(int, re.findall(r"\d+", by_name["shrink"]["fill"]))
    assert b == 255 and r < 255 and g < 255
    assert by_name["same"]["fill"] == "rgb(250,250,250)"
    assert "+44.44%" in by_name["grow"]["title"]   # (30 - 10) / 45


def test_render_svg_takes_before_after_pairs_for_differential_graphs():
    frames = frames_of(svg_of({("a", "b"): (4, 8), ("a", "c"): (6, 2)}))
    by_name = {f["name"]: f for f in frames}
    assert by_name["b"]["value"] == 8 and by_name["c"]["value"] == 2
    assert by_name["b"]["fill"].startswith("rgb(255,") and by_name["c"]["fill"].endswith(",255)")


def test_fractional_counts_are_drawn_to_scale():
    frames = frames_of(svg_of_text(b"a;b 0.5\na;c 1.5\n"))
    by_name = {f["name"]: f for f in frames}
    assert by_name["c"]["width"] == pytest.approx(3 * by_name["b"]["width"], rel=1e-3)
    assert "0.50 samples" in by_name["b"]["title"]


def test_inverted_puts_the_root_on_top_and_flamegraph_at_the_bottom():
    normal = {f["name"]: f["y"] for f in frames_of(svg_of(SAMPLE))}
    icicle = {f["name"]: f["y"] for f in frames_of(svg_of(SAMPLE, inverted=True))}
    assert normal["all"] > normal["main"] > normal["parse"]
    assert icicle["all"] < icicle["main"] < icicle["parse"]
    assert "Icicle Graph" in svg_of(SAMPLE, inverted=True)


def test_reverse_merges_stacks_leaf_first():
    frames = frames_of(svg_of({("main", "f", "lock"): 2, ("other", "lock"): 3}, reverse=True))
    assert [(f["depth"], f["name"], f["value"]) for f in frames if f["depth"] == 1] == [(1, "lock", 5)]


def test_flamechart_keeps_input_order_and_merges_only_neighbours():
    text = b"main;a 1\nmain;b 1\nmain;a 1\n"
    chart = frames_of(svg_of_text(text, flamechart=True))
    assert [f["name"] for f in chart if f["depth"] == 2] == ["a", "b", "a"]
    graph = frames_of(svg_of_text(text))
    assert [f["name"] for f in graph if f["depth"] == 2] == ["a", "b"]


def test_labels_are_truncated_to_fit_their_frame():
    name = "a_really_long_frame_name_" * 4
    frames = frames_of(svg_of({(name,): 10, ("x",): 90}))
    label = next(f["label"] for f in frames if f["name"] == name)
    assert label.endswith("..") and len(label) < len(name)
    assert len(label) * 12 * 0.59 <= next(f["width"] for f in frames if f["name"] == name) + 1e-6


def test_palettes_colour_a_name_the_same_in_every_graph():
    for palette in ("hot", "hash", "go", "mem"):
        one = {f["name"]: f["fill"] for f in frames_of(svg_of({("compile",): 3, ("fmt",): 1}, colors=palette))}
        two = {f["name"]: f["fill"] for f in frames_of(svg_of({("x", "compile"): 9}, colors=palette))}
        assert one["compile"] == two["compile"], palette
    go = {f["name"]: f["fill"] for f in frames_of(svg_of({("p", "compile"): 1, ("p", "link"): 1,
                                                           ("p", "asm"): 1}, colors="go"))}
    assert len({go["compile"], go["link"], go["asm"], go["p"]}) == 4


def test_text_options_reach_the_svg():
    svg = svg_of(SAMPLE, title="My <title>", subtitle="sub & title", countname="bytes", notes="note -- here",
                 fonttype="DejaVu Sans", fontsize=10, width=800, frame_height=20)
    root = ET.fromstring(svg.encode())
    assert root.get("width") == "800" and root.get("font-family") == "DejaVu Sans"
    assert root.find(f"{SVG}text[@id='title']").text == "My <title>"
    assert root.find(f"{SVG}text[@id='subtitle']").text == "sub & title"
    assert "<!--NOTES: note - - here -->" in svg
    frames = frames_of(svg)
    assert frames[0]["title"] == "all (100 bytes, 100.00%)"
    assert all(g.find(f"{SVG}rect").get("height") == "19" for g in root.find(f".//{SVG}g[@id='frames']"))


def test_same_input_gives_the_same_bytes(multi_build, tmp_path):
    first = run_gotrace(["flame", str(multi_build.trace)], check=True)
    second = run_gotrace(["flame", str(multi_build.trace)], check=True)
    assert first.stdout == second.stdout and first.stdout.startswith(b"<?xml")


def test_a_trace_is_detected_by_content_and_drawn_in_microseconds(multi_build, tmp_path):
    renamed = tmp_path / "build.txt"
    renamed.write_bytes(multi_build.trace.read_bytes())
    from_file = run_gotrace(["flame", str(renamed)], check=True)
    from_stdin = run_gotrace(["flame"], input=multi_build.trace.read_bytes(), check=True)
    assert from_file.stdout == from_stdin.stdout
    frames = frames_of(from_file.stdout.decode())
    stacks = fold_events(read_events(str(multi_build.trace))[0])
    assert frames[0]["value"] == sum(stacks.values())
    assert frames[1]["name"] == "build"
    compile_ = next(f for f in frames if f["name"] == "compile")
    assert re.search(r"\((\d[\d,.]* (us|ms|s)), \d+\.\d\d%\)$", compile_["title"])


def test_folded_file_and_trace_give_the_same_frames(multi_build, tmp_path):
    folded = tmp_path / "build.folded"
    run_gotrace(["fold", str(multi_build.trace), "-o", str(folded)], check=True)
    from_folded = frames_of(run_gotrace(["flame", str(folded)], check=True).stdout.decode())
    from_trace = frames_of(run_gotrace(["flame", str(multi_build.trace)], check=True).stdout.decode())
    assert [(f["depth"], f["name"], f["value"], f["x"]) for f in from_folded] == \
        [(f["depth"], f["name"], f["value"], f["x"]) for f in from_trace]


def test_trace_options_filter_what_is_drawn(multi_build):
    result = run_gotrace(["flame", str(multi_build.trace), "--tool", "link", "--weight", "rss"], check=True)
    frames = frames_of(result.stdout.decode())
    assert {f["name"] for f in frames if f["depth"] == max(g["depth"] for g in frames)} == {"link"}
    assert "KiB" in frames[0]["title"] or "MiB" in frames[0]["title"]


def test_malformed_lines_give_one_warning_and_the_rest_is_drawn(tmp_path):
    path = tmp_path / "mixed.folded"
    path.write_bytes(b"a;b 3\ngarbage\n\n# comment\na;c x\na;c 2\n")
    result = run_gotrace(["flame", str(path), "-q"], check=True)  # -q: only the warning on stderr
    assert len(result.stderr.splitlines()) == 1
    assert b"skipped 2 malformed line(s)" in result.stderr and b"line 2" in result.stderr
    assert {f["name"] for f in frames_of(result.stdout.decode())} == {"all", "a", "b", "c"}


@pytest.mark.parametrize("content", [b"", b"\n# only a comment\n", b"no counts\nat all\n"])
def test_input_without_a_valid_line_is_a_clear_error(tmp_path, content):
    path = tmp_path / "empty.folded"
    path.write_bytes(content)
    out = tmp_path / "out.svg"
    result = run_gotrace(["flame", str(path), "-o", str(out)])
    assert result.returncode != 0 and not out.exists()
    assert len(result.stderr.splitlines()) == 1 and b"Traceback" not in result.stderr
    assert b"empty.folded" in result.stderr


def test_bad_options_are_one_line_errors(tmp_path):
    path = tmp_path / "x.folded"
    path.write_bytes(b"a 1\n")
    result = run_gotrace(["flame", str(path), "--minwidth", "wide"])
    assert result.returncode != 0 and b"--minwidth" in result.stderr and b"Traceback" not in result.stderr
    missing = run_gotrace(["flame", str(tmp_path / "nope.folded")])
    assert missing.returncode != 0 and b"nope.folded" in missing.stderr and b"Traceback" not in missing.stderr


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(
    st.builds(lambda s, n: f"{s} {n}", st.sampled_from(["a;b", "a", "x y;z", "#c", "a\tb", "", " "]),
              st.sampled_from(["1", "22", "0.5", "3.", "-1", "x", "1 2"])),
    st.sampled_from(["", "# note", "a;b\t7", "a;b 1\r", "\t", "5", "a;b  4"])), max_size=30))
def test_a_stream_and_its_lines_read_the_same(lines):
    from gotrace.collapse import FoldedReader

    text = "\n".join(lines).encode()
    streamed = FoldedReader(io.BytesIO(text))
    as_lines = FoldedReader(text.splitlines(keepends=True))
    assert list(streamed) == list(as_lines)
    assert (streamed.skipped, streamed.first_bad_line, streamed.differential) == \
        (as_lines.skipped, as_lines.first_bad_line, as_lines.differential)


@pytest.mark.parametrize("head_scale", [1000, 1])
def test_large_sorted_files_stream_to_the_same_graph_however_counts_are_spread(tmp_path, head_scale):
    # over 1 MB, the total is guessed from the first MB; a guess too high must not lose frames
    rng = random.Random(head_scale)
    stacks = {}
    for i in range(170_000):   # 3 MB, the first 20,000 lines inside the first MB
        key = (f"m{i // 10000:02d}", f"f{rng.randrange(50):02d}", f"g{i:06d}")
        stacks[key] = rng.randrange(1, 5) * (head_scale if i < 20_000 else 1)
    out = io.StringIO()
    write_folded(stacks, out)
    path = tmp_path / "big.folded"
    path.write_text(out.getvalue())
    assert path.stat().st_size > 2 << 20
    streamed = io.StringIO()
    with open(path, "rb") as f:
        guess_too_high = guess_total(f, 0) > sum(stacks.values())
        assert guess_too_high == (head_scale > 1), "the case this parameter is meant to exercise"
        f.seek(0)
        render_folded(f, streamed, FlameOptions())
    assert streamed.getvalue() == svg_of(stacks)


def with_equal_wall_times(trace, dest, wall_ns: int = 1_000_000):
    """The real trace with every record's wall time set to `wall_ns`: start order is the build's, but
    no frame's width depends on how busy the machine was (a 1 ms asm next to a 3 s link would fall
    under the width limit on one run and not on another)."""
    import json

    lines = []
    for line in trace.read_text().splitlines():
        record = json.loads(line)
        if "wall_ns" in record:
            record["wall_ns"] = wall_ns
        lines.append(json.dumps(record))
    dest.write_text("\n".join(lines) + "\n")
    return dest


def test_flamechart_of_a_trace_lays_tools_out_in_start_order(multi_build, tmp_path):
    trace = with_equal_wall_times(multi_build.trace, tmp_path / "equal.jsonl")
    events = sorted((e for e in read_events(str(trace))[0] if not e.cached),
                    key=lambda e: (e.start_ns, e.tool, e.pkg))
    result = run_gotrace(["flame", str(trace), "--flamechart", "--grouping", "flat"], check=True)
    frames = frames_of(result.stdout.decode())
    assert "Build time: tools in start order" in result.stdout.decode()
    assert "Flame Chart" in svg_of(SAMPLE, flamechart=True)
    packages = [f["name"] for f in sorted((f for f in frames if f["depth"] == 2), key=lambda f: f["start"])]
    expected = [e.pkg for i, e in enumerate(events) if i == 0 or e.pkg != events[i - 1].pkg]
    assert packages == expected, "neighbouring invocations of one package merge, nothing else"
    assert frames[0]["value"] == sum(fold_events(events, grouping="flat").values())


def test_a_trace_of_a_fully_cached_build_says_so(tmp_path):
    trace = tmp_path / "cached.jsonl"
    trace.write_text('{"v":1,"build":"b","tool":"compile","pkg":"","start_ns":1,"wall_ns":5,"probe":true}\n')
    result = run_gotrace(["flame", str(trace)])
    assert result.returncode != 0 and b"cached" in result.stderr and b"Traceback" not in result.stderr


@pytest.mark.parametrize("run_keys", [1, 7, 10_000])
def test_unsorted_stacks_spilled_in_sorted_runs_merge_to_the_same_order(run_keys):
    from gotrace.collapse import FoldedReader

    rng = random.Random(run_keys)
    stacks = random_stacks(rng, 500)
    lines = [f"{';'.join(k)} {v}\n".encode() for k, v in stacks.items()] * 2
    lines.append(b"a;b 0.5 2\n")
    rng.shuffle(lines)
    merged: dict[bytes, list] = {}
    records, total = sorted_stacks(FoldedReader(lines), run_keys=run_keys)
    assert total == 2 * sum(stacks.values()) + 2
    for key, value, before in records:
        merged.setdefault(key, []).append((value, value if before is None else before))
    keys = list(merged)
    assert keys == sorted(keys) and len(keys) == len(set(stacks) | {("a", "b")})
    # (after, before) summed over all runs
    sums = {tuple(k.decode().split("\0")): tuple(map(sum, zip(*v))) for k, v in merged.items()}
    expected = {k: (2 * v, 2 * v) for k, v in stacks.items()}
    after, before = expected.get(("a", "b"), (0, 0))
    expected[("a", "b")] = (after + 2, before + 0.5)
    assert sums == expected


# shaped like FlameGraph's test/results/perf-cycles-instructions-01-collapsed-all.txt: perf's
# stackcollapse output with kernel frames annotated _[k] (and a JIT _[j], an inlined _[i] frame)
PERF_ANNOTATED = b"""\
dd;[unknown];__GI___libc_read;entry_SYSCALL_64_fastpath_[k];sys_read_[k];vfs_read_[k];__vfs_read_[k];urandom_read_[k];extract_crng_user_[k] 70
dd;[unknown];__GI___libc_read;entry_SYSCALL_64_fastpath_[k];sys_read_[k];vfs_read_[k];fsnotify_[k] 3
dd;[unknown];__GI___libc_write;entry_SYSCALL_64_fastpath_[k];sys_write_[k];vfs_write_[k] 12
java;Interpreter_[j];io/netty/Channel:.read_[j];Unsafe_CopyMemory_[i] 15
"""


def test_perf_annotations_are_stripped_from_labels_and_colour_the_frame():
    frames = frames_of(svg_of_text(PERF_ANNOTATED))
    names = {f["name"] for f in frames}
    assert {"vfs_read", "sys_write", "entry_SYSCALL_64_fastpath", "Interpreter", "Unsafe_CopyMemory"} <= names
    assert not [n for n in names if re.search(r"_\[[kijw]\]$", n)], "flamegraph.pl shows vfs_read, not vfs_read_[k]"
    vfs_read = next(f for f in frames if f["name"] == "vfs_read")
    assert vfs_read["title"] == "vfs_read (73 samples, 73.00%)" and vfs_read["label"].startswith("vfs_read")

    def rgb(frame):
        return tuple(int(c) for c in re.fullmatch(r"rgb\((\d+),(\d+),(\d+)\)", frame["fill"]).groups())

    kernel = [rgb(f) for f in frames if f["name"] in ("sys_read", "vfs_read", "fsnotify", "vfs_write")]
    assert all(r >= 190 and 90 <= g <= 155 and b == 0 for r, g, b in kernel), "kernel frames are orange"
    jit = [rgb(f) for f in frames if f["name"] in ("Interpreter", "io/netty/Channel:.read")]
    assert all(g >= 200 and r == b for r, g, b in jit), "JIT frames are green"
    inlined = rgb(next(f for f in frames if f["name"] == "Unsafe_CopyMemory"))
    assert inlined[1] == inlined[2] and inlined[0] < inlined[1], "inlined frames are aqua"
    user = rgb(next(f for f in frames if f["name"] == "__GI___libc_read"))
    assert user[2] <= 55 and user[0] >= 205, "unannotated frames keep the palette's (hot) colours"


def test_go_palette_paints_tools_in_the_shared_tool_colours_and_packages_quietly():
    from gotrace.palette import TOOL_COLOURS, tool_colour

    stacks = {("build", "std", "runtime/cgo", "cgo"): 5, ("build", "std", "runtime/cgo", "compile"): 20,
              ("build", "internal/runtime/", "internal/runtime/atomic", "asm"): 3,
              ("build", "example.com/m", "link"): 10}
    svg = svg_of(stacks, colors="go", root="compile")
    frames = frames_of(svg)
    fills = {(f["depth"], f["name"]): f["fill"] for f in frames}
    for tool in ("cgo", "compile", "asm", "link"):
        assert {fill for (depth, name), fill in fills.items() if name == tool and depth > 2} == {tool_colour(tool)}
    tool_fills = set(TOOL_COLOURS.values())
    for (depth, name), fill in fills.items():
        if name not in TOOL_COLOURS or depth == 0:   # packages (full paths), directories, the root
            assert fill not in tool_fills, (name, fill)
    assert fills[(0, "compile")] != tool_colour("compile"), "the root is not the compile tool"
    legend = ET.fromstring(svg.encode()).find(f".//{SVG}g[@id='legend']")
    shown = [(g.get("data-tool"), g.find(f"{SVG}rect").get("fill")) for g in legend]
    assert shown == [(t, tool_colour(t)) for t in ("compile", "asm", "link", "cgo")], \
        "one swatch per tool drawn, in the palette's order, in the timeline's colours"


def test_only_go_graphs_have_a_legend():
    assert "id=\"legend\"" not in svg_of({("compile",): 1}, colors="hot")
    assert "id=\"legend\"" not in svg_of({("main", "parse"): 1}, colors="go")


def test_the_reports_flame_graph_is_fluid_and_ready_to_inline(multi_build):
    from gotrace.render.report import flame_svg

    svg, why = flame_svg(read_events(str(multi_build.trace))[0], "go build ./...")
    assert svg is not None, why
    root = ET.fromstring(svg.encode())
    assert root.get("width") == "100%" and "fluid" in root.get("class").split()
    assert not svg.startswith("<?xml"), "no XML prolog inside an HTML page"
    assert root.find(f".//{SVG}g[@id='legend']") is not None
