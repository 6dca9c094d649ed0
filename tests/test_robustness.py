"""Exit codes hold everywhere (issue 11): an internal error anywhere is exit code 2 with
one line naming what failed and where to report it, and the other files are still
checked; hostile configuration and paths give exit 2, a finding or a warning, never a
traceback."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from projects import LINE, ONLY_LC201, VIOLATION, assert_usage_error, run_flake8
from support import run_cli, write_project

from layercheck import cli, engine, flake8_plugin, flake8_project, loading, parallel
from layercheck.config.settings import Overrides
from layercheck.config.workspace import Workspace
from layercheck.context import RuleContext
from layercheck.engine import Engine
from layercheck.model import REPORT_AT
from layercheck.rules import CATALOG
from layercheck.rules.http.http_exception_in_service import HttpExceptionInService

BOOM_SOURCE = "from fastapi import HTTPException\n\n\ndef f():\n    raise HTTPException(500)\n"


def _explode(self: object, node: ast.Raise, ctx: RuleContext) -> None:
    if ctx.path.name == "boom.py":
        raise RuntimeError("boom")


def _project(root: Path) -> None:
    write_project(
        root,
        {"app/services/users.py": VIOLATION, "app/services/boom.py": BOOM_SOURCE},
        ONLY_LC201,
    )


def _engine(root: Path, **kwargs: Any) -> tuple[Engine, list[str], list[str]]:
    warnings: list[str] = []
    errors: list[str] = []
    workspace = Workspace(CATALOG, Overrides(), cwd=root)
    engine = Engine(workspace, warn=warnings.append, error=errors.append, **kwargs)
    return engine, warnings, errors


def test_a_failing_rule_names_the_rule_and_the_file_and_spares_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(HttpExceptionInService, "visit_Raise", _explode)
    _project(tmp_path)
    engine, warnings, errors = _engine(tmp_path)
    result = engine.check([tmp_path])
    assert [(f.path.name, f.code) for f in result.findings] == [("users.py", "LC201")]
    assert result.internal_errors == 1
    boom = tmp_path / "app/services/boom.py"
    assert errors == [
        f"internal error in rule LC201 {HttpExceptionInService.meta.name} on {boom}: "
        f"RuntimeError('boom'); please report it at {REPORT_AT}"
    ]
    assert result.errors == errors
    assert warnings == []


def _fail_in_the_worker(real: Any, how: str) -> Any:
    parent = os.getpid()

    def serve(*args: Any) -> None:
        if os.getpid() != parent:
            if how == "raise":
                raise RuntimeError("worker boom")
            os._exit(3)
        real(*args)

    return serve


@pytest.mark.parametrize("how", ["raise", "die"])
def test_a_failing_worker_is_reported_and_the_project_checked_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], how: str
) -> None:
    monkeypatch.setattr(parallel, "_serve", _fail_in_the_worker(parallel._serve, how))
    _project(tmp_path)
    engine, _, errors = _engine(tmp_path, jobs=2)
    result = engine.check([tmp_path])
    # Checked again in this process: both files' findings are there.
    assert sorted(f.path.name for f in result.findings) == ["boom.py", "users.py"]
    assert result.internal_errors == 1
    assert len(errors) == 1
    assert errors[0].startswith(f"internal error in a worker process checking {tmp_path}: ")
    assert errors[0].endswith(f"please report it at {REPORT_AT}")
    if how == "raise":
        assert "RuntimeError('worker boom')" in errors[0]
    assert "Traceback" not in capfd.readouterr().err


def _patched_cli(patch: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command line in a subprocess, with `patch` (Python) run first."""
    script = textwrap.dedent(patch) + "\nfrom layercheck.cli import main\nmain()\n"
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


_RULE_PATCH = """
from layercheck.rules.http.http_exception_in_service import HttpExceptionInService

def explode(self, node, ctx):
    if ctx.path.name == "boom.py":
        raise RuntimeError("boom")

HttpExceptionInService.visit_Raise = explode
"""


