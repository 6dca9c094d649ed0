"""The envelope of a cache file: one JSON document whose last key, "payload", holds the
payload, and whose header, before it, holds a checksum of the payload's bytes. The
reader hashes the payload's bytes as they are and parses them once; a damaged, edited
or truncated file is no envelope. Standard library only, as the warm path (warm_record.py)
imports it before anything else.

The callers choose the checksum and its key: the warm record a zlib CRC (hashlib loads
OpenSSL, a warm start's largest import), the other caches SHA-256 (`sha256_hex`). Every
cache file is written whole and atomically (`write_atomic`).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final

_PAYLOAD: Final = b',"payload":'
"""Where the payload starts: no JSON string holds an unescaped quote, so the first match
in the file is the key itself."""

Checksum = Callable[[bytes], str]


def seal(header: Mapping[str, object], payload: str, key: str, checksum: Checksum) -> str:
    """The file's text: `header` with the payload's checksum under `key`, then `payload`
    (JSON text)."""
    whole = {**header, key: checksum(payload.encode())}
    return json.dumps(whole, separators=(",", ":"))[:-1] + _PAYLOAD.decode() + payload + "}"


def unseal(raw: bytes, key: str, checksum: Checksum) -> tuple[dict[str, object], bytes] | None:
    """The header and the payload's bytes, unparsed; None when `raw` is no envelope or its
    payload does not match the checksum under `key` (ValueError, RecursionError: the header
    is no JSON)."""
    cut = raw.find(_PAYLOAD)
    if cut < 0 or not raw.endswith(b"}"):
        return None
    header = json.loads(raw[:cut] + b"}")
    payload = raw[cut + len(_PAYLOAD) : -1]
    if not isinstance(header, dict) or header.get(key) != checksum(payload):
        return None
    return header, payload


def sha256_hex(data: bytes) -> str:
    """The SHA-256 checksum the caches other than the warm record use. `hashlib` is
    imported here, when a checksum is taken: the warm path never takes one."""
    import hashlib

    return hashlib.sha256(data).hexdigest()


def write_atomic(path: Path, text: str | bytes) -> None:
    """Readers see the old file or the new one, never half of one. The temporary file is
    made like any new file (the umask applies), under a name no other writer picks."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(6).hex()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    descriptor = os.open(temporary, flags, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(text.encode() if isinstance(text, str) else text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
