"""The flake8 plugin, run by the real `flake8` in a subprocess, against the CLI."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from projects import LINE, ONLY_LC201, VIOLATION, run, run_flake8
from support import FIXTURES, REPO, run_cli, write_project

ERRORS = "import fastapi\n\n\nclass Gone(fastapi.HTTPException):\n    pass\n"
FILES = {
    "app/__init__.py": "",
    "app/errors.py": ERRORS,
    "app/services/__init__.py": "",
    "app/services/users.py": VIOLATION,
    "app/services/orders.py": (
        "from fastapi import HTTPException as HE\n\nfrom ..errors import Gone\n\n\n"
        "def f(x):\n    s = 'ça'; raise HE(1) if x else Gone()\n"
    ),
    "app/services/quiet.py": VIOLATION.replace("(404)", "(404)  # noqa: LC201"),
    "app/services/noisy.py": VIOLATION.replace("(404)", "(404)  # noqa: E501"),
    "app/services/off.py": "# layercheck: noqa\n" + VIOLATION,
    "app/routes/users.py": VIOLATION,
    "tests/test_users.py": VIOLATION,
}


def flake8_lines(root: Path, *args: str) -> list[str]:
    proc = run_flake8("--select", "LC", *args, cwd=root)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1), proc.stderr
    return sorted(proc.stdout.splitlines())


def layercheck_lines(root: Path, *args: str) -> list[str]:
    proc = run_cli("--quiet", *args, cwd=root)
    assert proc.returncode in (0, 1), proc.stderr
    return sorted(proc.stdout.splitlines())


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_project(tmp_path, FILES, ONLY_LC201)
    return tmp_path


def test_same_findings_as_the_command_line(project: Path) -> None:
    expected = [
        LINE.replace("users.py", "noisy.py"),
        f"app/services/orders.py:7:21: LC201 {LINE.split(' LC201 ')[1]}",
        "app/services/orders.py:7:37: LC201 `Gone` used in a service; "
        "raise a domain exception instead",
        LINE,
    ]
    assert layercheck_lines(project, "app", "tests") == expected
    assert flake8_lines(project, "app", "tests") == expected


def test_same_findings_with_parallel_jobs(project: Path) -> None:
    assert flake8_lines(project, "--jobs", "2", "app", "tests") == layercheck_lines(
        project, "app", "tests"
    )


def test_project_index_is_shared_when_one_file_is_passed(project: Path) -> None:
    """`Gone` is defined in app/errors.py, which flake8 is not asked to check."""
    lines = flake8_lines(project, "app/services/orders.py")
    assert [line.split(": ")[0] for line in lines] == [
        "app/services/orders.py:7:21",
        "app/services/orders.py:7:37",
    ]
    assert lines == layercheck_lines(project, "app/services/orders.py")


def test_honours_ignore_in_the_config(tmp_path: Path) -> None:
    # The routes module's bare 404 is LC301's: ignored too, so nothing is left.
    write_project(tmp_path, FILES, 'ignore = ["LC201", "LC301"]')
    assert flake8_lines(tmp_path, "app") == []


def test_honours_per_file_ignores(tmp_path: Path) -> None:
    config = ONLY_LC201 + '\n[tool.layercheck.per-file-ignores]\n"app/services/*.py" = ["LC2"]'
    write_project(tmp_path, {"app/services/users.py": VIOLATION}, config)
    assert flake8_lines(tmp_path, "app") == []


def test_honours_layer_globs(tmp_path: Path) -> None:
    config = ONLY_LC201 + '\n[tool.layercheck.layers]\nservices = ["app/domain"]'
    write_project(
        tmp_path, {"app/domain/users.py": VIOLATION, "app/services/users.py": VIOLATION}, config
    )
    assert flake8_lines(tmp_path, "app") == [LINE.replace("services", "domain")]


def test_bad_config_is_one_finding_not_a_traceback(tmp_path: Path) -> None:
    write_project(tmp_path, {"app/services/users.py": VIOLATION}, "selct = []")
    proc = run_flake8("--select", "LC", "app", cwd=tmp_path)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stdout.splitlines() == [
        f"app/services/users.py:1:1: LC000 invalid configuration: {tmp_path / 'pyproject.toml'}: "
        "tool.layercheck.selct: unknown key; did you mean `select`?"
    ]


def test_flake8_select_filters_our_codes(project: Path) -> None:
    assert flake8_lines(project, "--select", "LC0", "app") == []


def test_stdin_with_a_display_name(project: Path) -> None:
    """Editors pipe the buffer in and name it; layer and config come from the name."""
    args = ("-m", "flake8", "--isolated", "--select", "LC", "--stdin-display-name")
    service = run(sys.executable, *args, "app/services/new.py", "-", cwd=project, stdin=VIOLATION)
    assert service.stdout.splitlines() == [LINE.replace("users.py", "new.py")]
    route = run(sys.executable, *args, "app/routes/new.py", "-", cwd=project, stdin=VIOLATION)
    assert (route.returncode, route.stdout) == (0, "")


def test_bad_app_same_codes_and_positions_as_the_command_line() -> None:
    """The README's demo project through both front ends. flake8 reports unparsable and
    undecodable files itself (E999/E902) and never hands them to plugins, so LC001 and
    LC002 are the command line's alone, and so is LC004, in the config file, which flake8
    does not read. flake8 has no fixes: the `[*]` mark of a fixable finding is the command
    line's alone too."""
    target = str((FIXTURES / "bad_app").relative_to(REPO))
    ours = [
        # flake8 has no fixes to mark.
        line.replace(" [*] ", " ", 1)
        for line in layercheck_lines(REPO, target)
        if not any(f" {code} " in line for code in ("LC001", "LC002", "LC004"))
    ]
    theirs = flake8_lines(REPO, target)
    assert ours, "bad_app has findings"
    assert [line.removeprefix("./") for line in theirs] == ours
