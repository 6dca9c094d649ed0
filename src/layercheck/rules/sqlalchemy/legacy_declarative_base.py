from __future__ import annotations

import ast
import re
from typing import ClassVar, Final

from layercheck import edits
from layercheck.model import Edit, Fix, Location
from layercheck.orm import AS_DECLARATIVE, LEGACY_BASE_FACTORIES
from layercheck.rules._base import (
    Example,
    FixAvailability,
    Invalid,
    Rule,
    RuleContext,
    RuleMeta,
    Valid,
    last_names,
)
from layercheck.rules.sqlalchemy._helpers import callee, in_migration
from layercheck.tree_walk import walk

_MOVED: Final = ("metadata", "type_annotation_map")
"""`declarative_base()` arguments that become class attributes of the new base."""
_CLASS_HEADER: Final = re.compile(r"class\s+\w+\s*(\(\s*\))?")


class LegacyDeclarativeBase(Rule):
    """## What it does
    Checks for a declarative base made with `declarative_base()` or `@as_declarative`
    instead of a `DeclarativeBase` subclass.

    ## Why is this bad?
    `declarative_base()` returns a class that type checkers cannot see through: every
    model deriving from it is `Any` to mypy and pyright, and the 2.0 `Mapped[...]`
    annotations lose their value. `class Base(DeclarativeBase)` is an ordinary class,
    so models, their columns and their relationships are typed, and the base can carry
    the `metadata` (with a naming convention) and `type_annotation_map` in its body.

    ## Example
    ```python
    from sqlalchemy import MetaData
    from sqlalchemy.orm import declarative_base

    Base = declarative_base(metadata=MetaData(naming_convention={"pk": "pk_%(table_name)s"}))
    ```

    ## Use instead
    ```python
    from sqlalchemy import MetaData
    from sqlalchemy.orm import DeclarativeBase


    class Base(DeclarativeBase):
        metadata = MetaData(naming_convention={"pk": "pk_%(table_name)s"})
    ```

    ## Fix safety
    The fix replaces a module-level `Base = declarative_base(...)` with
    `class Base(DeclarativeBase):`, moving `metadata=` and `type_annotation_map=` into
    the class body and `cls=` into its bases; for `@as_declarative` (bare or with no
    arguments) it removes the decorator and adds `DeclarativeBase` to the class's bases.
    It adds `from sqlalchemy.orm import DeclarativeBase`. It is unsafe: a
    `DeclarativeBase` subclass interprets annotations on model attributes, so legacy
    models with plain annotations fail to map until they use `Mapped[...]` (or set
    `__allow_unmapped__`).

    No fix is offered for other arguments (`name=`, `metaclass=`, `mapper=`,
    `class_registry=`, `constructor=`, or any positional one: they have no class-body
    equivalent), for a base assigned anywhere but a plain module-level `Name = ...`, for
    an `@as_declarative` base whose own body has annotations other than `Mapped[...]`
    (they would fail to map) or a `metaclass=`, or when a comment sits inside the code
    that is rewritten.

    ## Details
    `declarative_base` from `sqlalchemy.orm` and from the deprecated
    `sqlalchemy.ext.declarative` are reported, in any import form, as is
    `as_declarative`. Migrations, which often declare a throwaway base for a data
    migration, are left alone, and so is a call inside a function (a base built at
    run time around a caller's class, `declarative_base(cls=model)`, by a library
    layer that adapts whatever it is given).
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC406",
        assumes=("sqlalchemy", 2),
        name="legacy-declarative-base",
        message="`{name}` builds a 1.x declarative base; subclass `DeclarativeBase` instead",
        fix=FixAvailability.SOMETIMES,
        fix_title="Subclass `DeclarativeBase`",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            "import sqlalchemy.ext.declarative as legacy\n"
            "from sqlalchemy import MetaData\n"
            "from sqlalchemy.orm import declarative_base as make_base\n\n"
            "Base = make_base()  # error: 8\n"
            "Legacy = legacy.declarative_base(  # error\n"
            "    metadata=MetaData(),\n"
            ")\n",
            fixed=(
                "from sqlalchemy import MetaData\n"
                "from sqlalchemy.orm import DeclarativeBase\n"
                "\n"
                "\n"
                "class Base(DeclarativeBase):  # error: 8\n"
                "    pass\n"
                "\n"
                "\n"
                "class Legacy(DeclarativeBase):  # error\n"
                "    metadata = MetaData()\n"
            ),
            note="an aliased import and the deprecated `sqlalchemy.ext.declarative`",
        ),
        Invalid(
            {
                "app/db/__init__.py": "from sqlalchemy.orm import as_declarative\n",
                "app/db/base.py": "from typing import Any\n\n"
                "from app.db import as_declarative\n"
                "from sqlalchemy.ext import declarative\n\n\n"
                "@as_declarative()  # error\n"
                "class Base:\n"
                "    id: Any\n\n\n"
                "@declarative.as_declarative  # error\n"
                "class Other:\n"
                "    pass\n",
            },
            fixed={
                "app/db/base.py": (
                    "from typing import Any\n"
                    "\n"
                    "from app.db import as_declarative\n"
                    "from sqlalchemy.orm import DeclarativeBase\n"
                    "\n"
                    "\n"
                    "@as_declarative()  # error\n"
                    "class Base:\n"
                    "    id: Any\n"
                    "\n"
                    "\n"
                    "class Other(DeclarativeBase):  # error\n"
                    "    pass\n"
                ),
            },
            no_fix=True,
            note="`@as_declarative` called or bare, re-exported by a project package",
        ),
        Invalid(
            "import datetime\n\n"
            "from sqlalchemy import DateTime, MetaData\n"
            "from sqlalchemy.orm import declarative_base\n\n"
            "from app.db.mixins import ReprMixin\n"
            "convention = {'pk': 'pk_%(table_name)s'}\n"
            "Base = declarative_base(  # error\n"
            "    cls=ReprMixin,\n"
            "    metadata=MetaData(naming_convention=convention),\n"
            "    type_annotation_map={datetime.datetime: DateTime(timezone=True)},\n"
            ")\n"
            "engine = None\n",
            path="app/db/base.py",
            fixed=(
                "import datetime\n"
                "\n"
                "from sqlalchemy import DateTime, MetaData\n"
                "from sqlalchemy.orm import DeclarativeBase\n"
                "\n"
                "from app.db.mixins import ReprMixin\n"
                "convention = {'pk': 'pk_%(table_name)s'}\n"
                "\n"
                "\n"
                "class Base(ReprMixin, DeclarativeBase):  # error\n"
                "    metadata = MetaData(naming_convention=convention)\n"
                "    type_annotation_map = {datetime.datetime: DateTime(timezone=True)}\n"
                "\n"
                "\n"
                "engine = None\n"
            ),
            note="`cls=`, `metadata=` and `type_annotation_map=` carried over",
        ),
        Invalid(
            "from sqlalchemy.orm import Mapped, as_declarative, declared_attr\n\n\n"
            "@as_declarative()  # error: 2\n"
            "class Base:\n"
            "    id: Mapped[int]\n\n"
            "    @declared_attr\n"
            "    def __tablename__(cls) -> str:\n"
            "        return cls.__name__.lower()\n",
            fixed=(
                "from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr\n"
                "\n"
                "\n"
                "class Base(DeclarativeBase):  # error: 2\n"
                "    id: Mapped[int]\n"
                "\n"
                "    @declared_attr\n"
                "    def __tablename__(cls) -> str:\n"
                "        return cls.__name__.lower()\n"
            ),
            note="a decorated base whose annotations are `Mapped[...]`",
        ),
        Invalid(
            "from sqlalchemy.orm import declarative_base\n\n"
            "Base = declarative_base(name='Model')  # error\n"
            "Other = declarative_base(metaclass=type)  # error\n"
            "if True:\n"
            "    Nested = declarative_base()  # error\n",
            no_fix=True,
            note="no fix: arguments with no class-body equivalent; not at module level",
        ),
        Valid(
            "from sqlalchemy.orm import DeclarativeBase, MappedAsDataclass\n\n\n"
            "class Base(DeclarativeBase):\n"
            "    pass\n\n\n"
            "class DataclassBase(MappedAsDataclass, DeclarativeBase):\n"
            "    pass\n",
        ),
        Valid(
            "import sqlalchemy as sa\n"
            "from sqlalchemy.orm import declarative_base\n\n"
            "revision = '9f8e'\n"
            "down_revision = '1a2b'\n"
            "Base = declarative_base()\n",
            path="alembic/versions/9f8e_backfill_slugs.py",
            note="a data migration's throwaway base",
        ),
        Valid(
            "def declarative_base():\n"
            "    return type('Base', (), {})\n\n\n"
            "def as_declarative(cls):\n"
            "    return cls\n\n\n"
            "Base = declarative_base()\n\n\n"
            "@as_declarative\n"
            "class Model:\n"
            "    pass\n",
            note="project functions that happen to share the names",
        ),
        Valid(
            "from sqlalchemy.orm import declarative_base\n\n\n"
            "def adapt(model):\n"
            '    return declarative_base(cls=model, name="Model")\n',
            path="app/db/manager.py",
            note="a base built at run time around a caller's class",
        ),
    )

    calls: ClassVar[frozenset[str] | None] = last_names(LEGACY_BASE_FACTORIES)

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        if callee(node, ctx) not in LEGACY_BASE_FACTORIES or in_migration(ctx):
            return
        if any(isinstance(a, ast.FunctionDef | ast.AsyncFunctionDef) for a in ctx.ancestors):
            return  # a base made at run time from a caller's class, not the project's base
        fix = self._assignment_fix(node, ctx)
        ctx.report_with_fix(self, node.func, fix, name="declarative_base()")

    def visit_ClassDef(self, node: ast.ClassDef, ctx: RuleContext) -> None:
        if in_migration(ctx):
            return
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if ctx.qualified(target) in AS_DECLARATIVE:
                fix = self._decorator_fix(node, decorator, ctx)
                ctx.report_with_fix(self, decorator, fix, name="@as_declarative")

    def _assignment_fix(self, call: ast.Call, ctx: RuleContext) -> Fix | None:
        """`Base = declarative_base(metadata=m, cls=Mixin)` -> `class Base(Mixin,
        DeclarativeBase):` with `metadata = m` in its body."""
        chain = ctx.ancestors
        statement = ctx.parent
        if not (
            len(chain) == 3
            and isinstance(statement, ast.Assign)
            and statement.value is call
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
            and not call.args
            and all(kw.arg in (*_MOVED, "cls") for kw in call.keywords)
        ):
            return None
        end = edits.end_of(ctx, statement)
        last = ctx.lines.line(end.row)
        comment = _trailing_comment(last[end.column - 1 :])
        if edits.start_of(ctx, statement).column != 1 or comment is None:
            return None
        if edits.has_comment(ctx, statement):
            # One comment after the opening parenthesis is kept, on the class line.
            first = ctx.lines.line(statement.lineno)
            inner = _trailing_comment(first[first.find("(") + 1 :]) if "(" in first else None
            if comment or not inner or _comments(edits.text(ctx, statement)) != 1:
                return None
            comment = inner
        added = edits.ensure_import(ctx, "sqlalchemy.orm", "DeclarativeBase")
        if added is None:
            return None
        bases = [edits.text(ctx, kw.value) for kw in call.keywords if kw.arg == "cls"]
        body = [
            f"    {kw.arg} = {edits.text(ctx, kw.value)}\n"
            for kw in call.keywords
            if kw.arg in _MOVED
        ]
        if any(
            isinstance(item, ast.Constant) and isinstance(item.value, str) and "\n" in item.value
            for kw in call.keywords
            for item in walk(kw.value)
        ):
            return None  # re-indenting would change the string
        name = statement.targets[0].id
        header = f"class {name}({', '.join([*bases, 'DeclarativeBase'])}):{comment}\n"
        text = header + ("".join(body) or "    pass\n")
        start, end, before, after = _surroundings(ctx, statement.lineno, end.row)
        replacement = before + text.removesuffix("\n") + after
        return edits.unsafe(self.meta.fix_title or "", Edit(start, end, replacement), *added)

    def _decorator_fix(
        self, node: ast.ClassDef, decorator: ast.expr, ctx: RuleContext
    ) -> Fix | None:
        """`@as_declarative()` above `class Base:` -> `class Base(DeclarativeBase):`."""
        if isinstance(decorator, ast.Call) and (decorator.args or decorator.keywords):
            return None
        if node.keywords or any(
            isinstance(stmt, ast.AnnAssign) and not _is_mapped(stmt.annotation, ctx)
            for stmt in node.body
        ):
            return None
        start, end = ctx.lines.span(decorator)
        line = ctx.lines.line(start.row)
        comment = _trailing_comment(line[end.column - 1 :])
        if start.row != end.row or line[: start.column - 1].strip() != "@" or comment is None:
            return None
        header_line = ctx.lines.line(node.lineno)
        if comment and (
            "#" in header_line or node.end_lineno == node.lineno or not header_line.endswith(":")
        ):
            return None  # nowhere to keep the decorator's comment
        added = edits.ensure_import(ctx, "sqlalchemy.orm", "DeclarativeBase")
        if added is None:
            return None
        drop = Edit(Location(start.row, 1), Location(start.row + 1, 1), "")
        if node.bases:
            base = edits.insert(edits.end_of(ctx, node.bases[-1]), ", DeclarativeBase")
        else:
            header = ctx.lines.line(node.lineno)
            found = _CLASS_HEADER.match(header, len(header) - len(header.lstrip()))
            if found is None:
                return None
            if found.group(1):
                at = Location(node.lineno, found.end())
                base = edits.insert(at, "DeclarativeBase")
            else:
                at = Location(node.lineno, found.end() + 1)
                base = edits.insert(at, "(DeclarativeBase)")
        moved = (
            (edits.insert(Location(node.lineno, len(header_line) + 1), comment),) if comment else ()
        )
        return edits.unsafe(self.meta.fix_title or "", drop, base, *moved, *added)


def _comments(source: str) -> int:
    import io
    import tokenize

    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return sum(token.type == tokenize.COMMENT for token in tokens)


def _trailing_comment(rest: str) -> str | None:
    """What follows a statement on its last line: "" for nothing, `  # ...` for a
    comment, None for anything else (another statement after `;`)."""
    if not rest.strip():
        return ""
    if rest.lstrip().startswith("#"):
        return "  " + rest.strip()
    return None


def _is_mapped(annotation: ast.expr, ctx: RuleContext) -> bool:
    target = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        return annotation.value.startswith(("Mapped[", "orm.Mapped[", "so.Mapped["))
    return (ctx.qualified(target) or "").endswith(".Mapped")


def _surroundings(ctx: RuleContext, first: int, last: int) -> tuple[Location, Location, str, str]:
    """Where a module-level class replacing rows `first`..`last` starts and ends, and the
    text around it: the blank lines on either side are part of the edit and become the
    two that PEP 8 asks for (none at the file's edges, nor under a comment that belongs
    to the statement). Two such fixes side by side overlap, so the second one waits for
    the next pass instead of doubling the blank lines between them."""
    above = first - 1
    while above > 0 and not ctx.lines.line(above).strip():
        above -= 1
    below = last + 1
    while below <= len(ctx.lines.lines) and not ctx.lines.line(below).strip():
        below += 1
    previous = ctx.lines.line(above) if above > 0 else ""
    if above == 0 or previous.lstrip().startswith("#"):
        start, before = Location(first, 1), ""
    else:
        start, before = Location(above, len(previous) + 1), "\n\n\n"
    if below > len(ctx.lines.lines):
        end, after = Location(last, len(ctx.lines.line(last)) + 1), ""
    else:
        end, after = Location(below, 1), "\n\n\n"
    return start, end, before, after
