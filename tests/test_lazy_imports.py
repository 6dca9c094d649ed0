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


# What the command line may import before it knows it has files to check: itself, its warm
# path (which looks at the arguments only, then gives up) and the names of its choice
# options. Not the engine, the rules, the reporters, the configuration, the warm record.
# (`-m layercheck` runs `__main__` without importing it.)
STARTUP = [
    "layercheck",
    "layercheck.choices",
    "layercheck.cli",
    "layercheck.cli_warm",
    "layercheck.entry",
]


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_version_and_help_import_only_the_command_line(flag: str) -> None:
    modules = imported_modules(flag)
    ours = sorted(name for name in modules if name.split(".")[0] == "layercheck")
    assert ours == STARTUP


def test_a_check_imports_the_engine() -> None:
    """The test above would pass if `imported_modules` saw nothing of ours."""
    modules = imported_modules("fixtures/good_app", "--no-cache")
    assert {"layercheck.engine", "layercheck.rules", "layercheck.report"} <= modules


def test_the_output_formats_offered_are_the_reporters() -> None:
    from layercheck.choices import OUTPUT_FORMATS
    from layercheck.report import REPORTERS

    assert sorted(OUTPUT_FORMATS) == sorted(REPORTERS)
