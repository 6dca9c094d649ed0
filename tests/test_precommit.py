"""The pre-commit hook, installed from this repository by the real `pre-commit try-repo`."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from projects import CLEAN, LINE, VIOLATION, console_script
from support import REPO, write_project

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or not Path(console_script("pre-commit")).exists(),
    reason="needs git and pre-commit",
)


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This working tree, tracked and untracked files alike, as a committed repository.

    On a repository with uncommitted changes `try-repo` commits a shadow copy made with
    `git add -u`, which leaves out files not yet tracked (a new rule module): the hook
    would then be installed from a tree that differs from the one under test.
    """
    snapshot = tmp_path_factory.mktemp("hook-repo")
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO)
    for relative in filter(None, listed.split("\0")):
        source = REPO / relative
        if source.is_file():
            target = snapshot / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git("init", "-q", cwd=snapshot)
    git("add", "-A", cwd=snapshot)
    git("commit", "-q", "-m", "snapshot", cwd=snapshot)
    return snapshot


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared by the module's runs, so that the hook's environment is built once."""
    return tmp_path_factory.mktemp("pre-commit-home")


def try_repo(
    hook_repo: Path, home: Path, root: Path, files: dict[str, str], hook: str = "layercheck"
) -> subprocess.CompletedProcess[str]:
    write_project(root, files)
    git("init", "-q", cwd=root)
    git("add", "-A", cwd=root)
    git("commit", "-q", "-m", "init", cwd=root)
    return subprocess.run(
        [console_script("pre-commit"), "try-repo", str(hook_repo), hook, "--all-files"],
        cwd=root,
        env={**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_hook_fails_on_a_violation(hook_repo: Path, pre_commit_home: Path, tmp_path: Path) -> None:
    files = {"app/services/users.py": VIOLATION, "app/routes/users.py": CLEAN}
    proc = try_repo(hook_repo, pre_commit_home, tmp_path, files)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "Traceback" not in output
    assert "layercheck" in output
    assert "Failed" in output
    assert LINE in output.splitlines()


def test_hook_passes_on_clean_code(hook_repo: Path, pre_commit_home: Path, tmp_path: Path) -> None:
    files = {"app/services/users.py": CLEAN, "app/routes/users.py": CLEAN}
    proc = try_repo(hook_repo, pre_commit_home, tmp_path, files)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "Passed" in output


OPTIONAL_SCHEMA = (
    "from typing import Optional\n\n"
    "from pydantic import BaseModel\n\n\n"
    "class Item(BaseModel):\n"
    "    name: Optional[str] = None\n"
)


def test_fix_hook_fixes_the_files(hook_repo: Path, pre_commit_home: Path, tmp_path: Path) -> None:
    """`layercheck-fix` rewrites the file; pre-commit fails the run because a hook
    modified files, and the next run passes."""
    files = {"app/schemas/item.py": OPTIONAL_SCHEMA}
    proc = try_repo(hook_repo, pre_commit_home, tmp_path, files, hook="layercheck-fix")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "Traceback" not in output
    assert "files were modified by this hook" in output
    fixed = (tmp_path / "app/schemas/item.py").read_text(encoding="utf-8")
    assert fixed == (
        "from pydantic import BaseModel\n\n\nclass Item(BaseModel):\n    name: str | None = None\n"
    )
    git("add", "-A", cwd=tmp_path)
    again = subprocess.run(
        [console_script("pre-commit"), "try-repo", str(hook_repo), "layercheck-fix", "--all-files"],
        cwd=tmp_path,
        env={**os.environ, "PRE_COMMIT_HOME": str(pre_commit_home), "PRE_COMMIT_COLOR": "never"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert again.returncode == 0, again.stdout + again.stderr
