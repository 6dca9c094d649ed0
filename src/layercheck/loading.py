"""One file from bytes to facts: read, decode strictly, parse once, gather its facts. A
file that cannot be read or decoded becomes an LC002 finding, one that cannot be parsed
an LC001 finding; either way the path alone still gives its facts for the index."""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

from layercheck.cache import Stamp
from layercheck.extract import extract
from layercheck.facts import FileFacts
from layercheck.layers import Layer, path_layer
from layercheck.model import Finding, Location
from layercheck.names import ImportTable
from layercheck.rules import ALL_RULES
from layercheck.settings import Settings
from layercheck.source import DecodeError, decode_source, parse, read_regular_file
from layercheck.workspace import module_name

_MESSAGES = {rule.meta.code: rule.meta.message for rule in ALL_RULES}


@dataclass
class Loaded:
    """One file after read/decode/parse; the tree is kept only for files to report on."""

    path: Path
    settings: Settings
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


def _path_layer(path: Path, settings: Settings) -> tuple[Layer | None, bool, str | None]:
    return path_layer(
        path, relative=settings.relative(path), root=settings.root, layer_map=settings.layer_map
    )


def bare_facts(path: Path, settings: Settings) -> FileFacts:
    """What the path alone says of a file (its facts when it cannot be parsed)."""
    layer, is_test, folder = _path_layer(path, settings)
    module, is_package = module_name(path, settings)
    return FileFacts(
        path=str(path),
        module=module,
        is_package=is_package,
        path_layer=layer,
        layer_folder=folder,
        is_test=is_test,
        detect_routes=settings.detect_routes,
        parsed=False,
    )


def facts_for_tree(
    path: Path, settings: Settings, tree: ast.Module
) -> tuple[FileFacts, ImportTable]:
    """The file's facts, and its name table with the module scope filled in."""
    module, is_package = module_name(path, settings)
    layer, is_test, folder = _path_layer(path, settings)
    table = ImportTable(module, is_package)
    facts = extract(
        tree,
        table,
        path=str(path),
        path_layer=layer,
        layer_folder=folder,
        is_test=is_test,
        detect_routes=settings.detect_routes,
    )
    return facts, table


def _syntax_problem(path: Path, text: str, exc: SyntaxError, settings: Settings) -> Finding:
    row = exc.lineno or 1
    column = max(exc.offset or 1, 1)
    start = Location(row, column)
    end = start
    if exc.end_lineno and exc.end_offset and (exc.end_lineno, exc.end_offset) > (row, column):
        end = Location(exc.end_lineno, exc.end_offset)
    reason = exc.msg
    if settings.target_version > sys.version_info[:2]:
        reason += (
            f" (the project targets Python {settings.target_version[0]}."
            f"{settings.target_version[1]}; run layercheck on a newer Python)"
        )
    return _meta_finding("LC001", path, start, end, reason)


def load_file(
    path: Path, settings: Settings, *, data: bytes | None = None, keep_tree: bool = True
) -> Loaded:
    """Read, decode strictly, parse once, and gather the file's facts."""
    bare = bare_facts(path, settings)
    origin = Location(1, 1)
    try:
        raw = read_regular_file(path)[0] if data is None else data
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return Loaded(
            path, settings, bare, problem=_meta_finding("LC002", path, origin, origin, reason)
        )
    try:
        text = decode_source(raw)
    except DecodeError as exc:
        return Loaded(
            path, settings, bare, problem=_meta_finding("LC002", path, origin, origin, str(exc))
        )
    try:
        tree = parse(text, str(path))
    except SyntaxError as exc:
        return Loaded(
            path, settings, bare, text=text, problem=_syntax_problem(path, text, exc, settings)
        )
    except (RecursionError, MemoryError):
        reason = "too deeply nested to parse"
        return Loaded(
            path,
            settings,
            bare,
            text=text,
            problem=_meta_finding("LC001", path, origin, origin, reason),
        )
    facts, table = facts_for_tree(path, settings, tree)
    if not keep_tree:
        return Loaded(path, settings, facts)
    return Loaded(path, settings, facts, text=text, tree=tree, table=table)
