"""Asks the semantic model questions at marked places of a small project's file.

A test writes a project, marks the expressions to ask about with `reveal(expr)` calls,
and gets back, in source order, what the model answered at each of them: the model is
built and walked exactly as in a real run, with a probe in place of the rules.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import ClassVar

from support import walk_file

from layercheck.context import RuleContext
from layercheck.rules._base import Need, Rule, RuleMeta

Question = Callable[[ast.expr, RuleContext], object]


class _Probe(Rule):
    meta: ClassVar[RuleMeta] = RuleMeta(code="LC999", name="probe", message="")

    def __init__(self, question: Question) -> None:
        self.question = question
        self.answers: list[object] = []
        self.at_end: Callable[[RuleContext], None] | None = None

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        if isinstance(node.func, ast.Name) and node.func.id == "reveal" and node.args:
            self.answers.append(self.question(node.args[0], ctx))

    def leave_Module(self, node: ast.Module, ctx: RuleContext) -> None:
        if self.at_end is not None:
            self.at_end(ctx)


def walk(
    root: Path,
    files: Mapping[str, str],
    target: str,
    needs: Iterable[Need],
    question: Question,
    at_end: Callable[[RuleContext], None] | None = None,
) -> list[object]:
    """Writes `files` under `root`, walks `target` with the model parts `needs` asks for,
    and returns the answers of `question` at each `reveal(...)` of `target`."""
    probe = _Probe(question)
    probe.at_end = at_end
    walk_file(root, files, target, [probe], needs)
    return probe.answers
