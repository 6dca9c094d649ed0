"""Hostile input, generated: layercheck never crashes, whatever the bytes or the config.

Invariants, for every generated input:
- a source file gives exit 0 or 1, never a traceback, and JSON output that parses, with
  every finding inside the file (1-based row within its lines, column within the line);
- a config file gives exit 0, 1 or 2, and exit 2 comes with one `layercheck: error:` line;
- the flake8 plugin yields findings inside the file and never raises.

The default profile is bounded for CI (about a minute in all); `HYPOTHESIS_PROFILE=long`
runs far more examples (see the README's "Fuzzing").
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import tokenize
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import FIXTURES

from layercheck.cli import main
from layercheck.config.options import OPTIONS
from layercheck.flake8_plugin import LayercheckPlugin

settings.register_profile(
    "ci",
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "long",
    max_examples=3000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REAL_SOURCES = sorted(
    path.read_bytes()
    for path in FIXTURES.rglob("*.py")
    if path.stat().st_size < 20_000 and "__pycache__" not in path.parts
)
"""The bundled fixture apps: real shapes of routes, services, models and migrations."""


def _parses(data: bytes) -> bool:
    try:
        ast.parse(data)
    except (SyntaxError, ValueError):
        return False
    return b"__future__" not in data


VALID_SOURCES = [data for data in REAL_SOURCES if _parses(data)]

# Where a fuzzed file sits decides which rules look at it: every layer gets its turn.
PLACES = (
    "app/services/target.py",
    "app/routes/target.py",
    "app/repositories/target.py",
    "app/models/target.py",
    "app/schemas/target.py",
    "alembic/versions/target.py",
)
NEIGHBOURS = {
    "app/__init__.py": b"",
    "app/models/base.py": (
        b"from sqlalchemy.orm import DeclarativeBase\n\n\nclass Base(DeclarativeBase):\n    pass\n"
    ),
    "app/repositories/users.py": b"def load(session, user_id):\n    return None\n",
    "alembic/env.py": b"from alembic import context\n",
}


def _project(root: Path, place: str, data: bytes) -> Path:
    for relative, neighbour in NEIGHBOURS.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(neighbour)
    target = root / place
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


def _run(root: Path, *args: str) -> Result:
    # In process: a fuzz run is thousands of examples, a subprocess each is too slow.
    return CliRunner().invoke(
        main, ["--no-cache", "--isolated", "--output-format", "json", *args, str(root)]
    )


def _lines(data: bytes) -> list[str] | None:
    """The file's lines as the checker reads them, or None when it cannot be decoded."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        return None
    text = text.removeprefix("\ufeff")
    # Python's lines end at \n, \r or \r\n only (str.splitlines also splits at \f, \v...).
    return re.split(r"\r\n|\r|\n", text)


def _inside(lines: list[str] | None, row: int, column: int) -> bool:
    if lines is None:
        return row == 1 and column >= 1
    if not 1 <= row <= len(lines) + 1:
        return False
    width = len(lines[row - 1]) if row <= len(lines) else 0
    # One past the end: a missing token at the end of a line, as Python reports it.
    return 1 <= column <= width + 2


def assert_checked(root: Path, target: Path, data: bytes) -> list[dict[str, Any]]:
    result = _run(root)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    lines = _lines(data)
    for finding in findings:
        if Path(finding["filename"]) != target:
            continue
        start, end = finding["location"], finding["end_location"]
        assert _inside(lines, start["row"], start["column"]), finding
        assert _inside(lines, end["row"], end["column"]), finding
        assert (start["row"], start["column"]) <= (end["row"], end["column"]), finding
    return findings


# -- sources -------------------------------------------------------------------------------


def _mutate(data: bytes, draw: st.DrawFn) -> bytes:
    """What editors, merges and bad tooling do to files: lines deleted, duplicated, swapped,
    the file cut short, bytes dropped in."""
    lines = data.splitlines(keepends=True) or [b""]
    for _ in range(draw(st.integers(1, 4))):
        how = draw(st.sampled_from(["delete", "duplicate", "swap", "truncate", "insert"]))
        at = draw(st.integers(0, max(len(lines) - 1, 0)))
        if how == "delete" and len(lines) > 1:
            del lines[at]
        elif how == "duplicate":
            lines.insert(at, lines[at])
        elif how == "swap":
            other = draw(st.integers(0, max(len(lines) - 1, 0)))
            lines[at], lines[other] = lines[other], lines[at]
        elif how == "truncate":
            cut = draw(st.integers(0, len(lines[at])))
            lines = [*lines[:at], lines[at][:cut]]
        else:
            line = lines[at]
            where = draw(st.integers(0, len(line)))
            inserted = draw(st.binary(min_size=1, max_size=4))
            lines[at] = line[:where] + inserted + line[where:]
    return b"".join(lines)


@st.composite
def mutated_sources(draw: st.DrawFn) -> bytes:
    return _mutate(draw(st.sampled_from(REAL_SOURCES)), draw)


CODINGS = (
    "utf-8",
    "utf8",
    "latin-1",
    "iso-8859-15",
    "cp1252",
    "ascii",
    "utf-16",
    "euc-jp",
    "koi8-r",
    "no-such-codec",
    "UTF-8-SIG",
)


