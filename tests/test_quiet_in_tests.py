"""A rule asks for nothing it cannot report on: LC302 (a route without a response model)
looks at no assignment or return of a test file, and still at those of an application
module; LC801 (the environment read outside the settings) asks for the project's
settings modules only in a file that reads a variable."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from support import walk_file

from layercheck.index import ProjectIndex
from layercheck.rules._base import RuleContext
from layercheck.rules.app_config import environ_outside_settings
from layercheck.rules.app_config.environ_outside_settings import EnvironOutsideSettings
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


SETTINGS = (
    "from pydantic_settings import BaseSettings\n"
    "class Settings(BaseSettings):\n"
    "    debug: bool = False\n"
)


@pytest.mark.parametrize(
    ("path", "source", "asked"),
    [
        ("app/services/users.py", "def users():\n    return []\n", False),
        ("app/services/users.py", "import os\nTOKEN = os.getenv('TOKEN')\n", True),
        ("app/services/users.py", "import os\nTOKEN = os.environ['TOKEN']\n", True),
        ("app/core/settings_reader.py", "import os\nTOKEN = os.getenv('TOKEN')\n", True),
        ("tests/test_users.py", "import os\nTOKEN = os.getenv('TOKEN')\n", False),
    ],
)
def test_lc801_asks_for_the_settings_modules_only_where_a_variable_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str, source: str, asked: bool
) -> None:
    questions: list[str | None] = []
    look = environ_outside_settings.is_settings_module

    def spy(module: str | None, index: ProjectIndex) -> bool:
        questions.append(module)
        return look(module, index)

    monkeypatch.setattr(environ_outside_settings, "is_settings_module", spy)
    files = {"app/core/config.py": SETTINGS, path: source}
    walk_file(tmp_path, files, path, [EnvironOutsideSettings()], EnvironOutsideSettings.needs)
    assert bool(questions) is asked
