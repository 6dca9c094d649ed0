"""Every rule's Invalid examples through `--fix --unsafe-fixes` (in process): each fixed
file parses, and no finding of the rule is left unless the example says it has no fix;
an example's `fixed` text is compared exactly (`no_fix`: some findings of the example
have no fix and stay)."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path

import pytest
from support import example_files, write_project

from layercheck.config.settings import Overrides
from layercheck.config.workspace import Workspace
from layercheck.engine import Engine
from layercheck.fixes.relint import Relinter
from layercheck.fixes.run import fix_files
from layercheck.rules import ALL_RULES, CATALOG
from layercheck.rules._base import Example, FixAvailability, Invalid, Rule

CASES = [
    pytest.param(rule, example, id=f"{rule.meta.code}-invalid-{number}")
    for rule in ALL_RULES
    for number, example in enumerate(rule.examples, start=1)
    if isinstance(example, Invalid)
]


def _fixed_files(rule: type[Rule], example: Example) -> Mapping[str, str | bytes]:
    if example.fixed is None:
        return {}
    if isinstance(example.fixed, Mapping):
        return example.fixed
    return {next(iter(example_files(rule, example))): example.fixed}


@pytest.mark.parametrize(("rule", "example"), CASES)
def test_fix_example(rule: type[Rule], example: Example, tmp_path: Path) -> None:
    files = example_files(rule, example)
    write_project(tmp_path, files, example.config)
    engine = Engine(Workspace(CATALOG, Overrides(select=(rule.meta.code,)), cwd=tmp_path))
    result = engine.check([tmp_path])
    warnings: list[str] = []
    run = fix_files(Relinter(engine), result.findings, result.sources, True, warnings.append)
    assert warnings == []
    after = {item.path.relative_to(tmp_path).as_posix(): item for item in run.files}
    for item in run.files:
        ast.parse(item.fixed)
    expected = _fixed_files(rule, example)
    for name, text in expected.items():
        assert name in after, f"{name} was not fixed"
        assert after[name].fixed == text
    if rule.meta.fix is FixAvailability.NONE:
        assert run.files == []
        return
    if example.no_fix:
        return  # some of its findings have no fix (the rule's docs say why)
    left = [
        finding
        for finding in result.findings
        if finding.path.relative_to(tmp_path).as_posix() not in after
    ]
    for item in run.files:
        left.extend(item.remaining)
    assert [f for f in left if f.code == rule.meta.code] == [], "findings left after --fix"
