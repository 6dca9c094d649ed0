"""Globs shared by excludes, per-file-ignores and layer maps, with gitignore's syntax
(compiled by `pathspec`): a pattern without a slash matches any one path component, one
with a slash matches from the root; `*` and `?` stay within a component, `**` spans
components, `[...]` is a character class (`[!...]` negated)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePosixPath

from pathspec.patterns.gitignore import GitIgnorePatternError
from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern


class GlobError(ValueError):
    """A pattern that cannot be matched: the message says why."""


@lru_cache(maxsize=1024)
def _compile(pattern: str) -> re.Pattern[str]:
    """The pattern (without leading `/`, `./` or a trailing `/`) as gitignore reads it,
    compiled by `pathspec`."""
    if not pattern:
        raise GlobError("an empty pattern matches nothing")
    if pattern.startswith("!"):
        raise GlobError("a negated pattern (`!`) is not supported here")
    try:
        regex, _ = GitIgnoreSpecPattern.pattern_to_regex(pattern)
    except GitIgnorePatternError as exc:
        raise GlobError(str(exc)) from None
    if regex is None:
        raise GlobError("not a gitignore pattern (an unclosed or empty `[...]`?)")
    try:
        return re.compile(regex)
    except re.error as exc:
        raise GlobError(f"invalid character class ({exc.msg})") from None


def _hit(regex: re.Pattern[str], path: str) -> bool:
    """The pattern matches this very path. pathspec's regexes also match the inside of a
    matching folder (through the `ps_d` group); here the callers try the folders above a
    path themselves, as `ancestors` asks."""
    found = regex.match(path)
    return found is not None and found.groupdict().get("ps_d") is None


@dataclass(frozen=True, slots=True)
class Glob:
    """A pattern; one without a slash matches any single path component (like ruff)."""

    pattern: str

    def __post_init__(self) -> None:
        """Compile now: a bad pattern is a configuration error, not a crash mid-walk."""
        _compile(self._body)

    @property
    def _body(self) -> str:
        return self.pattern.strip("/").removeprefix("./")

    @property
    def anchored(self) -> bool:
        return "/" in self.pattern.strip("/")

    def matches(self, relative: PurePosixPath, *, ancestors: bool = True) -> bool:
        """True when the path, or (with `ancestors`) a folder above it, matches."""
        regex = _compile(self._body)
        parts = relative.parts
        if not ancestors:
            return _hit(regex, "/".join(parts) if self.anchored else relative.name)
        if not self.anchored:
            return any(_hit(regex, part) for part in parts)
        return any(_hit(regex, "/".join(parts[:end])) for end in range(len(parts), 0, -1))


# A name gitignore reads as itself: no wildcard, class, escape, comment or trailing space.
_PLAIN_NAME = re.compile(r"(?=.*[A-Za-z0-9_-])[A-Za-z0-9_.-]+")


@lru_cache(maxsize=64)
def _by_kind(globs: tuple[Glob, ...]) -> tuple[frozenset[str], tuple[Glob, ...]]:
    """The plain names among `globs` (`venv`, `.git`: a path component equal to one
    matches), and the other globs, each matched through its regex."""
    names: set[str] = set()
    others: list[Glob] = []
    for glob in globs:
        body = glob._body
        if not glob.anchored and _PLAIN_NAME.fullmatch(body):
            names.add(body)
        else:
            others.append(glob)
    return frozenset(names), tuple(others)


def any_match(globs: tuple[Glob, ...], relative: PurePosixPath, *, ancestors: bool = True) -> bool:
    """`any(glob.matches(relative, ancestors=ancestors) for glob in globs)`, the plain
    names answered by one set: the default excludes are 18 of them, asked for every file
    a walk meets."""
    names, others = _by_kind(globs)
    if names and (not names.isdisjoint(relative.parts) if ancestors else relative.name in names):
        return True
    return any(glob.matches(relative, ancestors=ancestors) for glob in others)
