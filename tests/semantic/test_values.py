"""`Values`: which class a name holds an instance of, as the walk goes."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from semantic_probe import walk

from layercheck.context import RuleContext
from layercheck.rules._base import Need

MODELS = (
    "from pydantic import BaseModel\n\n\n"
    "class UserOut(BaseModel):\n    name: str\n\n\n"
    "class ItemOut(BaseModel):\n    title: str\n"
)
HEAD = "from sqlalchemy.orm import Session\n\nfrom app.schemas import ItemOut, UserOut\n\n\n"


def _instance(node: ast.expr, ctx: RuleContext) -> str | None:
    return ctx.values.instance_class(node, ctx)


def _classes(tmp_path: Path, body: str) -> list[object]:
    files = {"app/schemas.py": MODELS, "app/services/s.py": HEAD + body}
    return walk(tmp_path, files, "app/services/s.py", {Need.VALUES}, _instance)


USER, ITEM = "app.schemas.UserOut", "app.schemas.ItemOut"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param("def f(u: UserOut):\n    reveal(u)\n", [USER], id="annotated-parameter"),
        pytest.param("def f(u: 'UserOut | None'):\n    reveal(u)\n", [USER], id="string-optional"),
        pytest.param("def f():\n    u = UserOut(name='x')\n    reveal(u)\n", [USER], id="built"),
        pytest.param(
            "def f(data):\n    u = UserOut.model_validate(data)\n    reveal(u)\n",
            [USER],
            id="validated",
        ),
        pytest.param(
            "def f(u: UserOut):\n    u = ItemOut(title='x')\n    reveal(u)\n",
            [ITEM],
            id="reassigned",
        ),
        pytest.param(
            "def f(u: UserOut):\n    u = load()\n    reveal(u)\n", [None], id="rebound-unknown"
        ),
        pytest.param("def f(u: UserOut):\n    u += 1\n    reveal(u)\n", [None], id="augmented"),
        pytest.param(
            "def f(u: UserOut):\n    for u in rows:\n        reveal(u)\n", [None], id="for-rebinds"
        ),
        pytest.param(
            "def f(users: list[UserOut]):\n    for u in users:\n        reveal(u)\n",
            [USER],
            id="for-over-typed-list",
        ),
        pytest.param(
            "def f(users: list[UserOut]):\n    return [reveal(u) for u in users]\n",
            [USER],
            id="comprehension-element",
        ),
        pytest.param(
            "def f(u: UserOut):\n    return [reveal(u) for u in rows]\n",
            [None],
            id="comprehension-variable-shadows",
        ),
        pytest.param(
            "def f(u: UserOut):\n    with open('x') as u:\n        reveal(u)\n", [None], id="with"
        ),
        pytest.param(
            "def f(u: UserOut):\n    u, n = pair()\n    reveal(u)\n", [None], id="tuple-rebinds"
        ),
        pytest.param(
            "def f(u: UserOut):\n    if (u := load()):\n        reveal(u)\n", [None], id="walrus"
        ),
        pytest.param(
            "def f(u: UserOut):\n    def inner():\n        reveal(u)\n\n    return inner\n",
            [USER],
            id="nested-function",
        ),
        pytest.param(
            "def f(db: Session, user_id: int):\n    u = db.get(UserOut, user_id)\n    reveal(u)\n",
            [USER],
            id="session-get",
        ),
        pytest.param("def f(u):\n    reveal(u)\n", [None], id="unannotated"),
    ],
)
def test_instance_class(tmp_path: Path, body: str, expected: list[str | None]) -> None:
    assert _classes(tmp_path, body) == expected


def test_self_and_cls_of_methods(tmp_path: Path) -> None:
    body = (
        "class Service:\n"
        "    def run(self):\n        reveal(self)\n\n"
        "    @classmethod\n    def make(cls):\n        reveal(cls)\n"
    )

    def ask(node: ast.expr, ctx: RuleContext) -> tuple[str | None, str | None]:
        return ctx.values.instance_class(node, ctx), ctx.values.class_named(node, ctx)

    files = {"app/schemas.py": MODELS, "app/services/s.py": HEAD + body}
    got = walk(tmp_path, files, "app/services/s.py", {Need.VALUES}, ask)
    assert got == [("app.services.s.Service", None), (None, "app.services.s.Service")]
