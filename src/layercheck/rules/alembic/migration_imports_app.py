from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import ClassVar, Final

from layercheck.facts import ImportFact
from layercheck.layers import Layer
from layercheck.orm import is_declarative_base, is_declarative_model
from layercheck.pydantic_models import is_sqlmodel_table
from layercheck.rules._base import Example, Invalid, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.alembic._helpers import MIGRATIONS

APP_LAYERS: Final = frozenset(
    {Layer.MODELS, Layer.SERVICES, Layer.REPOSITORIES, Layer.ROUTES, Layer.DEPENDENCIES}
)


def _imports(node: ast.Import | ast.ImportFrom, ctx: RuleContext) -> Iterator[ImportFact]:
    """The statement as ImportFacts, so that the index resolves it as it resolves the
    facts' imports (`from pkg import x`: module `pkg.x` first, else what `x` is)."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield ImportFact(alias.name, None, node.lineno, False)
        return
    base = ctx.names.absolute(node.level, node.module)
    if base is None:
        return
    for alias in node.names:
        yield ImportFact(
            base if alias.name == "*" else f"{base}.{alias.name}", base, node.lineno, False
        )


class MigrationImportsApp(Rule):
    """## What it does
    Checks for a migration that imports the application's models, services,
    repositories, routes or dependencies.

    ## Why is this bad?
    A migration is a snapshot of the schema at one point in history, and it must still
    run years later on a fresh database. Code imported from the application keeps
    changing: when the `User` model gains a column, a migration that does
    `session.query(User)` selects a column that does not exist yet at that revision;
    when a service moves, every old migration fails to import and `alembic upgrade`
    stops. Copy what the migration needs into it: a `sa.table("users",
    sa.column("email"))` for data changes, a column type for schema changes.

    Layers come from the layer map (`[tool.layercheck.layers]` included); a name that
    resolves to a declarative model or base, or to a SQLModel table, counts wherever it
    is defined. Imports under `if TYPE_CHECKING:` do not run and are left alone, and so
    are the shared layers (`core`, `schemas`, `exceptions`): a migration may read the
    schema name from the settings. So are the modules of the Alembic environment itself
    (beside `env.py`): a frozen copy of the models kept there is the fix, not the fault.
    An import that `allow-imports` lists (`"alembic.versions.0001_* -> app.models.user"`)
    is not reported.

    ## Example
    ```python
    # file: app/models.py
    class User: ...
    # file: alembic/versions/c4d5e6f7a8b9_activate_users.py
    from alembic import op
    from app.models import User

    revision = "c4d5e6f7a8b9"
    down_revision = "8b1e4d2c9a05"


    def upgrade() -> None:
        op.execute(User.__table__.update().values(is_active=True))


    def downgrade() -> None:
        pass
    ```

    ## Use instead
    ```python
    from alembic import op
    import sqlalchemy as sa

    revision = "c4d5e6f7a8b9"
    down_revision = "8b1e4d2c9a05"

    users = sa.table("users", sa.column("is_active", sa.Boolean))


    def upgrade() -> None:
        op.execute(users.update().values(is_active=True))


    def downgrade() -> None:
        pass
    ```
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC706",
        name="migration-imports-app",
        message="migration imports `{module}` ({what}); copy what it needs into the migration",
        layers=MIGRATIONS,
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            {
                "app/models/__init__.py": "from app.models.user import User\n",
                "app/models/user.py": "class User:\n    pass\n",
                "alembic/versions/0001_example.py": "from app.models import User  # error\n"
                "from app.services.users import slugify  # error\n\n"
                'revision = "a1"\ndown_revision = None\n',
                "app/services/users.py": "def slugify(text):\n    return text\n",
            },
            note="the models and services layers",
        ),
        Invalid(
            {
                "app/db/tables.py": "from sqlalchemy.orm import DeclarativeBase\n\n"
                "class Base(DeclarativeBase):\n    pass\n\n"
                "class Tag(Base):\n    __tablename__ = 'tags'\n",
                "alembic/versions/0001_example.py": 'revision = "a1"\ndown_revision = None\n\n'
                "def upgrade():\n"
                "    from app.db import tables as t  # error\n"
                "    import app.db.tables  # error\n",
            },
            note="a module of declarative models outside `models/`, imported in a function",
        ),
        Valid(
            {
                "app/core/config.py": "SCHEMA = 'public'\n",
                "alembic/versions/0001_example.py": "from app.core.config import SCHEMA\n"
                "import sqlalchemy as sa\nfrom alembic import op\n\n"
                'revision = "a1"\ndown_revision = None\n',
            },
            note="the core layer is shared: settings may be read",
        ),
        Valid(
            {
                "app/models/user.py": "class User:\n    pass\n",
                "alembic/versions/0001_example.py": "from typing import TYPE_CHECKING\n\n"
                "if TYPE_CHECKING:\n    from app.models.user import User\n\n"
                'revision = "a1"\ndown_revision = None\n',
            },
            note="imports under `if TYPE_CHECKING:` never run",
        ),
        Valid(
            {
                "alembic/versions/_types.py": "import sqlalchemy as sa\nGUID = sa.String\n",
                "alembic/versions/0001_example.py": "from . import _types\n\n"
                'revision = "a1"\ndown_revision = None\n',
            },
            note="helpers that live with the migrations",
        ),
        Valid(
            {
                "app/models/user.py": "class User:\n    pass\n",
                "alembic/versions/0001_example.py": "from app.models.user import User\n\n"
                'revision = "a1"\ndown_revision = None\n',
            },
            config='allow-imports = ["alembic.versions.0001_* -> app.models.user"]',
            note="an import that `allow-imports` accepts",
        ),
        Valid(
            {
                "migrations/env.py": "from alembic import context\n\n"
                "from migrations.frozen_models import Base\n",
                "migrations/frozen_models.py": "from sqlalchemy.orm import DeclarativeBase\n\n"
                "class Base(DeclarativeBase):\n    pass\n\n"
                "class Plan(Base):\n    __tablename__ = 'plans'\n",
                "migrations/versions/0001_example.py": "from migrations.frozen_models "
                "import Plan\n\n"
                'revision = "a1"\ndown_revision = None\n',
            },
            note="the migrations' own frozen copy of the models, beside Alembic's `env.py`",
        ),
        Valid(
            "from app.models import User\n",
            path="app/services/users.py",
            note="not a migration",
        ),
    )

    def visit_Import(self, node: ast.Import, ctx: RuleContext) -> None:
        self._check(node, ctx)

    def visit_ImportFrom(self, node: ast.ImportFrom, ctx: RuleContext) -> None:
        self._check(node, ctx)

    def _check(self, node: ast.Import | ast.ImportFrom, ctx: RuleContext) -> None:
        if ctx.under_type_checking():
            return
        index = ctx.index
        for fact in _imports(node, ctx):
            module = index.import_module(fact)
            if module is None or module == ctx.module:
                continue
            if ctx.settings.allow_imports.allows(ctx.module, module, fact.target):
                continue
            if index.alembic_environment(index.by_module[module].path) is not None:
                continue  # the migrations' own frozen copy, kept beside `env.py`
            layer = index.layer_of_module(module)
            if layer in APP_LAYERS:
                ctx.report(self, node, module=module, what=f"{layer.value} layer")
                return
            name = index.resolve(fact.target)
            if self._model_class(name, ctx) or any(
                self._model_class(f"{module}.{cls.name}", ctx)
                for cls in index.by_module[module].classes
            ):
                ctx.report(self, node, module=module, what="declarative models")
                return

    @staticmethod
    def _model_class(name: str, ctx: RuleContext) -> bool:
        index = ctx.index
        if index.class_fact(name) is None:
            return False
        return (
            is_declarative_model(name, index)
            or is_declarative_base(name, index)
            or is_sqlmodel_table(name, index)
        )
