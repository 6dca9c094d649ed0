"""Every rule's examples, run through the real engine as small projects on disk; each
example runs again with `from __future__ import annotations` on top of every file, as
real models and schemas use both (annotations then stay unevaluated)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
from support import check_project, example_files, expected_markers, write_project

from layercheck.rules import ALL_RULES
from layercheck.rules._base import Example, Rule

FUTURE = "from __future__ import annotations\n"


def _with_future(files: Mapping[str, str | bytes]) -> dict[str, str | bytes] | None:
    """The files with the future import on top; None when that would change nothing or
    break the example (raw bytes, an existing future import, a coding cookie)."""
    changed: dict[str, str | bytes] = {}
    for name, source in files.items():
        if isinstance(source, bytes) or "from __future__" in source or "coding" in source[:80]:
            return None
        changed[name] = FUTURE + source if name.endswith(".py") and source.strip() else source
    return changed


CASES = [
    pytest.param(
        rule,
        example,
        future,
        id=f"{rule.meta.code}-{'invalid' if example.expects_findings else 'valid'}-{number}"
        + ("-future" if future else ""),
    )
    for rule in ALL_RULES
    for number, example in enumerate(rule.examples, start=1)
    for future in (False, True)
    if not future or _with_future(example_files(rule, example)) is not None
]


@pytest.mark.parametrize(("rule", "example", "future"), CASES)
def test_example(rule: type[Rule], example: Example, future: bool, tmp_path: Path) -> None:
    files = example_files(rule, example)
    if future:
        rewritten = _with_future(files)
        assert rewritten is not None
        files = rewritten
    write_project(tmp_path, files, example.config)
    result = check_project(tmp_path, select=(rule.meta.code, *rule.examples_select))
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
