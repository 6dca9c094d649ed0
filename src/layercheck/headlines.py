"""A finding's line of the concise format and the closing summary, from plain values.

The command line's warm path (cli_warm.py) prints them from the warm record's values, so
this module imports nothing but `os`: importing `layercheck.report` (the model's
dataclasses, and through them `inspect`, `ast` and `pathlib`) cost a warm start more
than loading the record. `report._common` builds the reporters' lines on it."""

from __future__ import annotations

import os


def display_name(name: str, cwd: str) -> str:
    """`report._common.display_path` of an absolute, normalised name, on its text where
    paths are POSIX ones (the warm path shows thousands of names from its record)."""
    if os.sep != "/":
        from pathlib import Path

        try:
            return Path(name).relative_to(Path(cwd)).as_posix()
        except ValueError:
            return name
    prefix = cwd if cwd.endswith("/") else cwd + "/"
    if name.startswith(prefix):
        return name[len(prefix) :]
    return "." if name == cwd else name


def summary_of(count: int, available: int, hidden: int, fixed: int = 0) -> str:
    """ruff's closing lines from their counts: `available` findings that `--fix` fixes
    under the options, `hidden` more that `--unsafe-fixes` would."""
    if fixed:
        total = count + fixed
        text = (
            f"Found {total} error{'s' if total != 1 else ''} ({fixed} fixed, {count} remaining).\n"
        )
    elif not count:
        return "All checks passed!\n"
    else:
        text = f"Found {count} error{'s' if count != 1 else ''}.\n"
    hint = (
        f" ({hidden} hidden fix{'es' if hidden != 1 else ''} can be enabled with the "
        "--unsafe-fixes option)"
        if hidden
        else ""
    )
    if available:
        text += f"[*] {available} fixable with the --fix option{hint}.\n"
    elif hidden:
        text += f"No fixes available{hint}.\n"
    return text


def headline_of(shown: str, row: int, column: int, code: str, marked: bool, message: str) -> str:
    """A finding's line, from its parts (the warm path prints from the record's values):
    `marked` when `--fix` would fix it."""
    mark = "[*] " if marked else ""
    return f"{shown}:{row}:{column}: {code} {mark}{message}"