def test_cli_exits_2_on_a_failing_rule_with_one_line_and_the_other_findings(
    tmp_path: Path,
) -> None:
    _project(tmp_path)
    proc = _patched_cli(_RULE_PATCH, "--quiet", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout.splitlines() == [LINE]
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("layercheck: error: internal error in rule LC201 ")
    assert "app/services/boom.py: RuntimeError('boom')" in lines[0]
    assert REPORT_AT in lines[0]


_WORKER_PATCH = """
import os
from layercheck import engine, parallel

parent = os.getpid()
real = parallel._serve

def serve(*args):
    if os.getpid() != parent:
        raise RuntimeError("worker boom")
    real(*args)

parallel._serve = serve
engine.worker_count = lambda files, requested: 2
"""


def test_cli_exits_2_on_a_failing_worker_and_still_reports(tmp_path: Path) -> None:
    _project(tmp_path)
    proc = _patched_cli(_WORKER_PATCH, "--quiet", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout.splitlines() == [
        "app/services/boom.py:5:11: LC201 " + LINE.split(" LC201 ")[1],
        LINE,
    ]
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert "internal error in a worker process" in lines[0]
    assert "RuntimeError('worker boom')" in lines[0]


@pytest.mark.parametrize(
    ("patch", "stage"),
    [
        pytest.param(
            "from layercheck import engine\n"
            "def discover(*a, **k):\n    raise RuntimeError('lost')\n"
            "engine.discover = discover\n",
            "checking the files",
            id="discovery",
        ),
        pytest.param(
            "from layercheck.config import workspace\n"
            "def find(folder):\n    raise RuntimeError('lost')\n"
            "workspace.find_config = find\n",
            "checking the files",
            id="config",
        ),
        pytest.param(
            "from layercheck.report import WRITERS\n"
            "def report(findings, options, out):\n    raise RuntimeError('lost')\n"
            "WRITERS['concise'] = report\n",
            "the concise reporter",
            id="reporter",
        ),
    ],
)
def test_cli_exits_2_with_one_line_on_any_internal_error(
    tmp_path: Path, patch: str, stage: str
) -> None:
    _project(tmp_path)
    line = assert_usage_error(_patched_cli(patch, cwd=tmp_path), stage, "RuntimeError('lost')")
    assert line == (
        f"layercheck: error: internal error in {stage}: RuntimeError('lost'); "
        f"please report it at {REPORT_AT}"
    )


def test_flake8_plugin_turns_a_failing_rule_into_one_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(HttpExceptionInService, "visit_Raise", _explode)
    monkeypatch.setattr(flake8_project, "_PROJECTS", {})
    monkeypatch.chdir(tmp_path)
    _project(tmp_path)
    boom = tmp_path / "app/services/boom.py"
    plugin = flake8_plugin.LayercheckPlugin(
        ast.parse(BOOM_SOURCE), str(boom), BOOM_SOURCE.splitlines(keepends=True)
    )
    found = [(row, column, message) for row, column, message, _ in plugin.run()]
    assert len(found) == 1
    row, column, message = found[0]
    assert (row, column) == (1, 0)
    assert message.startswith("LC000 internal error in rule LC201 ")
    assert f"{boom}: RuntimeError('boom')" in message
    # The other file is unaffected.
    users = tmp_path / "app/services/users.py"
    plugin = flake8_plugin.LayercheckPlugin(
        ast.parse(VIOLATION), str(users), VIOLATION.splitlines(keepends=True)
    )
    assert [message.split()[0] for _, _, message, _ in plugin.run()] == ["LC201"]


def test_flake8_plugin_turns_an_unexpected_exception_into_one_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("index boom")

    monkeypatch.setattr(flake8_project, "_PROJECTS", {})
    # The plugin's index: its own of several projects, the engine's of one.
    monkeypatch.setattr(flake8_project, "ProjectIndex", broken)
    monkeypatch.setattr(engine, "ProjectIndex", broken)
    _project(tmp_path)
    users = tmp_path / "app/services/users.py"
    plugin = flake8_plugin.LayercheckPlugin(
        ast.parse(VIOLATION), str(users), VIOLATION.splitlines(keepends=True)
    )
    [(row, column, message, _)] = list(plugin.run())
    assert (row, column) == (1, 0)
    assert message == (
        f"LC000 internal error in checking {users}: RuntimeError('index boom'); "
        f"please report it at {REPORT_AT}"
    )


# -- the reproducers of issue 11 -------------------------------------------------------------


def test_config_file_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "pyproject.toml").write_bytes(b"\xff")
    assert_usage_error(
        run_cli(".", cwd=tmp_path), str(tmp_path / "pyproject.toml"), "not UTF-8", "0xff"
    )
    proc = run_flake8("--select", "LC", "a.py", cwd=tmp_path)
    assert "Traceback" not in proc.stderr
    assert proc.stdout.splitlines() == [
        f"a.py:1:1: LC000 invalid configuration: {tmp_path / 'pyproject.toml'}: "
        "invalid TOML: not UTF-8 (byte 0xff at offset 0)"
    ]


def test_toml_nested_1000_deep(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "pyproject.toml").write_text("a = " + "[" * 1000 + "]" * 1000 + "\n")
    assert_usage_error(
        run_cli(".", cwd=tmp_path), str(tmp_path / "pyproject.toml"), "nested too deeply"
    )


@pytest.mark.parametrize("pattern", ["[]", "[z-a]", "a[!]", "[x", ""])
def test_bad_globs_are_config_errors_naming_key_and_pattern(tmp_path: Path, pattern: str) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "pyproject.toml").write_text(f'[tool.layercheck]\nextend-exclude = ["{pattern}"]\n')
    assert_usage_error(
        run_cli(".", cwd=tmp_path),
        str(tmp_path / "pyproject.toml"),
        "tool.layercheck.extend-exclude",
        f"bad glob {pattern!r}",
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("exclude", '["a[!]"]'),
        ("per-file-ignores", '{"[]" = ["LC201"]}'),
        ("layers", '{services = ["[z-a]"]}'),
    ],
)
def test_bad_globs_in_every_glob_key(tmp_path: Path, key: str, value: str) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "pyproject.toml").write_text(f"[tool.layercheck]\n{key} = {value}\n")
    assert_usage_error(run_cli(".", cwd=tmp_path), f"tool.layercheck.{key}", "bad glob")


