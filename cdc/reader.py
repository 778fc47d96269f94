"""The binlog stream, as plain events. The only module that imports python-mysql-replication.

It hides the library's traps (see ../shared/MARIADB-NOTES.md):
- file/position resume needs ``is_mariadb=False`` and ``resume_stream=True``;
- the library reconnects by itself, possibly mid-transaction: every new dump connection starts
  with a fake rotate, surfaced here as ``StreamStart`` so the service can resume on its own terms;
- its TIME2 decoder gets negative times with a fraction wrong: replaced below (by every
  BinlogReader, see ``install_decoder_fixes``: importing this module changes nothing);
- its DATE and DATETIME2 decoders return None for any date Python cannot hold, so '2024-00-00'
  or '0000-00-00 10:11:12' (allowed without NO_ZERO_IN_DATE) would become the zero date:
  replaced below, such values arrive as their MariaDB literal (the all-zero value stays None);
- it logs its settings, password included, unless ``enable_logging=False``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pymysqlreplication import BinLogStreamReader
from pymysqlreplication.event import (
    HeartbeatLogEvent,
    MariadbGtidEvent,
    QueryEvent,
    RotateEvent,
    XidEvent,
)
from pymysqlreplication.row_event import DeleteRowsEvent, RowsEvent, UpdateRowsEvent, WriteRowsEvent

from centrale.changes import BinlogPosition
from centrale.db import ConnParams

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


_FIXES: dict[str, Any] = {
    "_RowsEvent__read_time2": _read_time2,
    "_RowsEvent__read_date": _read_date,
    "_RowsEvent__read_datetime2": _read_datetime2,
}


def install_decoder_fixes() -> None:
    """Replace the library's TIME2, DATE and DATETIME2 decoders with ours (above), for the whole
    process. Called by every BinlogReader before it streams; idempotent."""
    for name, fn in _FIXES.items():
        if getattr(RowsEvent, name) is not fn:
            setattr(RowsEvent, name, fn)


def decoder_fixes_installed() -> bool:
    return all(getattr(RowsEvent, name) is fn for name, fn in _FIXES.items())


# --- plain events ------------------------------------------------------------------------------


@dataclass(slots=True)
class StreamStart:
    """A new dump connection began (ours or the library's silent reconnect)."""

    position: BinlogPosition


@dataclass(slots=True)
class Rotate:
    """The server moved to a new binlog file; a transaction boundary."""

    position: BinlogPosition


@dataclass(slots=True)
class TxnBegin:
    gtid: str
    timestamp: int


@dataclass(slots=True)
class Rows:
    kind: str  # "insert" | "update" | "delete"
    table: str
    rows: list[dict[str, Any]]


@dataclass(slots=True)
class TxnEnd:
    position: BinlogPosition
    timestamp: int


@dataclass(slots=True)
class Ddl:
    """A statement-logged query (DDL): a transaction of its own."""

    position: BinlogPosition
    schema: str
    query: str
    timestamp: int


@dataclass(slots=True)
class Heartbeat:
    """The server is idle at ``position`` (its binlog end): a chance to commit, checkpoint
    and check for a stop request."""

    position: BinlogPosition


def _pymysql_connect(**kw: Any) -> Any:
    """The library still passes PyMySQL's deprecated ``db``/``passwd`` names: translate them."""
    import pymysql

    if "db" in kw:
        kw["database"] = kw.pop("db")
    if "passwd" in kw:
        kw["password"] = kw.pop("passwd")
    return pymysql.connect(**kw)


ReaderEvent = StreamStart | Rotate | TxnBegin | Rows | TxnEnd | Ddl | Heartbeat

ROW_EVENTS = (WriteRowsEvent, UpdateRowsEvent, DeleteRowsEvent)
_ROW_KINDS: dict[type, str] = dict(zip(ROW_EVENTS, ("insert", "update", "delete"), strict=True))


def stream_settings(
    params: ConnParams, *, server_id: int, tables: list[str], start: BinlogPosition, heartbeat_s: float = 1.0
) -> dict[str, Any]:
    """BinLogStreamReader's arguments for streaming ``tables`` of ``params.database`` from
    ``start`` (a transaction boundary). Also what the capture benchmark gives its bare loop."""
    return {
        "connection_settings": {
            "host": params.host,
            "port": params.port,
            "user": params.user,
            "password": params.password,
            "connect_timeout": max(1, int(params.connect_timeout_s)),
            "read_timeout": max(10.0, heartbeat_s * 5),
            "charset": "utf8mb4",
        },
        "server_id": server_id,
        "resume_stream": True,
        "blocking": True,
        "log_file": start.file,
        "log_pos": start.pos,
        "only_schemas": [params.database],
        "only_tables": list(tables),
        "only_events": [
            *ROW_EVENTS,
            XidEvent,
            QueryEvent,
            MariadbGtidEvent,
            RotateEvent,
            HeartbeatLogEvent,
        ],
        "slave_heartbeat": heartbeat_s,
        "is_mariadb": False,
        "enable_logging": False,
        "freeze_schema": False,
        "pymysql_wrapper": _pymysql_connect,
    }


class BinlogReader:
    """Streams one database's row changes for the given tables, from a transaction boundary."""

    def __init__(
        self,
        params: ConnParams,
        *,
        server_id: int,
        tables: list[str],
        start: BinlogPosition,
        heartbeat_s: float = 1.0,
    ) -> None:
        self.start = start
        install_decoder_fixes()
        self._stream = BinLogStreamReader(
            **stream_settings(params, server_id=server_id, tables=tables, start=start, heartbeat_s=heartbeat_s)
        )

    def __iter__(self) -> Iterator[ReaderEvent]:
        stream = self._stream
        for ev in stream:
            kind = _ROW_KINDS.get(type(ev))
            if kind is not None:
                yield Rows(kind, ev.table, ev.rows)
            elif isinstance(ev, XidEvent):
                yield TxnEnd(BinlogPosition(stream.log_file, ev.packet.log_pos), ev.timestamp)
            elif isinstance(ev, MariadbGtidEvent):
                yield TxnBegin(ev.gtid, ev.timestamp)
            elif isinstance(ev, QueryEvent):
                query = ev.query.strip()
                pos = BinlogPosition(stream.log_file, ev.packet.log_pos)
                if query.upper() == "COMMIT":
                    yield TxnEnd(pos, ev.timestamp)
                elif query.upper() not in ("BEGIN", "ROLLBACK"):
                    schema = ev.schema.decode() if isinstance(ev.schema, bytes) else str(ev.schema or "")
                    yield Ddl(pos, schema, query, ev.timestamp)
            elif isinstance(ev, RotateEvent):
                pos = BinlogPosition(ev.next_binlog, ev.position)
                yield StreamStart(pos) if ev.timestamp == 0 else Rotate(pos)
            elif isinstance(ev, HeartbeatLogEvent):
                yield Heartbeat(BinlogPosition(str(ev.ident), ev.packet.log_pos))

    def close(self) -> None:
        self._stream.close()
