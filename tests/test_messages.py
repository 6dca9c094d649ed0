"""`[tool.layercheck.messages]`: the team's text appended to a rule's findings."""

from __future__ import annotations

from pathlib import Path

from projects import LINE, ONLY_LC201, VIOLATION, assert_usage_error
from support import run_cli, write_project

SERVICE = "app/services/users.py"


def test_message_is_appended_and_the_most_specific_wins(tmp_path: Path) -> None:
    config = (
        ONLY_LC201 + '\n[tool.layercheck.messages]\nLC2 = "see docs/errors.md"\n'
        'LC201 = "raise app.errors.NotFound instead"\n'
    )
    write_project(tmp_path, {SERVICE: VIOLATION}, config)
    proc = run_cli(cwd=tmp_path)
    assert proc.stdout.splitlines()[0] == f"{LINE}; raise app.errors.NotFound instead"


def test_unknown_code_is_a_config_error(tmp_path: Path) -> None:
    config = '[tool.layercheck.messages]\nLC999 = "x"\n'
    write_project(tmp_path, {SERVICE: VIOLATION}, config)
    assert_usage_error(run_cli(cwd=tmp_path), "messages", "LC999")


def test_other_rules_keep_their_message(tmp_path: Path) -> None:
    config = ONLY_LC201 + '\n[tool.layercheck.messages]\nLC1 = "see docs/layers.md"\n'
    write_project(tmp_path, {SERVICE: VIOLATION}, config)
    assert run_cli(cwd=tmp_path).stdout.splitlines()[0] == LINE
