"""Whether module names match how the project imports itself.

Module names count from the `src` roots. When the code lives one folder down (a
`server/polar/...` tree whose config sits at the repository root), every file is named
`server.polar.x` while the code imports `polar.x`: imports resolve to nothing and the
layer rules miss their findings without a word. This says so, once, and names the
setting that fixes it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Final

from layercheck.facts import FileFacts

_AT_LEAST: Final = 10
_SHARE: Final = 0.2


def misrooted_imports_warning(facts: Iterable[FileFacts]) -> str | None:
    """A one-line warning when a large share of the project's imports of its own
    packages name them from a folder below the roots; None when they resolve."""
    items = [item for item in facts if item.module]
    tops = {item.module.split(".")[0] for item in items}
    sizes: Counter[tuple[str, str]] = Counter()
    """(package below the top level, the dotted folder above it) -> modules in it."""
    packages = {item.module for item in items if item.is_package}
    for item in items:
        parts = item.module.split(".")
        for end in range(2, len(parts) + 1):
            if ".".join(parts[:end]) in packages and parts[end - 1] not in tops:
                sizes[(parts[end - 1], ".".join(parts[: end - 1]))] += 1
    nested: dict[str, str] = {}
    """A package below the top level -> the folder above its largest copy (`polar` ->
    `server`, not a code generator's template of it)."""
    for (package, folder), _ in sizes.most_common():
        nested.setdefault(package, folder)
    if not nested:
        return None
    modules = {item.module for item in items}
    resolved = 0
    missed: Counter[str] = Counter()
    for item in items:
        # Each file's imports for this one look: read back from the spill file, they
        # are not kept decoded, and take no place from the files the index reads next.
        for fact in item.passing("imports"):
            head = fact.target.split(".")[0]
            if head in tops:
                resolved += 1
            elif head in nested and _names_nested_module(
                fact.from_module or fact.target, nested[head], modules
            ):
                missed[head] += 1
    total = resolved + sum(missed.values())
    if sum(missed.values()) < _AT_LEAST or sum(missed.values()) < _SHARE * total:
        return None
    package, count = missed.most_common(1)[0]
    folder = nested[package].replace(".", "/")
    return (
        f"{sum(missed.values())} of {total} imports of the project's own packages (such as "
        f"`{package}`, {count} times) name no module, because module names count from "
        f'the wrong folder: set `src = ["{folder}"]` under [tool.layercheck]'
    )


def _names_nested_module(module: str, folder: str, modules: set[str]) -> bool:
    """`polar.models.user` names `server.polar.models.user`: a miss of the roots. A bare
    `sqlalchemy`, or a `sqlalchemy.orm` with no such module below the folder, is more
    likely the library that a project subpackage happens to share its name with."""
    return "." in module and f"{folder}.{module}" in modules
