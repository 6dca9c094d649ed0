"""`layer-order` and `closed-layers`: the stack of layers a project declares, highest
first, in place of the built-in one (import-linter's and tach's `layers`).

A level is one layer, or several written `routes : dependencies` that may import each
other; `shared` stands for schemas, core and exceptions. A layer may import the levels
below its own (LC102 reports the others). A closed layer may not be skipped: a layer above
it imports the layers below it only through it (LC101 reports the shortcut). A shared layer
left out of the order sits just above the lowest level, as it does in the built-in stack
(it may import models); other layers left out are not checked.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from layercheck.layers import SHARED_LAYERS, Layer

SHARED: Final = "shared"
SEPARATOR: Final = ":"


class LayerOrderError(ValueError):
    """A `layer-order` or `closed-layers` that names no known layer, or one twice."""


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


def _layers(name: str, known: Collection[str]) -> frozenset[Layer]:
    if name == SHARED:
        return SHARED_LAYERS
    if name not in known:
        raise LayerOrderError(f"unknown layer `{name}`" + _suggest(name, [*known, SHARED]))
    return frozenset({Layer(name)})


@dataclass(frozen=True, slots=True)
class LayerOrder:
    written: tuple[str, ...]
    """The `layer-order` entries as written, for --show-settings."""
    levels: tuple[frozenset[Layer], ...]
    """Highest first."""
    closed: frozenset[Layer] = frozenset()

    @classmethod
    def parse(
        cls, entries: Sequence[str], closed: Sequence[str], known: Collection[str]
    ) -> LayerOrder:
        """`known`: the names a level may hold (the built-in layers but migrations, and
        those the `layers` table adds)."""
        levels: list[frozenset[Layer]] = []
        seen: set[Layer] = set()
        for entry in entries:
            level: set[Layer] = set()
            for name in (part.strip() for part in entry.split(SEPARATOR)):
                layers = _layers(name, known)
                twice = sorted(layer.value for layer in layers & seen)
                if twice:
                    raise LayerOrderError(f"layer `{twice[0]}` is listed twice")
                seen |= layers
                level |= layers
            levels.append(frozenset(level))
        shut: set[Layer] = set()
        for name in closed:
            layers = _layers(name.strip(), known)
            if not layers <= seen:
                raise LayerOrderError(f"closed layer `{name}` is not in `layer-order`")
            shut |= layers
        return cls(tuple(entries), tuple(levels), frozenset(shut))

    def _level(self, layer: Layer) -> int | None:
        for number, level in enumerate(self.levels):
            if layer in level:
                return number
        return None

    def forbidden(self, importer: Layer) -> frozenset[Layer]:
        """The layers `importer` must not import: those of the levels above its own."""
        at = self._level(importer)
        if at is None:
            if importer not in SHARED_LAYERS or not self.levels:
                return frozenset()
            at = len(self.levels) - 1
        return frozenset().union(*self.levels[:at])

    def skipped(self, importer: Layer, imported: Layer) -> Layer | None:
        """The highest closed layer between `importer` and the lower `imported`."""
        top, bottom = self._level(importer), self._level(imported)
        if top is None or bottom is None:
            return None
        for level in self.levels[top + 1 : bottom]:
            found = sorted(level & self.closed, key=lambda layer: layer.value)
            if found:
                return found[0]
        return None

    @property
    def layers(self) -> frozenset[Layer]:
        return frozenset().union(*self.levels)
