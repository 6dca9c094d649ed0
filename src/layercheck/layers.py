"""Which layer a project file belongs to, from its path (content is checked in facts)."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import ClassVar, Final

from layercheck.config.globs import Glob, any_match


class _Layers(type):
    def __iter__(cls) -> Iterator[Layer]:
        """The built-in layers, as iterating the enum this class replaced gave them."""
        return iter(BUILTIN_LAYERS)


class Layer(metaclass=_Layers):
    """A layer of the project: one of the built-in ones (`Layer.ROUTES`, ...), or one the
    configuration adds (`Layer("domain")`). Instances are interned, so layers compare with
    `is` as the enum they replace did, across pickling too."""

    __slots__ = ("value",)
    value: str

    _known: ClassVar[dict[str, Layer]] = {}

    ROUTES: ClassVar[Layer]
    DEPENDENCIES: ClassVar[Layer]
    SERVICES: ClassVar[Layer]
    REPOSITORIES: ClassVar[Layer]
    MODELS: ClassVar[Layer]
    SCHEMAS: ClassVar[Layer]
    CORE: ClassVar[Layer]
    EXCEPTIONS: ClassVar[Layer]
    MIGRATIONS: ClassVar[Layer]

    def __new__(cls, value: str) -> Layer:
        found = cls._known.get(value)
        if found is None:
            found = super().__new__(cls)
            object.__setattr__(found, "value", value)
            cls._known[value] = found
        return found

    @classmethod
    def known(cls, value: str) -> Layer:
        """The layer named `value` that is built in or that a configuration made
        (KeyError for any other): what a cache may hold."""
        return cls._known[value]

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("a Layer is immutable")

    def __reduce__(self) -> tuple[type[Layer], tuple[str]]:
        return Layer, (self.value,)

    def __repr__(self) -> str:
        return f"Layer({self.value!r})"

    @property
    def builtin(self) -> bool:
        return self in _BUILTIN_SET

    @property
    def rank(self) -> int | None:
        """Height in the built-in stack; None for shared layers, migrations and the layers
        a configuration adds."""
        return _RANK.get(self)


Layer.ROUTES = Layer("routes")
Layer.DEPENDENCIES = Layer("dependencies")
Layer.SERVICES = Layer("services")
Layer.REPOSITORIES = Layer("repositories")
Layer.MODELS = Layer("models")
Layer.SCHEMAS = Layer("schemas")
Layer.CORE = Layer("core")
Layer.EXCEPTIONS = Layer("exceptions")
Layer.MIGRATIONS = Layer("migrations")
BUILTIN_LAYERS: Final = tuple(Layer._known.values())
"""The layers layercheck knows by name, in the order of the table of layers."""
_BUILTIN_SET: Final = frozenset(BUILTIN_LAYERS)


_RANK: Final[Mapping[Layer, int]] = {
    Layer.ROUTES: 5,
    Layer.DEPENDENCIES: 4,
    Layer.SERVICES: 3,
    Layer.REPOSITORIES: 2,
    Layer.MODELS: 1,
}
SHARED_LAYERS: Final = frozenset({Layer.SCHEMAS, Layer.CORE, Layer.EXCEPTIONS})

# A word names a layer when it is a whole folder name or a file name without ".py".
DEFAULT_WORDS: Final[Mapping[Layer, frozenset[str]]] = {
    Layer.ROUTES: frozenset(
        {"routes", "routers", "router", "endpoints", "api", "controllers", "views"}
    ),
    Layer.DEPENDENCIES: frozenset({"dependencies", "deps"}),
    Layer.SERVICES: frozenset({"services", "service", "use_cases", "usecases"}),
    Layer.REPOSITORIES: frozenset({"repositories", "repository", "repos", "repo", "crud", "dal"}),
    Layer.MODELS: frozenset({"models"}),
    Layer.SCHEMAS: frozenset({"schemas"}),
    Layer.CORE: frozenset({"core"}),
    Layer.EXCEPTIONS: frozenset({"exceptions", "errors"}),
    Layer.MIGRATIONS: frozenset(),
}
DEFAULT_FILE_PATTERNS: Final[Mapping[Layer, tuple[str, ...]]] = {
    Layer.SERVICES: ("*_service",),
    Layer.REPOSITORIES: ("*_repo", "*_repository"),
}
TEST_DIRS: Final = frozenset({"tests", "test", "fakes"})
"""Folders of tests, and of the fakes (test doubles) they swap in for adapters."""
SUPPORT_DIRS: Final = frozenset(
    {
        "scripts",
        "docs",
        "examples",
        "evals",
        "benchmarks",
        "notebooks",
        "cookbook",
        "tutorials",
        "tools",
        "hack",
        "noxfiles",
        "qa",
        "automation",
    }
)
"""Folders of code around the application (one-off scripts, documentation snippets,
example apps, evaluation harnesses, developer and CI tooling) when they are no package
(no `__init__.py`): like tests, they have no layer, and rules that run in every module
leave them alone. A reviewer reads `os.getenv` in `scripts/seed.py` as the script's own
business, not as settings the application forgot to declare; `app/scripts/` with an
`__init__.py` is part of the application."""


def is_test_path(relative: PurePosixPath) -> bool:
    name = relative.name
    if name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py"):
        return True
    return any(part in TEST_DIRS for part in relative.parts[:-1])


def is_support_path(path: Path, relative: PurePosixPath) -> bool:
    """`path` lies in a SUPPORT_DIRS folder that is no package (`relative` is its path
    from the configuration's folder)."""
    parts = relative.parts
    for end in range(len(parts) - 1, 0, -1):
        if parts[end - 1] in SUPPORT_DIRS:
            folder = path.parents[len(parts) - 1 - end]
            if not (folder / "__init__.py").is_file():
                return True
    return False


class LayerMap:
    """Default words, less the layers the user re-mapped with globs."""

    def __init__(self, custom: Mapping[Layer, tuple[Glob, ...]] | None = None) -> None:
        self.custom: Mapping[Layer, tuple[Glob, ...]] = dict(custom or {})

    def _word_layer(self, component: str, is_file: bool) -> Layer | None:
        for layer, words in DEFAULT_WORDS.items():
            if layer in self.custom:
                continue
            if component in words:
                return layer
            if is_file and any(
                fnmatch.fnmatchcase(component, pat) for pat in DEFAULT_FILE_PATTERNS.get(layer, ())
            ):
                return layer
        return None

    def layer_for(self, relative: PurePosixPath) -> Layer | None:
        return self.origin(relative)[0]

    def origin(self, relative: PurePosixPath) -> tuple[Layer | None, PurePosixPath | None]:
        """Layer of a non-test file from its path relative to the config folder, and the
        folder whose name gave it (None when the file's own name or a glob did).

        Explicit globs win over default words; among words, the nearest component wins.
        """
        if is_test_path(relative):
            return None, None
        for layer, globs in self.custom.items():
            if any_match(globs, relative):
                return layer, None
        stem = relative.stem if relative.suffix in {".py", ".pyi"} else relative.name
        found = self._word_layer(stem, is_file=True)
        if found is not None:
            return found, None
        parts = relative.parts
        for end in range(len(parts) - 1, 0, -1):
            found = self._word_layer(parts[end - 1], is_file=False)
            if found is not None:
                return found, PurePosixPath(*parts[:end])
        return None, None


def path_layer(
    path: Path, *, relative: PurePosixPath | None, root: Path, layer_map: LayerMap
) -> tuple[Layer | None, bool, str | None]:
    """(layer from the path alone, is a test file, the folder whose name gave the layer).
    `relative` is the path from `root`, the folder of the file's configuration (None when
    the file lies outside it: then the path counts from the file system's root)."""
    base = root
    if relative is None:
        relative, base = PurePosixPath(*path.parts[1:]), Path(path.anchor)
    if is_test_path(relative) or is_support_path(path, relative):
        return None, True, None
    if _in_alembic_versions(path):
        return Layer.MIGRATIONS, False, None
    layer, folder = layer_map.origin(relative)
    return layer, False, str(base / folder) if folder is not None else None


def _in_alembic_versions(path: Path) -> bool:
    # On the path's text, not `path.parts`: a path keeps the tuple that makes, and the
    # path of every file of the project is held to the end of the run.
    folder = os.path.dirname(str(path))
    for _ in range(3):  # the three folders above, the root aside
        above = os.path.dirname(folder)
        if above == folder:
            break
        if os.path.basename(folder) == "versions" and os.path.isfile(os.path.join(above, "env.py")):
            return True
        folder = above
    return False


def outer_words(
    path: Path, *, relative: PurePosixPath | None, root: Path, layer_map: LayerMap
) -> tuple[bool, tuple[tuple[str, str], ...]]:
    """(a glob of the configuration gave the file its layer, the layers (values) that folder names
    farther up than the word `path_layer` took give, nearest first, each with its folder).
    The index falls back on them when content contradicts the nearer word."""
    base = root
    if relative is None:
        relative, base = PurePosixPath(*path.parts[1:]), Path(path.anchor)
    if is_test_path(relative) or is_support_path(path, relative) or _in_alembic_versions(path):
        return False, ()
    if any(any_match(globs, relative) for globs in layer_map.custom.values()):
        return True, ()
    stem = relative.stem if relative.suffix in {".py", ".pyi"} else relative.name
    found: list[tuple[str, str]] = []
    skip_first = layer_map._word_layer(stem, is_file=True) is None
    parts = relative.parts
    for end in range(len(parts) - 1, 0, -1):
        layer = layer_map._word_layer(parts[end - 1], is_file=False)
        if layer is None:
            continue
        if skip_first:
            skip_first = False
            continue
        found.append((layer.value, str(base / PurePosixPath(*parts[:end]))))
    return False, tuple(found)
