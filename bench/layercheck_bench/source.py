"""A generated module's text: its imports declared next to the code that needs them, sorted
the way isort sorts them, and lines wrapped where black would wrap them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

# Wrap generated code where black would; the tree's .flake8 allows 100, as many projects do.
LINE_LIMIT = 88

# The roots the templates import, by isort section; any other root sorts as first-party
# (the generated app).
STDLIB_ROOTS = frozenset(
    {"__future__", "collections", "datetime", "decimal", "functools", "logging", "os"}
    | {"typing", "uuid", "contextlib", "secrets", "hashlib", "csv", "io", "enum", "asyncio"}
)
THIRD_PARTY_ROOTS = frozenset(
    {"fastapi", "starlette", "sqlalchemy", "pydantic", "pydantic_settings", "alembic"}
    | {"httpx", "pytest", "jwt"}
)


def _section(module: str) -> int:
    root = module.split()[0].split(".")[0]
    if module.startswith("."):
        return 4
    if root == "__future__":
        return 0
    if root in STDLIB_ROOTS:
        return 1
    if root in THIRD_PARTY_ROOTS:
        return 2
    return 3


def _wrap_import(head: str, names: Sequence[str], indent: str = "") -> list[str]:
    one = f"{indent}{head} import {', '.join(names)}"
    if len(one) <= LINE_LIMIT:
        return [one]
    return [f"{indent}{head} import (", *(f"{indent}    {n}," for n in names), f"{indent})"]


def call(
    indent: str, head: str, args: Sequence[str], tail: str = "", brackets: str = "()"
) -> list[str]:
    """`head(args)tail` on one line when it fits, else wrapped the way black wraps it."""
    left, right = brackets[0], brackets[1]
    one = f"{indent}{head}{left}{', '.join(args)}{right}{tail}"
    if len(one) <= LINE_LIMIT or not args:
        return [one]
    inner = f"{indent}    {', '.join(args)}"
    if len(inner) <= LINE_LIMIT:
        return [f"{indent}{head}{left}", inner, f"{indent}{right}{tail}"]
    return [
        f"{indent}{head}{left}",
        *(f"{indent}    {a}," for a in args),
        f"{indent}{right}{tail}",
    ]


def chain(indent: str, target: str, first: str, *links: str) -> list[str]:
    """`target = first.link1.link2` or, when too long, black's parenthesized chain."""
    one = f"{indent}{target} = {first}{''.join(links)}"
    if len(one) <= LINE_LIMIT:
        return [one]
    return [
        f"{indent}{target} = (",
        f"{indent}    {first}",
        *(f"{indent}    {link}" for link in links),
        f"{indent})",
    ]


@dataclass
class Source:
    """One generated module: imports are declared where the code needing them is written,
    so no file imports what it does not use (pyflakes stays quiet, as on a real project)."""

    module: str
    relative: bool = False
    docstring: str = ""
    future: bool = True
    body: list[str] = field(default_factory=list)
    froms: dict[str, set[str]] = field(default_factory=dict)
    plains: set[str] = field(default_factory=set)
    checking: dict[str, set[str]] = field(default_factory=dict)

    def imp(self, module: str, *names: str) -> None:
        self.froms.setdefault(self._spell(module), set()).update(names)

    def plain(self, spec: str) -> None:
        self.plains.add(spec)

    def type_only(self, module: str, name: str) -> None:
        self.checking.setdefault(self._spell(module), set()).add(name)

    def add(self, *lines: str) -> None:
        self.body.extend(lines)

    def _spell(self, module: str) -> str:
        # Some files use relative imports for project modules, as real projects mix both.
        if not (self.relative and module.startswith("app.") and "." in self.module):
            return module
        here = self.module.split(".")[:-1]
        there = module.split(".")
        common = 0
        while common < min(len(here), len(there)) and here[common] == there[common]:
            common += 1
        if common == 0:
            return module
        return "." * (len(here) - common + 1) + ".".join(there[common:])

    def render(self) -> str:
        out: list[str] = []
        if self.docstring:
            out.extend([*self.docstring.split("\n"), ""])
        if self.future:
            out.extend(["from __future__ import annotations", ""])
        entries: list[tuple[int, int, str, list[str]]] = []
        for spec in self.plains:
            entries.append((_section(spec), 0, spec, [f"import {spec}"]))
        for module, names in self.froms.items():
            lines = _wrap_import(f"from {module}", sorted(names, key=_import_key))
            entries.append((_section(module), 1, module, lines))
        previous = None
        for section, _, _, lines in sorted(entries, key=lambda e: (e[0], e[1], e[2])):
            if previous is not None and section != previous:
                out.append("")
            out.extend(lines)
            previous = section
        if self.checking:
            if entries:
                out.append("")
            out.append("if TYPE_CHECKING:")
            for module in sorted(self.checking):
                out.extend(_wrap_import(f"from {module}", sorted(self.checking[module]), "    "))
        if entries or self.checking:
            out.append("")
        body = list(self.body)
        while body and body[0] == "":
            body.pop(0)
        if body and body[0].startswith(("class ", "def ", "async def ", "@")) and out:
            out.append("")  # PEP 8: two blank lines before a top-level definition
        while body and body[-1] == "":
            body.pop()
        return "\n".join([*out, *body]) + "\n"

    def line_count(self) -> int:
        return self.render().count("\n")


def _import_key(name: str) -> tuple[bool, str]:
    # isort's order: CONSTANTS, Classes, functions.
    return (not name[:1].isupper(), name)
