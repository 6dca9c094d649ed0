"""A cache file's envelope: the header and the payload's bytes come back as written; a
payload changed by one byte, cut short or without its checksum is no envelope."""

from __future__ import annotations

import hashlib
import json
import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from layercheck import envelope
from layercheck.envelope import json_pieces, seal, unseal, write_sealed


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


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
        lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
        max_leaves=20,
    ),
    st.sampled_from([None, 0, 2]),
)
def test_loads_reads_what_json_loads_reads(value: object, indent: int | None) -> None:
    """The warm record's reader, without `json` imported: the same values, the same
    types, NaN and the infinities as `json.loads` reads them."""
    for text in (json.dumps(value, indent=indent), f" {json.dumps(value)}\n"):
        assert repr(envelope.loads(text)) == repr(json.loads(text))
        assert repr(envelope.loads(text.encode())) == repr(json.loads(text.encode()))


@pytest.mark.parametrize("text", ["", " ", "{", "[1,]", "[1] 2", "nul", '"\t"', "\ufeff1"])
def test_loads_refuses_what_json_loads_refuses(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 (json's error is a ValueError)
        json.loads(text)
    with pytest.raises(ValueError):  # noqa: PT011
        envelope.loads(text)


VALUE = {
    "a": [1, {"b": "\u00e9\ud800", "c": []}],
    "d": None,
    "e": {"x": [1, 2.5, True], "y": {}},
}


@pytest.mark.parametrize("depth", [0, 1, 2, 3])
def test_the_pieces_of_a_payload_join_into_its_json(depth: int) -> None:
    for value in (VALUE, [VALUE, [VALUE, []], {}], [], {}):
        assert "".join(json_pieces(value, depth)) == json.dumps(value, separators=(",", ":"))


def test_a_payload_written_in_pieces_is_the_file_sealed_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checksum comes before the payload: it is written over a placeholder of its
    width once the pieces are, so the file is byte for byte the one `seal` makes (a
    header that holds the placeholder's text too included)."""
    monkeypatch.setattr(envelope, "_CHUNK", 7)  # many chunks
    header = {**HEADER, "root": "0" * 64}
    whole = seal(header, json.dumps(VALUE, separators=(",", ":")), "sha256", _sha256) + "\n"
    written = write_sealed(tmp_path / "pieces", header, json_pieces(VALUE), b"\n")
    assert (tmp_path / "pieces").read_bytes() == whole.encode()
    assert written == len(whole.encode())
    assert unseal(whole.encode()[:-1], "sha256", _sha256) is not None
    assert [path.name for path in tmp_path.iterdir()] == ["pieces"], "no temporary left"


class _RunningCrc:
    def __init__(self) -> None:
        self.value = 0

    def update(self, data: bytes, /) -> None:
        self.value = zlib.crc32(data, self.value)

    def hexdigest(self) -> str:
        return f"{self.value:08x}"


def test_a_running_checksum_of_its_own_key_seals_as_seal_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The warm record's CRC, taken as the pieces are written, under its own key."""
    monkeypatch.setattr(envelope, "_CHUNK", 5)
    writer = envelope.SealedWriter(tmp_path / "crc", HEADER, "sum", _RunningCrc())
    for piece in json_pieces(VALUE):
        writer.write(piece)
    writer.close()
    whole = seal(HEADER, json.dumps(VALUE, separators=(",", ":")), "sum", _crc)
    assert (tmp_path / "crc").read_bytes() == whole.encode()


def test_a_checksum_that_changes_width_writes_nothing(tmp_path: Path) -> None:
    class Growing(_RunningCrc):
        def hexdigest(self) -> str:
            return "0" * (1 + self.value % 7)

    writer = envelope.SealedWriter(tmp_path / "bad", HEADER, "sum", Growing())
    writer.write("[1]")
    with pytest.raises(ValueError, match="width"):
        writer.close()
    writer.abandon()
    assert list(tmp_path.iterdir()) == []
