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
from layercheck.semantic.model import Need, build_parts
from layercheck.source import LineIndex
from layercheck.walker import Walker

_Choice = tuple[int, Layer | None, tuple[str, ...], tuple[type[Rule], ...]]


class _Kit:
    """A choice's rule objects, model parts and walker, used for one file after another:
    the walker binds a type's handlers to them once, not again for every file. Each
    object is made again in place after each file (`renew`): its state, cleared and set
    by its constructor, is a new object's, and nothing of the file's tree stays held."""

    __slots__ = ("busy", "owners", "parts", "walker")

    def __init__(self, classes: tuple[type[Rule], ...], needs: frozenset[Need]) -> None:
        parts = build_parts(needs)
        self.parts = [part for part, _ in parts]
        rules = [rule() for rule in classes]
        # (object, its constructor's arguments, whether it has a constructor of its own)
        self.owners = tuple(
            (owner, arguments, type(owner).__init__ is not object.__init__)
            for owner, arguments in (*parts, *((rule, ()) for rule in rules))
        )
        self.walker = Walker(rules, self.parts)
        self.busy = False
        """In use by a walk: a rule that checks a file from inside a walk gets its own."""

    def renew(self) -> None:
        for owner, arguments, constructed in self.owners:
            state = getattr(owner, "__dict__", None)
            if state:
                state.clear()
            if constructed:
                type(owner).__init__(owner, *arguments)


class _Chosen:
    """The rules chosen for a configuration, layer and per-file ignores, the parts of the
    model they read, and their kit once a file was walked with them: the same for most
    files of a project. The settings are kept beside the answer, which is keyed by their
    id, so that the id cannot be reused while the entry lives."""

    __slots__ = ("kit", "needs", "rules", "settings")

    def __init__(
        self, settings: Settings, rules: tuple[type[Rule], ...], needs: frozenset[Need]
    ) -> None:
        self.settings = settings
        self.rules = rules
        self.needs = needs
        self.kit: _Kit | None = None


_chosen: dict[_Choice, _Chosen] = {}
_CHOSEN_KEPT = 256


def active_rules(
    settings: Settings, path: Path, layer: Layer | None, rules: Sequence[type[Rule]]
) -> list[Rule]:
    return [rule() for rule in _chosen_for(settings, path, layer, rules)[0]]


def _chosen_for(
    settings: Settings, path: Path, layer: Layer | None, rules: Sequence[type[Rule]]
) -> tuple[tuple[type[Rule], ...], frozenset[Need]]:
    """The rules active for the file, and the parts of the model they need."""
    found = _entry(settings, path, layer, rules)
    return found.rules, found.needs


def _entry(
    settings: Settings, path: Path, layer: Layer | None, rules: Sequence[type[Rule]]
) -> _Chosen:
    ignored = settings.ignored_codes(path)
    key = (id(settings), layer, ignored, tuple(rules))
    found = _chosen.get(key)
    if found is None or found.settings is not settings:
        if len(_chosen) >= _CHOSEN_KEPT:
            _chosen.clear()
        chosen = _choose(settings, layer, ignored, rules)
        needs = frozenset(need for rule in chosen for need in rule.needs)
        found = _chosen[key] = _Chosen(settings, chosen, needs)
    return found


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
    path = file.path
    layer = index.layer_for_facts(loaded.facts)
    entry = _entry(file.settings, path, layer, rules)
    if not entry.rules:
        return []
    ctx = RuleContext(
        path=path,
        module=loaded.facts.module,
        layer=layer,
        names=loaded.table,
        index=index,
        settings=file.settings,
        lines=LineIndex.from_text(loaded.text),
        is_test=loaded.facts.is_test,
    )
    kit = entry.kit
    if kit is None or kit.busy:
        kit = _Kit(entry.rules, entry.needs)
        if entry.kit is None:
            entry.kit = kit
    kit.busy = True
    try:
        ctx.attach(kit.parts)
        kit.walker.walk(loaded.tree, ctx)
    finally:
        kit.renew()
        kit.busy = False
    return ctx.findings
