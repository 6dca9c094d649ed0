"""A JSON document written an item of its one long list at a time, byte for byte what
`json.dumps(document, indent=2)` makes of the whole: a report's findings as one list of
dicts and its text as one string were each about the size of the report again."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from json.encoder import encode_basestring_ascii
from typing import Final, TypeVar

from layercheck.report.options import Write

_T = TypeVar("_T")

ITEMS: Final = "\0layercheck: the items go here\0"
"""The one element of the list in the document that `write_json` fills with the items."""


def write_json(
    document: object,
    items: Iterable[_T],
    out: Write,
    *,
    sort_keys: bool = False,
    encode: Callable[[_T, str], str] | None = None,
) -> None:
    """`json.dumps(document, indent=2, sort_keys=sort_keys) + "\\n"`, where the list
    `[ITEMS]` in `document` holds `items` instead, written to `out` an item at a time
    (each piece ends a line, the last the text). The items are not in the text searched
    for the mark, and nothing else of a report's document holds a NUL. `encode(item,
    pad)`: an item's text as `json.dumps` indents it, each line after the first starting
    with `pad`, when the caller writes its items faster than from their values."""
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
        text = encode(item, pad) if encode is not None else _indented(item, pad, sort_keys)
        previous = pad[1:] + text
    if previous is None:
        # An empty list is written `[]`, on the line of its key.
        out(head[:-1] + tail.lstrip("\n "))
    else:
        out(previous + tail)


_CONSTANTS: Final = {None: "null", True: "true", False: "false"}


def _indented(value: object, pad: str, sort_keys: bool) -> str:
    """`json.dumps(value, indent=2, sort_keys=sort_keys)` with each line after the first
    starting with `pad` (a newline, then spaces). json's own encoder writes no indent in
    C: it walks every value in Python, and a report of 150,000 findings took 25 s there;
    here each string is encoded in C and each container joined once."""
    if isinstance(value, str):
        return encode_basestring_ascii(value)
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = pad + "  "
        pairs = sorted(value.items()) if sort_keys else value.items()
        return (
            "{"
            + ",".join(
                f"{inner}{_key(key)}: {_indented(item, inner, sort_keys)}" for key, item in pairs
            )
            + pad
            + "}"
        )
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        inner = pad + "  "
        return (
            "[" + ",".join(inner + _indented(item, inner, sort_keys) for item in value) + pad + "]"
        )
    if value is None or isinstance(value, bool):
        return _CONSTANTS[value]
    if type(value) is int:
        return int.__repr__(value)
    return json.dumps(value)  # floats (nan, infinity), int and str subclasses


def _key(key: object) -> str:
    # json writes a dict's keys as strings: a number or a constant as its JSON text.
    if isinstance(key, str):
        return encode_basestring_ascii(key)
    return json.dumps({key: 0})[1:-4]  # '{"1": 0}' -> '"1"'
