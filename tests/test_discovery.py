"""Paths to files: recursion, default and configured excludes, explicit paths, project root."""

from __future__ import annotations

from pathlib import Path

import pytest
from projects import VIOLATION
from support import check_project, write_project

from layercheck.config.settings import Overrides
from layercheck.config.workspace import Workspace
from layercheck.discovery import MissingPathError, discover, source_file
from layercheck.engine import Engine
from layercheck.layers import Layer
from layercheck.rules import CATALOG

DEFAULT_EXCLUDED = (
    ".git",
    ".venv",
    "venv",
    "node_modules",
    "__pycache__",
    "build",
    "dist",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".ruff_cache",
)


def found(root: Path, *paths: str, overrides: Overrides | None = None) -> list[str]:
    workspace = Workspace(CATALOG, overrides or Overrides(), cwd=root)
    result = discover([Path(p) for p in paths] or [Path(".")], workspace)
    return [file.path.relative_to(root).as_posix() for file in result.files]


def test_recurses_into_python_files_in_a_stable_order(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "b.py": "",
            "a/z.py": "",
            "a/y/x.py": "",
            "a/readme.md": "",
            "a/data.pyc": "",
            "a/stub.pyi": "",
            "a/script": "",
        },
    )
    assert found(tmp_path) == ["a/y/x.py", "a/z.py", "b.py"]


@pytest.mark.parametrize("folder", DEFAULT_EXCLUDED)
def test_default_excludes(tmp_path: Path, folder: str) -> None:
    write_project(tmp_path, {f"{folder}/x.py": "", f"app/{folder}/y.py": "", "app/z.py": ""})
    assert found(tmp_path) == ["app/z.py"]


def test_explicit_paths_are_checked_even_when_excluded(tmp_path: Path) -> None:
    write_project(tmp_path, {"build/x.py": "", "app/gen/y.py": ""}, 'extend-exclude = ["gen"]')
    assert found(tmp_path) == []
    assert found(tmp_path, "build/x.py", "app/gen") == ["build/x.py", "app/gen/y.py"]
    forced = Overrides(force_exclude=True)
    assert found(tmp_path, "build/x.py", "app/gen", overrides=forced) == []


def test_excludes_inside_an_explicit_folder_still_apply(tmp_path: Path) -> None:
    write_project(tmp_path, {"build/x.py": "", "build/dist/y.py": "", "build/app/dist/z.py": ""})
    assert found(tmp_path, "build") == ["build/x.py"]


def test_anchored_and_glob_excludes(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "app/legacy/a.py": "",
            "lib/app/legacy/b.py": "",
            "app/c_pb2.py": "",
            "app/d.py": "",
        },
        'extend-exclude = ["app/legacy", "*_pb2.py"]',
    )
    assert found(tmp_path) == ["app/d.py", "lib/app/legacy/b.py"]


def test_each_folder_uses_its_own_config(tmp_path: Path) -> None:
    write_project(tmp_path, {"a/x.py": "", "sub/a/y.py": "", "sub/b/z.py": ""})
    (tmp_path / "sub/layercheck.toml").write_text('extend-exclude = ["a"]\n', encoding="utf-8")
    assert found(tmp_path) == ["a/x.py", "sub/b/z.py"]


def test_repeated_and_overlapping_paths_are_checked_once(tmp_path: Path) -> None:
    write_project(tmp_path, {"app/x.py": "", "app/y.py": ""})
    assert found(tmp_path, "app/x.py", "app", "./app/x.py", "app/../app") == [
        "app/x.py",
        "app/y.py",
    ]


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(MissingPathError, match=r"nope\.py: no such file or folder"):
        found(tmp_path, "nope.py")


def test_symlinked_folder_is_followed_once(tmp_path: Path) -> None:
    write_project(tmp_path, {"real/x.py": ""})
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert found(tmp_path) == ["link/x.py", "real/x.py"]


def test_only_the_passed_files_are_reported_but_the_project_is_indexed(tmp_path: Path) -> None:
    """pre-commit passes changed files only; the subclass lives in an unchanged file."""
    write_project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/errors.py": "import fastapi\n\n\nclass Gone(fastapi.HTTPException):\n    pass\n",
            "app/services/__init__.py": "",
            "app/services/users.py": "from ..errors import Gone\n\n\ndef f():\n    raise Gone()\n",
            "app/services/orders.py": VIOLATION,
        },
    )
    workspace = Workspace(CATALOG, Overrides(select=("LC201",)), cwd=tmp_path)
    result = Engine(workspace).check([tmp_path / "app/services/users.py"])
    assert [(f.path.name, f.start.row, f.message) for f in result.findings] == [
        ("users.py", 5, "`Gone` used in a service; raise a domain exception instead")
    ]
    assert result.files == [tmp_path / "app/services/users.py"]


def test_project_root_without_config_is_the_git_root(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    files = {
        "app/__init__.py": "",
        "app/errors.py": "import fastapi\n\n\nclass Gone(fastapi.HTTPException):\n    pass\n",
        "app/services/users.py": "from app.errors import Gone\n\n\ndef f():\n    raise Gone()\n",
    }
    for relative, source in files.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(source, encoding="utf-8")
    elsewhere = tmp_path / "app/services"
    workspace = Workspace(CATALOG, Overrides(select=("LC201",)), cwd=elsewhere)
    result = Engine(workspace).check([Path("users.py")])
    assert [f.path for f in result.findings] == [tmp_path / "app/services/users.py"]


def test_check_project_helper_sees_every_file(tmp_path: Path) -> None:
    write_project(tmp_path, {"app/services/a.py": VIOLATION, "app/services/b.py": VIOLATION})
    result = check_project(tmp_path, select=("LC201",))
    assert [f.path.name for f in result.findings] == ["a.py", "b.py"]


def test_each_file_comes_with_its_settings_module_and_layer(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "pyproject.toml": "[tool.layercheck]\n",
            "app/__init__.py": "",
            "app/services/__init__.py": "",
            "app/services/users.py": "",
            "tests/test_users.py": "",
            "sub/pyproject.toml": "[tool.layercheck]\n",
            "sub/repos/orders.py": "",
        },
    )
    workspace = Workspace(CATALOG, cwd=tmp_path)
    files = {
        file.path.relative_to(tmp_path).as_posix(): file
        for file in discover([tmp_path], workspace).files
    }
    users = files["app/services/users.py"]
    assert (users.module, users.is_package, users.path_layer, users.is_test) == (
        "app.services.users",
        False,
        Layer.SERVICES,
        False,
    )
    assert users.layer_folder == str(tmp_path / "app/services")
    assert users.settings is workspace.settings_for(tmp_path / "app/services")
    package = files["app/services/__init__.py"]
    assert (package.module, package.is_package) == ("app.services", True)
    assert files["tests/test_users.py"].is_test
    orders = files["sub/repos/orders.py"]
    assert orders.settings.root == tmp_path / "sub"
    assert (orders.module, orders.path_layer) == ("repos.orders", Layer.REPOSITORIES)


def test_known_records_are_handed_back_not_made_again(tmp_path: Path) -> None:
    write_project(tmp_path, {"app/services/a.py": "", "app/services/b.py": ""})
    workspace = Workspace(CATALOG, cwd=tmp_path)
    a = tmp_path / "app/services/a.py"
    known = source_file(a, workspace.settings_for(a.parent))
    files = discover([tmp_path], workspace, known=[known]).files
    assert [file.path.name for file in files] == ["a.py", "b.py"]
    assert files[0] is known
    assert files[1] == source_file(files[1].path, files[1].settings)
