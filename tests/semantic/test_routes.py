"""`RouteHandlers`: which functions are path operations, and how they are registered."""

from __future__ import annotations

import ast
from pathlib import Path

from semantic_probe import walk

from layercheck.context import RuleContext
from layercheck.rules._base import Need

ROUTER = "from fastapi import APIRouter\n\nrouter = APIRouter()\n"


def _handlers(tmp_path: Path, source: str, extra: dict[str, str] | None = None) -> list[str]:
    found: list[str] = []

    def at_end(ctx: RuleContext) -> None:
        for function, operations in ctx.routes.handlers():
            found.append(f"{function.name}:{','.join(op.method for op in operations)}")

    files = {"app/routes/r.py": source, **(extra or {})}
    walk(tmp_path, files, "app/routes/r.py", {Need.ROUTES}, lambda n, c: None, at_end)
    return found


def test_decorated_registered_and_imported_routers(tmp_path: Path) -> None:
    source = (
        "from fastapi import FastAPI\n\nfrom app.api import router\n\n\n"
        "@router.get('/a')\n@router.post('/a')\ndef a():\n    pass\n\n\n"
        "def b():\n    pass\n\n\n"
        "router.add_api_route('/b', b)\n\n\n"
        "def create_app():\n"
        "    app = FastAPI()\n\n"
        "    @app.websocket('/ws')\n    async def ws(socket):\n        pass\n\n"
        "    return app\n\n\n"
        "def helper():\n    pass\n"
    )
    got = _handlers(tmp_path, source, {"app/api.py": ROUTER})
    assert got == ["a:get,post", "b:add_api_route", "ws:websocket"]


def test_other_objects_named_like_routers_are_not(tmp_path: Path) -> None:
    source = (
        "import requests\n\nclient = requests.Session()\n\n\n"
        "@client.get('/a')\ndef a():\n    pass\n\n\n"
        "def f(router):\n"
        "    @router.get('/b')\n    def b():\n        pass\n"
    )
    assert _handlers(tmp_path, source) == []


def test_is_handler_is_known_at_the_def(tmp_path: Path) -> None:
    source = ROUTER + "\n\n@router.get('/')\ndef index():\n    reveal(index)\n"

    def ask(node: ast.expr, ctx: RuleContext) -> bool:
        function = ctx.enclosing_function()
        return function is not None and ctx.routes.is_handler(function)

    assert walk(tmp_path, {"app/routes/r.py": source}, "app/routes/r.py", {Need.ROUTES}, ask) == [
        True
    ]
