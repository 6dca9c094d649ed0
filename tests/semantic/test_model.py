"""The model builds only the parts some rule reads, and says so when a rule reads another."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from semantic_probe import walk

from layercheck.context import RuleContext
from layercheck.rules import ALL_RULES
from layercheck.rules._base import Need
from layercheck.semantic.model import MissingPart, closure


def test_values_are_built_on_sessions_and_sessions_on_schemas() -> None:
    assert closure({Need.VALUES}) == {Need.VALUES, Need.SESSIONS, Need.SCHEMAS}
    assert closure({Need.SESSIONS}) == {Need.SESSIONS, Need.SCHEMAS}
    assert closure({Need.ROUTES}) == {Need.ROUTES}


def test_a_part_not_asked_for_is_not_built(tmp_path: Path) -> None:
    def ask(node: object, ctx: RuleContext) -> object:
        return ctx.sessions

    files = {"app/services/s.py": "def f(db):\n    reveal(db)\n"}
    with pytest.raises(MissingPart, match=r"Need\.SESSIONS"):
        walk(tmp_path, files, "app/services/s.py", {Need.ROUTES}, ask)


def test_layering_rules_need_no_part() -> None:
    layering = [rule for rule in ALL_RULES if rule.meta.code in {"LC101", "LC102", "LC104"}]
    assert layering
    assert all(not rule.needs for rule in layering)


def test_an_answer_asked_early_is_not_handed_to_a_rule_asking_later(tmp_path: Path) -> None:
    """A rule may qualify a name the walk has not reached yet (a body scanned from its
    `def`); a rule asking at that name, after a local import bound it, gets what the name
    means there, whichever rule asked first."""

    def ask(node: object, ctx: RuleContext) -> object:
        function = next(n for n in reversed(ctx.ancestors) if isinstance(n, ast.FunctionDef))
        last = function.body[-1]
        assert isinstance(last, ast.Expr)
        assert isinstance(last.value, ast.Call)
        return ctx.qualified(last.value.args[0])

    files = {
        "app/services/s.py": (
            "def f():\n    reveal(0)\n    from fastapi import HTTPException as E\n    reveal(E)\n"
        )
    }
    answers = walk(tmp_path, files, "app/services/s.py", set(), ask)
    assert answers == [None, "fastapi.HTTPException"]
