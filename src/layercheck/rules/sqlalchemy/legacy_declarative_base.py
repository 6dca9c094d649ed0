from __future__ import annotations

import ast
from typing import ClassVar

from layercheck.orm import AS_DECLARATIVE, LEGACY_BASE_FACTORIES
from layercheck.rules._base import Example, Invalid, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.sqlalchemy._helpers import callee, in_migration


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

    ## Fix (not yet available)
    The fix will replace `Base = declarative_base(...)` (or the `@as_declarative()`
    decorator) with `class Base(DeclarativeBase):`, moving `metadata=`, `cls=` (as a
    base class) and `type_annotation_map=` into the class. It is unsafe: a
    `DeclarativeBase` subclass interprets annotations on model attributes, so legacy
    models with plain annotations fail to map until they use `Mapped[...]` (or set
    `__allow_unmapped__`), and a custom `metaclass=` cannot be carried over.

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
            note="`@as_declarative` called or bare, re-exported by a project package",
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

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        if callee(node, ctx) not in LEGACY_BASE_FACTORIES or in_migration(ctx):
            return
        if any(isinstance(a, ast.FunctionDef | ast.AsyncFunctionDef) for a in ctx.ancestors):
            return  # a base made at run time from a caller's class, not the project's base
        ctx.report(self, node.func, name="declarative_base()")

    def visit_ClassDef(self, node: ast.ClassDef, ctx: RuleContext) -> None:
        if in_migration(ctx):
            return
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if ctx.qualified(target) in AS_DECLARATIVE:
                ctx.report(self, decorator, name="@as_declarative")
