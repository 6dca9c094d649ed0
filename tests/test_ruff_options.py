"""The options a ruff user reaches for: `check`, -o, --config KEY=VALUE, --ignore-noqa,
--per-file-ignores, JSON --statistics and --list-rules, and the grouped, rdjson and azure
formats; each on a small project on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from projects import LINE, MESSAGE, ONLY_LC201, VIOLATION, assert_usage_error
from support import run_cli, write_project

SERVICE = "app/services/users.py"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_project(tmp_path, {SERVICE: VIOLATION}, ONLY_LC201)
    return tmp_path


def test_check_is_ruffs_spelling_of_the_plain_command(project: Path) -> None:
    plain = run_cli(".", cwd=project)
    spelled = run_cli("check", ".", cwd=project)
    assert (spelled.returncode, spelled.stdout) == (plain.returncode, plain.stdout)
    assert run_cli("check", cwd=project).stdout == plain.stdout


def test_a_folder_named_check_is_still_a_path(tmp_path: Path) -> None:
    write_project(tmp_path, {"check/app/services/users.py": VIOLATION}, ONLY_LC201)
    proc = run_cli("check", cwd=tmp_path)
    assert proc.stdout.startswith("check/app/services/users.py:5:11: LC201")


def test_output_file_keeps_the_exit_code(project: Path) -> None:
    proc = run_cli("-o", "reports/out.sarif", "--output-format", "sarif", cwd=project)
    assert (proc.returncode, proc.stdout) == (1, "")
    log = json.loads((project / "reports/out.sarif").read_text())
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["LC201"]
    concise = run_cli("--output-file", "out.txt", cwd=project)
    assert concise.returncode == 1
    assert (project / "out.txt").read_text() == f"{LINE}\nFound 1 error.\n"


def test_statistics_and_list_rules_as_json(project: Path) -> None:
    stats = run_cli("--statistics", "--output-format", "json", cwd=project)
    assert json.loads(stats.stdout) == [
        {"code": "LC201", "name": "http-exception-in-service", "count": 1, "fixable": False}
    ]
    rules = json.loads(run_cli("--list-rules", "--output-format", "json").stdout)
    assert rules[0] == {
        "code": "LC001",
        "name": "syntax-error",
        "family": "LC0",
        "status": "default",
        "fix": "none",
    }
    assert {"LC003", "LC201"} <= {rule["code"] for rule in rules}


def test_grouped(project: Path) -> None:
    proc = run_cli("--output-format", "grouped", cwd=project)
    assert proc.stdout == f"{SERVICE}:\n  5:11 LC201 {MESSAGE}\n\nFound 1 error.\n"


def test_azure(project: Path) -> None:
    proc = run_cli("--output-format", "azure", cwd=project)
    path = (project / SERVICE).resolve()
    assert proc.stdout == (
        f"##vso[task.logissue type=error;sourcepath={path};linenumber=5;columnnumber=11;"
        f"code=LC201;]{MESSAGE}\n"
    )


def test_rdjson(project: Path) -> None:
    document = json.loads(run_cli("--output-format", "rdjson", cwd=project).stdout)
    assert document["source"] == {"name": "layercheck"}
    assert document["diagnostics"] == [
        {
            "code": {"value": "LC201"},
            "location": {
                "path": SERVICE,
                "range": {"end": {"column": 24, "line": 5}, "start": {"column": 11, "line": 5}},
            },
            "message": MESSAGE,
        }
    ]


def test_config_key_value_overrides(project: Path) -> None:
    assert run_cli("--config", 'select = ["LC1"]', cwd=project).returncode == 0
    assert run_cli("--config", "preview=true", cwd=project).returncode == 1
    bad = run_cli("--config", "selec = []", cwd=project)
    assert_usage_error(bad, "--config selec", "did you mean `select`")
    assert_usage_error(run_cli("--config", "select = [", cwd=project), "KEY = VALUE")
    assert_usage_error(run_cli("--config", "select = [1]", cwd=project), "expected")


def test_per_file_ignores_on_the_command_line(project: Path) -> None:
    assert run_cli("--per-file-ignores", "app/services/*:LC2", cwd=project).returncode == 0
    assert run_cli("--per-file-ignores", "other/*:LC201", cwd=project).returncode == 1
    assert_usage_error(run_cli("--per-file-ignores", "LC201", cwd=project), "PATTERN:CODES")
    assert_usage_error(run_cli("--per-file-ignores", "a/*:LC9x", cwd=project), "LC9X")


def test_ignore_noqa(tmp_path: Path) -> None:
    source = VIOLATION.replace("(404)", "(404)  # noqa: LC201")
    write_project(tmp_path, {SERVICE: "# layercheck: noqa\n" + source}, ONLY_LC201)
    assert run_cli(cwd=tmp_path).returncode == 0
    proc = run_cli("--ignore-noqa", cwd=tmp_path)
    assert proc.returncode == 1
    # Nothing silenced: no noqa is reported unused either.
    assert proc.stdout.splitlines() == [LINE.replace(":5:", ":6:"), "Found 1 error."]
