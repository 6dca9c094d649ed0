"""Rule selection (ruff's rules) on a made-up catalog, so preview rules exist to test."""

from __future__ import annotations

import pytest

from layercheck.config.selection import (
    Catalog,
    RuleSelection,
    SelectorError,
    resolve,
    resolve_layers,
)

CATALOG = Catalog(
    codes=("LC001", "LC101", "LC102", "LC201", "LC202", "LC901"),
    preview=frozenset({"LC102", "LC901"}),
)
STABLE = {"LC001", "LC101", "LC201", "LC202"}


def active(
    select: tuple[str, ...] | None = None,
    extend_select: tuple[str, ...] = (),
    ignore: tuple[str, ...] = (),
    preview: bool = False,
) -> set[str]:
    return set(
        resolve(CATALOG, select=select, extend_select=extend_select, ignore=ignore, preview=preview)
    )


def test_default_is_every_stable_rule() -> None:
    assert active() == STABLE


def test_preview_mode_adds_preview_rules() -> None:
    assert active(preview=True) == STABLE | {"LC102", "LC901"}


@pytest.mark.parametrize(
    ("select", "expected"),
    [
        (("LC1",), {"LC101"}),
        (("LC10",), {"LC101"}),
        (("LC102",), {"LC102"}),  # an exact code runs a preview rule without --preview
        (("LC9",), set()),
        (("LC1", "LC901"), {"LC101", "LC901"}),
        (("ALL",), STABLE),
    ],
)
def test_select_prefixes_and_preview_gate(select: tuple[str, ...], expected: set[str]) -> None:
    assert active(select=select) == expected


def test_prefix_reaches_preview_rules_in_preview_mode() -> None:
    assert active(select=("LC1",), preview=True) == {"LC101", "LC102"}


def test_extend_select_exact_preview_code() -> None:
    assert active(extend_select=("LC901",)) == STABLE | {"LC901"}


@pytest.mark.parametrize(
    ("select", "ignore", "expected"),
    [
        (("LC2",), ("LC201",), {"LC202"}),  # the more specific ignore wins
        (("LC201",), ("LC2",), {"LC201"}),  # the more specific select wins
        (("LC201",), ("LC201",), set()),  # a tie goes to ignore
        (("ALL",), ("LC",), set()),
        (None, ("LC2", "LC0"), {"LC101"}),
        (("LC2", "LC202"), ("LC20",), {"LC202"}),
    ],
)
def test_specificity(
    select: tuple[str, ...] | None, ignore: tuple[str, ...], expected: set[str]
) -> None:
    assert active(select=select, ignore=ignore) == expected


def test_extend_select_beats_a_less_specific_ignore() -> None:
    assert active(ignore=("LC2",), extend_select=("LC201",)) == {"LC001", "LC101", "LC201"}


def test_later_select_replaces_earlier_sources() -> None:
    config = RuleSelection(select=("LC2",), ignore=("LC201",))
    command_line = RuleSelection(select=("LC201",))
    assert resolve_layers(CATALOG, [config, command_line], preview=False) == {"LC201"}


def test_later_sources_without_select_adjust() -> None:
    config = RuleSelection(select=("LC2",), ignore=("LC201",))
    assert resolve_layers(
        CATALOG, [config, RuleSelection(extend_select=("LC1",))], preview=False
    ) == {"LC101", "LC202"}
    assert (
        resolve_layers(CATALOG, [config, RuleSelection(ignore=("LC202",))], preview=False) == set()
    )
    assert resolve_layers(
        CATALOG, [config, RuleSelection(extend_select=("LC201",))], preview=False
    ) == {"LC201", "LC202"}


@pytest.mark.parametrize("selector", ["LC201", "lc201", " LC2 ", "LC", "ALL"])
def test_check_accepts_codes_and_prefixes(selector: str) -> None:
    assert CATALOG.check(selector) == selector.strip().upper()


@pytest.mark.parametrize(
    ("selector", "hint"),
    [("LC2O1", "LC201"), ("LC21", "LC201"), ("LC1O2", "LC102")],
)
def test_check_rejects_unknown_with_a_suggestion(selector: str, hint: str) -> None:
    with pytest.raises(SelectorError, match=f"unknown rule selector `{selector}`") as info:
        CATALOG.check(selector)
    assert str(info.value).endswith(f"did you mean `{hint}`?")


def test_check_without_anything_close() -> None:
    with pytest.raises(SelectorError) as info:
        CATALOG.check("XYZ123")
    assert "did you mean" not in str(info.value)
