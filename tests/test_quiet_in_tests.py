"""A rule that never reports in a test file follows nothing there: LC302 (a route without
a response model) looks at no assignment or return of a test file, and still at those of
an application module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from support import walk_file

from layercheck.rules._base import RuleContext
from layercheck.rules.routes.missing_response_model import MissingResponseModel

ROUTE = (
    "from fastapi import APIRouter\n"
    "from fastapi.responses import JSONResponse\n"
    "router = APIRouter()\n"
    "@router.get('/items')\n"
    "def items():\n"
    "    response = JSONResponse({})\n"
    "    return response\n"
)


@pytest.mark.parametrize(
    ("path", "followed"), [("app/api/items.py", True), ("tests/test_items.py", False)]
)
def test_lc302_follows_responses_only_where_it_reports(
    tmp_path: Path, path: str, followed: bool
) -> None:
    rule = MissingResponseModel()
    asked: list[ast.expr] = []
    look = rule._is_response

    def spy(value: ast.expr, ctx: RuleContext) -> bool:
        asked.append(value)
        return look(value, ctx)

    rule._is_response = spy  # type: ignore[method-assign]
    walk_file(tmp_path, {path: ROUTE}, path, [rule], MissingResponseModel.needs)
    assert bool(asked) is followed
