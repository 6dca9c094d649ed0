"""A finding is a function of the file, the project, the rule and the settings: never of
which other rules run. Every rule's examples and every fixture project are checked twice,
with the rule alone and with every rule (preview included), and the rule's findings must
be the same both ways."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import FIXTURES, check_project, example_files, write_project

from layercheck.engine import CheckResult
from layercheck.rules import ALL_RULES, ENGINE_CODES
from layercheck.rules._base import Example, Rule

Key = tuple[str, str, int, int, int, int, str]


def _findings(result: CheckResult, root: Path, code: str | None = None) -> set[Key]:
    return {
        (
            finding.code,
            finding.path.relative_to(root).as_posix(),
            finding.start.row,
            finding.start.column,
            finding.end.row,
            finding.end.column,
            finding.message,
        )
        for finding in result.findings
        if code is None or finding.code == code
    }


EXAMPLES = [
    pytest.param(
        rule,
        example,
        id=f"{rule.meta.code}-{'invalid' if example.expects_findings else 'valid'}-{number}",
    )
    for rule in ALL_RULES
    if rule.meta.code not in ENGINE_CODES
    for number, example in enumerate(rule.examples, start=1)
]


@pytest.mark.parametrize(("rule", "example"), EXAMPLES)
def test_example_alone_equals_with_every_rule(
    rule: type[Rule], example: Example, tmp_path: Path
) -> None:
    write_project(tmp_path, example_files(rule, example), example.config)
    code = rule.meta.code
    alone = _findings(check_project(tmp_path, select=(code,), preview=True), tmp_path)
    every = _findings(check_project(tmp_path, select=("LC",), preview=True), tmp_path, code)
    assert alone == every, example.note


FIXTURE_PROJECTS = sorted(
    path.parent
    for path in FIXTURES.rglob("pyproject.toml")
    if not any(part.startswith(".") for part in path.parts)
)


@pytest.mark.parametrize(
    "project", FIXTURE_PROJECTS, ids=lambda p: p.relative_to(FIXTURES).as_posix()
)
def test_fixture_alone_equals_with_every_rule(project: Path) -> None:
    every = _findings(check_project(project, select=("LC",), preview=True), project)
    for rule in ALL_RULES:
        code = rule.meta.code
        # A rule about other rules' findings (LC003) runs with those it needs.
        selected = (code, *rule.examples_select)
        alone = _findings(check_project(project, select=selected, preview=True), project, code)
        assert alone == {item for item in every if item[0] == code}, code
