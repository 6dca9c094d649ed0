"""The warning about module names that miss the project's imports (import_roots.py),
kept in the cache folder with a hash of what it reads: each file's path, module, whether
it is a package, and its imports as the facts cache keeps them. Checking one file of a
large project whose imports did not change (an editor saving a file) then reads no
file's imports: the facts cache keeps that hash with each file's entry
(`cache.imports_digest`), so only the files read this run are hashed."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from layercheck.cache import VERSION, imports_digest, prepare_directory
from layercheck.envelope import seal, unseal, write_atomic
from layercheck.envelope import sha256_hex as _sha256
from layercheck.facts import FileFacts
from layercheck.import_roots import misrooted_imports_warning

_REVISION: Final = 2
"""Changes when the key changes shape (2: a hash of each file's `imports_digest`)."""


def inputs_key(facts: Sequence[FileFacts], code: str) -> str:
    """What the warning reads of `facts`, as a hash; `code`: the code that reads it."""
    digest = hashlib.sha256(code.encode())
    digest.update("\n".join(map(imports_digest, facts)).encode())
    return digest.hexdigest()[:32]


class RootsRecord:
    """The last warning for one project root, with the key of what it read."""

    def __init__(self, directory: Path, root: Path) -> None:
        self.directory = directory
        self.root = root
        tag = hashlib.sha256(str(root).encode()).hexdigest()[:12]
        self.path = directory / f"roots-{VERSION}-{tag}.json"

    @functools.cached_property
    def _header(self) -> dict[str, object]:
        return {"layercheck": VERSION, "revision": _REVISION, "root": str(self.root)}

    def warning(self, facts: Sequence[FileFacts], code: str, write: bool) -> str | None:
        """`misrooted_imports_warning(facts)`, from the record when it read the same;
        else computed and, when `write`, kept (a record that cannot be written, read or
        trusted costs only the computation)."""
        key = inputs_key(facts, code)
        held = self._held(key)
        if held is not None:
            return held[0]
        note = misrooted_imports_warning(facts)
        if write:
            payload = json.dumps({"key": key, "warning": note})
            try:
                prepare_directory(self.directory)
                write_atomic(self.path, seal(self._header, payload, "sha256", _sha256))
            except OSError:
                pass
        return note

    def _held(self, key: str) -> tuple[str | None] | None:
        try:
            opened = unseal(self.path.read_bytes(), "sha256", _sha256)
            if opened is None or any(opened[0].get(k) != v for k, v in self._header.items()):
                return None
            payload = json.loads(opened[1])
            note = payload["warning"]
            if payload["key"] != key or not (note is None or isinstance(note, str)):
                return None
        except (OSError, ValueError, TypeError, KeyError, RecursionError):
            return None
        return (note,)
