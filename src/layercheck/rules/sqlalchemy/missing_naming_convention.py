from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import ClassVar

from layercheck.orm import (
    AS_DECLARATIVE,
    DECLARATIVE_BASE_CLASSES,
    LEGACY_BASE_FACTORIES,
    METADATA_CLASSES,
)
from layercheck.rules._base import Example, Invalid, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.sqlalchemy._helpers import (
    callee,
    has_star_kwargs,
    in_migration,
    keyword,
    report_class_name,
)

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


@dataclass(slots=True)
class _Candidate:
    """A MetaData without a naming convention, unless the module sets one later."""

    node: ast.AST
    what: str
    owner: str | None
    """The module-level name whose `.metadata.naming_convention` (or, for a MetaData,
    `.naming_convention`) may still be assigned further down."""
    class_name: bool = False


class MissingNamingConvention(Rule):
    """## What it does
    Checks for a declarative base, or an Alembic `env.py` `target_metadata`, whose
    `MetaData` has no `naming_convention`.

    ## Why is this bad?
    Without a naming convention, indexes, unique constraints, foreign keys and checks
    get whatever name the database picks (or none, on SQLite). Alembic's autogenerate
    then writes migrations that cannot drop or alter those constraints by name,
    downgrades fail, names differ between PostgreSQL, MySQL and the test database, and
    SQLite's batch mode cannot recreate the table. Renaming every constraint later
    takes a migration of its own.

    ## Example
    ```python
    from sqlalchemy.orm import DeclarativeBase


    class Base(DeclarativeBase):
        pass
    ```

    ## Use instead
    ```python
    from sqlalchemy import MetaData
    from sqlalchemy.orm import DeclarativeBase

    NAMING_CONVENTION = {
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }


    class Base(DeclarativeBase):
        metadata = MetaData(naming_convention=NAMING_CONVENTION)
    ```

    ## Details
    Reported: a class deriving directly from `DeclarativeBase`/`DeclarativeBaseNoMeta`
    with no `metadata` (at its name) or with `metadata = MetaData(...)` lacking
    `naming_convention=` (at the call); `declarative_base()` / `@as_declarative()`
    without `metadata=`, or with a `MetaData(...)` lacking one; and, in an Alembic
    `env.py`, `target_metadata = MetaData(...)` without one. A `MetaData` held in a
    variable of the same module is followed; one from another module is trusted. A
    later `Base.metadata.naming_convention = ...` (or `metadata.naming_convention =
    ...`) in the same module counts. `target_metadata = Base.metadata` or `= None`,
    `MetaData()` objects used for reflection, and migrations are left alone.
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC407",
        name="missing-naming-convention",
        message="{what} has no `naming_convention`; constraint names are left to the database",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            "import sqlalchemy as sa\n"
            "from sqlalchemy import orm\n\n\n"
            "class Base(orm.DeclarativeBase):  # error: 7\n"
            "    pass\n\n\n"
            "class ReportingBase(orm.DeclarativeBaseNoMeta):\n"
            "    metadata = sa.MetaData(schema='reporting')  # error: 16\n",
            note="no `metadata`; a `MetaData` without a convention",
        ),
        Invalid(
            "from sqlalchemy import MetaData\n"
            "from sqlalchemy.ext.declarative import as_declarative, declarative_base\n\n"
            "metadata = MetaData()\n"
            "Base = declarative_base()  # error\n"
            "Other = declarative_base(metadata=metadata)  # error\n\n\n"
            "@as_declarative()  # error\n"
            "class Legacy:\n"
            "    pass\n",
            note="`declarative_base()` without `metadata=`, and with a `MetaData` variable "
            "lacking a convention",
        ),
        Invalid(
            {
                "alembic/env.py": "from alembic import context\n"
                "from sqlalchemy import MetaData\n\n"
                "target_metadata = MetaData(  # error\n"
                "    schema='app',\n"
                ")\n",
            },
            note="Alembic's `env.py` building its own `MetaData`",
        ),
        Valid(
            "from sqlalchemy import MetaData\n"
            "from sqlalchemy.orm import DeclarativeBase, declarative_base\n\n"
            "CONVENTION = {'pk': 'pk_%(table_name)s'}\n"
            "metadata_obj = MetaData(naming_convention=CONVENTION)\n\n\n"
            "class Base(DeclarativeBase):\n"
            "    metadata = MetaData(naming_convention=CONVENTION)\n\n\n"
            "class Shared(DeclarativeBase):\n"
            "    metadata = metadata_obj\n\n\n"
            "class MetadataMixin:\n"
            "    metadata = metadata_obj\n\n\n"
            "class Mixed(MetadataMixin, DeclarativeBase):\n"
            "    pass\n\n\n"
            "class Model(Base):\n"
            "    __tablename__ = 'models'\n\n\n"
            "Legacy = declarative_base(metadata=MetaData(naming_convention=CONVENTION))\n",
            note="a convention given directly, through a variable or by a mixin; subclasses "
            "of the base need none",
        ),
        Valid(
            {
                "alembic/env.py": "from alembic import context\n"
                "from sqlalchemy import MetaData, create_engine\n\n"
                "from app.models import Base\n\n"
                "target_metadata = Base.metadata\n\n\n"
                "def reflect(url):\n"
                "    reflected = MetaData()\n"
                "    reflected.reflect(create_engine(url))\n"
                "    return reflected\n",
                "migrations/env.py": "from alembic import context\n\ntarget_metadata = None\n",
            },
            note="`target_metadata = Base.metadata` or `None`; a `MetaData()` for reflection",
        ),
        Valid(
            {
                "app/db/meta.py": "from sqlalchemy import MetaData\n\n"
                "metadata = MetaData(naming_convention={'pk': 'pk_%(table_name)s'})\n",
                "app/db/base.py": "from sqlalchemy.orm import DeclarativeBase, "
                "declarative_base\n\n"
                "from app.db.meta import metadata\n\n"
                "Legacy = declarative_base()\n\n\n"
                "class Base(DeclarativeBase):\n"
                "    metadata = metadata\n\n\n"
                "Legacy.metadata.naming_convention = {'pk': 'pk_%(table_name)s'}\n",
            },
            note="a `MetaData` from another module is trusted; a convention set afterwards",
        ),
        Valid(
            "from sqlalchemy.orm import declarative_base\n\n"
            "revision = '77aa'\n"
            "down_revision = None\n"
            "Base = declarative_base()\n",
            path="alembic/versions/77aa_data.py",
            note="a migration's throwaway base",
        ),
    )

    def __init__(self) -> None:
        self._metadata: dict[str, bool | None] = {}
        """Module-level `name = MetaData(...)`: has a convention (None: cannot tell)."""
        self._fixed: set[str] = set()
        """Module-level names given a naming convention by a later assignment."""
        self._candidates: list[_Candidate] = []

    # -- what MetaData says ------------------------------------------------------------
    def _convention(self, node: ast.expr | None, ctx: RuleContext) -> bool | None:
        """True/False: the MetaData has/lacks a convention; None: not a MetaData we see."""
        if isinstance(node, ast.Call) and callee(node, ctx) in METADATA_CLASSES:
            given = keyword(node, "naming_convention")
            if given is not None:
                return not (isinstance(given.value, ast.Constant) and given.value.value is None)
            if has_star_kwargs(node) or len(node.args) >= 3:
                return None
            return False
        if isinstance(node, ast.Name) and ctx.names.binding_scope(node.id) is ctx.names.scopes[0]:
            return self._metadata.get(node.id)
        return None

    # -- collect -----------------------------------------------------------------------
    def visit_Assign(self, node: ast.Assign, ctx: RuleContext) -> None:
        if in_migration(ctx) or any(isinstance(a, _SCOPES) for a in ctx.ancestors[:-1]):
            return
        for target in node.targets:
            self._module_assignment(target, node.value, ctx)

    def visit_AnnAssign(self, node: ast.AnnAssign, ctx: RuleContext) -> None:
        if in_migration(ctx) or any(isinstance(a, _SCOPES) for a in ctx.ancestors[:-1]):
            return
        if node.value is not None:
            self._module_assignment(node.target, node.value, ctx)

    def _module_assignment(self, target: ast.expr, value: ast.expr, ctx: RuleContext) -> None:
        if isinstance(target, ast.Attribute) and target.attr == "naming_convention":
            owner = target.value
            if isinstance(owner, ast.Attribute) and owner.attr == "metadata":
                owner = owner.value
            if isinstance(owner, ast.Name):
                self._fixed.add(owner.id)
            return
        if not isinstance(target, ast.Name):
            return
        if isinstance(value, ast.Call) and callee(value, ctx) in METADATA_CLASSES:
            self._metadata[target.id] = self._convention(value, ctx)
        if isinstance(value, ast.Call) and callee(value, ctx) in LEGACY_BASE_FACTORIES:
            self._factory(value, target.id, ctx)
        elif (
            target.id == "target_metadata"
            and self._is_env_py(ctx)
            and self._convention(value, ctx) is False
        ):
            held = value.id if isinstance(value, ast.Name) else "target_metadata"
            self._candidates.append(_Candidate(value, "Alembic's `target_metadata`", held))

    def _factory(self, call: ast.Call, owner: str | None, ctx: RuleContext) -> None:
        """`declarative_base(...)` or `as_declarative(...)`: its `metadata=`."""
        given = keyword(call, "metadata")
        if given is None:
            lacking = not has_star_kwargs(call)
        else:
            lacking = self._convention(given.value, ctx) is False
        if lacking:
            name = ast.unparse(call.func)
            self._candidates.append(_Candidate(call.func, f"the `MetaData` of `{name}()`", owner))

    @staticmethod
    def _is_env_py(ctx: RuleContext) -> bool:
        if ctx.path.name != "env.py":
            return False
        facts = ctx.index.by_path.get(str(ctx.path))
        return facts is None or any(
            fact.target == "alembic" or fact.target.startswith("alembic.") for fact in facts.imports
        )

    def visit_ClassDef(self, node: ast.ClassDef, ctx: RuleContext) -> None:
        if in_migration(ctx) or any(isinstance(a, _SCOPES) for a in ctx.ancestors[:-1]):
            return
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if ctx.qualified(target) in AS_DECLARATIVE:
                if isinstance(decorator, ast.Call):
                    self._factory(decorator, node.name, ctx)
                else:
                    what = f"the `MetaData` of `@{ast.unparse(decorator)}`"
                    self._candidates.append(_Candidate(decorator, what, node.name))
        bases = (ctx.qualified(base) for base in node.bases)
        if not any(base in DECLARATIVE_BASE_CLASSES for base in bases):
            return
        what = f"the `MetaData` of declarative base `{node.name}`"
        for stmt in node.body:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else []
            if isinstance(stmt, ast.AnnAssign):
                targets = [stmt.target]
            names = {t.id for t in targets if isinstance(t, ast.Name)}
            if names & {"metadata", "registry"}:
                value = stmt.value if isinstance(stmt, ast.Assign | ast.AnnAssign) else None
                if "metadata" in names and self._convention(value, ctx) is False:
                    assert value is not None
                    self._candidates.append(_Candidate(value, what, node.name))
                return
        if not self._inherits_metadata(node, ctx):
            self._candidates.append(_Candidate(node, what, node.name, class_name=True))

    @staticmethod
    def _inherits_metadata(node: ast.ClassDef, ctx: RuleContext) -> bool:
        """A project mixin among the bases sets `metadata` (trusted, as it is elsewhere)."""
        index = ctx.index
        name = f"{ctx.module}.{node.name}" if ctx.module else node.name
        for ancestor in index.ancestors(name)[1:]:
            facts = index.class_fact(ancestor)
            if facts is not None and any(a.name == "metadata" for a in facts.attributes):
                return True
        return False

    # -- decide ------------------------------------------------------------------------
    def leave_Module(self, node: ast.Module, ctx: RuleContext) -> None:
        for candidate in self._candidates:
            if candidate.owner is not None and candidate.owner in self._fixed:
                continue
            if candidate.class_name and isinstance(candidate.node, ast.ClassDef):
                report_class_name(self, candidate.node, ctx, what=candidate.what)
            else:
                ctx.report(self, candidate.node, what=candidate.what)
