"""Plain text for people: numbers written alike in every output (seconds, MiB, percent), padded
tables, and safety. Names from a trace (a package, a tool, a go command) may hold ESC, BEL or other
control characters that would retitle, recolour or clear the user's terminal; every text output
escapes them here, the one place: `printable` for a string, `PrintableText` for a stream.

Neither analysis/ nor render/: both use it (analysis/ must not import render/).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import BinaryIO, TextIO

# C0 controls except tab and newline (which text needs), DEL, and C1 controls (U+0080-U+009F:
# some terminals read U+009B as ESC [)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _escape(match: re.Match) -> str:
    return f"\\x{ord(match.group()):02x}"


def printable(text: str) -> str:
    """`text` with every control character but tab and newline written as `\\xNN`."""
    return _CONTROL.sub(_escape, text)


# DEL and the C1 controls, which JSON encoders leave as they are (orjson; json.dumps escapes them
# but for ensure_ascii=False): in JSON, `printable`'s \x7f would be an escape JSON does not have
_JSON_CONTROL = re.compile("[\x7f-\x9f]")


def _json_escape(match: re.Match) -> str:
    return f"\\u{ord(match.group()):04x}"


def printable_json(raw: bytes) -> str:
    """UTF-8 JSON as orjson writes it, as text with DEL and the C1 controls written as \\u escapes,
    as the C0 controls are already: the same data, and nothing `printable` changes or a terminal
    acts on."""
    text = raw.decode("utf-8")
    if b"\x7f" in raw or b"\xc2" in raw:  # (a C1 control's UTF-8 begins with \xc2)
        text = _JSON_CONTROL.sub(_json_escape, text)
    return text


_JSON_CONTROL_BYTES = re.compile(b"\x7f|\xc2[\x80-\x9f]")  # the same, in UTF-8


def _json_escape_bytes(match: re.Match) -> bytes:
    return b"\\u%04x" % ord(match.group().decode())


class PrintableJSON:
    """A binary stream of UTF-8 JSON (as orjson writes it) onto a terminal, with DEL and the C1
    controls as \\u escapes (`printable_json`). A write that ends between the two bytes of a C1
    control keeps its last byte for the next write, or for `close`."""

    def __init__(self, out: BinaryIO):
        self.out = out
        self.held = b""

    def write(self, data: bytes) -> int:
        whole = self.held + bytes(data)
        cut = len(whole) - 1 if whole.endswith(b"\xc2") else len(whole)
        self.held = whole[cut:]
        self.out.write(_JSON_CONTROL_BYTES.sub(_json_escape_bytes, whole[:cut]))
        return len(data)

    def flush(self) -> None:
        self.out.flush()

    def close(self) -> None:
        """Write what is held (an output never ends inside a character) and flush."""
        self.out.write(self.held)
        self.held = b""
        self.out.flush()


class PrintableText:
    """A text stream that writes `printable(text)` to the stream it wraps."""

    def __init__(self, out: TextIO):
        self.out = out

    def write(self, text: str) -> int:
        return self.out.write(printable(text))

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def write_printable(self, text: str) -> int:
        """Write `text` that holds no control character already (JSON from orjson and
        `printable_json`) without a second look: a report's page data is a hundred megabytes."""
        return self.out.write(text)

    def flush(self) -> None:
        self.out.flush()


def write_table(out: TextIO, headers: Sequence[str], rows: Sequence[Sequence[str]], *,
                right: Sequence[int] = (), indent: str = "  ") -> None:
    """Write `rows` under `headers`; columns whose index is in `right` are right-aligned."""
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(cells: Sequence[str]) -> str:
        parts = [c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(cells)]
        return (indent + "  ".join(parts)).rstrip() + "\n"

    out.write(line(headers))
    for row in rows:
        out.write(line(row))


def seconds(ns: int) -> str:
    return f"{ns / 1e9:.2f}s"


def seconds_or_unknown(ns: int | None) -> str:
    """A duration the trace may not know (CPU time of an imported debug trace): never 0 for unknown."""
    return "unknown" if ns is None else seconds(ns)


def mebibytes(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def percent(value: float) -> str:
    return f"{value:.1f}%"
