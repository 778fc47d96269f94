"""MariaDB's compressed binlog events (``log_bin_compress=ON``), turned back into the plain events
they stand for, so the rows inside them are read like any others.

python-mysql-replication does not know these event types and skipped them without a word: a
store with a compressed binlog shipped nothing while ``status`` said it was caught up. MariaDB
compresses an event only when it is longer than ``log_bin_compress_min_len``, so both kinds are
mixed in one binlog. The layout (sql/log_event.cc, ``binlog_buf_uncompress``):

- the common header (19 bytes) and the post-header stay as they are; so do a query's status
  variables and schema name, and a rows event's extra-data block (v2), column count and
  column bitmaps (two for an update): only the rows themselves are compressed;
- the rest is one compressed block: a header byte (0x80 | algorithm << 4 | length-of-length),
  the uncompressed length in that many big-endian bytes, then the zlib stream (algorithm 0,
  the only one MariaDB writes).

Works on raw packet bytes (an OK byte, then the event, then its 4-byte checksum when the binlog
has checksums), and returns the packet of the equivalent uncompressed event: same position,
same header except the type and size.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

QUERY_EVENT = 2
QUERY_COMPRESSED_EVENT = 165
# compressed type -> (plain type, default post-header length, has a v2 extra-data block, bitmaps)
_ROWS = {
    166: (23, 8, False, 1),  # WRITE_ROWS_COMPRESSED_EVENT_V1 -> WRITE_ROWS_EVENT_V1
    167: (24, 8, False, 2),  # UPDATE_ROWS_COMPRESSED_EVENT_V1 (before and after images)
    168: (25, 8, False, 1),  # DELETE_ROWS_COMPRESSED_EVENT_V1
    169: (30, 10, True, 1),  # WRITE_ROWS_COMPRESSED_EVENT -> WRITE_ROWS_EVENT (v2)
    170: (31, 10, True, 2),  # UPDATE_ROWS_COMPRESSED_EVENT
    171: (32, 10, True, 1),  # DELETE_ROWS_COMPRESSED_EVENT
}
COMPRESSED_TYPES = frozenset({QUERY_COMPRESSED_EVENT, *_ROWS})
_HEADER = 19  # timestamp, type, server id, size, next position, flags
_QUERY_POST_HEADER = 13


class CompressedEventError(ValueError):
    """A compressed event that cannot be uncompressed (unknown algorithm, corrupt block)."""


def uncompress_block(block: bytes) -> bytes:
    """One compressed block (header byte, length, zlib stream) -> its bytes."""
    if not block or not block[0] & 0x80:
        raise CompressedEventError("the block does not start with a compression header")
    algorithm = (block[0] & 0x70) >> 4
    if algorithm != 0:
        raise CompressedEventError(f"compression algorithm {algorithm} (only zlib, 0, is known)")
    lenlen = block[0] & 0x07
    if not 1 <= lenlen <= 4 or len(block) < 1 + lenlen:
        raise CompressedEventError(f"a length of {lenlen} bytes")
    size = int.from_bytes(block[1 : 1 + lenlen], "big")
    try:
        out = zlib.decompress(block[1 + lenlen :])
    except zlib.error as exc:
        raise CompressedEventError(f"zlib: {exc}") from None
    if len(out) != size:
        raise CompressedEventError(f"{len(out)} bytes uncompressed, {size} announced")
    return out


def compress_block(data: bytes) -> bytes:
    """The inverse of ``uncompress_block`` (as the server writes it), for tests."""
    lenlen = max(1, (len(data).bit_length() + 7) // 8)
    return bytes([0x80 | lenlen]) + len(data).to_bytes(lenlen, "big") + zlib.compress(data)


def _packed_int(buf: bytes, at: int) -> tuple[int, int]:
    """A length-encoded integer at ``at``: (value, bytes it takes)."""
    if at >= len(buf):
        raise CompressedEventError("the event ends before its column count")
    first = buf[at]
    if first < 251:
        return first, 1
    size = {252: 2, 253: 3, 254: 8}.get(first)
    if size is None or at + 1 + size > len(buf):
        raise CompressedEventError(f"a column count starting with byte {first}")
    return int.from_bytes(buf[at + 1 : at + 1 + size], "little"), 1 + size


def _post_header_len(post_header_lengths: Sequence[int] | None, event_type: int, default: int) -> int:
    if post_header_lengths and 0 <= event_type - 1 < len(post_header_lengths):
        return int(post_header_lengths[event_type - 1])
    return default


def uncompress_packet(packet: bytes, *, checksum: bool, post_header_lengths: Sequence[int] | None = None) -> bytes:
    """The packet of the plain event a compressed one stands for (``packet`` starts with the
    OK byte). Other packets are returned unchanged."""
    if len(packet) < 1 + _HEADER:
        return packet
    event_type = packet[5]
    if event_type not in COMPRESSED_TYPES:
        return packet
    event = packet[1:]
    tail = event[-4:] if checksum else b""
    body_end = len(event) - len(tail)
    if event_type == QUERY_COMPRESSED_EVENT:
        plain_type = QUERY_EVENT
        post = _post_header_len(post_header_lengths, event_type, _QUERY_POST_HEADER)
        db_len = event[_HEADER + 8]
        status_len = struct.unpack_from("<H", event, _HEADER + 11)[0]
        kept = _HEADER + post + status_len + db_len + 1
    else:
        plain_type, default_post, has_extra, bitmaps = _ROWS[event_type]
        post = _post_header_len(post_header_lengths, event_type, default_post)
        kept = _HEADER + post
        if has_extra:
            extra_len = struct.unpack_from("<H", event, _HEADER + post - 2)[0]
            kept += max(0, extra_len - 2)
        width, width_len = _packed_int(event, kept)
        kept += width_len + bitmaps * ((width + 7) // 8)
    if kept > body_end:
        raise CompressedEventError(f"event of {body_end} bytes with a {kept}-byte uncompressed part")
    body = uncompress_block(bytes(event[kept:body_end]))
    head = bytearray(event[:kept])
    head[4] = plain_type
    struct.pack_into("<I", head, 9, kept + len(body) + len(tail))
    return packet[:1] + bytes(head) + body + tail


# --- MySQL: Transaction_payload_event (binlog_transaction_compression=ON) -------------------------

TRANSACTION_PAYLOAD_EVENT = 40
_PAYLOAD_END_MARK, _PAYLOAD_SIZE, _PAYLOAD_COMPRESSION, _PAYLOAD_UNCOMPRESSED_SIZE = 0, 1, 2, 3
_ZSTD, _NONE = 0, 255


def _net_int(buf: bytes, at: int) -> tuple[int, int]:
    """MySQL's length-encoded integer at ``at``: (value, position after it)."""
    value, size = _packed_int(buf, at)
    return value, at + size


