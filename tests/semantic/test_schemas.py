"""`SchemaClasses`: the module-level class statements of the file, by qualified name."""

from __future__ import annotations

from pathlib import Path

from semantic_probe import walk

from layercheck.context import RuleContext
from layercheck.rules._base import Need


def test_module_level_classes_only(tmp_path: Path) -> None:
    source = (
        "from pydantic import BaseModel\n\n\n"
        "class UserBase(BaseModel):\n    name: str\n\n\n"
        "if True:\n    class Inner(BaseModel):\n        x: int\n\n\n"
        "def factory():\n    class Local(BaseModel):\n        y: int\n\n    return Local\n"
    )
    found: dict[str, bool] = {}

    def at_end(ctx: RuleContext) -> None:
        for name in ("UserBase", "Inner", "Local"):
            found[name] = ctx.schemas.body(f"app.schemas.user.{name}") is not None

    files = {"app/schemas/user.py": source}
    walk(tmp_path, files, "app/schemas/user.py", {Need.SCHEMAS}, lambda n, c: None, at_end)
    assert found == {"UserBase": True, "Inner": True, "Local": False}
