"""What wrapping cgo's C compiler costs, measured side by side in one run.

A generated cgo-heavy module (BENCH_C_FILES C files, default 60, in two cgo packages) is built
untraced, traced without the compiler wrapper (`gotrace run --no-wrap-cc`) and traced with it
(`gotrace run`, the default), alternating, for BENCH_ROUNDS rounds (default 3). Each round gives the
cgo packages a new cache key (a stamp file) so that every C file compiles again while the standard
library comes from the shared cache: the difference is the C compiler wrapping. Then one cold traced
build of samples/multi reports coverage and its longest gap between recorded tools.

    python benchmarks/bench_cgo.py
    BENCH_ROUNDS=5 BENCH_C_FILES=120 python benchmarks/bench_cgo.py
"""
from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

BIN = Path(sys.executable).parent
GOTRACE = str(BIN / "gotrace")
ROOT = Path(__file__).resolve().parent.parent

C_FILE = """#include <stdint.h>
#include <string.h>

/* some work for the C compiler: a table-driven checksum and a small sort */
static const uint32_t table_{n}[16] = {{{table}}};

uint32_t checksum_{n}(const unsigned char *p, size_t len) {{
	uint32_t h = {n}u;
	for (size_t i = 0; i < len; i++) {{
		h = (h >> 4) ^ table_{n}[(h ^ p[i]) & 15];
		h = (h >> 4) ^ table_{n}[(h ^ (p[i] >> 4)) & 15];
	}}
	return h;
}}

void sort_{n}(int *xs, size_t n) {{
	for (size_t i = 1; i < n; i++) {{
		int x = xs[i];
		size_t j = i;
		while (j > 0 && xs[j - 1] > x) {{
			xs[j] = xs[j - 1];
			j--;
		}}
		xs[j] = x;
	}}
}}
"""


def write_module(root: Path, files: int) -> list[str]:
    (root / "go.mod").write_text("module example.com/cgobench\n\ngo 1.27\n")
    packages = ["ca", "cb"]
    for p, name in enumerate(packages):
        pkg = root / name
        pkg.mkdir()
        mine = range(p, files, len(packages))
        decls = "\n".join(f"uint32_t checksum_{n}(const unsigned char *p, size_t len);" for n in mine)
        calls = " + ".join(f"uint32(C.checksum_{n}(p, n))" for n in mine)
        (pkg / f"{name}.go").write_text(
            f"package {name}\n\n/*\n#include <stdint.h>\n#include <stddef.h>\n{decls}\n*/\nimport \"C\"\n\n"
            "import \"unsafe\"\n\n// Sum checksums b with every C function of the package.\n"
            "func Sum(b []byte) uint32 {\n\tif len(b) == 0 {\n\t\treturn 0\n\t}\n"
            "\tp, n := (*C.uchar)(unsafe.Pointer(&b[0])), C.size_t(len(b))\n"
            f"\treturn {calls}\n}}\n")
        for n in mine:
            table = ", ".join(f"0x{(n * 2654435761 + i * 40503) & 0xffffffff:08x}u" for i in range(16))
            (pkg / f"c{n:03d}.c").write_text(C_FILE.format(n=n, table=table))
    (root / "main.go").write_text(
        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/cgobench/ca\"\n\t\"example.com/cgobench/cb\"\n)\n\n"
        "func main() { fmt.Println(ca.Sum([]byte(\"x\")) + cb.Sum([]byte(\"y\"))) }\n")
    return packages


def stamp(root: Path, packages: list[str]) -> None:
    for name in packages:
        (root / name / "stamp.go").write_text(f"package {name}\n\n// stamp {uuid.uuid4()}\n")


def timed(argv: list[str], cwd: Path, env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def count_c_compiles(trace: Path) -> int:
    from gotrace.analysis.coverage import is_c_compile
    from gotrace.events import read_events

    events, _ = read_events(str(trace))
    return sum(1 for e in events if is_c_compile(e))


def c_wrapping(rounds: int, files: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-cgo-"))
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", GOCACHE=str(tmp / "cache"),
               GOTOOLCHAIN="local", GOPROXY="off")
    try:
        module = tmp / "module"
        module.mkdir()
        packages = write_module(module, files)
        out = ["-o", str(tmp / "bin") + "/"]
        subprocess.run(["go", "build", *out, "."], cwd=module, env=env, check=True)  # warm the standard library
        trace = tmp / "t.jsonl"
        kinds = {
            "untraced go build": ["go", "build", *out, "."],
            "gotrace run --no-wrap-cc": [GOTRACE, "run", "-q", "--no-wrap-cc", "--trace", str(trace), "--",
                                         "go", "build", *out, "."],
            "gotrace run (C compiles wrapped)": [GOTRACE, "run", "-q", "--trace", str(trace), "--",
                                                 "go", "build", *out, "."],
        }
        walls: dict[str, list[float]] = {k: [] for k in kinds}
        wrapped = 0
        for r in range(rounds):
            order = list(kinds) if r % 2 == 0 else list(reversed(kinds))  # load hits every kind alike
            for name in order:
                stamp(module, packages)
                walls[name].append(timed(kinds[name], module, env))
                if name.startswith("gotrace run (C"):
                    wrapped = count_c_compiles(trace)
        base = statistics.median(walls["untraced go build"])
        print(f"cgo-heavy module: {files} C files in {len(packages)} cgo packages, {rounds} alternating rounds, "
              f"std from the cache ({wrapped} C compiler records per wrapped build)")
        for name, values in walls.items():
            med = statistics.median(values)
            print(f"  {name:34s} median wall {med:7.2f} s   ratio to untraced {med / base:5.3f}x   "
                  f"(runs: {', '.join(f'{v:.2f}' for v in values)})")
        added = statistics.median(walls["gotrace run (C compiles wrapped)"]) - statistics.median(
            walls["gotrace run --no-wrap-cc"])
        print(f"  C compiler wrapping adds {added:+.2f} s median wall over tracing without it "
              f"({added / max(wrapped, 1) * 1e3:+.1f} ms per C compile)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def multi_gaps() -> None:
    from gotrace.analysis.coverage import coverage
    from gotrace.events import read_events

    tmp = Path(tempfile.mkdtemp(prefix="bench-cgo-multi-"))
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", GOTOOLCHAIN="local",
               GOPROXY="off")
    try:
        module = tmp / "multi"
        shutil.copytree(ROOT / "samples" / "multi", module)
        trace = tmp / "multi.jsonl"
        subprocess.run([GOTRACE, "run", "-q", "--cold", "--trace", str(trace), "--", "go", "build", "./..."],
                       cwd=module, env=env, check=True)
        events, _ = read_events(str(trace), include_probes=True)
        c = coverage(events)
        longest = c.gaps[0] if c.gaps else None
        print(f"samples/multi cold traced build: coverage {100 * c.share:.1f}% of {c.span_ns / 1e9:.1f} s; "
              + (f"longest gap {longest.wall_ns / 1e9:.2f} s at {longest.start_ns / 1e9:.1f} s; "
                 f"gaps over 0.5 s: {sum(1 for g in c.gaps if g.wall_ns > 5e8)}" if longest else "no gap")
              + f"; load average {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    c_wrapping(int(os.environ.get("BENCH_ROUNDS", "3")), int(os.environ.get("BENCH_C_FILES", "60")))
    multi_gaps()
