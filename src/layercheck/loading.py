"""One file from bytes to facts: read, decode strictly, parse once, gather its facts. A
file that cannot be read or decoded becomes an LC002 finding, one that cannot be parsed
an LC001 finding; either way the path alone still gives its facts for the index."""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from layercheck.cache import Stamp
from layercheck.discovery import SourceFile
from layercheck.extract import extract
from layercheck.facts import FileFacts
from layercheck.model import Finding, Location
from layercheck.names import ImportTable
from layercheck.rules import ALL_RULES
from layercheck.source import DecodeError, decode_source, parse, read_regular_file

_MESSAGES = {rule.meta.code: rule.meta.message for rule in ALL_RULES}


@dataclass
class Loaded:
    """One file after read/decode/parse; the tree is kept only for files to report on."""

    file: SourceFile
    facts: FileFacts
    text: str | None = None
    tree: ast.Module | None = None
    table: ImportTable | None = None
    problem: Finding | None = None
    error: str | None = None
    stamp: Stamp | None = None
    """The stamp of the bytes the facts come from, when they may be cached."""


def _meta_finding(code: str, path: Path, start: Location, end: Location, reason: str) -> Finding:
    return Finding(
        code=code,
        message=_MESSAGES[code].format(reason=reason),
        path=path,
        start=start,
        end=end,
        noqa_row=start.row,
    )


def bare_facts(file: SourceFile) -> FileFacts:
    """What the path alone says of a file (its facts when it cannot be parsed)."""
    return FileFacts(
        path=file.name,
        module=file.module,
        is_package=file.is_package,
        path_layer=file.path_layer,
        layer_folder=file.layer_folder,
        is_test=file.is_test,
        detect_routes=file.settings.detect_routes,
        parsed=False,
        layer_given=file.layer_given,
        outer_layers=file.outer_layers,
    )


def facts_for_tree(file: SourceFile, tree: ast.Module) -> tuple[FileFacts, ImportTable]:
    """The file's facts, and its name table with the module scope filled in."""
    table = ImportTable(file.module, file.is_package)
    facts = extract(
        tree,
        table,
        path=file.name,
        path_layer=file.path_layer,
        layer_folder=file.layer_folder,
        is_test=file.is_test,
        detect_routes=file.settings.detect_routes,
        layer_given=file.layer_given,
        outer_layers=file.outer_layers,
    )
    return facts, table


_NEWER_SYNTAX: Final = re.compile(
    r"^\s*type\s+\w+"  # PEP 695 `type X = ...`
    r"|^\s*(?:async\s+)?def\s+\w+\s*\["  # PEP 695 generic functions
    r"|^\s*class\s+\w+\s*\["  # PEP 695 generic classes
    r"|^\s*except\*?\s+[^:(]*,"  # PEP 758 `except A, B:`
    r"|\bt[\"']"  # PEP 750 t-strings
)


def _newer_syntax_facts(file: SourceFile, text: str, exc: SyntaxError) -> FileFacts | None:
    """The facts of a file written in syntax newer than this Python reads, so that what it
    defines stays in the index; None for a real syntax error. Only an error at a construct
    newer Pythons read (or in an f-string, PEP 701) is worth libcst's import and parse."""
    lines = text.splitlines()
    line = lines[exc.lineno - 1] if exc.lineno and exc.lineno <= len(lines) else ""
    if not (_NEWER_SYNTAX.search(line) or "f-string" in (exc.msg or "")):
        return None
    from layercheck.newer_syntax_lines import downgraded_lines

    tree = downgraded_lines(text, file.name)
    if tree is None:
        from layercheck.newer_syntax import downgraded_tree  # libcst, only for such files

        tree = downgraded_tree(text, file.name)
    return facts_for_tree(file, tree)[0] if tree is not None else None


def _syntax_problem(file: SourceFile, exc: SyntaxError, *, newer_syntax: bool) -> Finding:
    row = exc.lineno or 1
    column = max(exc.offset or 1, 1)
    start = Location(row, column)
    end = start
    if exc.end_lineno and exc.end_offset and (exc.end_lineno, exc.end_offset) > (row, column):
        end = Location(exc.end_lineno, exc.end_offset)
    reason = exc.msg
    target = file.settings.target_version
    running = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if target > sys.version_info[:2]:
        reason += (
            f" (the project targets Python {target[0]}.{target[1]}; "
            "run layercheck on a newer Python)"
        )
    elif newer_syntax:
        reason += (
            f" (syntax newer than Python {running} reads; what the file defines is still "
            "known to the other files; run layercheck on a newer Python for its own findings)"
        )
    return _meta_finding("LC001", file.path, start, end, reason)


def load_file(
    file: SourceFile,
    *,
    data: bytes | None = None,
    keep_tree: bool = True,
    known: FileFacts | None = None,
) -> Loaded:
    """Read, decode strictly, parse once, and gather the file's facts. `known`: the
    facts of these bytes from an earlier pass, not gathered again (nor a file in newer
    syntax read again by libcst)."""
    # The path as text: a `Path` (made twice a file on a cold run) only for a finding.
    name = file.name
    origin = Location(1, 1)
    try:
        raw = read_regular_file(name)[0] if data is None else data
    except OSError as exc:
        reason = exc.strerror or str(exc)
        problem = _meta_finding("LC002", file.path, origin, origin, reason)
        return Loaded(file, bare_facts(file), problem=problem)
    try:
        text = decode_source(raw)
    except DecodeError as exc:
        problem = _meta_finding("LC002", file.path, origin, origin, str(exc))
        return Loaded(file, bare_facts(file), problem=problem)
    try:
        tree = parse(text, name)
    except SyntaxError as exc:
        if known is not None:
            newer = known if known.parsed else None
        else:
            newer = _newer_syntax_facts(file, text, exc)
        problem = _syntax_problem(file, exc, newer_syntax=newer is not None)
        return Loaded(file, newer or bare_facts(file), text=text, problem=problem)
    except (RecursionError, MemoryError):
        problem = _meta_finding("LC001", file.path, origin, origin, "too deeply nested to parse")
        return Loaded(file, bare_facts(file), text=text, problem=problem)
    if known is not None and known.parsed and keep_tree:
        # The facts pass gathered them from these bytes: the table's module scope is
        # what they recorded, and extracting them again would give the same.
        table = ImportTable(file.module, file.is_package)
        table.module_scope.update(known.bindings)
        return Loaded(file, known, text=text, tree=tree, table=table)
    facts, table = facts_for_tree(file, tree)
    if not keep_tree:
        return Loaded(file, facts)
    return Loaded(file, facts, text=text, tree=tree, table=table)
