from __future__ import annotations

import ast
from typing import ClassVar, Final

from layercheck import edits
from layercheck.index import ProjectIndex
from layercheck.model import Fix
from layercheck.pydantic_models import fields
from layercheck.rules._base import (
    Example,
    FixAvailability,
    Invalid,
    Need,
    Rule,
    RuleContext,
    RuleMeta,
    Valid,
)
from layercheck.rules.pydantic._helpers import (
    is_v2_instance_class,
    short_name,
)

INSTANCE_MEMBERS: Final = {
    "dict": "use `.model_dump()`",
    "json": "use `.model_dump_json()`",
    "copy": "use `.model_copy()`",
}
CLASS_MEMBERS: Final = {
    "parse_obj": "use `.model_validate()`",
    "parse_raw": "use `.model_validate_json()`",
    "parse_file": "read the file and use `.model_validate_json()`",
    "schema": "use `.model_json_schema()`",
    "schema_json": "use `json.dumps(Model.model_json_schema())`",
    "construct": "use `.model_construct()`",
    "update_forward_refs": "use `.model_rebuild()`",
    "__fields__": "use `.model_fields`",
}


class V1ModelMethod(Rule):
    """## What it does
    Checks for Pydantic v1 methods on a model or a model instance: `.dict()`, `.json()`,
    `.copy()`, `.parse_obj()`, `.parse_raw()`, `.parse_file()`, `.schema()`,
    `.schema_json()`, `.construct()`, `.update_forward_refs()` and `.__fields__`.

    ## Why is this bad?
    Pydantic 2 keeps the v1 methods only as deprecated shims: each call emits a
    `PydanticDeprecatedSince20` warning, some behave differently from their v2
    counterparts (`.copy()` skips validation and accepts `include`/`exclude`), and all of
    them go away in Pydantic 3.

    ## Example
    ```python
    from pydantic import BaseModel


    class UserPatch(BaseModel):
        email: str | None = None


    def changes(data: UserPatch) -> dict:
        return data.dict(exclude_unset=True)
    ```

    ## Use instead
    ```python
    from pydantic import BaseModel


    class UserPatch(BaseModel):
        email: str | None = None


    def changes(data: UserPatch) -> dict:
        return data.model_dump(exclude_unset=True)
    ```

    ## Fix safety
    The fix renames the member to its v2 name: `model_dump`, `model_dump_json`,
    `model_copy`, `model_validate`, `model_validate_json`, `model_json_schema`,
    `model_construct`, `model_rebuild`, `model_fields`. It is safe, and offered only where
    the arguments carry over unchanged: not for `.parse_file()` and `.schema_json()` (no
    v2 method), `.copy(include=..., exclude=...)` (`model_copy` has neither),
    `.json(encoder=..., models_as_dict=...)` and other `json.dumps` arguments
    (`model_dump_json` takes none of them but `indent`), `.parse_raw()` with more than the
    data, `.update_forward_refs()` with arguments, or a `.__fields__` whose values are
    read (`model_fields` holds `FieldInfo`, not v1's `ModelField`).

    ## Details
    The receiver must be shown to be a Pydantic model (precision beats recall here):
    a model class of the project (across modules and aliases), `cls` in one of its class
    methods, or an instance: `self` in its methods, a parameter or variable annotated
    with a model (string annotations and `Optional` included), a variable set from a
    model's constructor, `Model.model_validate(...)`, `Model.parse_obj(...)` or a project
    function whose return annotation is a model, a module-level instance imported from
    another module, or an element of a parameter annotated `list[Model]`.
    `request.json()`, `response.json()` of HTTP clients, `dict.copy()` and `.dict()` on
    a value of unknown type are never reported. A model that defines a method or field of
    the same name in the file (or a field in a project base) is left alone, and so are
    models built on `pydantic.v1`.
    """

    needs: ClassVar[frozenset[Need]] = frozenset({Need.VALUES})
    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC602",
        assumes=("pydantic", 2),
        name="v1-model-method",
        message="`{member}` on `{model}` is Pydantic v1 API; {advice}",
        fix=FixAvailability.SOMETIMES,
        fix_title="Rename to the v2 name",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Valid(
            {
                "app/schemas/base.py": "from pydantic import BaseModel\n\n\n"
                "class Schema(BaseModel):\n"
                "    def dict(self, **kwargs):\n"
                "        return self.model_dump(**kwargs)\n",
                "app/schemas/user.py": "from app.schemas.base import Schema\n\n\n"
                "class UserOut(Schema):\n    name: str\n",
                "app/services/users.py": "from app.schemas.user import UserOut\n\n\n"
                "def export(user: UserOut) -> dict:\n    return user.dict()\n",
            },
            note="a project base in another module defines `dict()` itself",
        ),
        Invalid(
            {
                "app/schemas/user.py": "from typing import Optional\n\n"
                "from pydantic import BaseModel\n\n\n"
                "class UserUpdate(BaseModel):\n"
                "    name: Optional[str] = None\n\n\n"
                "class UserRead(BaseModel):\n"
                "    id: int\n",
                "app/services/users.py": "import json\n"
                "from typing import Optional\n\n"
                "from app.schemas import user as schemas\n\n\n"
                "def update(\n"
                "    data: 'schemas.UserUpdate', raw: str, other: Optional[schemas.UserRead]\n"
                "):\n"
                "    changes = data.dict(exclude_unset=True)  # error: 15\n"
                "    parsed = schemas.UserRead.parse_raw(raw)  # error\n"
                "    copy = parsed.copy()  # error\n"
                "    fields = schemas.UserRead.__fields__  # error\n"
                "    return json.dumps(changes), other.json(), copy.copy()  # error\n",
            },
            note="a string annotation, a module alias, `Optional`, a value from parse_raw, "
            "a copy of a copy; `json.dumps` is not a model method",
        ),
        Invalid(
            "from pydantic import BaseModel\n\n\n"
            "class Item(BaseModel):\n"
            "    name: str\n\n"
            "    def to_row(self):\n"
            "        return self.dict()  # error\n\n"
            "    @classmethod\n"
            "    def load(cls, data):\n"
            "        return cls.parse_obj(data)  # error\n\n\n"
            "def make_item() -> Item:\n"
            "    return Item(name='x')\n\n\n"
            "def handler(items: list[Item]):\n"
            "    made = make_item()\n"
            "    rows = [item.json() for item in items]  # error\n"
            "    schema = Item.schema()  # error\n"
            "    return made.dict(), rows, schema, Item(name='y').copy(update={})  # error\n",
            fixed=(
                "from pydantic import BaseModel\n"
                "\n"
                "\n"
                "class Item(BaseModel):\n"
                "    name: str\n"
                "\n"
                "    def to_row(self):\n"
                "        return self.model_dump()  # error\n"
                "\n"
                "    @classmethod\n"
                "    def load(cls, data):\n"
                "        return cls.model_validate(data)  # error\n"
                "\n"
                "\n"
                "def make_item() -> Item:\n"
                "    return Item(name='x')\n"
                "\n"
                "\n"
                "def handler(items: list[Item]):\n"
                "    made = make_item()\n"
                "    rows = [item.model_dump_json() for item in items]  # error\n"
                "    schema = Item.model_json_schema()  # error\n"
                "    return made.model_dump(), rows, schema, "
                "Item(name='y').model_copy(update={})  # error\n"
            ),
            note="`self`, `cls`, a function's return annotation, comprehension elements, "
            "a constructor call",
        ),
        Valid(
            "import httpx\n"
            "import requests\n"
            "from fastapi import Request\n\n\n"
            "async def proxy(request: Request, payload: dict, obj):\n"
            "    body = await request.json()\n"
            "    data = requests.get('https://example.com').json()\n"
            "    async with httpx.AsyncClient() as client:\n"
            "        response = await client.get('https://example.com')\n"
            "    return body, data, response.json(), payload.copy(), obj.dict()\n",
            note="request, HTTP responses, dicts and unknown receivers",
        ),
        Valid(
            "from pydantic import BaseModel\n\n\n"
            "class User(BaseModel):\n"
            "    name: str\n\n\n"
            "def dump(user: User, other: User):\n"
            "    other = load()\n"
            "    return user.model_dump(), other.dict(), User.model_json_schema()\n",
            note="v2 methods; a parameter rebound to an unknown value",
        ),
        Valid(
            {
                "app/db.py": "from sqlalchemy.orm import DeclarativeBase\n\n\n"
                "class Base(DeclarativeBase):\n"
                "    def dict(self):\n"
                "        return {}\n\n\n"
                "class Team(Base):\n"
                "    __tablename__ = 'team'\n",
                "app/example.py": "from pydantic import BaseModel\n"
                "from pydantic.v1 import BaseModel as V1Model\n\n"
                "from app.db import Team\n\n\n"
                "class Legacy(V1Model):\n"
                "    name: str\n\n\n"
                "class Event(BaseModel):\n"
                "    def dict(self):\n"
                "        return {'kind': 'event'}\n\n\n"
                "def dump(team: Team, legacy: Legacy, event: Event):\n"
                "    return team.dict(), legacy.dict(), event.dict()\n",
            },
            note="an ORM model with its own `dict()`; a `pydantic.v1` model; a model that "
            "defines `dict()` itself",
        ),
    )

    def __init__(self) -> None:
        self._candidates: list[tuple[ast.Attribute, str, Fix | None]] = []

    def visit_Attribute(self, node: ast.Attribute, ctx: RuleContext) -> None:
        attr = node.attr
        if attr not in INSTANCE_MEMBERS and attr not in CLASS_MEMBERS:
            return
        parent = ctx.parent
        called = isinstance(parent, ast.Call) and parent.func is node
        if attr != "__fields__" and not called:
            return
        model = ctx.values.instance_class(node.value, ctx)
        if model is None and attr in CLASS_MEMBERS:
            model = ctx.values.class_named(node.value, ctx)
        if is_v2_instance_class(model, ctx.index):
            assert model is not None
            self._candidates.append((node, model, _fix(node, ctx)))

    def leave_Module(self, node: ast.Module, ctx: RuleContext) -> None:
        index = ctx.index
        for attribute, model, fix in self._candidates:
            attr = attribute.attr
            if attr in fields(model, index) or _defines(model, attr, index):
                continue  # the model, or a project base in any module, defines it
            member = attr if attr == "__fields__" else f"{attr}()"
            advice = INSTANCE_MEMBERS.get(attr) or CLASS_MEMBERS[attr]
            ctx.report_with_fix(
                self, attribute, fix, member=f".{member}", model=short_name(model), advice=advice
            )


