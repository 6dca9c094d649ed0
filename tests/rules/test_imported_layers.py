"""The layers an import brings in are worked out once per import statement and file, and
kept for the other layer rules asking there: what they are handed is what asking again
gives, at every import, under `TYPE_CHECKING` too."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import ClassVar

from support import walk_file

from layercheck.layers import Layer
from layercheck.rules._base import Rule, RuleContext, RuleMeta
from layercheck.rules.layering import _helpers
from layercheck.rules.layering._helpers import imported_layers

FILES = {
    "pyproject.toml": "[tool.layercheck]\n",
    "app/__init__.py": "",
    "app/repositories/__init__.py": "",
    "app/repositories/users.py": "class UserRepository:\n    pass\n",
    "app/services/__init__.py": "",
    "app/services/users.py": "def list_users():\n    return []\n",
    "app/routes/__init__.py": "",
    "app/routes/users.py": (
        "from typing import TYPE_CHECKING\n"
        "import app.services.users\n"
        "from app.repositories.users import UserRepository\n"
        "from app.services import users as service\n"
        "import os\n"
        "if TYPE_CHECKING:\n"
        "    from app.repositories import users\n"
        "def handler():\n"
        "    from app.repositories.users import UserRepository as R\n"
    ),
}


class _Asks(Rule):
    meta: ClassVar[RuleMeta] = RuleMeta(code="LC997", name="asks", message="")

    def __init__(self) -> None:
        self.kept: list[tuple[tuple[str, Layer], ...]] = []
        self.again: list[tuple[tuple[str, Layer], ...]] = []

    def visit_Import(self, node: ast.Import, ctx: RuleContext) -> None:
        self._ask(node, ctx)

    def visit_ImportFrom(self, node: ast.ImportFrom, ctx: RuleContext) -> None:
        self._ask(node, ctx)

    def _ask(self, node: ast.Import | ast.ImportFrom, ctx: RuleContext) -> None:
        first = imported_layers(node, ctx)
        assert imported_layers(node, ctx) is first  # kept, not worked out again
        self.kept.append(first)
        self.again.append(tuple(_helpers._imported_layers(node, ctx)))


def test_the_layers_kept_are_those_asking_again_gives(tmp_path: Path) -> None:
    rule = _Asks()
    walk_file(tmp_path, FILES, "app/routes/users.py", [rule])
    assert len(rule.kept) == 7
    assert rule.kept == rule.again
    assert ("app.repositories.users", Layer.REPOSITORIES) in rule.kept[2]
    assert rule.kept[4] == ()  # a module outside the project
    assert rule.kept[5] == ()  # under TYPE_CHECKING, not counted by default
