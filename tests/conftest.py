"""Fixtures shared by the test modules."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import FIXTURES


@pytest.fixture
def bad_app(tmp_path: Path) -> Path:
    """A copy of the `bad_app` fixture project, free to change."""
    root = tmp_path / "bad_app"
    shutil.copytree(FIXTURES / "bad_app", root)
    return root
