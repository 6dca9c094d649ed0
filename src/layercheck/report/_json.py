"""A JSON document written an item of its one long list at a time, byte for byte what
`json.dumps(document, indent=2)` makes of the whole: a report's findings as one list of
dicts and its text as one string were each about the size of the report again."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Final

from layercheck.report.options import Write

ITEMS: Final = "\0layercheck: the items go here\0"
"""The one element of the list in the document that `write_json` fills with the items."""


def write_json(
    document: object, items: Iterable[object], out: Write, *, sort_keys: bool = False
) -> None:
    """`json.dumps(document, indent=2, sort_keys=sort_keys) + "\\n"`, where the list
    `[ITEMS]` in `document` holds `items` instead, written to `out` an item at a time
    (each piece ends a line, the last the text). The items are not in the text searched
    for the mark, and nothing else of a report's document holds a NUL."""
    text = json.dumps(document, indent=2, sort_keys=sort_keys) + "\n"
    mark = json.dumps(ITEMS)
    at = text.index(mark)
    line = text.rindex("\n", 0, at) + 1
    pad = "\n" + text[line:at]
    head = text[:line]  # ends with "[\n"
    tail = text[at + len(mark) :]  # "\n", the list's indent, "]", the rest
    previous: str | None = None
    for item in items:
        out(previous + ",\n" if previous is not None else head)
        previous = pad[1:] + json.dumps(item, indent=2, sort_keys=sort_keys).replace("\n", pad)
    if previous is None:
        # An empty list is written `[]`, on the line of its key.
        out(head[:-1] + tail.lstrip("\n "))
    else:
        out(previous + tail)
