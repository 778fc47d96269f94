"""The binlog stream, as plain events. The only module that imports python-mysql-replication.

It hides the library's traps (see ../shared/MARIADB-NOTES.md):
- file/position resume needs ``is_mariadb=False`` and ``resume_stream=True``;
- the library reconnects by itself, possibly mid-transaction: every new dump connection starts
  with a fake rotate, surfaced here as ``StreamStart`` so the service can resume on its own terms;
- its TIME2 decoder gets negative times with a fraction wrong: replaced below;
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


RowsEvent._RowsEvent__read_time2 = _read_time2  # type: ignore[attr-defined]

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
    """The server is idle; a chance to commit, checkpoint and check for a stop request."""


def _pymysql_connect(**kw: Any) -> Any:
    """The library still passes PyMySQL's deprecated ``db``/``passwd`` names: translate them."""
    import pymysql

    if "db" in kw:
        kw["database"] = kw.pop("db")
    if "passwd" in kw:
        kw["password"] = kw.pop("passwd")
    return pymysql.connect(**kw)


ReaderEvent = StreamStart | Rotate | TxnBegin | Rows | TxnEnd | Ddl | Heartbeat

_ROW_KINDS: dict[type, str] = {WriteRowsEvent: "insert", UpdateRowsEvent: "update", DeleteRowsEvent: "delete"}


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
        self._stream = BinLogStreamReader(
            connection_settings={
                "host": params.host,
                "port": params.port,
                "user": params.user,
                "password": params.password,
                "connect_timeout": max(1, int(params.connect_timeout_s)),
                "read_timeout": max(10.0, heartbeat_s * 5),
                "charset": "utf8mb4",
            },
            server_id=server_id,
            resume_stream=True,
            blocking=True,
            log_file=start.file,
            log_pos=start.pos,
            only_schemas=[params.database],
            only_tables=list(tables),
            only_events=[
                WriteRowsEvent,
                UpdateRowsEvent,
                DeleteRowsEvent,
                XidEvent,
                QueryEvent,
                MariadbGtidEvent,
                RotateEvent,
                HeartbeatLogEvent,
            ],
            slave_heartbeat=heartbeat_s,
            is_mariadb=False,
            enable_logging=False,
            freeze_schema=False,
            pymysql_wrapper=_pymysql_connect,
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
                yield Heartbeat()

    def close(self) -> None:
        self._stream.close()
