"""The `layercheck` command, run in a subprocess as users run it."""

from __future__ import annotations

from pathlib import Path

import pytest
from projects import CLEAN, LINE, ONLY_LC201, VIOLATION, assert_usage_error, console_script
from projects import run as run_command
from support import run_cli, write_project

from layercheck import __version__


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """One LC201 violation in a service, one clean route, one test file."""
    write_project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/services/users.py": VIOLATION,
            "app/routes/users.py": CLEAN,
            "tests/test_users.py": VIOLATION,
        },
        ONLY_LC201,
    )
    return tmp_path


# -- exit codes and summary ------------------------------------------------------------


def test_findings_exit_1_with_concise_lines_and_summary(project: Path) -> None:
    proc = run_cli(cwd=project)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == f"{LINE}\nFound 1 error.\n"
    assert proc.stderr == ""


def test_summary_counts_errors(project: Path) -> None:
    (project / "app/services/orders.py").write_text(VIOLATION, encoding="utf-8")
    proc = run_cli(".", cwd=project)
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[-1] == "Found 2 errors."
    assert proc.stdout.splitlines()[0] == LINE.replace("users.py", "orders.py")


def test_clean_project_exits_0(tmp_path: Path) -> None:
    write_project(tmp_path, {"app/services/users.py": CLEAN})
    proc = run_cli(cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "All checks passed!\n"


def test_exit_zero_keeps_the_report(project: Path) -> None:
    proc = run_cli("--exit-zero", cwd=project)
    assert proc.returncode == 0
    assert proc.stdout == f"{LINE}\nFound 1 error.\n"


def test_console_script_behaves_like_python_m(project: Path) -> None:
    script = run_command(console_script("layercheck"), ".", cwd=project)
    module = run_cli(".", cwd=project)
    assert (
        (script.returncode, script.stdout)
        == (module.returncode, module.stdout)
        == (
            1,
            f"{LINE}\nFound 1 error.\n",
        )
    )


def test_default_path_is_the_working_folder(project: Path) -> None:
    assert run_cli(cwd=project / "app").stdout == LINE.replace("app/", "", 1) + (
        "\nFound 1 error.\n"
    )


def test_unknown_option_is_a_usage_error(project: Path) -> None:
    proc = run_cli("--frobnicate", cwd=project)
    assert proc.returncode == 2
    assert "No such option" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_output_format_is_a_usage_error(project: Path) -> None:
    proc = run_cli("--output-format", "xml", cwd=project)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("option", ["--select", "--extend-select", "--ignore"])
def test_unknown_rule_code_suggests_the_nearest(project: Path, option: str) -> None:
    proc = run_cli(option, "LC2O1", ".", cwd=project)
    assert_usage_error(proc, option, "LC2O1", "did you mean `LC201`?")


def test_missing_path_is_one_line_without_traceback(project: Path) -> None:
    proc = run_cli("app", "no/such/dir", cwd=project)
    assert_usage_error(proc, "no/such/dir")


def test_stdin_dash_cannot_be_mixed_with_paths(project: Path) -> None:
    proc = run_cli("-", "app", cwd=project, stdin=b"x = 1\n")
    assert_usage_error(proc, "stdin")


# -- rule selection -----------------------------------------------------------------------


def _codes(proc_stdout: str) -> list[str]:
    return [line.split()[1] for line in proc_stdout.splitlines() if line.startswith("app/")]


@pytest.mark.parametrize(
    ("args", "fires"),
    [
        pytest.param(("--select", "LC201"), True, id="exact"),
        pytest.param(("--select", "LC2"), True, id="prefix"),
        pytest.param(("--select", "lc2"), True, id="lower-case"),
        pytest.param(("--select", "ALL"), True, id="all"),
        pytest.param(("--select", "LC0"), False, id="other-family"),
        pytest.param(("--select", "LC001,LC201"), True, id="comma-separated"),
        pytest.param(("--select", "LC001", "--select", "LC201"), True, id="repeated"),
        pytest.param(("--select", "LC2", "--ignore", "LC201"), False, id="ignore-more-specific"),
        pytest.param(("--select", "LC201", "--ignore", "LC2"), True, id="select-more-specific"),
        pytest.param(("--select", "LC201", "--ignore", "LC201"), False, id="tie-goes-to-ignore"),
        pytest.param(("--ignore", "LC201"), False, id="ignore"),
        pytest.param(("--ignore", "LC0,LC201"), False, id="ignore-comma-separated"),
        pytest.param(("--ignore", "LC2", "--extend-select", "LC201"), True, id="extend-wins"),
    ],
)
def test_selection_options(tmp_path: Path, args: tuple[str, ...], fires: bool) -> None:
    write_project(tmp_path, {"app/services/users.py": VIOLATION})
    proc = run_cli(*args, ".", cwd=tmp_path)
    assert proc.returncode == (1 if fires else 0), proc.stderr
    assert _codes(proc.stdout) == (["LC201"] if fires else [])


def test_extend_select_adds_to_the_configured_select(tmp_path: Path) -> None:
    write_project(tmp_path, {"app/services/users.py": VIOLATION}, 'select = ["LC0"]')
    assert run_cli(cwd=tmp_path).returncode == 0
    proc = run_cli("--extend-select", "LC201", cwd=tmp_path)
    assert _codes(proc.stdout) == ["LC201"]


def test_command_line_select_replaces_the_configured_ignore(tmp_path: Path) -> None:
    """ruff: with `ignore = ["F401"]` in the file, `--select F401` enforces F401."""
    write_project(tmp_path, {"app/services/users.py": VIOLATION}, 'ignore = ["LC201"]')
    assert run_cli(cwd=tmp_path).returncode == 0
    assert _codes(run_cli("--select", "LC201", cwd=tmp_path).stdout) == ["LC201"]
    # --extend-select leaves the configured ignore in place unless it names the code.
    assert run_cli("--extend-select", "LC0", cwd=tmp_path).returncode == 0


def test_preview_flag_reaches_the_settings(project: Path) -> None:
    assert "preview = false" in run_cli("--show-settings", cwd=project).stdout
    assert "preview = true" in run_cli("--preview", "--show-settings", cwd=project).stdout


# -- information options --------------------------------------------------------------


def test_statistics(project: Path) -> None:
    (project / "app/services/orders.py").write_text(VIOLATION + VIOLATION, encoding="utf-8")
    proc = run_cli("--statistics", cwd=project)
    assert proc.returncode == 1
    assert proc.stdout == "3\tLC201\thttp-exception-in-service\n"


def test_quiet_prints_findings_only(project: Path) -> None:
    proc = run_cli("--quiet", cwd=project)
    assert (proc.returncode, proc.stdout) == (1, f"{LINE}\n")
    (project / "app/services/users.py").write_text(CLEAN, encoding="utf-8")
    assert run_cli("-q", cwd=project).stdout == ""


def test_verbose_talks_on_stderr_only(project: Path) -> None:
    proc = run_cli("--verbose", cwd=project)
    assert proc.stdout == f"{LINE}\nFound 1 error.\n"
    assert "layercheck:" in proc.stderr
    assert "4 files" in proc.stderr


def test_version() -> None:
    proc = run_cli("--version")
    assert (proc.returncode, proc.stdout) == (0, f"layercheck {__version__}\n")


@pytest.mark.parametrize("name", ["LC201", "lc201", "http-exception-in-service"])
def test_explain(name: str) -> None:
    proc = run_cli("--explain", name)
    assert proc.returncode == 0
    assert proc.stdout.startswith("# http-exception-in-service (LC201)\n")
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert section in proc.stdout


def test_explain_unknown_rule() -> None:
    assert_usage_error(run_cli("--explain", "LC999"), "LC999", "--list-rules")
    assert_usage_error(
        run_cli("--explain", "http-exception-in-servise"),
        "did you mean `http-exception-in-service`?",
    )


def test_list_rules() -> None:
    proc = run_cli("--list-rules")
    assert proc.returncode == 0
    rows = {line.split()[0]: line.split() for line in proc.stdout.splitlines()[1:]}
    assert proc.stdout.split()[:5] == ["code", "name", "family", "status", "fix"]
    assert rows["LC201"][:3] == ["LC201", "http-exception-in-service", "LC2"]
    assert rows["LC201"][-3:] == ["default", "no", "fix"]
    assert {"LC001", "LC002", "LC201"} <= set(rows)


def test_show_settings(project: Path) -> None:
    proc = run_cli("--show-settings", "--select", "LC201", "app/services/users.py", cwd=project)
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert lines[0] == f"Resolved settings for: {project / 'app/services/users.py'}"
    assert f'config = "{project / "pyproject.toml"}"' in lines
    assert 'command-line select = ["LC201"]' in lines
    assert 'active = ["LC201"]' in lines


def test_show_files_lists_each_file_with_its_layer(project: Path) -> None:
    proc = run_cli("--show-files", cwd=project)
    assert proc.returncode == 0
    assert proc.stdout.splitlines() == [
        "app/__init__.py\t-",
        "app/routes/users.py\troutes",
        "app/services/users.py\tservices",
        "tests/test_users.py\t-",
    ]


# -- configuration options ------------------------------------------------------------


def test_config_option_uses_that_file_only(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    other = tmp_path_factory.mktemp("elsewhere") / "strict.toml"
    other.write_text('ignore = ["LC201"]\n', encoding="utf-8")
    assert run_cli("--config", other, cwd=project).returncode == 0
    assert run_cli(cwd=project).returncode == 1


def test_missing_config_file(project: Path) -> None:
    assert_usage_error(run_cli("--config", "nope.toml", cwd=project), "nope.toml")


def test_isolated_ignores_config_files(tmp_path: Path) -> None:
    write_project(tmp_path, {"app/services/users.py": VIOLATION}, 'ignore = ["LC201"]')
    assert run_cli(cwd=tmp_path).returncode == 0
    proc = run_cli("--isolated", "--select", "LC201", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (1, f"{LINE}\nFound 1 error.\n")


def test_force_exclude_file(tmp_path: Path) -> None:
    write_project(
        tmp_path, {"app/services/users.py": VIOLATION}, 'extend-exclude = ["app/services"]'
    )
    assert run_cli(cwd=tmp_path).stdout == "All checks passed!\n"
    explicit = run_cli("app/services/users.py", cwd=tmp_path)
    assert explicit.stdout == f"{LINE}\nFound 1 error.\n"
    forced = run_cli("--force-exclude", "app/services/users.py", cwd=tmp_path)
    assert (forced.returncode, forced.stdout) == (0, "All checks passed!\n")


def test_force_exclude_folder(tmp_path: Path) -> None:
    """An excluded folder passed explicitly is checked inside (ruff), unless forced."""
    write_project(tmp_path, {"build/app/services/users.py": VIOLATION}, ONLY_LC201)
    assert run_cli(cwd=tmp_path).returncode == 0  # `build` is a default exclude
    explicit = run_cli("build", cwd=tmp_path)
    assert explicit.stdout == f"build/{LINE}\nFound 1 error.\n"
    assert run_cli("--force-exclude", "build", cwd=tmp_path).returncode == 0


def test_command_line_exclude_options(tmp_path: Path) -> None:
    write_project(tmp_path, {"app/services/users.py": VIOLATION, "build/x.py": "x = (\n"})
    assert run_cli("--extend-exclude", "services", cwd=tmp_path).returncode == 0
    # --exclude replaces the defaults, so `build/` (with its syntax error) is checked.
    proc = run_cli("--exclude", "services", cwd=tmp_path)
    assert [line.split()[:2] for line in proc.stdout.splitlines()[:-1]] == [
        ["build/x.py:1:5:", "LC001"]
    ]


# -- stdin ------------------------------------------------------------------------------


def test_stdin_takes_layer_and_config_from_the_given_name(project: Path) -> None:
    # The file on disk is clean; the text on stdin is what gets checked.
    (project / "app/services/users.py").write_text(CLEAN, encoding="utf-8")
    proc = run_cli(
        "--stdin-filename", "app/services/users.py", "-", cwd=project, stdin=VIOLATION.encode()
    )
    assert (proc.returncode, proc.stdout) == (1, f"{LINE}\nFound 1 error.\n")
    route = run_cli(
        "--stdin-filename", "app/routes/users.py", "-", cwd=project, stdin=VIOLATION.encode()
    )
    assert (route.returncode, route.stdout) == (0, "All checks passed!\n")


def test_stdin_without_dash(project: Path) -> None:
    proc = run_cli("--stdin-filename", "app/services/new.py", cwd=project, stdin=VIOLATION.encode())
    assert proc.stdout == f"{LINE.replace('users.py', 'new.py')}\nFound 1 error.\n"


def test_stdin_honours_the_config_of_its_folder(project: Path) -> None:
    (project / "svc").mkdir()
    write_project(project / "svc", {}, 'ignore = ["LC201"]')
    proc = run_cli(
        "--stdin-filename", "svc/app/services/x.py", "-", cwd=project, stdin=VIOLATION.encode()
    )
    assert (proc.returncode, proc.stdout) == (0, "All checks passed!\n")


def test_stdin_full_output_shows_the_stdin_text(project: Path) -> None:
    proc = run_cli(
        "--output-format",
        "full",
        "--stdin-filename",
        "app/services/users.py",
        "-",
        cwd=project,
        stdin=VIOLATION.replace("(user):", "(user):  # from stdin").encode(),
    )
    assert "4 | def get(user):  # from stdin" in proc.stdout
    assert "5 |     raise HTTPException(404)" in proc.stdout


def test_stdin_force_exclude(project: Path) -> None:
    args = ("--extend-exclude", "services", "--stdin-filename", "app/services/users.py", "-")
    assert run_cli(*args, cwd=project, stdin=VIOLATION.encode()).returncode == 1
    forced = run_cli("--force-exclude", *args, cwd=project, stdin=VIOLATION.encode())
    assert (forced.returncode, forced.stdout) == (0, "All checks passed!\n")
