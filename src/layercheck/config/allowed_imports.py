"""`allow-imports`: the import edges a team accepts against the layer conventions, each
written `importer -> imported` with a dotted module glob on either side.

A glob names a module and every module below it (`app.legacy` covers
`app.legacy.billing.api`): `*` stands for one name (`app.*.routes`, `user_*`), `**` for
any number of names, none included (`app.**.deps`); `?` and `[...]` match as in `fnmatch`.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

ARROW: Final = "->"
_NAME_RE: Final = re.compile(r"[A-Za-z0-9_*?\[\]!-]+")


class AllowedImportError(ValueError):
    """An entry that is no `importer -> imported` pair of module globs: the message says why."""


def _matches(pattern: tuple[str, ...], names: tuple[str, ...]) -> bool:
    """The pattern matches the first names of `names` (the module or a parent of it)."""
    if not pattern:
        return True
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_matches(rest, names[start:]) for start in range(len(names) + 1))
    return bool(names) and fnmatch.fnmatchcase(names[0], head) and _matches(rest, names[1:])


@dataclass(frozen=True, slots=True)
class ModuleGlob:
    pattern: str

    def __post_init__(self) -> None:
        if not self.pattern:
            raise AllowedImportError("a side is empty")
        for name in self.pattern.split("."):
            if not name:
                raise AllowedImportError(f"`{self.pattern}` has an empty name (a stray `.`)")
            if "**" in name and name != "**":
                raise AllowedImportError(f"`{self.pattern}`: `**` must be a whole name")
            if not _NAME_RE.fullmatch(name):
                raise AllowedImportError(f"`{self.pattern}` is no dotted module name or glob")

    def matches(self, module: str) -> bool:
        return _matches(tuple(self.pattern.split(".")), tuple(module.split(".")))


@dataclass(frozen=True, slots=True)
class AllowedImport:
    entry: str
    """As written in the configuration."""
    importer: ModuleGlob
    imported: ModuleGlob

    @classmethod
    def parse(cls, entry: str) -> AllowedImport:
        sides = entry.split(ARROW)
        if len(sides) != 2:
            raise AllowedImportError(f"expected `importer {ARROW} imported`")
        importer, imported = (side.strip() for side in sides)
        return cls(entry, ModuleGlob(importer), ModuleGlob(imported))

    def matches(self, importer: str, imported: Iterable[str | None]) -> bool:
        """The importer matches and so does one of the names the import is known by (the
        module it resolves to, the name as written)."""
        if not importer or not self.importer.matches(importer):
            return False
        return any(name and self.imported.matches(name) for name in imported)


@dataclass(frozen=True, slots=True)
class AllowedImports:
    entries: tuple[AllowedImport, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.entries)

    def allows(self, importer: str | None, *imported: str | None) -> bool:
        """An entry accepts the import of any of `imported` by `importer`."""
        if not self.entries or not importer:
            return False
        return any(entry.matches(importer, imported) for entry in self.entries)

    @property
    def written(self) -> list[str]:
        return [entry.entry for entry in self.entries]


NO_ALLOWED_IMPORTS: Final = AllowedImports()
