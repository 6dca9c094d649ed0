"""What a rule is: metadata, docs, examples, the parts of the semantic model it reads;
and, re-exported, the per-file context it reads and reports through (`RuleContext`) and
the names of the model's parts (`Need`)."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar

from layercheck.context import RuleContext as RuleContext
from layercheck.layers import Layer
from layercheck.semantic.model import Need as Need


class Status(enum.Enum):
    DEFAULT = "default"
    PREVIEW = "preview"


class FixAvailability(enum.Enum):
    NONE = "none"
    SOMETIMES = "sometimes"
    ALWAYS = "always"


@dataclass(frozen=True, slots=True)
class RuleMeta:
    code: str
    name: str
    message: str
    """A `str.format` template; fields come from `ctx.report(..., **fields)`."""
    layers: frozenset[Layer] | None = None
    """The rule runs only in files of these layers; None runs it everywhere."""
    checks: str | None = None
    """Where the rule reports, for the docs, when `layers` cannot say it (the order of
    layers that the configuration sets decides)."""
    status: Status = Status.DEFAULT
    fix: FixAvailability = FixAvailability.NONE
    fix_title: str | None = None
    assumes: tuple[str, int] | None = None
    """(library, major) the rule's advice is written for: it stays quiet in a project
    whose declared versions rule that major out (settings `upgrading` aside)."""

    @property
    def family(self) -> str:
        return self.code[:3]


ExampleSource = str | bytes | Mapping[str, str | bytes]


@dataclass(frozen=True, slots=True)
class Example:
    """A small project a rule must fire on (Invalid) or stay quiet on (Valid).

    A single source lands at `path` (default: a file in the rule's first layer). Lines
    marked `# error` (or `# error: COL`) are the findings an Invalid example must give.
    `config` is TOML for `[tool.layercheck]`.
    """

    source: ExampleSource
    path: str | None = None
    config: str = ""
    note: str = ""
    fixed: ExampleSource | None = None
    """An Invalid example after `--fix --unsafe-fixes`: the files it changes (all of
    them, for a single source), compared exactly."""
    no_fix: bool = False
    """An Invalid example of a fixable rule that gets no fix (its docs say why)."""

    @property
    def expects_findings(self) -> bool:
        return False


@dataclass(frozen=True, slots=True)
class Valid(Example):
    pass


@dataclass(frozen=True, slots=True)
class Invalid(Example):
    @property
    def expects_findings(self) -> bool:
        return True


class Rule:
    """Base of every rule; subclasses define `visit_<Node>` / `leave_<Node>` methods.

    A rule reads the semantic model (`ctx.sessions`, `ctx.values`, `ctx.routes`,
    `ctx.migrations`, `ctx.schemas`) and never updates it; it names in `needs` the parts
    it reads, so that a run builds only those some selected rule reads."""

    meta: ClassVar[RuleMeta]
    examples: ClassVar[tuple[Example, ...]] = ()
    examples_select: ClassVar[tuple[str, ...]] = ()
    """Other rules the examples and docs blocks run with: a rule about other rules'
    findings (LC003, unused noqa codes) needs them selected."""
    needs: ClassVar[frozenset[Need]] = frozenset()
    calls: ClassVar[frozenset[str] | None] = None
    """The last names of the callees whose calls `visit_Call` looks at, as written
    (`session.add` gives `add`) or as resolved (`sa.select`, or `rel` imported as an alias
    of `relationship`, give `select`, `relationship`): the walk hands it no other call.
    None: every call (a rule that follows subclasses or values needs them all)."""


def last_names(*qualified: Iterable[str]) -> frozenset[str]:
    """`relationship` for `sqlalchemy.orm.relationship`: what `Rule.calls` holds for a rule
    that looks for calls of these qualified names."""
    return frozenset(name.rpartition(".")[2] for group in qualified for name in group)
