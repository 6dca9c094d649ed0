"""Writing an edited file back (fixes, noqa comments): in its own encoding, BOM and line
endings (the edited text kept them), atomically (a temporary file in the same folder, then
a rename), keeping the file's mode, and never over a file that changed on disk since it
was read."""

from __future__ import annotations

import codecs
import contextlib
import os
import stat
import tempfile
from pathlib import Path

from layercheck.source import DecodeError, detect_encoding


def encode(text: str, original: bytes) -> bytes:
    """`text` in the encoding (and BOM) of the bytes it was read from."""
    codec, bom = detect_encoding(original)
    data = text.encode(codec)
    return codecs.BOM_UTF8 + data if bom else data


def write_fixed(path: Path, original: bytes, text: str) -> str | None:
    """Write `text` over `path`, read earlier as `original`; a warning when it was not
    written, else None."""
    try:
        data = encode(text, original)
    except (UnicodeEncodeError, DecodeError, LookupError) as exc:
        return f"{path}: fixed text cannot be written in the file's encoding ({exc}); not fixed"
    target = path.resolve()
    try:
        with open(target, "rb") as handle:
            current = handle.read()
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError as exc:
        return f"{path}: cannot be read again before writing ({exc.strerror or exc}); not fixed"
    if current != original:
        return f"{path}: changed on disk while it was being fixed; not overwritten"
    descriptor, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".layercheck"
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return f"{path}: cannot be written ({exc.strerror or exc}); not fixed"
    return None
