"""Sources and subprocess helpers shared by the interface tests (CLI, flake8, pre-commit).

LC201 (an `HTTPException` in `app/services/`) is the violation every test uses, so that
these tests do not depend on the rules other families add.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

VIOLATION = "from fastapi import HTTPException\n\n\ndef get(user):\n    raise HTTPException(404)\n"
"""LC201 at 5:11, ending at 5:24 (the `HTTPException` name)."""
CLEAN = "def get(user):\n    return user\n"
MESSAGE = "`HTTPException` used in a service; raise a domain exception instead"
LINE = f"app/services/users.py:5:11: LC201 {MESSAGE}"
ONLY_LC201 = 'select = ["LC0", "LC201"]'
"""Config that keeps other families' rules out of exact-output assertions."""

BIN = Path(sys.executable).parent


def console_script(name: str) -> str:
    """The installed console script next to the interpreter running the tests."""
    return str(BIN / name)


def run(
    *command: str | os.PathLike[str], cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def run_flake8(*args: str | os.PathLike[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # --isolated: no user or project flake8 config; the plugin still reads [tool.layercheck].
    return run(sys.executable, "-m", "flake8", "--isolated", *args, cwd=cwd)


def assert_usage_error(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    """Exit 2, nothing on stdout, one line on stderr holding every needle, no traceback."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]
