"""Layers and module names come from the tree, never from the folder layercheck runs in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import run_cli

SERVICE = (
    "from fastapi import HTTPException\n"
    "from app.repositories.users import load\n\n\n"
    "def get(user_id):\n"
    "    if load(user_id) is None:\n"
    "        raise HTTPException(status_code=404)\n"
)
ROUTE = (
    "from fastapi import APIRouter\n"
    "from app.repositories.users import load\n\n"
    "router = APIRouter()\n\n\n"
    "@router.get('/users/{user_id}')\n"
    "def read(user_id: int):\n"
    "    return load(user_id)\n"
)
REPOSITORY = "def load(user_id):\n    return None\n"


def _write(root: Path, files: dict[str, str]) -> None:
    """The tree alone: no config file, no packaging file, no git root above it."""
    for relative, source in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(source, encoding="utf-8")
    (root / "B").mkdir()


def _findings(cwd: Path, target: Path) -> list[tuple[str, str, int]]:
    proc = run_cli("--output-format", "json", "--no-cache", target, cwd=cwd)
    assert proc.returncode == 1, proc.stderr
    return sorted(
        (Path(item["filename"]).resolve().as_posix(), item["code"], item["location"]["row"])
        for item in json.loads(proc.stdout)
    )


@pytest.mark.parametrize("packages", [True, False], ids=["packages", "plain-folders"])
def test_the_same_tree_from_three_folders(tmp_path: Path, packages: bool) -> None:
    files = {
        "A/app/services/users.py": SERVICE,
        "A/app/routes/users.py": ROUTE,
        "A/app/repositories/users.py": REPOSITORY,
    }
    if packages:
        for folder in ("app", "app/services", "app/routes", "app/repositories"):
            files[f"A/{folder}/__init__.py"] = ""
    _write(tmp_path, files)
    tree = tmp_path / "A"
    runs = {
        "above": _findings(tmp_path, Path("A")),
        "sibling": _findings(tmp_path / "B", Path("../A")),
        "inside": _findings(tree / "app" / "services", Path("../../../A")),
    }
    assert runs["above"] == runs["sibling"] == runs["inside"]
    codes = {code for _, code, _ in runs["above"]}
    # The service gets its layer (LC201) and the route its import edge (LC101) every time.
    assert {"LC201", "LC101"} <= codes


def test_a_file_named_alone_keeps_its_package_layer(tmp_path: Path) -> None:
    """Named by itself from a sibling folder, a file in a package is still a service."""
    _write(
        tmp_path,
        {
            "A/app/__init__.py": "",
            "A/app/services/__init__.py": "",
            "A/app/services/users.py": SERVICE,
            "A/app/repositories/__init__.py": "",
            "A/app/repositories/users.py": REPOSITORY,
        },
    )
    target = Path("A/app/services/users.py")
    from_above = _findings(tmp_path, target)
    from_sibling = _findings(tmp_path / "B", Path("..") / target)
    assert from_above == from_sibling
    assert "LC201" in {code for _, code, _ in from_above}


POLAR_STYLE = {
    "server/pyproject.toml": '[project]\nname = "polar"\nversion = "1"\n',
    "server/polar/__init__.py": "",
    "server/polar/routes/__init__.py": "",
    "server/polar/routes/users.py": ROUTE.replace("app.", "polar."),
    "server/polar/services/__init__.py": "",
    "server/polar/services/users.py": SERVICE.replace("app.", "polar."),
    "server/polar/repositories/__init__.py": "",
    "server/polar/repositories/users.py": REPOSITORY,
}


@pytest.mark.parametrize("config", ["top", "server", "none"])
def test_module_names_follow_how_the_code_imports_itself(tmp_path: Path, config: str) -> None:
    """`server/polar/...` imports itself as `polar.x`: with the config at the repository's
    top, in `server/`, or absent, the route's import of a repository is found."""
    files = dict(POLAR_STYLE)
    if config == "top":
        files[".layercheck.toml"] = "preview = false\n"
    elif config == "server":
        files["server/pyproject.toml"] += "\n[tool.layercheck]\n"
    _write(tmp_path, files)
    found = _findings(tmp_path, Path("."))
    assert sorted({(Path(path).name, code) for path, code, _ in found}) == [
        ("users.py", "LC101"),
        ("users.py", "LC201"),
        ("users.py", "LC302"),
    ]


def test_a_setup_module_inside_a_package_is_no_project(tmp_path: Path) -> None:
    """`app/core/setup.py` wires the app together; it does not make `core` a project or an
    import root, so core's upward import is still found as `app.core.security`."""
    _write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "app"\nversion = "1"\n',
            "src/app/__init__.py": "",
            "src/app/core/__init__.py": "",
            "src/app/core/setup.py": "def create_application():\n    return None\n",
            "src/app/core/security.py": "from app.crud.users import load\n",
            "src/app/crud/__init__.py": "",
            "src/app/crud/users.py": REPOSITORY,
        },
    )
    found = _findings(tmp_path, Path("."))
    assert [(Path(path).name, code) for path, code, _ in found] == [("security.py", "LC102")]


@pytest.mark.parametrize("output_format", ["concise", "full"])
def test_a_file_named_before_its_project_folder_counts_from_the_outermost(
    tmp_path: Path, output_format: str
) -> None:
    """No config file, git root or package: the project starts at the outermost path
    named, whichever is named first, also when the command line asks for settings before
    the walk (whether the report shows source)."""
    project = tmp_path / "proj"
    (project / "app/core").mkdir(parents=True)
    (project / "app/services").mkdir(parents=True)
    (project / "app/core/errors.py").write_text(
        "from fastapi import HTTPException\n\nclass Gone(HTTPException):\n    pass\n"
    )
    (project / "app/services/users.py").write_text(
        "from app.core.errors import Gone\n\ndef f():\n    raise Gone()\n"
    )
    proc = run_cli(
        "--no-cache",
        "--output-format",
        output_format,
        "proj/app/services/users.py",
        "proj",
        cwd=tmp_path,
    )
    assert "LC201 `Gone` used in a service" in proc.stdout, proc.stdout + proc.stderr
