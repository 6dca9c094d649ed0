"""Bytes to text to tree: strict decoding (PEP 263, BOM) and ast position conversion."""

from __future__ import annotations

import ast
import codecs
import errno
import os
import re
import stat
from pathlib import Path
from typing import Final

from layercheck.model import Location

# PEP 263: the cookie may sit on line 1, or line 2 when line 1 is a comment too.
_COOKIE_RE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
_BLANK_OR_COMMENT_RE = re.compile(rb"^[ \t\f]*(?:[#\r\n]|$)")


_CHUNK: Final = 1 << 16


class DecodeError(Exception):
    """The bytes are not text layercheck can read; the message says why."""


def read_regular_file(path: Path | str) -> tuple[bytes, os.stat_result]:
    """The file's bytes, and its status when it was opened. A FIFO or device named `x.py`
    would block or never end: it is opened without blocking (no effect on regular files)
    and refused."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        # Read with the descriptor alone: a file object for each file read (twice per
        # file on a cold run) cost more than the reads. To the end, as `read()` would,
        # should the file have grown since its status was taken.
        chunks = [os.read(descriptor, status.st_size + 1)]
        while chunks[-1]:
            chunks.append(os.read(descriptor, _CHUNK))
        return b"".join(chunks), status
    finally:
        os.close(descriptor)


def _cookie(line: bytes) -> str | None:
    match = _COOKIE_RE.match(line)
    return match.group(1).decode("ascii") if match else None


def detect_encoding(data: bytes) -> tuple[str, bool]:
    """Return (codec name, has_utf8_bom) following PEP 263 and PEP 3120."""
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[3:] if bom else data
    lines = body.split(b"\n", 2)
    name = _cookie(lines[0]) if lines else None
    if name is None and len(lines) > 1 and _BLANK_OR_COMMENT_RE.match(lines[0]):
        name = _cookie(lines[1])
    if name is None:
        return "utf-8", bom
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        raise DecodeError(f"unknown encoding in coding cookie: {name!r}") from None
    if bom and _normal_name(name) != "utf-8":
        raise DecodeError(f"UTF-8 BOM conflicts with coding cookie {name!r}")
    return codec, bom


def _normal_name(name: str) -> str:
    """The cookie's name as the interpreter compares it with a BOM: only `utf-8` spelled
    with `-` or `_` (and a suffix such as `-sig`) is UTF-8 there; `utf8` and `utf` are
    refused, though `codecs` knows them."""
    spelled = name[:12].lower().replace("_", "-")
    if spelled == "utf-8" or spelled.startswith("utf-8-"):
        return "utf-8"
    return name


def decode_source(data: bytes) -> str:
    """Decode strictly: any invalid byte anywhere makes the whole file unreadable."""
    if b"\x00" in data:
        raise DecodeError("file contains NUL bytes (binary file?)")
    codec, bom = detect_encoding(data)
    body = data[3:] if bom else data
    try:
        return body.decode(codec)
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        raise DecodeError(f"invalid {codec} byte at line {line}: {exc.reason}") from None


_EOL_RE = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> tuple[str, ...]:
    """Lines as Python numbers them. `str.splitlines` also breaks at form feeds, U+2028
    and other characters that may sit inside a line or a string, shifting every row."""
    lines = _EOL_RE.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return tuple(lines)


def parse(text: str, filename: str) -> ast.Module:
    return ast.parse(text, filename=filename, type_comments=False)


class LineIndex:
    """Converts ast's UTF-8 byte columns into 1-based character columns. The text is split
    into lines on the first question: most files end with no finding and never ask."""

    __slots__ = ("_lines", "_text")

    def __init__(self, text: str) -> None:
        self._text: str | None = text
        self._lines: tuple[str, ...] | None = None

    @classmethod
    def from_text(cls, text: str) -> LineIndex:
        return cls(text)

    @property
    def lines(self) -> tuple[str, ...]:
        found = self._lines
        if found is None:
            assert self._text is not None
            found = self._lines = split_lines(self._text)
            self._text = None
        return found

    def line(self, row: int) -> str:
        return self.lines[row - 1] if 0 < row <= len(self.lines) else ""

    def location(self, lineno: int, col_offset: int) -> Location:
        text = self.line(lineno)
        if text.isascii():
            return Location(lineno, col_offset + 1)
        prefix = text.encode("utf-8")[:col_offset].decode("utf-8", errors="ignore")
        return Location(lineno, len(prefix) + 1)

    def span(self, node: ast.AST) -> tuple[Location, Location]:
        lineno: int = getattr(node, "lineno", 1)
        col: int = getattr(node, "col_offset", 0)
        end_lineno: int | None = getattr(node, "end_lineno", None)
        end_col: int | None = getattr(node, "end_col_offset", None)
        start = self.location(lineno, col)
        if end_lineno is None or end_col is None:
            return start, start
        return start, self.location(end_lineno, end_col)
