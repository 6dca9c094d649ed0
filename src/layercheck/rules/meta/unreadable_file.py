from __future__ import annotations

from typing import ClassVar

from layercheck.rules._base import Example, Invalid, Rule, RuleMeta, Valid


class UnreadableFile(Rule):
    """## What it does
    Reports a `.py` file that cannot be read or decoded: a binary file, NUL bytes, bytes
    that are invalid in the declared (or default UTF-8) encoding anywhere in the file, an
    unknown coding cookie, or a file the user may not read.

    ## Why is this bad?
    Python would refuse to import it, and no rule can check it. Decoding is strict and
    happens before parsing, so these files are never reported as syntax errors.

    ## Example
    ```python
    # -*- coding: klingon -*-
    x = 1
    ```

    ## Use instead
    ```python
    # -*- coding: utf-8 -*-
    x = 1
    ```
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC002",
        name="unreadable-file",
        message="cannot read file: {reason}",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(b"x = 1  # error\n\xff\xfe = 2\n"),
        Invalid(b"# -*- coding: klingon -*-  # error\nx = 1\n"),
        Invalid(b"\x00\x01\x02binary  # error\n"),
        Valid("# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n".encode("latin-1")),
        Valid(b"\xef\xbb\xbfx = 1\n", note="UTF-8 with a BOM"),
        Valid("name = 'café'\n", note="non-ASCII UTF-8"),
    )
