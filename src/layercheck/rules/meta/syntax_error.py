from __future__ import annotations

from typing import ClassVar

from layercheck.rules._base import Example, Invalid, Rule, RuleMeta, Valid


class SyntaxError_(Rule):
    """## What it does
    Reports a file that Python cannot parse, at the position of the error.

    ## Why is this bad?
    No other rule can look at a file that does not parse, so its problems stay hidden.
    layercheck reports the error and goes on with the other files. A file that uses syntax
    newer than the Python layercheck runs on is reported here too: run layercheck on a
    newer Python.

    ## Example
    ```python
    def create_user(:
        ...
    ```

    ## Use instead
    ```python
    def create_user() -> None:
        ...
    ```
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC001",
        name="syntax-error",
        message="SyntaxError: {reason}",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid("def create_user(:  # error\n    pass\n"),
        Invalid("x = 1\nif x  # error\n    pass\n"),
        Valid("def create_user() -> None:\n    pass\n"),
        Valid("match = 1\ncase = 2\n", note="soft keywords used as names"),
        Valid("# def broken(:\n'''def broken(:'''\n", note="broken code in comments and strings"),
    )
