"""Configuration files: where they are found, every key, the [tool.ruff] fallback, errors."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path, PurePosixPath

import pytest
from projects import CLEAN, LINE, ONLY_LC201, VIOLATION, assert_usage_error
from support import run_cli, write_project

from layercheck.config.workspace import Workspace
from layercheck.rules import CATALOG


def settings_of(project: Path, *args: str) -> dict[str, object]:
    """`--show-settings` parsed back: `key = <json>` lines."""
    proc = run_cli("--show-settings", *args, cwd=project)
    assert proc.returncode == 0, proc.stderr
    found: dict[str, object] = {}
    for line in proc.stdout.splitlines()[1:]:
        key, _, value = line.partition(" = ")
        found[key] = json.loads(value)
    return found


def codes_at(project: Path, *args: str) -> list[str]:
    proc = run_cli(*args, cwd=project)
    assert proc.returncode in (0, 1), proc.stderr
    return [line.split(": ")[0] for line in proc.stdout.splitlines()[:-1]]


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# -- where configuration comes from -------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("pyproject.toml", '[tool.layercheck]\nignore = ["LC201"]\n'),
        ("layercheck.toml", 'ignore = ["LC201"]\n'),
        (".layercheck.toml", 'ignore = ["LC201"]\n'),
    ],
)
def test_each_config_file_kind(tmp_path: Path, name: str, text: str) -> None:
    write(tmp_path / "app/services/users.py", VIOLATION)
    assert run_cli(cwd=tmp_path).returncode == 1
    write(tmp_path / name, text)
    proc = run_cli(cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, "All checks passed!\n")
    assert settings_of(tmp_path)["config"] == str(tmp_path / name)


def test_precedence_within_one_folder(tmp_path: Path) -> None:
    write(tmp_path / "app/services/users.py", VIOLATION)
    write(tmp_path / "pyproject.toml", '[tool.layercheck]\nignore = ["LC201"]\n')
    write(tmp_path / "layercheck.toml", 'select = ["LC201"]\n')
    write(tmp_path / ".layercheck.toml", 'ignore = ["LC201"]\n')
    assert settings_of(tmp_path)["config"] == str(tmp_path / ".layercheck.toml")
    assert run_cli(cwd=tmp_path).returncode == 0
    (tmp_path / ".layercheck.toml").unlink()
    assert settings_of(tmp_path)["config"] == str(tmp_path / "layercheck.toml")
    assert run_cli(cwd=tmp_path).returncode == 1
    (tmp_path / "layercheck.toml").unlink()
    assert settings_of(tmp_path)["config"] == str(tmp_path / "pyproject.toml")
    assert run_cli(cwd=tmp_path).returncode == 0


def test_nearest_config_wins_for_nested_folders(tmp_path: Path) -> None:
    write_project(tmp_path, {"app/services/users.py": VIOLATION}, 'ignore = ["LC201"]')
    write(tmp_path / "sub/layercheck.toml", ONLY_LC201 + "\n")
    write(tmp_path / "sub/app/services/users.py", VIOLATION)
    assert codes_at(tmp_path) == [f"sub/{LINE.split(': ')[0]}"]
    # The nested config's paths are relative to its own folder.
    assert settings_of(tmp_path, "sub/app/services/users.py")["root"] == str(tmp_path / "sub")


def test_pyproject_without_our_table_does_not_hide_the_parent_config(tmp_path: Path) -> None:
    write_project(tmp_path, {"pkg/app/services/users.py": VIOLATION}, 'ignore = ["LC201"]')
    write(tmp_path / "pkg/pyproject.toml", '[project]\nname = "pkg"\n')
    assert run_cli(cwd=tmp_path).returncode == 0
    assert settings_of(tmp_path, "pkg")["config"] == str(tmp_path / "pyproject.toml")


# -- every key --------------------------------------------------------------------------


def test_select_extend_select_ignore_keys(tmp_path: Path) -> None:
    write_project(tmp_path, {"app/services/users.py": VIOLATION}, 'select = ["LC0"]')
    assert run_cli(cwd=tmp_path).returncode == 0
    write_project(tmp_path, {}, 'select = ["LC0"]\nextend-select = ["LC2"]\nignore = ["LC002"]')
    assert codes_at(tmp_path) == [LINE.split(": ")[0]]
    active = settings_of(tmp_path)["active"]
    assert isinstance(active, list)
    assert {"LC001", "LC201"} <= set(active)
    assert "LC002" not in active
    assert all(code.startswith(("LC0", "LC2")) for code in active)


def test_preview_key(tmp_path: Path) -> None:
    write_project(tmp_path, {}, "preview = true")
    assert settings_of(tmp_path)["preview"] is True
    assert settings_of(tmp_path, "--no-preview")["preview"] is False


def test_exclude_replaces_the_defaults(tmp_path: Path) -> None:
    files = {"build/app/services/a.py": VIOLATION, "legacy/app/services/b.py": VIOLATION}
    write_project(tmp_path, files, ONLY_LC201)
    assert codes_at(tmp_path) == ["legacy/app/services/b.py:5:11"]
    write_project(tmp_path, {}, ONLY_LC201 + '\nexclude = ["legacy"]')
    assert codes_at(tmp_path) == ["build/app/services/a.py:5:11"]


def test_extend_exclude_keeps_the_defaults(tmp_path: Path) -> None:
    files = {
        "build/app/services/a.py": VIOLATION,
        "legacy/app/services/b.py": VIOLATION,
        "app/services/c.py": VIOLATION,
        "app/services/generated_d.py": VIOLATION,
    }
    write_project(tmp_path, files, ONLY_LC201 + '\nextend-exclude = ["legacy", "generated_*.py"]')
    assert codes_at(tmp_path) == ["app/services/c.py:5:11"]


def test_per_file_ignores(tmp_path: Path) -> None:
    files = {
        "app/services/users.py": VIOLATION,
        "app/services/orders.py": VIOLATION,
        "app/services/legacy/old.py": VIOLATION,
    }
    config = (
        ONLY_LC201 + '\n[tool.layercheck.per-file-ignores]\n"orders.py" = ["LC201"]\n'
        '"app/services/legacy/*" = ["LC2"]\n'
    )
    write_project(tmp_path, files, config)
    assert codes_at(tmp_path) == ["app/services/users.py:5:11"]


def test_target_version_key_and_requires_python(tmp_path: Path) -> None:
    write_project(tmp_path, {"app/bad.py": "x = (\n"}, 'target-version = "py314"')
    assert settings_of(tmp_path)["target-version"] == "py314"
    message = run_cli(cwd=tmp_path).stdout.splitlines()[0]
    if sys.version_info < (3, 14):
        assert "targets Python 3.14" in message
    assert settings_of(tmp_path, "--target-version", "py311")["target-version"] == "py311"
    write(tmp_path / "pyproject.toml", '[project]\nrequires-python = ">=3.12"\n[tool.layercheck]\n')
    assert settings_of(tmp_path)["target-version"] == "py312"


@pytest.mark.parametrize(
    ("requires", "target"),
    [
        (">=3.11", "py311"),
        (">= 3.12, <4", "py312"),
        ("<3.14,>=3.11", "py311"),
        ("~=3.13", "py313"),
        ("==3.12.*", "py312"),
        ("!=3.9.*,>=3.10", "py310"),
        (">=3.8", "py38"),  # kept: LC604 must know a project still supports 3.8
        ("^3.9", "py39"),  # Poetry's caret
    ],
)
def test_requires_python_gives_the_target_version(
    tmp_path: Path, requires: str, target: str
) -> None:
    write(
        tmp_path / "pyproject.toml",
        f'[project]\nrequires-python = "{requires}"\n[tool.layercheck]\n',
    )
    assert settings_of(tmp_path)["target-version"] == target


def test_poetry_python_dependency_gives_the_target_version(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        '[tool.poetry.dependencies]\npython = "^3.9"\n[tool.layercheck]\n',
    )
    assert settings_of(tmp_path)["target-version"] == "py39"


def test_src_key_gives_module_names(tmp_path: Path) -> None:
    """`from app.errors import Gone` resolves only when `lib/` is a source root."""
    files = {
        "lib/app/errors.py": "import fastapi\n\n\nclass Gone(fastapi.HTTPException):\n    pass\n",
        "lib/app/services/users.py": (
            "from app.errors import Gone\n\n\ndef f():\n    raise Gone()\n"
        ),
    }
    write_project(tmp_path, files, ONLY_LC201)
    assert run_cli(cwd=tmp_path).returncode == 0
    write_project(tmp_path, {}, ONLY_LC201 + '\nsrc = ["lib"]')
    assert codes_at(tmp_path) == ["lib/app/services/users.py:5:11"]
    assert settings_of(tmp_path)["src"] == [str(tmp_path / "lib")]


def test_cache_dir_and_type_checking_keys(tmp_path: Path) -> None:
    defaults = settings_of(tmp_path)
    assert defaults["include-type-checking-imports"] is False
    assert defaults["detect-routes"] is True
    write_project(tmp_path, {}, 'cache-dir = ".cache/lc"\ninclude-type-checking-imports = true')
    found = settings_of(tmp_path)
    assert found["cache-dir"] == str(tmp_path / ".cache/lc")
    assert found["include-type-checking-imports"] is True


def test_detect_routes_key(tmp_path: Path) -> None:
    router = (
        "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
        '@router.get("/")\ndef index():\n    return {}\n'
    )
    write_project(tmp_path, {"app/utils/web.py": router})
    assert run_cli("--show-files", cwd=tmp_path).stdout == "app/utils/web.py\troutes\n"
    write_project(tmp_path, {}, "detect-routes = false")
    assert run_cli("--show-files", cwd=tmp_path).stdout == "app/utils/web.py\t-\n"


def test_layers_table_replaces_a_layers_defaults(tmp_path: Path) -> None:
    files = {"app/domain/users.py": VIOLATION, "app/services/orders.py": VIOLATION}
    write_project(tmp_path, files, ONLY_LC201)
    assert codes_at(tmp_path) == ["app/services/orders.py:5:11"]
    write_project(
        tmp_path, {}, ONLY_LC201 + '\n[tool.layercheck.layers]\nservices = ["app/domain"]'
    )
    assert codes_at(tmp_path) == ["app/domain/users.py:5:11"]
    assert run_cli("--show-files", cwd=tmp_path).stdout.splitlines() == [
        "app/domain/users.py\tservices",
        "app/services/orders.py\t-",
    ]


# -- the [tool.ruff] fallback -----------------------------------------------------------


def test_ruff_exclude_and_extend_exclude_are_used(tmp_path: Path) -> None:
    files = {"gen/app/services/a.py": VIOLATION, "old/app/services/b.py": VIOLATION}
    write_project(tmp_path, files)
    with (tmp_path / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write('[tool.ruff]\nextend-exclude = ["gen"]\nline-length = 100\n')
    assert codes_at(tmp_path, "--select", "LC201") == ["old/app/services/b.py:5:11"]
    write(
        tmp_path / "pyproject.toml",
        '[tool.layercheck]\nextend-exclude = ["old"]\n[tool.ruff]\nextend-exclude = ["gen"]\n',
    )
    assert codes_at(tmp_path, "--select", "LC201") == ["gen/app/services/a.py:5:11"]
    write(tmp_path / "pyproject.toml", '[tool.ruff]\nexclude = ["old"]\n')
    assert settings_of(tmp_path)["exclude"] == ["old"]


def test_ruff_src_and_target_version_are_used(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        '[project]\nrequires-python = ">=3.11"\n'
        '[tool.ruff]\nsrc = ["lib"]\ntarget-version = "py313"\n',
    )
    found = settings_of(tmp_path)
    assert found["config"] == str(tmp_path / "pyproject.toml")
    assert found["src"] == [str(tmp_path / "lib")]
    assert found["target-version"] == "py313"
    write(tmp_path / "pyproject.toml", '[project]\nrequires-python = ">=3.11"\n[tool.ruff]\n')
    assert settings_of(tmp_path)["target-version"] == "py311"


# -- bad configuration ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        pytest.param("[tool.layercheck\n", ("invalid TOML",), id="bad-toml"),
        pytest.param(
            "[tool.layercheck]\nselet = []\n",
            ("tool.layercheck.selet", "unknown key", "did you mean `select`?"),
            id="unknown-key",
        ),
        pytest.param(
            '[tool.layercheck]\nselect = "LC201"\n',
            ("tool.layercheck.select", "expected a list"),
            id="wrong-type",
        ),
        pytest.param(
            "[tool.layercheck]\npreview = 1\n",
            ("tool.layercheck.preview", "expected true or false"),
            id="wrong-type-bool",
        ),
        pytest.param(
            '[tool.layercheck]\nignore = ["LC2O1"]\n',
            ("tool.layercheck.ignore", "LC2O1", "did you mean `LC201`?"),
            id="unknown-code",
        ),
        pytest.param(
            '[tool.layercheck.per-file-ignores]\n"x.py" = ["LC99"]\n',
            ("tool.layercheck.per-file-ignores.x.py", "LC99"),
            id="unknown-code-per-file",
        ),
        pytest.param(
            '[tool.layercheck.layers]\nservice = ["app/domain"]\n',
            ("tool.layercheck.layers.service", "unknown layer", "did you mean `services`?"),
            id="unknown-layer",
        ),
        pytest.param(
            '[tool.layercheck]\ntarget-version = "py27"\n',
            ("tool.layercheck.target-version", "py27"),
            id="bad-target-version",
        ),
        pytest.param(
            "[tool]\nlayercheck = 3\n", ("tool.layercheck", "expected a table"), id="not-a-table"
        ),
    ],
)
def test_bad_pyproject(tmp_path: Path, text: str, needles: tuple[str, ...]) -> None:
    write(tmp_path / "app/services/users.py", CLEAN)
    write(tmp_path / "pyproject.toml", text)
    for args in ((), ("--show-settings",), ("--show-files",)):
        line = assert_usage_error(run_cli(*args, cwd=tmp_path), *needles)
        assert str(tmp_path / "pyproject.toml") in line


def test_bad_layercheck_toml_names_the_key_without_prefix(tmp_path: Path) -> None:
    write(tmp_path / "app/x.py", CLEAN)
    write(tmp_path / "layercheck.toml", "[layers]\nservices = 3\n")
    line = assert_usage_error(run_cli(cwd=tmp_path), "layers", "expected a table")
    assert line.startswith(f"layercheck: error: {tmp_path / 'layercheck.toml'}: layers")


def test_bad_nested_config_is_reported_even_when_the_root_is_fine(tmp_path: Path) -> None:
    write_project(tmp_path, {"app/x.py": CLEAN, "sub/y.py": CLEAN})
    write(tmp_path / "sub/layercheck.toml", "extend-exclud = []\n")
    assert_usage_error(
        run_cli(cwd=tmp_path), str(tmp_path / "sub/layercheck.toml"), "extend-exclud"
    )


def test_bad_config_given_with_config_option(tmp_path: Path) -> None:
    write(tmp_path / "app/x.py", CLEAN)
    write(tmp_path / "ci.toml", "ignore = LC201\n")
    assert_usage_error(run_cli("--config", "ci.toml", cwd=tmp_path), "ci.toml", "invalid TOML")


ROOTS = ["/", "/a", "/a/b", "/a/bc", "//a", "a", "a/b", ".", "//", "/a b/ü", "//a/b"]
PATHS = ["/", "/a", "/a/b", "/a/b/c.py", "/a/bc/d.py", "/a/b c", "//a/x", "//a", "//", "a"]
PATHS += ["a/b/c", "b", ".", "/a/b/../c", "/a b/ü/x.py", "/ab", "x.py", "//a/b/c"]


@pytest.mark.parametrize("root", ROOTS)
def test_a_path_relative_to_the_root_as_relative_to_says(tmp_path: Path, root: str) -> None:
    settings = replace(Workspace(CATALOG, cwd=tmp_path).settings_for(tmp_path), root=Path(root))
    for path in map(Path, [*PATHS, str(tmp_path / "x.py")]):
        try:
            expected = PurePosixPath(path.relative_to(root).as_posix())
        except ValueError:
            expected = None
        found = settings.relative(path)
        assert (found, str(found)) == (expected, str(expected)), path
