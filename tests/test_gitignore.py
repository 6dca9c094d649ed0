"""`.gitignore`, `.ignore` and `.git/info/exclude` are respected by default (ruff's
`respect-gitignore`), off with `respect-gitignore = false` or `--no-respect-gitignore`;
explicit paths are still checked unless `--force-exclude`."""

from __future__ import annotations

from pathlib import Path

import pytest
from projects import ONLY_LC201, VIOLATION
from support import run_cli, write_project

FILES = {
    "app/services/users.py": VIOLATION,
    "app/generated/gen.py": VIOLATION,
    "vendor/lib.py": VIOLATION,
    "app/services/user_pb2.py": VIOLATION,
    "legacy/old.py": VIOLATION,
    "legacy/keep.py": VIOLATION,
}
EVERY = sorted(FILES)


def _tree(root: Path, config: str = "", *, git: bool = True) -> None:
    write_project(root, FILES, ONLY_LC201 + "\n" + config)
    if git:
        (root / ".git/info").mkdir(parents=True)
        (root / ".git/info/exclude").write_text("# local\n*_pb2.py\n")
    (root / ".gitignore").write_text("/app/generated/\n")
    (root / ".ignore").write_text("vendor\n")
    (root / "legacy/.gitignore").write_text("*.py\n!keep.py\n")


def _files(root: Path, *args: str) -> list[str]:
    proc = run_cli("--show-files", *args, cwd=root)
    assert (proc.returncode, proc.stderr) == (0, ""), proc.stderr
    return [line.split("\t")[0] for line in proc.stdout.splitlines()]


def test_ignore_files_are_respected_by_default(tmp_path: Path) -> None:
    _tree(tmp_path)
    assert _files(tmp_path) == ["app/services/users.py", "legacy/keep.py"]
    proc = run_cli("--quiet", cwd=tmp_path)
    assert proc.returncode == 1
    # The ignored services file is not reported (keep.py is in no layer).
    assert [line.split(":")[0] for line in proc.stdout.splitlines()] == ["app/services/users.py"]


def test_no_respect_gitignore_flag(tmp_path: Path) -> None:
    _tree(tmp_path)
    assert _files(tmp_path, "--no-respect-gitignore") == EVERY


def test_respect_gitignore_key(tmp_path: Path) -> None:
    _tree(tmp_path, "respect-gitignore = false")
    assert _files(tmp_path) == EVERY
    assert _files(tmp_path, "--respect-gitignore") == [
        "app/services/users.py",
        "legacy/keep.py",
    ]
    proc = run_cli("--show-settings", cwd=tmp_path)
    assert "respect-gitignore = false" in proc.stdout.splitlines()


def test_respect_gitignore_must_be_a_bool(tmp_path: Path) -> None:
    _tree(tmp_path, 'respect-gitignore = "no"')
    proc = run_cli(cwd=tmp_path)
    assert proc.returncode == 2
    assert "tool.layercheck.respect-gitignore: expected true or false" in proc.stderr


def test_explicit_paths_are_checked_unless_force_exclude(tmp_path: Path) -> None:
    _tree(tmp_path)
    named = ["vendor/lib.py", "app/generated", "legacy/old.py", "app/services/user_pb2.py"]
    assert _files(tmp_path, *named) == [
        "app/generated/gen.py",
        "app/services/user_pb2.py",
        "legacy/old.py",
        "vendor/lib.py",
    ]
    assert _files(tmp_path, "--force-exclude", *named, "app/generated/gen.py") == []
    assert _files(tmp_path, "--force-exclude", "legacy/keep.py") == ["legacy/keep.py"]


def test_ignore_files_outside_a_git_repository(tmp_path: Path) -> None:
    """Without a git root, the ignore files from the project's root down still count
    (`.git/info/exclude` does not exist then)."""
    _tree(tmp_path, git=False)
    assert _files(tmp_path) == [
        "app/services/user_pb2.py",
        "app/services/users.py",
        "legacy/keep.py",
    ]


@pytest.mark.parametrize("line", ["[", "\\", "!", "#comment", ""])
def test_lines_that_are_no_pattern_are_skipped(tmp_path: Path, line: str) -> None:
    _tree(tmp_path)
    (tmp_path / "vendor/.gitignore").write_bytes(f"{line}\nlib.py\n\xff\n".encode("latin-1"))
    assert _files(tmp_path) == ["app/services/users.py", "legacy/keep.py"]
    (tmp_path / ".ignore").unlink()
    (tmp_path / "vendor/.gitignore").write_text(f"{line}\n")
    assert "vendor/lib.py" in _files(tmp_path)


def test_stdin_filename_that_is_ignored_with_force_exclude(tmp_path: Path) -> None:
    _tree(tmp_path)
    name = "app/generated/services/gen.py"
    source = VIOLATION.encode()
    checked = run_cli("--quiet", "--stdin-filename", name, "-", cwd=tmp_path, stdin=source)
    assert (checked.returncode, checked.stdout.split(":")[0]) == (1, name)
    skipped = run_cli("--force-exclude", "--stdin-filename", name, "-", cwd=tmp_path, stdin=source)
    assert (skipped.returncode, skipped.stdout, skipped.stderr) == (0, "All checks passed!\n", "")
