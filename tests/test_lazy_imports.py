"""Heavy tools stay off the hot path: `--version` and ordinary runs (every rule, the
Pydantic receivers included, and a file with a plain syntax error) do not import libcst,
in the main process or in its workers (`-X importtime` reports every import of every
process on stderr). libcst is for fixes and for files in newer syntax only."""

from __future__ import annotations

import subprocess
import sys

import pytest
from support import REPO

HEAVY = ("libcst", "pygls", "lsprotocol", "watchfiles")


def imported_modules(*args: str) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "layercheck", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    found: set[str] = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            found.add(line.rsplit("|", 1)[1].strip())
    assert found, "no -X importtime output"
    return found


@pytest.mark.parametrize(
    "args",
    [
        ("--version",),
        ("fixtures/good_app", "--preview"),
        ("fixtures/pydantic_v1_app", "--preview"),
        ("fixtures/bad_app", "--preview", "--output-format", "json"),
    ],
    ids=["version", "good_app", "pydantic_v1_app", "bad_app-json"],
)
def test_heavy_tools_are_not_imported(args: tuple[str, ...]) -> None:
    modules = imported_modules(*args)
    heavy = sorted(name for name in modules if name.split(".")[0] in HEAVY)
    assert heavy == []
