"""A rule that sees every call may first look at the call alone and leave most of them
(`bare-status-code`: a status code must be written in it): the findings must be those it
gives without that test, on its examples and on the fixture projects."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from support import FIXTURES, Key, check_uncached, example_files, write_project

from layercheck.rules.routes import bare_status_code
from layercheck.rules.routes.bare_status_code import BareStatusCode, may_spell_code


def _without_pretest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bare_status_code, "may_spell_code", lambda node: True)


def _call(source: str) -> ast.Call:
    node = ast.parse(source, mode="eval").body
    assert isinstance(node, ast.Call)
    return node


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("HTTPException(404)", True),
        ("JSONResponse({}, 201)", True),
        ("HTTPException(detail='x', status_code=404)", True),
        ("Response(content, 200, media_type='text/plain')", True),
        ("HTTPException(status.HTTP_404_NOT_FOUND)", False),
        ("JSONResponse({}, 42)", False),
        ("JSONResponse({}, None, 404)", False),
        ("session.commit()", False),
        ("make(code=404)", False),
    ],
)
def test_may_spell_code(source: str, expected: bool) -> None:
    assert may_spell_code(_call(source)) is expected


def test_examples_same_without_the_pretest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rule = BareStatusCode
    select = (rule.meta.code, *rule.examples_select)
    found: list[list[Key]] = []
    for number, example in enumerate(rule.examples):
        root = tmp_path / str(number)
        root.mkdir()
        write_project(root, example_files(rule, example), example.config)
        found.append(check_uncached(root, select))
    assert any(found)
    _without_pretest(monkeypatch)
    for number, expected in enumerate(found):
        assert check_uncached(tmp_path / str(number), select) == expected


def test_fixtures_same_without_the_pretest(monkeypatch: pytest.MonkeyPatch) -> None:
    projects = sorted(
        path.parent
        for path in FIXTURES.rglob("pyproject.toml")
        if not any(part.startswith(".") for part in path.parts)
    )
    select = (BareStatusCode.meta.code,)
    found = [check_uncached(root, select) for root in projects]
    assert any(found)
    _without_pretest(monkeypatch)
    assert [check_uncached(root, select) for root in projects] == found