def payload_packets(packet: bytes, *, checksum: bool) -> list[bytes]:
    """The events a MySQL ``Transaction_payload`` event holds (a whole transaction: its GTID's
    successors, BEGIN, table maps, rows, XID), each as a packet of its own as the dump stream
    would have sent it: an OK byte, the event, and a checksum's 4 bytes when the stream has
    checksums (the library skips them; the payload's events carry none). Every event gets the
    payload's own end position, so the XID ends the transaction where the payload ends.

    The payload's header is a list of (type, length, value) fields, each a length-encoded
    integer, up to an end mark; then the events, compressed with zstd (or not compressed)."""
    event = packet[1:]
    body_end = len(event) - (4 if checksum else 0)
    next_pos = struct.unpack_from("<I", event, 13)[0]
    at = _HEADER
    compression, uncompressed = _ZSTD, -1
    while at < body_end:
        field, at = _net_int(event, at)
        if field == _PAYLOAD_END_MARK:
            break
        length, at = _net_int(event, at)
        value, _ = _net_int(event, at)
        if field == _PAYLOAD_COMPRESSION:
            compression = value
        elif field == _PAYLOAD_UNCOMPRESSED_SIZE:
            uncompressed = value
        at += length
    data = bytes(event[at:body_end])
    if compression == _ZSTD:
        import zstandard  # only stores that compress their binlog need it loaded

        try:  # a stream decompressor: the frame need not state its size
            data = zstandard.ZstdDecompressor().decompressobj().decompress(data)
        except zstandard.ZstdError as exc:
            raise CompressedEventError(f"zstd: {exc}") from None
    elif compression != _NONE:
        raise CompressedEventError(f"transaction payload compression {compression} (only zstd, 0, is known)")
    if uncompressed >= 0 and len(data) != uncompressed:
        raise CompressedEventError(f"{len(data)} bytes uncompressed, {uncompressed} announced")
    out = []
    pos = 0
    tail = b"\x00\x00\x00\x00" if checksum else b""
    while pos < len(data):
        if pos + _HEADER > len(data):
            raise CompressedEventError("a transaction payload ends inside an event header")
        size = struct.unpack_from("<I", data, pos + 9)[0]
        if size < _HEADER or pos + size > len(data):
            raise CompressedEventError(f"an event of {size} bytes inside a transaction payload")
        inner = bytearray(data[pos : pos + size])
        struct.pack_into("<I", inner, 9, size + len(tail))
        struct.pack_into("<I", inner, 13, next_pos)
        out.append(b"\x00" + bytes(inner) + tail)
        pos += size
    return out
