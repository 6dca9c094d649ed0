"""Every rule's examples, run through the real engine as small projects on disk."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import check_project, example_files, expected_markers, write_project

from layercheck.rules import ALL_RULES
from layercheck.rules._base import Example, Rule

CASES = [
    pytest.param(
        rule,
        example,
        id=f"{rule.meta.code}-{'invalid' if example.expects_findings else 'valid'}-{number}",
    )
    for rule in ALL_RULES
    for number, example in enumerate(rule.examples, start=1)
]


@pytest.mark.parametrize(("rule", "example"), CASES)
def test_example(rule: type[Rule], example: Example, tmp_path: Path) -> None:
    files = example_files(rule, example)
    write_project(tmp_path, files, example.config)
    result = check_project(tmp_path, select=(rule.meta.code,))
    got = {
        (finding.path.relative_to(tmp_path).as_posix(), finding.start.row, finding.start.column)
        for finding in result.findings
        if finding.code == rule.meta.code
    }
    if not example.expects_findings:
        assert got == set(), f"{rule.meta.code} fired on a valid example ({example.note})"
        return
    expected = expected_markers(files)
    assert expected, "an Invalid example needs at least one `# error` marker"
    got_rows = {(path, row) for path, row, _ in got}
    assert got_rows == {(path, row) for path, row, _ in expected}, example.note
    for path, row, column in expected:
        if column is not None:
            assert (path, row, column) in got, f"expected column {column} at {path}:{row}"
