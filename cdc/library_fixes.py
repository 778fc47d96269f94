"""Where python-mysql-replication reads the binlog wrongly, Centrale's own readers instead.

Installed for the whole process by ``install_library_fixes`` (every ``BinlogReader`` calls it
before it streams; importing this module changes nothing). Each fixes a trap measured on
MariaDB 10.11 (see ../shared/MARIADB-NOTES.md):

- TIME2: negative times with a fraction came back wrong (``-01:02:03.450`` as ``-01:02:03.550``);
- DATE and DATETIME2: any date Python cannot hold (``'2024-00-00'``, ``'0000-00-00 10:11:12'``,
  allowed without NO_ZERO_IN_DATE) became None, the zero date: such values arrive as their
  MariaDB literal (the all-zero value stays None);
- text: decoded by Python's codec of the charset's name (wrong for latin1's five C1 bytes, a
  crash at every restart) and as UTF-8 for collation ids the library does not know: decoded by
  the server's own tables instead (``cdc.charsets``);
- compressed events (MariaDB's ``log_bin_compress``): unknown to the library, so skipped without
  a word: turned back into the plain events they stand for (``cdc.compressed``) before the
  library reads them;
- MySQL's compressed transactions (``binlog_transaction_compression``, one event holding a whole
  transaction): the dump connection hands the library the events inside, one at a time
  (``PayloadConnection``).
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from typing import Any

import pymysql.connections
import pymysql.protocol
from pymysqlreplication import binlogstream, row_event
from pymysqlreplication.packet import BinLogPacketWrapper
from pymysqlreplication.row_event import RowsEvent

from cdc.charsets import ServerCharsets
from cdc.compressed import COMPRESSED_TYPES, TRANSACTION_PAYLOAD_EVENT, payload_packets, uncompress_packet
from cdc.mysql_json import render as render_json

# --- library fix: TIME2 ------------------------------------------------------------------------

_TIMEF_INT_OFS = 0x800000
_TIMEF_OFS = 0x800000000000
_FSP_BYTES = (0, 1, 1, 2, 2, 3, 3)


def decode_time2(raw: bytes, fsp: int) -> dt.timedelta:
    """MariaDB/MySQL TIME2 binary -> timedelta, negative fractions included (my_time_packed_from_binary)."""
    intpart = int.from_bytes(raw[:3], "big") - _TIMEF_INT_OFS
    if fsp in (1, 2):
        frac = raw[3]
        if intpart < 0 and frac:
            intpart += 1
            frac -= 0x100
        packed = (intpart << 24) + frac * 10_000
    elif fsp in (3, 4):
        frac = int.from_bytes(raw[3:5], "big")
        if intpart < 0 and frac:
            intpart += 1
            frac -= 0x10000
        packed = (intpart << 24) + frac * 100
    elif fsp in (5, 6):
        packed = int.from_bytes(raw[:6], "big") - _TIMEF_OFS
    else:
        packed = intpart << 24
    neg = packed < 0
    tmp = -packed if neg else packed
    hms = tmp >> 24
    td = dt.timedelta(
        hours=(hms >> 12) % (1 << 10),
        minutes=(hms >> 6) % (1 << 6),
        seconds=hms % (1 << 6),
        microseconds=tmp % (1 << 24),
    )
    return -td if neg else td


def _read_time2(self: Any, column: Any) -> dt.timedelta:
    fsp = int(column.fsp or 0)
    return decode_time2(self.packet.read(3 + _FSP_BYTES[fsp]), fsp)


# --- library fix: DATE and DATETIME2 with zero parts -------------------------------------------

_DATETIMEF_INT_OFS = 0x8000000000
_FRAC_UNIT_US = (0, 10_000, 10_000, 100, 100, 1, 1)  # fsp 1-2: hundredths, 3-4: 1/10000, 5-6: us


def decode_date(raw: bytes) -> dt.date | str | None:
    """DATE (3 bytes little-endian, year << 9 | month << 5 | day); None for '0000-00-00'."""
    v = int.from_bytes(raw[:3], "little")
    if v == 0:
        return None
    year, month, day = v >> 9, (v >> 5) % 16, v % 32
    try:
        return dt.date(year, month, day)
    except ValueError:
        return f"{year:04d}-{month:02d}-{day:02d}"


def decode_datetime2(raw: bytes, fsp: int) -> dt.datetime | str | None:
    """DATETIME2 (my_datetime_packed_from_binary); None for '0000-00-00 00:00:00'."""
    intpart = int.from_bytes(raw[:5], "big") - _DATETIMEF_INT_OFS
    frac = int.from_bytes(raw[5 : 5 + _FSP_BYTES[fsp]], "big") * _FRAC_UNIT_US[fsp]
    if intpart == 0 and frac == 0:
        return None
    ymd, hms = intpart >> 17, intpart % (1 << 17)
    year, month = divmod(ymd >> 5, 13)
    day, hour, minute, second = ymd % 32, hms >> 12, (hms >> 6) % 64, hms % 64
    try:
        return dt.datetime(year, month, day, hour, minute, second, frac)
    except ValueError:
        return f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{second:02d}.{frac:06d}"


def _read_date(self: Any) -> dt.date | str | None:
    return decode_date(self.packet.read(3))


def _read_datetime2(self: Any, column: Any) -> dt.datetime | str | None:
    fsp = int(column.fsp or 0)
    return decode_datetime2(self.packet.read(5 + _FSP_BYTES[fsp]), fsp)


# --- library fix: text by the server's character sets -------------------------------------------

# What each server family (the library's "mariadb" / "mysql") says about its character sets,
# merged over every server a reader of this process has looked at: a collation id means the
# same character set on every server of one family.
_CHARSETS: dict[str, ServerCharsets] = {}
_library_find_charset = row_event.find_charset


def register_charsets(dbms: str, charsets: ServerCharsets) -> None:
    """Make ``charsets`` (read from a server of ``dbms``) the reference for text of that family."""
    known = _CHARSETS.setdefault(dbms, ServerCharsets())
    known.collations.update(charsets.collations)
    known.single_byte.update(charsets.single_byte)
    known.unsafe_bytes.update(charsets.unsafe_bytes)
    known._decoders.clear()  # made from the tables as they were


def _find_charset(charset_id: Any, dbms: str = "mysql") -> tuple[str | None, str | None, str | None]:
    """(charset name, collation name, charset name) of a collation id, by the server's table."""
    known = _CHARSETS.get(dbms)
    name = known.charset_of(int(charset_id)) if known is not None else None
    if name is None:
        _, collation, charset = _library_find_charset(charset_id, dbms=dbms)
        return charset, collation, charset
    return name, None, name