@st.composite
def dressed_sources(draw: st.DrawFn) -> bytes:
    """A real source with a coding line, a BOM, CRLF or mixed endings, or NUL bytes."""
    data = draw(st.sampled_from(REAL_SOURCES))
    if draw(st.booleans()):
        coding = draw(st.sampled_from(CODINGS))
        style = draw(st.sampled_from(["# -*- coding: {} -*-\n", "# vim: set fileencoding={} :\n"]))
        data = style.format(coding).encode("ascii") + data
        if draw(st.booleans()):
            data = b"#!/usr/bin/env python\n" + data
    endings = draw(st.sampled_from(["keep", "crlf", "cr", "mixed"]))
    if endings == "crlf":
        data = data.replace(b"\n", b"\r\n")
    elif endings == "cr":
        data = data.replace(b"\n", b"\r")
    elif endings == "mixed":
        data = b"".join(
            line.rstrip(b"\n") + draw(st.sampled_from([b"\n", b"\r\n", b"\r"]))
            for line in data.splitlines(keepends=True)
        )
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    if draw(st.booleans()):
        where = draw(st.integers(0, len(data)))
        data = data[:where] + b"\x00" + data[where:]
    return data


def _nested(depth: int, kind: str) -> bytes:
    shapes = {
        "parens": "x = " + "(" * depth + "1" + ")" * depth + "\n",
        "lists": "x = " + "[" * depth + "]" * depth + "\n",
        "calls": "x = " + "f(" * depth + ")" * depth + "\n",
        "ifs": "".join("    " * i + "if x:\n" for i in range(depth)) + "    " * depth + "pass\n",
        "binop": "x = " + " + ".join(["a"] * depth) + "\n",
        "attrs": "x = a" + ".b" * depth + "\n",
    }
    return shapes[kind].encode()


nested_sources = st.builds(
    _nested,
    st.integers(1, 3000),
    st.sampled_from(["parens", "lists", "calls", "ifs", "binop", "attrs"]),
)

SOURCES = st.one_of(
    st.binary(max_size=2000),
    st.text(max_size=500).map(lambda text: text.encode("utf-8", "surrogatepass")),
    mutated_sources(),
    dressed_sources(),
    nested_sources,
)


@given(data=SOURCES, place=st.sampled_from(PLACES))
def test_any_source_is_checked_without_a_crash(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, place: str
) -> None:
    root = tmp_path_factory.mktemp("source")
    target = _project(root, place, data)
    assert_checked(root, target, data)


def test_a_huge_file(tmp_path: Path) -> None:
    """About 10 MB of real code in one service module."""
    data = b"\n".join(VALID_SOURCES)
    data = data * (10_000_000 // len(data) + 1)
    target = _project(tmp_path, "app/services/target.py", data)
    findings = assert_checked(tmp_path, target, data)
    # It was checked, not refused: the rules found what the sources hold, many times.
    assert sum(Path(finding["filename"]) == target for finding in findings) > 100


# -- the flake8 plugin ---------------------------------------------------------------------


@settings(max_examples=80)
@given(data=st.one_of(mutated_sources(), dressed_sources()), place=st.sampled_from(PLACES))
def test_the_flake8_plugin_on_a_sample(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, place: str
) -> None:
    root = tmp_path_factory.mktemp("plugin")
    target = _project(root, place, data)
    lines = _lines(data)
    if lines is None:
        return  # flake8 reports undecodable files itself (E902) and never calls plugins
    try:
        tree = ast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        return  # flake8 reports E999 and never calls plugins
    plugin = LayercheckPlugin(tree, str(target), [line + "\n" for line in lines])
    for row, column, message, _ in plugin.run():
        assert message.startswith("LC"), message
        # flake8 columns are 0-based.
        assert _inside(lines, row, column + 1), (row, column, message)


# -- config files --------------------------------------------------------------------------

toml_scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(["LC", "LC1", "LC201", "ALL", "py311", "py99", "app/**", "[]", "", "."]),
)
toml_values = st.recursive(
    toml_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(min_size=1, max_size=10), inner, max_size=4),
    ),
    max_leaves=10,
)


def _toml(value: object) -> str:
    """A TOML inline value (json.dumps spells TOML basic strings, escapes included)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"


@given(
    values=st.dictionaries(
        st.sampled_from([option.name for option in OPTIONS] + ["no-such-key"]),
        toml_values,
        min_size=1,
        max_size=4,
    )
)
def test_any_config_is_taken_or_refused_in_one_line(
    tmp_path_factory: pytest.TempPathFactory, values: dict[str, object]
) -> None:
    root = tmp_path_factory.mktemp("config")
    _project(root, PLACES[0], b"from fastapi import HTTPException\nraise HTTPException(404)\n")
    body = "".join(f"{json.dumps(key)} = {_toml(value)}\n" for key, value in values.items())
    (root / "pyproject.toml").write_text(f"[tool.layercheck]\n{body}", encoding="utf-8")
    result = _run(root)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1, 2), result.output
    if result.exit_code == 2:
        errors = [line for line in result.stderr.splitlines() if "error:" in line]
        assert len(errors) == 1, result.stderr
        assert errors[0].startswith("layercheck: error: "), result.stderr
    else:
        json.loads(result.stdout)
