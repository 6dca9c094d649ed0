from __future__ import annotations

from typing import ClassVar

from layercheck.rules._base import (
    Example,
    FixAvailability,
    Invalid,
    Rule,
    RuleMeta,
    Valid,
)

_SERVICE = "app/services/users.py"
_IMPORT = "from fastapi import HTTPException\n\n\n"


class UnusedNoqa(Rule):
    """## What it does
    Reports a `# noqa: LCxxx` comment, or a file-level `# layercheck: noqa: LCxxx`
    directive, whose layercheck codes silence nothing, and codes that name no layercheck
    rule. Other tools' codes (`E501`) are left alone, and so is a blanket `# noqa`, which
    every tool reads (flake8's `F401` on re-exports, most often). A blanket file-level
    `# layercheck: noqa` is reported when it silences nothing and every default rule ran.

    ## Why is this bad?
    A suppression outlives the code it was written for: the violation is fixed or moved,
    the comment stays, and it will hide the next real violation on that line. Reporting
    the unused ones keeps the list of exceptions as short as the debt it stands for.

    A code is judged only when its rule is selected for the file: with `--select LC1`,
    a `# noqa: LC201` is neither used nor unused.

    ## Example
    ```python
    # file: app/services/users.py
    def get_user(user_id: int) -> int:
        return user_id  # noqa: LC201
    ```

    ## Use instead
    ```python
    # file: app/services/users.py
    def get_user(user_id: int) -> int:
        return user_id
    ```

    ## Fix safety
    The fix removes the unused codes and keeps the others; when none is left, it removes
    the comment (or the line, when the comment is alone on it). It is safe: only
    layercheck's codes are removed, and only those that silence nothing.
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC003",
        name="unused-noqa",
        message="Unused {blanket}`noqa` directive{detail}",
        fix=FixAvailability.ALWAYS,
        fix_title="Remove the unused codes",
    )
    examples_select: ClassVar[tuple[str, ...]] = ("LC",)
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid({_SERVICE: "def get(user):\n    return user  # noqa: LC201  # error: 18\n"}),
        Invalid(
            {
                _SERVICE: _IMPORT
                + "def get(user):\n    raise HTTPException(404)  # noqa: LC201, LC202  # error\n"
            },
            note="LC202 is unused, LC201 is used",
        ),
        Invalid({_SERVICE: "X = 1  # noqa: E501, LC999  # error\n"}, note="no such rule"),
        Valid(
            {_SERVICE: _IMPORT + "def get(user):\n    raise HTTPException(404)  # noqa: LC201\n"}
        ),
        Valid({_SERVICE: _IMPORT + "def get(user):\n    raise HTTPException(404)  # noqa\n"}),
        Valid({_SERVICE: "X = 1  # noqa: E501, F401\n"}, note="other tools' codes"),
        Valid({_SERVICE: "from app import models  # noqa\n"}, note="blanket: other tools read it"),
        Valid({_SERVICE: "X = 1  # noqa: LC104\n"}, note="a preview rule, not selected"),
        Valid(
            {_SERVICE: "X = 1  # noqa: LC201, LC003\n"},
            note="the comment silences its own report",
        ),
        Valid({_SERVICE: 'TEXT = """\n# noqa: LC201\n"""\n'}, note="inside a string"),
        Valid(
            {_SERVICE: _IMPORT + 'raise HTTPException(404, """not\nfound""")  # noqa: LC201\n'},
            note="the comment for a multi-line string goes where it ends",
        ),
    )