def test_bad_glob_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    assert_usage_error(
        run_cli("--extend-exclude", "[]", ".", cwd=tmp_path), "--extend-exclude", "bad glob '[]'"
    )


def test_triple_star_is_accepted_as_gitignore_reads_it(tmp_path: Path) -> None:
    """`***` is `*` three times: within one component, as in gitignore."""
    write_project(
        tmp_path,
        {"app/services/users.py": VIOLATION, "app/x/gen/more.py": VIOLATION},
        'extend-exclude = ["app/***/gen"]\n' + ONLY_LC201,
    )
    proc = run_cli("--quiet", cwd=tmp_path)
    assert (proc.returncode, proc.stdout.splitlines(), proc.stderr) == (1, [LINE], "")


def test_negated_glob_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "pyproject.toml").write_text('[tool.layercheck]\nextend-exclude = ["!a.py"]\n')
    assert_usage_error(run_cli(".", cwd=tmp_path), "extend-exclude", "negated pattern")


@pytest.mark.skipif(os.geteuid() == 0, reason="root lists every folder")
def test_unreadable_folder_is_a_warning_and_the_run_goes_on(tmp_path: Path) -> None:
    write_project(tmp_path, {"app/services/users.py": VIOLATION, "app/locked/x.py": ""})
    locked = tmp_path / "app/locked"
    locked.chmod(0)
    try:
        proc = run_cli("--quiet", cwd=tmp_path)
    finally:
        locked.chmod(0o755)
    assert proc.returncode == 1
    assert LINE in proc.stdout.splitlines()
    assert "app/locked: cannot list folder" in proc.stderr


def test_unlistable_folder_is_a_warning_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same code path as a folder without permission, for root too."""
    from layercheck import discovery

    real_scandir = os.scandir

    def scandir(path: Any) -> Any:
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(discovery.os, "scandir", scandir)
    write_project(tmp_path, {"app/services/users.py": VIOLATION, "app/locked/x.py": ""})
    engine, warnings, errors = _engine(tmp_path)
    result = engine.check([tmp_path])
    assert [f.path.name for f in result.findings] == ["users.py"]
    assert warnings == [
        f"{tmp_path / 'app/locked'}: cannot list folder (Permission denied), skipped"
    ]
    assert errors == []


def test_unreadable_file_named_explicitly_is_lc002_not_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """click's own readability check (`os.access`) must not turn it into a usage error;
    the read itself fails, as it does for a user without permission."""
    write_project(tmp_path, {"app/services/users.py": VIOLATION, "app/secret.py": ""}, ONLY_LC201)
    secret = tmp_path / "app/secret.py"
    real_read = loading.read_regular_file

    def read(path: Path | str) -> Any:
        if Path(path).name == "secret.py":  # a path or its text: load_file reads by name
            raise PermissionError(13, "Permission denied")
        return real_read(path)

    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)
    monkeypatch.setattr(loading, "read_regular_file", read)
    monkeypatch.chdir(tmp_path)
    outcome = CliRunner().invoke(
        cli.main, ["--quiet", "--no-cache", "app/secret.py", "app/services/users.py"]
    )
    assert outcome.exit_code == 1, outcome.output
    assert outcome.stdout.splitlines() == [
        "app/secret.py:1:1: LC002 cannot read file: Permission denied",
        LINE,
    ]
    assert secret.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file_named_explicitly_as_a_user(tmp_path: Path) -> None:
    write_project(tmp_path, {"app/services/users.py": VIOLATION, "app/secret.py": ""}, ONLY_LC201)
    secret = tmp_path / "app/secret.py"
    secret.chmod(0)
    try:
        proc = run_cli("--quiet", "app/secret.py", "app/services/users.py", cwd=tmp_path)
    finally:
        secret.chmod(0o644)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines() == [
        "app/secret.py:1:1: LC002 cannot read file: Permission denied",
        LINE,
    ]


def test_dangling_symlink_named_explicitly_is_lc002(tmp_path: Path) -> None:
    """Not "All checks passed!" with exit 0: like an unreadable file, a finding, and the
    other paths are still checked. (A path that does not exist at all is a usage error.)"""
    write_project(tmp_path, {"app/services/users.py": VIOLATION}, ONLY_LC201)
    (tmp_path / "app/gone.py").symlink_to("nowhere.py")
    proc = run_cli("--quiet", "app/gone.py", "app/services/users.py", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines() == [
        "app/gone.py:1:1: LC002 cannot read file: No such file or directory",
        LINE,
    ]
    alone = run_cli("app/gone.py", cwd=tmp_path)
    assert alone.returncode == 1
    assert "All checks passed!" not in alone.stdout