def _read_string(self: Any, size: int, column: Any) -> str | bytes:
    decode = getattr(column, "centrale_decode", None)
    if decode is None:  # once per column of a table map
        known = _CHARSETS.get(self.dbms)
        if known is None:
            known = _CHARSETS.setdefault(self.dbms, ServerCharsets())
        decode = column.centrale_decode = known.decoder(column.character_set_name)
    return decode(self.packet.read_length_coded_pascal_string(size))


def _charset_name(name: str) -> str:
    return name  # the library maps names to Python codecs here: ours are already the server's


# --- library fix: compressed events --------------------------------------------------------------


class UncompressingPacketWrapper(BinLogPacketWrapper):  # type: ignore[misc]
    """The library's packet wrapper, given the plain event when the packet is a compressed one."""

    def __init__(self, from_packet: Any, *args: Any) -> None:
        data = from_packet._data
        if len(data) > 5 and data[5] in COMPRESSED_TYPES:
            use_checksum = bool(args[3])
            post_header_lengths = args[15] if len(args) > 15 else None
            plain = uncompress_packet(bytes(data), checksum=use_checksum, post_header_lengths=post_header_lengths)
            from_packet = pymysql.protocol.MysqlPacket(plain, "utf8")  # (the encoding is not kept)
        # An event unpacked from a transaction payload starts, in the binlog, where the payload does.
        self.payload_start: int | None = getattr(from_packet, "payload_start", None)
        super().__init__(from_packet, *args)

    def read_binary_json(self, size: int, is_partial: bool) -> Any:
        """A MySQL JSON value as the text MySQL prints for it (``cdc.mysql_json``), not the
        library's Python values (bytes keys, DATE as datetime, unknown bytes dropped). A zero
        length is MySQL's JSON null (a column added to rows that existed)."""
        if is_partial:  # PARTIAL_JSON: the reader refuses these events, naming the setting
            return super().read_binary_json(size, is_partial)
        length = self.read_uint_by_size(size)
        return render_json(self.read(length)) if length else "null"