V2_NAMES: Final = {
    "dict": "model_dump",
    "json": "model_dump_json",
    "copy": "model_copy",
    "parse_obj": "model_validate",
    "parse_raw": "model_validate_json",
    "schema": "model_json_schema",
    "construct": "model_construct",
    "update_forward_refs": "model_rebuild",
    "__fields__": "model_fields",
}
# The keyword arguments each v1 method shares with its v2 name, meaning the same.
_SHARED_KEYWORDS: Final = {
    "dict": {"include", "exclude", "by_alias", "exclude_unset", "exclude_defaults", "exclude_none"},
    "json": {
        "include",
        "exclude",
        "by_alias",
        "exclude_unset",
        "exclude_defaults",
        "exclude_none",
        "indent",
    },
    "copy": {"update", "deep"},
    "parse_obj": set(),
    "parse_raw": set(),
    "schema": {"by_alias", "ref_template"},
    "update_forward_refs": set(),
}
_MAX_POSITIONAL: Final = {"parse_obj": 1, "parse_raw": 1}


def _fix(attribute: ast.Attribute, ctx: RuleContext) -> Fix | None:
    attr = attribute.attr
    new = V2_NAMES.get(attr)
    if new is None:
        return None
    parent = ctx.parent
    if attr == "__fields__":
        grand = ctx.ancestors[-3] if len(ctx.ancestors) > 2 else None
        if isinstance(parent, ast.Subscript) or (
            isinstance(parent, ast.Attribute)
            and parent.attr in ("values", "items", "get")
            and not isinstance(grand, ast.Subscript)
        ):
            return None
    elif isinstance(parent, ast.Call) and attr != "construct":
        shared = _SHARED_KEYWORDS.get(attr, set())
        if any(keyword.arg not in shared for keyword in parent.keywords):
            return None
        if len(parent.args) > _MAX_POSITIONAL.get(attr, 0):
            return None
        if any(isinstance(arg, ast.Starred) for arg in parent.args):
            return None
    return edits.safe(f"Rename to `{new}`", edits.rename_attribute(ctx, attribute, new))


def _defines(model: str, member: str, index: ProjectIndex) -> bool:
    """A project class on the model's way to BaseModel defines `member` itself."""
    for ancestor in index.ancestors(model):
        facts = index.class_fact(ancestor)
        if facts is not None and (
            member in facts.methods or any(a.name == member for a in facts.attributes)
        ):
            return True
    return False
