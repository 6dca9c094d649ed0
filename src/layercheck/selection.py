"""Which rule codes a select / extend-select / ignore combination turns on (ruff's way)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


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


def _specificity(selector: str) -> int:
    return 0 if selector == "ALL" else len(selector)


def resolve(
    catalog: Catalog,
    *,
    select: Sequence[str] | None,
    extend_select: Iterable[str],
    ignore: Iterable[str],
    preview: bool,
) -> frozenset[str]:
    """A code is on when its most specific matching selector is a select, not an ignore.

    Preview rules need preview mode unless a selector names their exact code.
    """
    chosen = list(select) if select is not None else ["LC"]
    selectors = [(s, True) for s in (*chosen, *extend_select)] + [(s, False) for s in ignore]
    active: set[str] = set()
    for code in catalog.codes:
        best: tuple[int, bool] | None = None
        exact = False
        for selector, enables in selectors:
            if selector != "ALL" and not code.startswith(selector):
                continue
            if enables and selector == code:
                exact = True
            rank = (_specificity(selector), not enables)
            if best is None or rank > best:
                best = rank
        if best is None or best[1]:
            continue
        if code in catalog.preview and not (preview or exact):
            continue
        active.add(code)
    return frozenset(active)
