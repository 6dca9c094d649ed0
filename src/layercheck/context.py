"""The per-file context a rule reads and reports through: the semantic model of the file
(`layercheck.semantic`), and the findings reported so far.

It asks a rule only for its code and message template (`Reporter`), so it needs nothing
from `layercheck.rules`; `rules._base` re-exports it for rule modules.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Protocol

from layercheck.model import Finding, Fix, Location
from layercheck.semantic.model import SemanticModel


class Template(Protocol):
    """What a finding is built from: a code and a `str.format` message (`RuleMeta`)."""

    @property
    def code(self) -> str: ...

    @property
    def message(self) -> str: ...


class Reporter(Protocol):
    """What `RuleContext.report` needs of a rule: its metadata (every `Rule` has it)."""

    @property
    def meta(self) -> Template: ...


@dataclass(slots=True)
class RuleContext(SemanticModel):
    """The semantic model a rule reads, and how it reports."""

    findings: list[Finding] = field(default_factory=list)

    def report(self, rule: Reporter, node: ast.AST, **fields: object) -> None:
        start, end = self.lines.span(node)
        self.report_span(rule, start, end, **fields)

    def report_span(self, rule: Reporter, start: Location, end: Location, **fields: object) -> None:
        self.report_span_with_fix(rule, start, end, None, **fields)

    def report_with_fix(
        self, rule: Reporter, node: ast.AST, fix: Fix | None, /, **fields: object
    ) -> None:
        """A finding with its fix (`layercheck.edits` builds one); None when this
        occurrence cannot be fixed safely."""
        start, end = self.lines.span(node)
        self.report_span_with_fix(rule, start, end, fix, **fields)

    def report_span_with_fix(
        self,
        rule: Reporter,
        start: Location,
        end: Location,
        fix: Fix | None,
        /,
        **fields: object,
    ) -> None:
        meta = rule.meta
        self.findings.append(
            Finding(
                code=meta.code,
                message=meta.message.format(**fields),
                path=self.path,
                start=start,
                end=end,
                fix=fix,
                noqa_row=start.row,
            )
        )
