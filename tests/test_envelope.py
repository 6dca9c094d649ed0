"""A cache file's envelope: the header and the payload's bytes come back as written; a
payload changed by one byte, cut short or without its checksum is no envelope."""

from __future__ import annotations

import hashlib
import json
import zlib

import pytest

from layercheck.envelope import seal, unseal


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _crc(data: bytes) -> str:
    return f"{zlib.crc32(data):08x}"


PAYLOAD = json.dumps({"files": ['a,"payload":b', "é"], "n": [1, 2]}, separators=(",", ":"))
HEADER = {"root": '/tmp/x",y', "format": 3}


@pytest.mark.parametrize("checksum", [_sha256, _crc])
def test_what_is_sealed_comes_back(checksum: object) -> None:
    assert callable(checksum)
    text = seal(HEADER, PAYLOAD, "sum", checksum)
    opened = unseal(text.encode(), "sum", checksum)
    assert opened is not None
    header, payload = opened
    assert header == {**HEADER, "sum": checksum(PAYLOAD.encode())}
    assert payload == PAYLOAD.encode()
    assert json.loads(text)["payload"] == json.loads(PAYLOAD), "one JSON document"


def test_a_damaged_or_foreign_file_is_no_envelope() -> None:
    raw = seal(HEADER, PAYLOAD, "sum", _sha256).encode()
    assert unseal(raw.replace(b'"n":[1,2]', b'"n":[1,3]'), "sum", _sha256) is None
    assert unseal(raw[:-1], "sum", _sha256) is None
    assert unseal(raw, "other", _sha256) is None
    assert unseal(raw, "sum", _crc) is None
    assert unseal(b"{}", "sum", _sha256) is None
    with pytest.raises(ValueError, match="Expecting"):
        unseal(b'{"sum":,"payload":{}}', "sum", _sha256)
