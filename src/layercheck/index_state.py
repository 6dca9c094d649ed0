"""What the project index's constructor computed (`IndexState`), kept in the cache folder
with the digest of the facts it was computed from and the key of the code that computed
it. A run whose facts are all those of the last index built (an edit that changed no
file's facts: a function body, a comment, a file saved again) takes the index from here
instead of reading four fields of every file's facts and deciding every file's layer:
at 10,000 files, a third of a run that checks one edited file.

The digest (`engine._index_digest`) covers every field of every file's facts, paths
included, so equal digests are equal facts.
Anything unexpected in the file is no state: the index is built from the facts, as
without it."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any, Final

from layercheck.cache import VERSION, prepare_directory
from layercheck.envelope import json_pieces, unseal, write_sealed
from layercheck.envelope import sha256_hex as _sha256
from layercheck.index import IndexState
from layercheck.layer_evidence import LayerDecision
from layercheck.layers import Layer

_REVISION: Final = 3
"""Changes when the payload changes shape (2: the request bodies and response routes; 3:
the handled and caught exceptions, the router instances)."""


class IndexStateFile:
    """The last index state of one project root."""

    def __init__(self, directory: Path, root: Path, code: str) -> None:
        """`code`: the key of the code that builds the index (the stamp of every module
        of the package, whatever rules are selected: `Engine._code_key`)."""
        self.directory = directory
        tag = hashlib.sha256(str(root).encode()).hexdigest()[:12]
        self.path = directory / f"index-{VERSION}-{tag}.json"
        self._header: dict[str, object] = {
            "layercheck": VERSION,
            "revision": _REVISION,
            "root": str(root),
            "code": code,
        }

    def load(self, digest: str) -> IndexState | None:
        """The state kept for the facts of `digest`; None when there is none."""
        try:
            opened = unseal(self.path.read_bytes(), "sha256", _sha256)
            if opened is None or any(opened[0].get(k) != v for k, v in self._header.items()):
                return None
            if opened[0].get("digest") != digest:
                return None
            return _decoded(json.loads(opened[1]))
        except (OSError, ValueError, TypeError, KeyError, IndexError, RecursionError):
            return None

    def save(self, digest: str, state: IndexState) -> None:
        """Keep `state` as the one of `digest`; a folder that cannot be written costs the
        next run the index, nothing else."""
        header = {**self._header, "digest": digest}
        try:
            prepare_directory(self.directory)
            # In pieces: at 100,000 files the text is some 20 MB, written by the parent
            # before it forks the rules workers.
            write_sealed(self.path, header, json_pieces(_encoded(state)))
        except OSError:
            pass


def _encoded(state: IndexState) -> dict[str, Any]:
    table: dict[LayerDecision, int] = {}
    at = [table.setdefault(decision, len(table)) for decision in state.decisions]
    return {
        "classes": state.classes,
        "functions": state.functions,
        "instances": state.instances,
        "type_aliases": state.type_aliases,
        "decisions": [
            [None if d.layer is None else d.layer.value, d.folder, d.note] for d in table
        ],
        "at": at,
        "memo": [[question, subject, answer] for (question, subject), answer in state.memo.items()],
        "bodies": state.bodies,
        "routes": state.routes,
        "handled": state.handled,
        "caught": state.caught,
        "routers": state.routers,
        "caught_outside_tests": state.caught_outside_tests,
    }


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return sys.intern(value)


def _texts(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise TypeError("not a list")
    # `sys.intern` refuses anything but a string (TypeError), as `_text` does; mapped,
    # it costs no Python call per name (a project's every class and function name).
    return tuple(map(sys.intern, value))


def _optional(value: object) -> str | None:
    return None if value is None else _text(value)


def _layer(value: object) -> Layer | None:
    return None if value is None else Layer(_text(value))


def _decoded(payload: dict[str, Any]) -> IndexState:
    """The state as the constructor holds it: names interned, equal bases one tuple."""
    kinds: dict[tuple[str, ...], tuple[str, ...]] = {}
    classes: dict[str, tuple[str | tuple[str, ...], ...]] = {}
    for module, defined in payload["classes"].items():
        items: list[str | tuple[str, ...]] = []
        for item in defined:
            if isinstance(item, list):
                bases = _texts(item)
                items.append(kinds.setdefault(bases, bases))
            else:
                items.append(_text(item))
        classes[_text(module)] = tuple(items)
    functions = {_text(module): _texts(names) for module, names in payload["functions"].items()}
    instances = {_text(name): _text(callee) for name, callee in payload["instances"].items()}
    aliases: dict[str, tuple[str, str]] = {}
    for name, (kind, provider) in payload["type_aliases"].items():
        aliases[_text(name)] = (_text(kind), _text(provider))
    table = [
        LayerDecision(_layer(layer), _optional(folder), _text(note))
        for layer, folder, note in payload["decisions"]
    ]
    decisions = [table[place] for place in payload["at"]]
    memo: dict[tuple[str, str], bool] = {}
    for question, subject, answer in payload["memo"]:
        if not isinstance(answer, bool):
            raise TypeError("not an answer")
        memo[(_text(question), _text(subject))] = answer
    bodies = payload["bodies"]
    if bodies is not None:
        bodies = {
            _text(name): tuple((_text(method), _text(path)) for method, path in uses)
            for name, uses in bodies.items()
        }
    routes = payload["routes"]
    if routes is not None:
        routes = {_text(name): _texts(functions) for name, functions in routes.items()}
    handled = payload["handled"]
    if handled is not None:
        handled = _texts(handled)
    caught = tuple(
        (_texts(layers), _flag(unlayered), _texts(names))
        for layers, unlayered, names in payload["caught"]
    )
    routers = payload["routers"]
    if routers is not None:
        routers = _texts(routers)
    outside = payload["caught_outside_tests"]
    if outside is not None:
        outside = _texts(outside)
    return IndexState(
        classes,
        functions,
        instances,
        aliases,
        decisions,
        memo,
        bodies,
        routes,
        handled,
        caught,
        routers,
        outside,
    )


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError("not a flag")
    return value
