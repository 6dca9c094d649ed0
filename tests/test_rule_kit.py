"""The rule objects, model parts and walker of a choice of rules are kept from file to
file (`lint._Kit`) and made again in place after each: a file's findings must be those
that new objects give, whichever files were checked before it, and no tree may stay held
by them once its file is done."""

from __future__ import annotations

import ast
import gc
import weakref
from pathlib import Path

from support import FIXTURES

from layercheck import lint
from layercheck.config.settings import Overrides
from layercheck.config.workspace import Workspace
from layercheck.discovery import discover
from layercheck.index import ProjectIndex
from layercheck.loading import Loaded, load_file
from layercheck.model import Finding
from layercheck.rules import CATALOG


def _loaded(root: Path) -> tuple[list[Loaded], ProjectIndex]:
    workspace = Workspace(CATALOG, Overrides(no_cache=True), cwd=root)
    files = discover([root], workspace).files
    loaded = [load_file(file) for file in files]
    return loaded, ProjectIndex(item.facts for item in loaded)


def _with_new_objects(item: Loaded, index: ProjectIndex) -> list[Finding]:
    lint._chosen.clear()
    return lint.run_rules(item, index)


def test_findings_with_kept_objects_are_those_of_new_ones() -> None:
    projects = sorted(
        path.parent
        for path in FIXTURES.rglob("pyproject.toml")
        if not any(part.startswith(".") for part in path.parts)
    )
    assert projects
    reused_kits = 0
    for root in projects:
        loaded, index = _loaded(root)
        parsed = [item for item in loaded if item.tree is not None]
        new = {item.file.name: _with_new_objects(item, index) for item in parsed}
        # Forward, then backward: every file after others checked with the same kit.
        for order in (parsed, parsed[::-1]):
            kept = {item.file.name: lint.run_rules(item, index) for item in order}
            assert kept == new, root
        reused_kits += sum(entry.kit is not None for entry in lint._chosen.values())
    assert reused_kits


def test_no_tree_stays_held_by_the_kept_objects(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.layercheck]\n", encoding="utf-8")
    service = tmp_path / "app" / "services" / "users.py"
    service.parent.mkdir(parents=True)
    service.write_text(
        "from fastapi import HTTPException\n"
        "from sqlalchemy.orm import Session\n\n"
        "class Users:\n"
        "    def __init__(self, session: Session) -> None:\n"
        "        self.session = session\n\n"
        "    def add(self, user):\n"
        "        self.session.add(user)\n"
        "        raise HTTPException(404)\n",
        encoding="utf-8",
    )
    loaded, index = _loaded(tmp_path)
    assert loaded[0].tree is not None
    # Contexts and operators (`Load`, `Add`) are shared by every tree: left out.
    nodes = [weakref.ref(node) for node in ast.walk(loaded[0].tree) if node._fields]
    enabled = gc.isenabled()
    gc.disable()
    try:
        assert lint.run_rules(loaded[0], index)
        assert any(entry.kit is not None for entry in lint._chosen.values())
        del loaded
        assert [node() for node in nodes if node() is not None] == []
    finally:
        if enabled:
            gc.enable()


def test_every_kept_object_holds_its_state_where_renew_clears_it() -> None:
    """`renew` clears an object's `__dict__` and runs its constructor again: a slot that
    the constructor does not set (all but a dataclass's fields) would keep a file's
    state into the next file."""
    from dataclasses import fields, is_dataclass

    from layercheck.rules import ALL_RULES
    from layercheck.semantic.model import Need, build_parts

    owners = [part for part, _ in build_parts(set(Need))] + [rule() for rule in ALL_RULES]
    assert len(owners) > len(ALL_RULES)
    for owner in owners:
        kind = type(owner)
        set_by_init = {f.name for f in fields(kind)} if is_dataclass(kind) else set()
        for cls in kind.__mro__:
            slots = vars(cls).get("__slots__", ())
            slots = (slots,) if isinstance(slots, str) else tuple(slots)
            left = set(slots) - set_by_init - {"__dict__", "__weakref__"}
            assert not left, f"{kind.__name__}: {sorted(left)} outlive renew"
