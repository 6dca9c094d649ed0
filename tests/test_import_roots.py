"""Module names that miss how the project imports itself are reported once, with the
setting that fixes them; once set, the layer rules see the imports."""

from __future__ import annotations

from pathlib import Path

from support import run_cli, write_project

REPOSITORY = "from sqlalchemy.orm import Session\n\n\nclass Repo:\n    session: Session\n"


def _project(root: Path, config: str = "") -> None:
    files: dict[str, str] = {
        "server/app/__init__.py": "",
        "server/app/repositories/__init__.py": "",
        "server/app/routes/__init__.py": "",
    }
    for number in range(12):
        files[f"server/app/repositories/r{number}.py"] = REPOSITORY
        files[f"server/app/routes/u{number}.py"] = f"from app.repositories.r{number} import Repo\n"
    write_project(root, files, config)


def test_a_tree_one_folder_down_gets_one_warning_naming_src(tmp_path: Path) -> None:
    _project(tmp_path)
    proc = run_cli(".", cwd=tmp_path)
    warnings = [line for line in proc.stderr.splitlines() if "name no module" in line]
    assert len(warnings) == 1, proc.stderr
    assert 'set `src = ["server"]`' in warnings[0]
    assert "LC101" not in proc.stdout


def test_with_src_set_no_warning_and_the_imports_are_seen(tmp_path: Path) -> None:
    _project(tmp_path, 'src = ["server"]')
    proc = run_cli(".", cwd=tmp_path)
    assert "name no module" not in proc.stderr
    assert proc.stdout.count("LC101") == 12


def test_a_subpackage_named_like_a_library_is_not_taken_for_a_misrooted_tree(
    tmp_path: Path,
) -> None:
    # app/persistence/sqlalchemy/ is the project's adapter; `sqlalchemy.orm` is the library.
    files = {
        "app/__init__.py": "",
        "app/persistence/__init__.py": "",
        "app/persistence/sqlalchemy/__init__.py": "",
        "app/persistence/sqlalchemy/user.py": "from sqlalchemy import Column\n",
    }
    for number in range(12):
        files[f"app/m{number}.py"] = (
            "from sqlalchemy import select\nfrom sqlalchemy.orm import Session\n"
        )
    write_project(tmp_path, files)
    proc = run_cli(".", cwd=tmp_path)
    assert "name no module" not in proc.stderr, proc.stderr
