"""``cdc.compressed`` turns MariaDB's compressed events back into the plain events they stand for.

The compressed events here are built by hand from plain ones, following the server's layout
(sql/log_event.cc); the integration test (tests/cdc/test_capture_writes.py) reads the
ones a real server writes with ``log_bin_compress=ON``."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cdc.compressed import CompressedEventError, compress_block, uncompress_block, uncompress_packet


@given(st.binary(max_size=5000))
def test_a_block_round_trips(data: bytes) -> None:
    assert uncompress_block(compress_block(data)) == data


def header(event_type: int, size: int) -> bytes:
    return struct.pack("<IBIII H", 1_700_000_000, event_type, 7, size, 4242, 0)


def packet(event_type: int, kept: bytes, body: bytes, *, checksum: bool) -> bytes:
    tail = b"\xde\xad\xbe\xef" if checksum else b""
    size = 19 + len(kept) + len(body) + len(tail)
    return b"\x00" + header(event_type, size) + kept + body + tail


@pytest.mark.parametrize("checksum", [True, False])
@pytest.mark.parametrize(
    ("compressed", "plain", "bitmaps"), [(166, 23, 1), (167, 24, 2), (168, 25, 1)], ids=["write", "update", "delete"]
)
@given(rows=st.binary(min_size=1, max_size=2000), width=st.integers(1, 300))
def test_a_compressed_rows_event_becomes_the_plain_one(
    compressed: int, plain: int, bitmaps: int, checksum: bool, rows: bytes, width: int
) -> None:
    """Post-header, column count and bitmaps stay as they are; only the rows are compressed."""
    count = bytes([width]) if width < 251 else b"\xfc" + width.to_bytes(2, "little")
    kept = b"\x12\x00\x00\x00\x00\x00\x01\x00" + count + b"\xff" * (bitmaps * ((width + 7) // 8))
    got = uncompress_packet(packet(compressed, kept, compress_block(rows), checksum=checksum), checksum=checksum)
    assert got == packet(plain, kept, rows, checksum=checksum)


@given(query=st.text(min_size=1, max_size=500), schema=st.text(max_size=20))
def test_a_compressed_query_becomes_the_plain_one(query: str, schema: str) -> None:
    db = schema.encode()[:64]
    status = b"\x00\x00\x00\x00\x00"
    post = struct.pack("<IIBHH", 9, 0, len(db), 0, len(status))
    kept = post + status + db + b"\x00"
    got = uncompress_packet(packet(165, kept, compress_block(query.encode()), checksum=True), checksum=True)
    assert got == packet(2, kept, query.encode(), checksum=True)


def test_other_events_are_left_alone() -> None:
    plain = packet(30, b"\x01" * 10, b"rows", checksum=True)
    assert uncompress_packet(plain, checksum=True) is plain


def test_a_block_of_another_algorithm_or_corrupt_is_refused() -> None:
    block = compress_block(b"x" * 100)
    with pytest.raises(CompressedEventError, match="algorithm 1"):
        uncompress_block(bytes([block[0] | 0x10]) + block[1:])
    with pytest.raises(CompressedEventError, match="zlib"):
        uncompress_block(block[:-5] + b"\x00" * 5)
    with pytest.raises(CompressedEventError, match="compression header"):
        uncompress_block(b"\x01\x02")
