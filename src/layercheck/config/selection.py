"""Which rule codes a select / extend-select / ignore combination turns on (ruff's way)."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from layercheck.config.options import SELECT


class SelectorError(ValueError):
    """A selector that matches no rule; the message carries a suggestion."""


@dataclass(frozen=True, slots=True)
class Catalog:
    codes: tuple[str, ...]
    preview: frozenset[str]

    def prefixes(self) -> list[str]:
        found = {"ALL"}
        for code in self.codes:
            found.update(code[:end] for end in range(2, len(code) + 1))
        return sorted(found)

    def check(self, selector: str) -> str:
        selector = selector.strip().upper()
        if selector == "ALL" or any(code.startswith(selector) for code in self.codes):
            return selector
        close = difflib.get_close_matches(selector, self.prefixes(), n=1, cutoff=0.6)
        hint = f"; did you mean `{close[0]}`?" if close else ""
        raise SelectorError(f"unknown rule selector `{selector}`{hint}")

    def matching(self, selector: str) -> list[str]:
        if selector == "ALL":
            return list(self.codes)
        return [code for code in self.codes if code.startswith(selector)]


@dataclass(frozen=True, slots=True)
class RuleSelection:
    """One source of selectors: the defaults, a config file, or the command line."""

    select: tuple[str, ...] | None = None
    """None keeps what the sources before chose; a tuple starts over from it."""
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()


DEFAULT_SELECTION = RuleSelection(select=tuple(SELECT.default))
"""Where the sources start from: the `select` key's default."""


def _specificity(selector: str) -> int:
    return 0 if selector == "ALL" else len(selector)


def _matches(selector: str, code: str) -> bool:
    return selector == "ALL" or code.startswith(selector)


def _updates(catalog: Catalog, selection: RuleSelection, preview: bool) -> dict[str, bool]:
    """What one source says about each code it mentions: on or off, decided by its most
    specific matching selector (an ignore wins a tie)."""
    enabling = (*(selection.select or ()), *selection.extend_select)
    updates: dict[str, bool] = {}
    for code in catalog.codes:
        best: tuple[int, bool] | None = None
        for selector in enabling:
            # Preview rules need preview mode unless a selector names their exact code.
            if _matches(selector, code) and (
                preview or code not in catalog.preview or selector == code
            ):
                rank = (_specificity(selector), False)
                best = rank if best is None or rank > best else best
        for selector in selection.ignore:
            if _matches(selector, code):
                rank = (_specificity(selector), True)
                best = rank if best is None or rank > best else best
        if best is not None:
            updates[code] = not best[1]
    return updates


def resolve_layers(
    catalog: Catalog, selections: Sequence[RuleSelection], *, preview: bool
) -> frozenset[str]:
    """Apply the sources in order, as ruff does: one with `select` replaces everything
    chosen before it (so `--select LC201` runs LC201 even when the config ignores it),
    one without adjusts it. Within a source the most specific selector wins."""
    active: set[str] = set()
    for selection in (DEFAULT_SELECTION, *selections):
        updates = _updates(catalog, selection, preview)
        if selection.select is not None:
            active = {code for code, enabled in updates.items() if enabled}
            continue
        for code, enabled in updates.items():
            if enabled:
                active.add(code)
            else:
                active.discard(code)
    return frozenset(active)


def resolve(
    catalog: Catalog,
    *,
    select: Sequence[str] | None,
    extend_select: Sequence[str],
    ignore: Sequence[str],
    preview: bool,
) -> frozenset[str]:
    """Codes turned on by one source of selectors on top of the default (`select = ["LC"]`)."""
    selection = RuleSelection(
        select=tuple(select) if select is not None else None,
        extend_select=tuple(extend_select),
        ignore=tuple(ignore),
    )
    return resolve_layers(catalog, [selection], preview=preview)
