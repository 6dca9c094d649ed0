"""The envelope of a cache file: one JSON document whose last key, "payload", holds the
payload, and whose header, before it, holds a checksum of the payload's bytes. The
reader hashes the payload's bytes as they are and parses them once; a damaged, edited
or truncated file is no envelope. Standard library only, as the warm path (warm_record.py)
imports it before anything else.

The callers choose the checksum and its key: the warm record a zlib CRC (hashlib loads
OpenSSL, a warm start's largest import), the other caches SHA-256 (`sha256_hex`). Every
envelope is written whole and atomically (`write_atomic`); one written `sized` (its
header gives the payload's length) may be followed by segments a cache appends
(cache.Known).
"""

from __future__ import annotations

import contextlib
import os

TYPE_CHECKING = False
"""`typing.TYPE_CHECKING`, which type checkers take for true: the warm path imports this
module, and neither `typing` nor `pathlib` (see warm_record.py), nor `json`, imported
where a file is written (its decoder imports `re`, and `re` `enum`: together a third of
a warm start of the command line; `loads` reads without them)."""
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping
    from pathlib import Path
    from typing import BinaryIO, Final, Protocol

    Checksum = Callable[[bytes], str]

    class Running(Protocol):
        """A checksum taken as the bytes come (`hashlib`'s objects are): its `hexdigest`
        has the same width whatever the bytes, so that it can be written over a
        placeholder."""

        def update(self, data: bytes, /) -> None: ...

        def hexdigest(self) -> str: ...


_PAYLOAD: Final = b',"payload":'
"""Where the payload starts: no JSON string holds an unescaped quote, so the first match
in the file is the key itself."""

_LENGTH: Final = "length"
"""The header key of a sized file's payload length, in bytes (decimal digits)."""
_LENGTH_WIDTH: Final = 20


def seal(header: Mapping[str, object], payload: str, key: str, checksum: Checksum) -> str:
    """The file's text: `header` with the payload's checksum under `key`, then `payload`
    (JSON text)."""
    import json

    whole = {**header, key: checksum(payload.encode())}
    return json.dumps(whole, separators=(",", ":"))[:-1] + _PAYLOAD.decode() + payload + "}"


_WHITESPACE: Final = " \t\n\r"
"""What JSON allows around a value."""
_CONSTANTS: Final = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}


