from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import ClassVar, Final

from layercheck import edits
from layercheck.annotations import OPTIONAL, UNION, parse_string
from layercheck.model import Fix
from layercheck.orm import MAPPED, is_declarative_base, is_declarative_model
from layercheck.rules._base import (
    Example,
    FixAvailability,
    Invalid,
    Rule,
    RuleContext,
    RuleMeta,
    Valid,
)
from layercheck.rules.pydantic._helpers import model_class, nested, own_name

_LITERAL: Final = frozenset({"typing.Literal", "typing_extensions.Literal"})


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _items(node: ast.Subscript) -> list[ast.expr]:
    return list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]


def _replacement(kept: list[ast.expr]) -> str:
    """`X | None`; with a quoted member, one string: `"User | None"` (`"User" | None`
    fails at runtime)."""
    quoted = any(isinstance(i, ast.Constant) and isinstance(i.value, str) for i in kept)
    parts = [
        i.value if isinstance(i, ast.Constant) and isinstance(i.value, str) else ast.unparse(i)
        for i in kept
    ]
    text = " | ".join([*parts, "None"])
    return repr(text) if quoted else text


class OptionalAnnotation(Rule):
    """## What it does
    Checks for `Optional[X]` and `Union[X, None]` in the annotations of a Pydantic model,
    a SQLAlchemy model, or any `Mapped[...]` annotation, when the target Python is 3.10 or
    newer.

    ## Why is this bad?
    Since Python 3.10, `X | None` says the same thing without an import, and reads the
    way Pydantic and SQLAlchemy document their fields. Mixing both spellings in the same
    codebase makes schemas harder to scan, and `Optional` suggests "may be omitted" when
    it only means "may be None": in Pydantic 2 an `Optional[X]` field without a default is
    still required.

    ## Example
    ```python
    from typing import Optional

    from pydantic import BaseModel


    class UserPatch(BaseModel):
        email: Optional[str] = None
        display_name: Optional[str] = None
    ```

    ## Use instead
    ```python
    from pydantic import BaseModel


    class UserPatch(BaseModel):
        email: str | None = None
        display_name: str | None = None
    ```

    ## Fix safety
    The fix rewrites `Optional[X]` as `X | None` and `Union[X, Y, None]` as
    `X | Y | None`, keeping each member as written, and removes the `typing` import when
    nothing else uses it. It is safe: both spellings mean the same type on Python 3.10+
    (a quoted forward reference such as `Optional["User"]` becomes `"User | None"`, since
    `"User" | None` fails at runtime). No fix is offered for a quoted annotation that holds
    more than the optional itself (`'list[Optional[int]]'`), or for one spread over lines
    with a comment inside.

    ## Details
    The rule follows the target version (`target-version`, else `[tool.ruff]`'s, else
    `[project] requires-python`): it stays quiet when the target is older than 3.10.
    Annotations are those of class-body fields of a Pydantic model (a project class
    deriving from `BaseModel`, `BaseSettings` or `SQLModel`) or a SQLAlchemy declarative
    model or base, at any depth (`list[Optional[int]]`, `Mapped[Optional[str]]`, quoted
    annotations), and any class-body annotation wrapped in `Mapped[...]` (mixins).
    Function signatures are not checked.
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC604",
        assumes=("pydantic", 2),
        name="optional-annotation",
        message="`{annotation}` in `{owner}`; write `{replacement}`",
        fix=FixAvailability.SOMETIMES,
        fix_title="Write `X | None`",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Valid(
            "from typing import Optional\n\nfrom pydantic import BaseModel\n\n\n"
            "class UserPatch(BaseModel):\n    name: Optional[str] = None\n",
            config='target-version = "py39"',
            note="a project that still supports Python 3.9 cannot write `str | None`",
        ),
        Invalid(
            "import typing as t\n"
            "from typing import Optional, Union\n\n"
            "from pydantic import BaseModel, Field\n\n\n"
            "class Item(BaseModel):\n"
            "    name: Optional[str] = None  # error: 11\n"
            "    tags: list[Optional[str]] = Field(default_factory=list)  # error: 16\n"
            "    price: Union[int, float, None] = None  # error\n"
            "    owner: 't.Optional[Owner]' = None  # error\n"
            "    count: int = 0\n",
            fixed=(
                "from pydantic import BaseModel, Field\n"
                "\n"
                "\n"
                "class Item(BaseModel):\n"
                "    name: str | None = None  # error: 11\n"
                "    tags: list[str | None] = Field(default_factory=list)  # error: 16\n"
                "    price: int | float | None = None  # error\n"
                "    owner: 'Owner | None' = None  # error\n"
                "    count: int = 0\n"
            ),
            note="nested, `Union` with several members, a quoted annotation, a module alias",
        ),
        Invalid(
            {
                "app/models/base.py": "from sqlalchemy.orm import DeclarativeBase\n\n\n"
                "class Base(DeclarativeBase):\n"
                "    pass\n",
                "app/models/user.py": "from typing import Optional\n\n"
                "from sqlalchemy.orm import Mapped, mapped_column\n\n"
                "from .base import Base\n\n\n"
                "class TimestampMixin:\n"
                "    deleted_at: Mapped[Optional[datetime]]  # error\n\n\n"
                "class User(TimestampMixin, Base):\n"
                "    __tablename__ = 'users'\n"
                "    bio: Mapped[Optional[str]] = mapped_column()  # error\n"
                "    manager: Mapped['Optional[User]'] = relationship()  # error\n"
                "    team: Mapped[Optional['Team']] = relationship()  # error\n",
            },
            fixed={
                "app/models/user.py": "from sqlalchemy.orm import Mapped, mapped_column\n"
                "\n"
                "from .base import Base\n"
                "\n"
                "\n"
                "class TimestampMixin:\n"
                "    deleted_at: Mapped[datetime | None]  # error\n"
                "\n"
                "\n"
                "class User(TimestampMixin, Base):\n"
                "    __tablename__ = 'users'\n"
                "    bio: Mapped[str | None] = mapped_column()  # error\n"
                "    manager: Mapped['User | None'] = relationship()  # error\n"
                "    team: Mapped['Team | None'] = relationship()  # error\n",
            },
            note="inside `Mapped[...]` on a declarative model and on a mixin",
        ),
        Valid(
            "from pydantic import BaseModel\n\n\n"
            "class Item(BaseModel):\n"
            "    name: str | None = None\n"
            "    tags: list[str | None] = []\n",
        ),
        Valid(
            "from typing import Optional, Union\n\n\n"
            "class Cache:\n"
            "    entry: Optional[str] = None\n\n\n"
            "def find(name: Optional[str]) -> Union[int, str]:\n"
            "    value: Optional[int] = None\n"
            "    return value\n",
            note="a plain class, a function signature and a local annotation; `Union` without None",
        ),
        Valid(
            {
                "app/types.py": "Optional = list\n",
                "app/example.py": "from typing import ClassVar, Literal, Optional\n\n"
                "from pydantic import BaseModel, Field\n\n"
                "from app import types\n\n\n"
                "class Item(BaseModel):\n"
                "    kind: Literal['Optional[int]'] = 'Optional[int]'\n"
                "    tags: types.Optional[str] = Field(description='Optional[str]')\n\n"
                "    def rename(self, name: Optional[str]) -> Optional[str]:\n"
                "        return name\n",
            },
            note="a project lookalike named `Optional`, strings that are values, "
            "a method signature",
        ),
    )

    def visit_ClassDef(self, node: ast.ClassDef, ctx: RuleContext) -> None:
        if ctx.settings.target_version < (3, 10):
            return
        schema = model_class(node, ctx) is not None
        if not schema and not nested(ctx):
            qualified = own_name(ctx, node.name)
            schema = is_declarative_model(qualified, ctx.index) or is_declarative_base(
                qualified, ctx.index
            )
        for member in node.body:
            if not isinstance(member, ast.AnnAssign) or not isinstance(member.target, ast.Name):
                continue
            annotation = member.annotation
            if not schema and not self._is_mapped(annotation, ctx):
                continue
            owner = f"{node.name}.{member.target.id}"
            for found, shown, replacement in self._optionals(annotation, ctx):
                fix = self._fix(found, ctx)
                ctx.report_with_fix(
                    self, found, fix, annotation=shown, owner=owner, replacement=replacement
                )

    def _fix(self, node: ast.expr, ctx: RuleContext) -> Fix | None:
        title = self.meta.fix_title or ""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            inner = parse_string(node)
            source = edits.text(ctx, node)
            quote = source[:1]
            if not isinstance(inner, ast.Subscript) or quote not in ("'", '"'):
                return None
            if source[1:-1].strip() != node.value.strip() or len(source) < 2:
                return None  # a prefix, an escape or implicit concatenation
            texts: list[str] = []
            for item in _items(inner):
                if _is_none(item):
                    continue
                if isinstance(item, ast.Constant) and isinstance(item.value, str):
                    found: str | None = item.value
                else:
                    # The member as written, where the string's own parse puts it.
                    found = ast.get_source_segment(node.value, item)
                if found is None or quote in found:
                    return None
                texts.append(found)
            text = " | ".join([*texts, "None"])
            return edits.safe(title, edits.replace(ctx, node, f"{quote}{text}{quote}"))
        if not isinstance(node, ast.Subscript) or edits.has_comment(ctx, node):
            return None
        kept = [item for item in _items(node) if not _is_none(item)]
        quoted = any(isinstance(i, ast.Constant) and isinstance(i.value, str) for i in kept)
        texts = [
            i.value
            if isinstance(i, ast.Constant) and isinstance(i.value, str)
            else edits.text(ctx, i)
            for i in kept
        ]
        if any("\n" in t for t in texts):
            return None
        text = " | ".join([*texts, "None"])
        if quoted:
            first = next(
                i for i in kept if isinstance(i, ast.Constant) and isinstance(i.value, str)
            )
            quote = edits.text(ctx, first)[:1]
            if quote not in ("'", '"') or quote in text:
                return None
            text = f"{quote}{text}{quote}"
        return edits.safe(title, edits.replace(ctx, node, text))

    @staticmethod
    def _is_mapped(annotation: ast.expr, ctx: RuleContext) -> bool:
        inner = parse_string(annotation) or annotation
        return isinstance(inner, ast.Subscript) and ctx.qualified(inner.value) in MAPPED

    def _optionals(
        self, annotation: ast.expr, ctx: RuleContext
    ) -> Iterator[tuple[ast.expr, str, str]]:
        """(node to report, text shown, replacement) for each optional in the annotation;
        a quoted annotation is reported once, at the string."""
        pending = [annotation]
        while pending:
            node = pending.pop()
            if isinstance(node, ast.Call) or (
                isinstance(node, ast.Subscript) and ctx.qualified(node.value) in _LITERAL
            ):
                continue  # `Field(description="...")`, `Literal["..."]`: values, not types
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                inner = parse_string(node)
                found = next(self._optionals(inner, ctx), None) if inner is not None else None
                if found is not None:
                    yield node, found[1], found[2]
                continue
            pending.extend(
                reversed([c for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr)])
            )
            if not isinstance(node, ast.Subscript):
                continue
            head = ctx.qualified(node.value)
            if head not in OPTIONAL and head not in UNION:
                continue
            items = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
            if head in UNION and not any(_is_none(item) for item in items):
                continue
            yield node, ast.unparse(node), _replacement([i for i in items if not _is_none(i)])
