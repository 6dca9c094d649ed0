"""Bytes to text (PEP 263, BOM), lines as Python counts them, byte to character columns."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from layercheck.model import Location
from layercheck.source import (
    DecodeError,
    LineIndex,
    decode_source,
    detect_encoding,
    read_regular_file,
    split_lines,
)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"x = 1\n", ("utf-8", False)),
        (b"\xef\xbb\xbfx = 1\n", ("utf-8", True)),
        (b"# -*- coding: latin-1 -*-\n", ("iso8859-1", False)),
        (b"#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\n", ("cp1252", False)),
        (b"\n# coding=utf-8\n", ("utf-8", False)),
        (b"x = 1\n# coding: latin-1\n", ("utf-8", False)),  # line 2 after code: ignored
        (b"# one\n# two\n# coding: latin-1\n", ("utf-8", False)),  # line 3: ignored
        (b"\xef\xbb\xbf# coding: utf-8\n", ("utf-8", True)),
    ],
)
def test_detect_encoding(data: bytes, expected: tuple[str, bool]) -> None:
    assert detect_encoding(data) == expected


def test_decode_latin1_and_bom() -> None:
    assert decode_source("# coding: latin-1\nx = 'é'\n".encode("latin-1")) == (
        "# coding: latin-1\nx = 'é'\n"
    )
    assert decode_source(b"\xef\xbb\xbfx = 1\n") == "x = 1\n"
    for spelled in (b"utf-8", b"UTF_8", b"utf-8-sig"):
        assert decode_source(b"\xef\xbb\xbf# coding: " + spelled + b"\nx = 1\n") == (
            "# coding: " + spelled.decode() + "\nx = 1\n"
        )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"x = 1\n\xff\n", "invalid utf-8 byte at line 2"),
        (b"x = '\x00'\n", "NUL bytes"),
        (b"# coding: nope\n", "unknown encoding"),
        (b"\xef\xbb\xbf# coding: latin-1\n", "BOM"),
        # The interpreter refuses these spellings of UTF-8 beside a BOM (found by fuzzing).
        (b"\xef\xbb\xbf#coding:utf\n\x01", "BOM"),
        (b"\xef\xbb\xbf# coding: UTF8\nx = 1\n", "BOM"),
        (b"# coding: ascii\nx = '\xc3\xa9'\n", "invalid ascii byte at line 2"),
    ],
)
def test_decode_errors(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        decode_source(data)


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("a\nb\n", ("a", "b")),
        ("a\r\nb", ("a", "b")),
        ("a\rb\r", ("a", "b")),
        ("a\x0cb\n", ("a\x0cb",)),  # a form feed is not a line break for Python
        ("s = 'a\u2028b'\nc\n", ("s = 'a\u2028b'", "c")),
        ("a\x1cb\x85c\n", ("a\x1cb\x85c",)),
        ("", ()),
        ("\n", ("",)),
    ],
)
def test_split_lines_counts_like_python(text: str, lines: tuple[str, ...]) -> None:
    assert split_lines(text) == lines


def test_line_index_converts_byte_offsets_to_characters() -> None:
    text = "x = 1\ns = 'éé'; call()\nt = 'a\u2028b'; z()\n"
    calls = [node for node in ast.walk(ast.parse(text)) if isinstance(node, ast.Call)]
    index = LineIndex.from_text(text)
    # `s = 'éé'; ` is 10 characters (12 bytes); `t = 'a\u2028b'; ` is 11 (13 bytes).
    assert [index.span(call) for call in calls] == [
        (Location(2, 11), Location(2, 17)),
        (Location(3, 12), Location(3, 15)),
    ]


def test_line_index_ascii_and_out_of_range() -> None:
    index = LineIndex.from_text("abc\n")
    assert index.location(1, 2) == Location(1, 3)
    assert index.line(0) == index.line(5) == ""


@pytest.mark.parametrize("size", [0, 1, 4096, (1 << 16) + 3, 3 * (1 << 16)])
def test_a_file_is_read_whole_with_its_status(tmp_path: Path, size: int) -> None:
    path = tmp_path / "m.py"
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    path.write_bytes(data)
    found, status = read_regular_file(path)
    assert found == data
    assert status.st_size == size
    assert status.st_ino == path.stat().st_ino


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_what_is_no_regular_file_is_refused_and_closed(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)
    before = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0
    for _ in range(3):
        with pytest.raises(OSError, match="not a regular file"):
            read_regular_file(fifo)
    if before:
        assert len(os.listdir("/proc/self/fd")) == before
    with pytest.raises(FileNotFoundError):
        read_regular_file(tmp_path / "missing.py")
