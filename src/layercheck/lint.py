"""One loaded file through the rules: those active for its settings and layer, in one walk
of its tree that updates the semantic model before the rules see each node."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from layercheck.config.settings import Settings
from layercheck.context import RuleContext
from layercheck.index import ProjectIndex
from layercheck.layers import Layer
from layercheck.loading import Loaded
from layercheck.model import Finding
from layercheck.rules import ALL_RULES, ENGINE_CODES
from layercheck.rules._base import Rule
from layercheck.semantic.model import Need
from layercheck.source import LineIndex
from layercheck.walker import Walker

_Choice = tuple[int, Layer | None, tuple[str, ...], tuple[type[Rule], ...]]
# The rules chosen for a configuration, layer and per-file ignores, and the parts of the
# model they read: the same for most files of a project. Keyed by the settings' id, with
# the settings kept beside the answer so that the id cannot be reused while the entry lives.
_chosen: dict[_Choice, tuple[Settings, tuple[type[Rule], ...], frozenset[Need]]] = {}
_CHOSEN_KEPT = 256


def active_rules(
    settings: Settings, path: Path, layer: Layer | None, rules: Sequence[type[Rule]]
) -> list[Rule]:
    return [rule() for rule in _chosen_for(settings, path, layer, rules)[0]]


def _chosen_for(
    settings: Settings, path: Path, layer: Layer | None, rules: Sequence[type[Rule]]
) -> tuple[tuple[type[Rule], ...], frozenset[Need]]:
    """The rules active for the file, and the parts of the model they need."""
    ignored = settings.ignored_codes(path)
    key = (id(settings), layer, ignored, tuple(rules))
    found = _chosen.get(key)
    if found is None or found[0] is not settings:
        if len(_chosen) >= _CHOSEN_KEPT:
            _chosen.clear()
        chosen = _choose(settings, layer, ignored, rules)
        needs = frozenset(need for rule in chosen for need in rule.needs)
        found = _chosen[key] = (settings, chosen, needs)
    return found[1], found[2]


def _choose(
    settings: Settings, layer: Layer | None, ignored: tuple[str, ...], rules: Sequence[type[Rule]]
) -> tuple[type[Rule], ...]:
    codes = settings.active_codes
    chosen: list[type[Rule]] = []
    for rule in rules:
        meta = rule.meta
        if meta.code not in codes or meta.code in ENGINE_CODES:
            continue
        if any(meta.code.startswith(prefix) for prefix in ignored):
            continue
        if meta.layers is not None and layer not in meta.layers:
            continue
        if meta.assumes is not None and settings.excludes_major(*meta.assumes) is not None:
            continue
        chosen.append(rule)
    return tuple(chosen)


def version_skips(settings: Settings, rules: Sequence[type[Rule]]) -> list[str]:
    """One line per library whose declared versions rule out the major some selected
    rules assume: which rules stay quiet, and why (`--verbose`)."""
    quiet: dict[str, list[str]] = {}
    why: dict[str, str] = {}
    for rule in rules:
        meta = rule.meta
        if meta.assumes is None or meta.code not in settings.active_codes:
            continue
        declared = settings.excludes_major(*meta.assumes)
        if declared is not None:
            library, major = meta.assumes
            quiet.setdefault(library, []).append(meta.code)
            why[library] = f"{library} {major} is ruled out by {declared.source}"
    return [
        f'{why[library]}: skipped {", ".join(codes)} (`upgrading = ["{library}"]` runs them)'
        for library, codes in quiet.items()
    ]


def run_rules(
    loaded: Loaded, index: ProjectIndex, rules: Sequence[type[Rule]] = ALL_RULES
) -> list[Finding]:
    """The one walk of one file's tree."""
    assert loaded.tree is not None
    assert loaded.table is not None
    assert loaded.text is not None
    file = loaded.file
    layer = index.layer_for_facts(loaded.facts)
    classes, needs = _chosen_for(file.settings, file.path, layer, rules)
    if not classes:
        return []
    chosen = [rule() for rule in classes]
    ctx = RuleContext(
        path=file.path,
        module=loaded.facts.module,
        layer=layer,
        names=loaded.table,
        index=index,
        settings=file.settings,
        lines=LineIndex.from_text(loaded.text),
        is_test=loaded.facts.is_test,
    )
    model = ctx.binders(needs)
    Walker(chosen, model).walk(loaded.tree, ctx)
    return ctx.findings
