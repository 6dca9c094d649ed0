"""What identifies a finding across edits: its code, its file, the name of the function or
class around it, and the normalised source of the reported node. Line numbers are left
out, so a finding keeps its fingerprint when code above it moves; two identical findings
in one scope share one (callers count occurrences)."""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from layercheck.model import Finding

_SPACE_RE: Final = re.compile(r"\s+")
_SCOPES: Final = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _scopes(text: str) -> list[tuple[int, int, str]]:
    """(first row, last row, qualified name) of every function and class, outer first."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return []
    found: list[tuple[int, int, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, _SCOPES):
                name = f"{prefix}{child.name}"
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                found.append((first, child.end_lineno or child.lineno, name))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def snippet(lines: Sequence[str], finding: Finding) -> str:
    """The reported source, whitespace collapsed (indentation and line breaks move with
    refactors that change nothing)."""
    start, end = finding.start, finding.end
    if not 0 < start.row <= len(lines):
        return ""
    if end.row == start.row:
        text = lines[start.row - 1][start.column - 1 : end.column - 1]
    else:
        parts = [lines[start.row - 1][start.column - 1 :]]
        parts.extend(lines[start.row : min(end.row - 1, len(lines))])
        if end.row <= len(lines):
            parts.append(lines[end.row - 1][: end.column - 1])
        text = "\n".join(parts)
    return _SPACE_RE.sub(" ", text).strip()


@dataclass
class Fingerprints:
    """Fingerprints of findings, given the source lines of their files."""

    sources: Mapping[Path, Sequence[str]]
    _scopes: dict[Path, list[tuple[int, int, str]]] = field(default_factory=dict)

    def scope(self, finding: Finding) -> str:
        path = finding.path
        if path not in self._scopes:
            lines = self.sources.get(path)
            self._scopes[path] = _scopes("\n".join(lines) + "\n") if lines else []
        name = ""
        for first, last, qualified in self._scopes[path]:
            if first <= finding.start.row <= last:
                name = qualified  # inner scopes come after the outer ones
        return name

    def key(self, finding: Finding, path: str) -> tuple[str, str, str, str]:
        """(code, path as shown, scope, source): `path` is the file as the caller names
        it (relative to a baseline, to the project)."""
        lines = self.sources.get(finding.path)
        source = snippet(lines, finding) if lines else ""
        # Without the source (an unreadable file), the message is what is left.
        return finding.code, path, self.scope(finding), source or finding.message

    def of(self, finding: Finding, path: str) -> str:
        """The key as a short hash."""
        return digest(self.key(finding, path))


def digest(parts: Sequence[object]) -> str:
    return hashlib.sha256(json.dumps(list(parts)).encode("utf-8")).hexdigest()[:32]
