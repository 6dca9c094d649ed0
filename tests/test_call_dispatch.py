"""`Rule.calls`: a rule that names the callees it looks at is handed only their calls, by
the name as written or as resolved; the findings must be those it gives when handed every
call, on every rule's examples and on the fixture projects."""

from __future__ import annotations

import ast
import gc
import weakref
from pathlib import Path
from typing import ClassVar

import pytest
from support import (
    FIXTURES,
    Key,
    check_uncached,
    example_files,
    walk_file,
    write_project,
)

from layercheck.context import RuleContext
from layercheck.rules import ALL_RULES, ENGINE_CODES
from layercheck.rules._base import Rule, RuleMeta, last_names
from layercheck.walker import culprit

NAMING = [rule for rule in ALL_RULES if rule.calls is not None]


def _every_call(monkeypatch: pytest.MonkeyPatch) -> None:
    for rule in NAMING:
        monkeypatch.setattr(rule, "calls", None)


def test_some_rules_name_their_callees() -> None:
    assert len(NAMING) >= 15
    assert all(rule.calls for rule in NAMING), "an empty set would silence the rule"


def test_last_names() -> None:
    assert last_names({"sqlalchemy.orm.relationship"}, ["os.getenv", "select"]) == {
        "relationship",
        "getenv",
        "select",
    }


@pytest.mark.parametrize(
    "rule", [pytest.param(rule, id=rule.meta.code) for rule in NAMING if rule.examples]
)
def test_examples_same_as_with_every_call(
    rule: type[Rule], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    select = (rule.meta.code, *rule.examples_select)
    named: list[list[Key]] = []
    for number, example in enumerate(rule.examples):
        root = tmp_path / str(number)
        root.mkdir()
        write_project(root, example_files(rule, example), example.config)
        named.append(check_uncached(root, select))
    _every_call(monkeypatch)
    for number, found in enumerate(named):
        root = tmp_path / str(number)
        assert found == check_uncached(root, select)


def test_fixtures_same_as_with_every_call(monkeypatch: pytest.MonkeyPatch) -> None:
    projects = sorted(
        path.parent
        for path in FIXTURES.rglob("pyproject.toml")
        if not any(part.startswith(".") for part in path.parts)
    )
    assert projects
    named = [check_uncached(root, ("LC",)) for root in projects]
    assert any(named)
    _every_call(monkeypatch)
    every = [check_uncached(root, ("LC",)) for root in projects]
    assert named == every


class _Seen(Rule):
    meta: ClassVar[RuleMeta] = RuleMeta(code="LC998", name="seen", message="")
    calls: ClassVar[frozenset[str] | None] = last_names({"sqlalchemy.orm.relationship"}) | {"add"}

    def __init__(self) -> None:
        self.seen: list[str] = []

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        self.seen.append(ast.unparse(node.func))


class _Broken(_Seen):
    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        raise ValueError("broken")


SOURCE = (
    "from sqlalchemy.orm import relationship as rel\n"
    "from sqlalchemy import orm\n"
    "from app.models.base import link\n\n"
    "rel()\n"
    "orm.relationship()\n"
    "link()\n"
    "relationship()\n"
    "session.add()\n"
    "add()\n"
    "other()\n"
    "session.execute()\n"
    "make()()\n"
)


def _walk(root: Path, rule: Rule) -> None:
    """Walks `SOURCE`, as app/models/user.py of a small project, with `rule` alone."""
    files = {
        "app/__init__.py": "",
        "app/models/__init__.py": "",
        "app/models/base.py": "from sqlalchemy.orm import relationship as link\n",
        "app/models/user.py": SOURCE,
    }
    walk_file(root, files, "app/models/user.py", [rule])


def test_a_call_reaches_a_rule_by_its_written_or_resolved_name(tmp_path: Path) -> None:
    seen = _Seen()
    _walk(tmp_path, seen)
    # `link` is a re-export of `relationship`; `session.execute`, `other`, `make()()` are
    # none of the names.
    assert seen.seen == ["rel", "orm.relationship", "link", "relationship", "session.add", "add"]


def test_a_failing_rule_is_named_through_the_dispatch(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="broken") as caught:
        _walk(tmp_path, _Broken())
    assert culprit(caught.value) == "rule LC998 seen"


def test_engine_codes_name_no_callees() -> None:
    assert not any(rule.meta.code in ENGINE_CODES for rule in NAMING)


def test_a_walker_leaves_no_cycle(tmp_path: Path) -> None:
    """Runs turn the collector off: a walker, its rules and what they hold of the tree
    must go with the last reference, not wait for a collection."""
    seen = _Seen()
    alive = weakref.ref(seen)
    enabled = gc.isenabled()
    gc.disable()
    try:
        _walk(tmp_path, seen)
        assert seen.seen
        del seen
        assert alive() is None
    finally:
        if enabled:
            gc.enable()
