"""Snapshot files under tests/snapshots/: compare, or rewrite with LAYERCHECK_UPDATE_SNAPSHOTS=1."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
UPDATE_ENV = "LAYERCHECK_UPDATE_SNAPSHOTS"


def assert_snapshot(name: str, actual: str) -> None:
    """`actual` must equal tests/snapshots/<name>; with the variable set, it becomes it."""
    path = SNAPSHOTS / name
    if os.environ.get(UPDATE_ENV) == "1":
        if not path.is_file() or path.read_text(encoding="utf-8") != actual:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8", newline="\n")
        return
    if not path.is_file():
        pytest.fail(f"no snapshot tests/snapshots/{name}; create it with {UPDATE_ENV}=1")
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = difflib.unified_diff(
            expected.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            fromfile=f"tests/snapshots/{name}",
            tofile="actual output",
        )
        pytest.fail(
            f"output differs from tests/snapshots/{name}; if the change is intended, "
            f"rewrite it with {UPDATE_ENV}=1\n{''.join(diff)}",
            pytrace=False,
        )
