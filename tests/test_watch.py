"""`--watch`: a real `layercheck --watch` process on a project on disk reports, waits, and
reports again when a file changes (a finding added, then the configuration changed)."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

from support import write_project

SERVICE = "app/services/users.py"
CLEAN = "def find(user_id: int) -> int:\n    return user_id\n"
BAD = (
    "from fastapi import HTTPException\n\n\n"
    "def find(user_id: int) -> int:\n"
    "    raise HTTPException(status_code=404)\n"
)


def _pump(stream: IO[str], into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line)


def _until(lines: queue.Queue[str], wanted: str, seen: list[str], timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        seen.append(line)
        if wanted in line:
            return True
    raise AssertionError(f"no {wanted!r} in:\n{''.join(seen)}")


def _change(path: Path, text: str, lines: queue.Queue[str], seen: list[str]) -> None:
    """Write until the watcher says it saw it: it starts watching a moment after it
    says so, and a write in between is not an event."""
    for attempt in range(20):
        path.write_text(text + f"# {attempt}\n", encoding="utf-8")
        try:
            if _until(lines, "File change detected", seen, timeout=3):
                return
        except AssertionError:
            continue
    raise AssertionError("".join(seen))


def test_watch_reports_again_after_a_change(tmp_path: Path) -> None:
    write_project(tmp_path, {"app/__init__.py": "", "app/services/__init__.py": "", SERVICE: CLEAN})
    proc = subprocess.Popen(
        [sys.executable, "-m", "layercheck", "--watch", "--no-cache", "."],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True).start()
    seen: list[str] = []
    try:
        _until(lines, "All checks passed!", seen)
        _until(lines, "Watching for file changes.", seen)
        _change(tmp_path / SERVICE, BAD, lines, seen)
        _until(lines, "LC201", seen)
        _until(lines, "Watching for file changes.", seen)
        _change(tmp_path / "pyproject.toml", '[tool.layercheck]\nignore = ["LC201"]\n', lines, seen)
        _until(lines, "All checks passed!", seen)
        assert proc.poll() is None  # still watching
    finally:
        proc.terminate()
        proc.wait(timeout=30)
