from __future__ import annotations

import ast
from typing import ClassVar

from layercheck.rules._base import Example, Invalid, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.pydantic._helpers import model_class


class CustomRootField(Rule):
    """## What it does
    Checks for a `__root__` field in a Pydantic model.

    ## Why is this bad?
    Custom root types were a Pydantic v1 feature: Pydantic 2 raises an error at class
    creation for a `__root__` field. A model whose value is a list, a dict or a scalar is
    a `RootModel[...]` subclass in Pydantic 2, whose value lives in `.root`.

    ## Example
    ```python
    from pydantic import BaseModel


    class Tags(BaseModel):
        __root__: list[str]
    ```

    ## Use instead
    ```python
    from pydantic import RootModel


    class Tags(RootModel[list[str]]):
        pass
    ```

    ## Details
    Only classes deriving from a Pydantic model (across modules and aliases) are
    checked; models built on `pydantic.v1` keep their v1 custom root types. No fix is
    offered: every access to `.__root__` (and `parse_obj` calls) must move to `.root`
    by hand.
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC613",
        assumes=("pydantic", 2),
        name="custom-root-field",
        message="`__root__` field in `{model}` is Pydantic v1; subclass `RootModel[...]` instead",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            "import pydantic\n\n\n"
            "class Tags(pydantic.BaseModel):\n"
            "    __root__: list[str]  # error: 5\n",
        ),
        Invalid(
            {
                "app/schemas/base.py": "from pydantic import BaseModel\n\n\n"
                "class Schema(BaseModel):\n"
                "    pass\n",
                "app/schemas/ids.py": "from typing import Dict\n\n"
                "from .base import Schema\n\n\n"
                "class Ids(Schema):\n"
                "    __root__: Dict[str, int] = {}  # error\n\n\n"
                "class Names(Schema):\n"
                "    __root__ = ['a']  # error\n",
            },
            note="a project base in another module; with a default; without annotation",
        ),
        Valid(
            "from pydantic import RootModel\n\n\nclass Tags(RootModel[list[str]]):\n    pass\n",
        ),
        Valid(
            "from pydantic.v1 import BaseModel\n\n\n"
            "class Tags(BaseModel):\n"
            "    __root__: list[str]\n",
            note="a `pydantic.v1` model keeps its v1 custom root type",
        ),
        Valid(
            "class Tree:\n    __root__: str = '/'\n\n\ndef walk(tags):\n    return tags.__root__\n",
            note="a plain class; an attribute access (the fix is by hand)",
        ),
    )

    def visit_ClassDef(self, node: ast.ClassDef, ctx: RuleContext) -> None:
        targets: list[ast.expr] = []
        for member in node.body:
            if isinstance(member, ast.AnnAssign):
                targets.append(member.target)
            elif isinstance(member, ast.Assign):
                targets.extend(member.targets)
        roots = [t for t in targets if isinstance(t, ast.Name) and t.id == "__root__"]
        if not roots:
            return
        model = model_class(node, ctx)
        if model is None or model.v1_compat:
            return
        for root in roots:
            ctx.report(self, root, model=node.name)