# --- library fix: MySQL's transaction payloads ------------------------------------------------------

_DUMP_COMMANDS = frozenset({0x12, 0x1E})  # COM_BINLOG_DUMP, COM_BINLOG_DUMP_GTID


class PayloadPacket(pymysql.protocol.MysqlPacket):  # type: ignore[misc]
    """An event unpacked from a transaction payload, and where the payload starts in the binlog
    (where the event is, for a reader that goes back to it)."""

    __slots__ = ("payload_start",)

    def __init__(self, data: bytes, payload_start: int) -> None:
        super().__init__(data, "utf8")
        self.payload_start = payload_start


class PayloadConnection(pymysql.connections.Connection):  # type: ignore[misc]
    """A PyMySQL connection that, once it streams a binlog, unpacks each transaction payload
    event into the events it holds and returns them one per read, as if the server had sent
    them so. (The library reads one event per packet and knows no payload events.)"""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._dumping = False
        self._unpacked: list[Any] = []
        super().__init__(*args, **kwargs)

    def _write_bytes(self, data: bytes) -> None:
        if len(data) > 4 and data[4] in _DUMP_COMMANDS:
            self._dumping = True
        super()._write_bytes(data)  # type: ignore[misc]

    def _read_packet(self, packet_type: Any = pymysql.protocol.MysqlPacket) -> Any:
        if self._unpacked:
            return self._unpacked.pop(0)
        packet = super()._read_packet(packet_type)  # type: ignore[no-untyped-call]
        data = packet._data
        if self._dumping and len(data) > 5 and data[0] == 0 and data[5] == TRANSACTION_PAYLOAD_EVENT:
            checksum = _has_checksum(bytes(data))
            size, end = struct.unpack_from("<II", data, 1 + 9)  # the payload's event_size, log_pos
            inner = [PayloadPacket(p, end - size) for p in payload_packets(bytes(data), checksum=checksum)]
            if inner:
                self._unpacked = inner[1:]
                return inner[0]
        return packet


def current_names(kw: dict[str, Any]) -> dict[str, Any]:
    """The library still passes PyMySQL's deprecated ``db``/``passwd`` names: translated."""
    if "db" in kw:
        kw["database"] = kw.pop("db")
    if "passwd" in kw:
        kw["password"] = kw.pop("passwd")
    return kw


def connect_unpacking_payloads(**kw: Any) -> PayloadConnection:
    """The library's connections (``pymysql_wrapper``), as ``PayloadConnection``."""
    return PayloadConnection(**current_names(kw))


def _has_checksum(packet: bytes) -> bool:
    """Whether an event (after the packet's OK byte) ends with its CRC32: the stream's checksum
    setting, read off the event itself."""
    event = packet[1:]
    return len(event) > 4 and zlib.crc32(event[:-4]) == int.from_bytes(event[-4:], "little")


# --- installing ----------------------------------------------------------------------------------

_FIXES: tuple[tuple[Any, str, Any], ...] = (
    (RowsEvent, "_RowsEvent__read_time2", _read_time2),
    (RowsEvent, "_RowsEvent__read_date", _read_date),
    (RowsEvent, "_RowsEvent__read_datetime2", _read_datetime2),
    (RowsEvent, "_RowsEvent__read_string", _read_string),
    (RowsEvent, "charset_to_encoding", staticmethod(_charset_name)),
    (row_event, "find_charset", _find_charset),
    (binlogstream, "BinLogPacketWrapper", UncompressingPacketWrapper),
)


def install_library_fixes() -> None:
    """Replace the library's readers with ours (above), for the whole process; idempotent."""
    for owner, name, fn in _FIXES:
        if owner.__dict__.get(name) is not fn:
            setattr(owner, name, fn)


def library_fixes_installed() -> bool:
    return all(owner.__dict__.get(name) is fn for owner, name, fn in _FIXES)
