"""Gitignore-flavoured globs shared by excludes, per-file-ignores and layer maps."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePosixPath


class GlobError(ValueError):
    """A pattern that cannot be matched: the message says why."""


@lru_cache(maxsize=1024)
def _compile(pattern: str) -> re.Pattern[str]:
    if not pattern.strip("/").removeprefix("./"):
        raise GlobError("an empty pattern matches nothing")
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif char == "*":
            out.append("[^/]*")
            i += 1
        elif char == "?":
            out.append("[^/]")
            i += 1
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(char))
                i += 1
            else:
                body = pattern[i + 1 : end].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end + 1
        else:
            out.append(re.escape(char))
            i += 1
    try:
        return re.compile("".join(out) + r"\Z")
    except re.error as exc:
        raise GlobError(f"invalid character class ({exc.msg})") from None


@dataclass(frozen=True, slots=True)
class Glob:
    """A pattern; one without a slash matches any single path component (like ruff)."""

    pattern: str

    def __post_init__(self) -> None:
        """Compile now: a bad pattern is a configuration error, not a crash mid-walk."""
        _compile(self.pattern.strip("/").removeprefix("./"))

    @property
    def anchored(self) -> bool:
        return "/" in self.pattern.strip("/")

    def matches(self, relative: PurePosixPath, *, ancestors: bool = True) -> bool:
        """True when the path, or (with `ancestors`) a folder above it, matches."""
        pattern = self.pattern.strip("/").removeprefix("./")
        regex = _compile(pattern)
        parts = relative.parts
        if not ancestors:
            return bool(regex.match("/".join(parts) if self.anchored else relative.name))
        if not self.anchored:
            return any(regex.match(part) for part in parts)
        return any(regex.match("/".join(parts[:end])) for end in range(len(parts), 0, -1))


def any_match(globs: tuple[Glob, ...], relative: PurePosixPath) -> bool:
    return any(glob.matches(relative) for glob in globs)