class _Context:
    """What `json.JSONDecoder` gives the C scanner it makes, with `json.loads`'s
    defaults."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = _CONSTANTS.__getitem__


def _scanner() -> Callable[[str, int], tuple[object, int]] | None:
    try:
        from _json import make_scanner
    except ImportError:  # not CPython's: json.loads
        return None
    return make_scanner(_Context())  # type: ignore[arg-type]


_SCAN: Final = _scanner()


def loads(data: bytes | str) -> object:
    """`json.loads` of UTF-8 bytes or text, through the scanner `json.loads` uses, made
    here so that `json` is not imported. ValueError (UnicodeDecodeError) when it is no
    JSON, RecursionError when it is nested too deep."""
    if _SCAN is None:
        import json

        return json.loads(data)
    text = (data.decode() if isinstance(data, bytes) else data).strip(_WHITESPACE)
    try:
        value, end = _SCAN(text, 0)
    except StopIteration as stop:
        raise ValueError(f"Expecting value: char {stop.value}") from None
    if end != len(text):
        raise ValueError(f"Extra data: char {end}")
    return value


def value_at(text: str, at: int) -> tuple[object, int]:
    """The JSON value that starts at `at` in `text`, and where it ends: one entry of a
    large document read without the rest. ValueError when no value starts there."""
    if _SCAN is None:
        import json

        return json.JSONDecoder().raw_decode(text, at)
    try:
        return _SCAN(text, at)
    except StopIteration as stop:
        raise ValueError(f"Expecting value: char {stop.value}") from None


def json_string(text: str) -> str:
    """`json.dumps(text)`: the JSON literal of a string, ASCII only."""
    try:
        from _json import encode_basestring_ascii
    except ImportError:  # not CPython's
        from json.encoder import encode_basestring_ascii
    return encode_basestring_ascii(text)


def unseal(raw: bytes, key: str, checksum: Checksum) -> tuple[dict[str, object], bytes] | None:
    """The header and the payload's bytes, unparsed; None when `raw` is no envelope or its
    payload does not match the checksum under `key` (ValueError, RecursionError: the header
    is no JSON)."""
    cut = raw.find(_PAYLOAD)
    if cut < 0 or not raw.endswith(b"}"):
        return None
    header = loads(raw[:cut] + b"}")
    payload = raw[cut + len(_PAYLOAD) : -1]
    if not isinstance(header, dict) or header.get(key) != checksum(payload):
        return None
    return header, payload


class SealedReader:
    """A sealed file (sha256) read as its payload's text comes, a piece at a time, so
    that a large cache file is never held whole as its bytes nor as its text: the header
    first (ValueError when the file does not start as an envelope), the checksum
    checked when the payload ends (`read` raises ValueError when it does not match, or
    when the file does not end as an envelope). A file written `sized` (its header holds
    the payload's length) may go on after the envelope: the reader stops at its closing
    brace and leaves the rest to `rest`."""

    def __init__(self, handle: BinaryIO) -> None:
        import codecs
        import hashlib
        import json

        first = b""
        while (cut := first.find(_PAYLOAD)) < 0:
            more = handle.read(_CHUNK)
            if not more:
                raise ValueError("no envelope")
            first += more
        header = json.loads(first[:cut] + b"}")
        if not isinstance(header, dict):
            raise ValueError("no envelope")
        self.header: dict[str, object] = header
        self._handle = handle
        self.start = cut + len(_PAYLOAD)
        """The payload's first byte's offset in the file (read from its start)."""
        self._held = first[self.start :]
        self._hasher = hashlib.sha256()
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._done = False
        length = header.get(_LENGTH)
        self._left: int | None = None
        """The payload's bytes not read yet, in a sized file."""
        if length is not None:
            if not (isinstance(length, str) and length.isdigit() and length.isascii()):
                raise ValueError("no envelope")
            self._left = int(length)

    def read(self) -> str:
        """The next piece of the payload's text; "" once it is all read and holds."""
        if self._left is not None:
            return self._read_sized()
        while not self._done:
            more = self._handle.read(_CHUNK)
            data = self._held + more
            if not more:
                self._done = True
                if not data.endswith(b"}"):
                    raise ValueError("damaged envelope")
                self._hasher.update(data[:-1])
                if self._hasher.hexdigest() != self.header.get("sha256"):
                    raise ValueError("damaged envelope")
                return self._decoder.decode(data[:-1], final=True)
            # The last byte read may be the envelope's closing brace, not the payload's:
            # held back until the file ends.
            payload, self._held = data[:-1], data[-1:]
            self._hasher.update(payload)
            text = self._decoder.decode(payload)
            if text:
                return text
        return ""

    def _read_sized(self) -> str:
        while not self._done:
            left = self._left
            assert left is not None
            text = ""
            if left:
                data = self._held or self._handle.read(min(_CHUNK, left))
                if not data:
                    raise ValueError("damaged envelope")
                payload, self._held = data[:left], data[left:]
                left = self._left = left - len(payload)
                self._hasher.update(payload)
                text = self._decoder.decode(payload, final=not left)
            if not left:
                self._done = True
                end = self._held[:1] or self._handle.read(1)
                self._held = self._held[1:]
                if end != b"}" or self._hasher.hexdigest() != self.header.get("sha256"):
                    raise ValueError("damaged envelope")
                return text
            if text:
                return text
        return ""

    def rest(self) -> bytes:
        """The bytes after the envelope of a sized file, once its payload is read."""
        if not self._done or self._left is None:
            raise ValueError("the payload is not read")
        return self._held + self._handle.read()


def sha256_hex(data: bytes) -> str:
    """The SHA-256 checksum the caches other than the warm record use. `hashlib` is
    imported here, when a checksum is taken: the warm path never takes one."""
    import hashlib

    return hashlib.sha256(data).hexdigest()


def json_pieces(value: object, depth: int = 2) -> Iterator[str]:
    """`json.dumps(value, separators=(",", ":"))` in pieces: dicts (string keys) and
    lists are split down to `depth` levels, each item below encoded whole."""
    import json
    from json.encoder import encode_basestring_ascii

    def pieces(value: object, depth: int) -> Iterator[str]:
        if depth > 0 and isinstance(value, dict):
            yield "{"
            first = True
            for key, item in value.items():
                yield ("" if first else ",") + encode_basestring_ascii(key) + ":"
                yield from pieces(item, depth - 1)
                first = False
            yield "}"
        elif depth > 0 and isinstance(value, list):
            yield "["
            for at, item in enumerate(value):
                if at:
                    yield ","
                yield from pieces(item, depth - 1)
            yield "]"
        else:
            yield json.dumps(value, separators=(",", ":"))

    return pieces(value, depth)


def write_sealed(
    path: Path,
    header: Mapping[str, object],
    payload: Iterable[str],
    end: bytes = b"",
    *,
    sized: bool = False,
) -> int:
    """`write_atomic(path, seal(header, "".join(payload), "sha256", sha256_hex) + end)`,
    without the payload whole in memory (a cache of every file of a large project, as
    one string and as its bytes, was the largest thing a run held). The number of bytes
    written. `sized`: as `SealedWriter`."""
    writer = SealedWriter(path, header, sized=sized)
    try:
        for piece in payload:
            writer.write(piece)
        return writer.close(end)
    finally:
        writer.abandon()


class SealedWriter:
    """A sealed file written as its payload's pieces come: to a temporary file beside
    `path`, its checksum (`running`, under `key`; sha256 unless given) taken as written
    and written over a placeholder of its width at the end, and the file renamed over
    `path` (`close`); `abandon` removes it. `sized`: the header holds the payload's
    length too (written the same way), so that the file may go on after the envelope
    (`SealedReader.rest`)."""

    def __init__(
        self,
        path: Path,
        header: Mapping[str, object],
        key: str = "sha256",
        running: Running | None = None,
        *,
        sized: bool = False,
    ) -> None:
        import json

        if running is None:
            import hashlib

            running = hashlib.sha256()
        self.path = path
        placeholder = "0" * len(running.hexdigest())
        whole: dict[str, object] = {**header, key: placeholder}
        if sized:
            whole[_LENGTH] = "0" * _LENGTH_WIDTH
        text = json.dumps(whole, separators=(",", ":"))
        self._at = text.rindex(placeholder)
        self._width = len(placeholder)
        length_key = f'"{_LENGTH}":"'
        self._length_at = text.rindex(length_key) + len(length_key) if sized else -1
        self._payload_bytes = 0
        self._hasher = running
        self._pending: list[str] = []
        self._size = 0
        temporary, handle = _open_temporary(path)
        self._temporary: Path | None = temporary
        self._handle: BinaryIO | None = handle
        handle.write(text[:-1].encode() + _PAYLOAD)

    def write(self, piece: str) -> None:
        self._pending.append(piece)
        self._size += len(piece)
        if self._size >= _CHUNK:
            self._flush()

    def _flush(self) -> None:
        assert self._handle is not None
        data = "".join(self._pending).encode()
        self._hasher.update(data)
        self._payload_bytes += len(data)
        self._handle.write(data)
        self._pending, self._size = [], 0

    def close(self, end: bytes = b"") -> int:
        """The file in place; the number of bytes written."""
        handle, temporary = self._handle, self._temporary
        assert handle is not None
        assert temporary is not None
        self._flush()
        handle.write(b"}" + end)
        written = handle.tell()
        value = self._hasher.hexdigest()
        if len(value) != self._width:
            raise ValueError("a checksum whose width changed")
        handle.seek(self._at)
        handle.write(value.encode())
        if self._length_at >= 0:
            handle.seek(self._length_at)
            handle.write(f"{self._payload_bytes:0{_LENGTH_WIDTH}d}".encode())
        handle.close()
        self._handle = None
        os.replace(temporary, self.path)
        self._temporary = None
        return written

    def abandon(self) -> None:
        """Nothing left behind (a no-op once closed)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self._temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._temporary)
            self._temporary = None


def _open_temporary(path: Path) -> tuple[Path, BinaryIO]:
    """A new file beside `path` to be renamed over it, made like any new file (the umask
    applies), under a name no other writer picks."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(6).hex()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    return temporary, os.fdopen(os.open(temporary, flags, 0o666), "wb")


_CHUNK: Final = 1 << 20


def write_atomic(path: Path, text: str | bytes) -> None:
    """Readers see the old file or the new one, never half of one."""
    temporary, handle = _open_temporary(path)
    try:
        with handle:
            handle.write(text.encode() if isinstance(text, str) else text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
