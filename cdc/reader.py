"""The binlog stream, as plain events (``cdc.events``). With ``cdc.library_fixes``, the only
module that imports python-mysql-replication.

It hides the library's traps (see ../shared/MARIADB-NOTES.md):
- file/position resume needs ``is_mariadb=False`` and ``resume_stream=True``;
- the library reconnects by itself, possibly mid-transaction: every new dump connection starts
  with a fake rotate, surfaced here as ``StreamStart`` so the service can resume on its own terms;
- it skips, without a word, every event type it does not know (MariaDB's compressed events,
  MySQL's compressed transaction payloads, an incident event marking lost changes): here every
  such event stops capture (``Unreadable``) unless the server marked it ignorable; the
  compressed ones are uncompressed first (``cdc.library_fixes``);
- it decodes values wrongly in a few places: replaced by ``cdc.library_fixes``, installed by
  every BinlogReader before it streams (importing a module changes nothing);
- it logs its settings, password included, unless ``enable_logging=False``.

Statements are told apart by ``cdc.queries``: transaction control, savepoints and XA are part
of a transaction, DDL is one of its own, and a statement-logged INSERT/UPDATE/DELETE is reported
as such (its rows are not in the binlog).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

import pymysql
from pymysqlreplication import BinLogStreamReader
from pymysqlreplication.event import (
    ExecuteLoadQueryEvent,
    GtidEvent,
    HeartbeatLogEvent,
    MariadbGtidEvent,
    NotImplementedEvent,
    QueryEvent,
    RotateEvent,
    XAPrepareEvent,
    XidEvent,
)
from pymysqlreplication.row_event import (
    DeleteRowsEvent,
    PartialUpdateRowsEvent,
    UpdateRowsEvent,
    WriteRowsEvent,
)

from cdc.charsets import ServerCharsets
from cdc.compressed import CompressedEventError
from cdc.events import (
    Ddl,
    GtidSeen,
    Heartbeat,
    ReaderEvent,
    Rollback,
    RollbackTo,
    Rotate,
    Rows,
    Savepoint,
    StatementDml,
    StreamStart,
    Truncate,
    TxnBegin,
    TxnEnd,
    Unreadable,
    XaFinish,
    XaPrepare,
)
from cdc.library_fixes import connect_unpacking_payloads, current_names, install_library_fixes, register_charsets
from cdc.queries import classify, xid_key
from centrale.core.changes import BinlogPosition, CommitMark
from centrale.core.db import ConnParams, error_code
from centrale.core.errors import SourceError
from centrale.core.i18n import Msg

LOG_EVENT_IGNORABLE_F = 0x80  # the server says a replica that does not know the event may skip it
# Event types the library does not parse that carry nothing capture needs: a statement-logged
# LOAD DATA's file blocks (APPEND_BLOCK 9, DELETE_FILE 11: its EXECUTE_LOAD_QUERY is judged like
# any statement), transaction context and view change (group replication), heartbeat v2.
HARMLESS_UNPARSED = frozenset({9, 11, 36, 37, 41})
ANONYMOUS_GTID_EVENT = 34  # MySQL's transaction without a GTID (a BEGIN statement follows)
# MySQL 8.3+'s GTID with a tag (``SET gtid_next = 'AUTOMATIC:tag'``), in a serialization the
# library does not read: the transaction that follows is read as any other, and the GTID state,
# which would leave it out, is given up (``cdc.gtids``).
GTID_TAGGED_EVENT = 42
FAMILY_CACHE_SIZE = 64
TRANSACTION_PAYLOAD_EVENT = 40
_EXECUTE_LOAD_POST_HEADER = 26  # a query event's 13 bytes, then file id, start, end, duplicates flag
INCIDENT_EVENT = 26


def _pymysql_connect(**kw: Any) -> Any:
    """The library's connections, with PyMySQL's current argument names."""
    return pymysql.connect(**current_names(kw))


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
            **({"unix_socket": params.unix_socket} if params.unix_socket else {}),
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
            GtidEvent,
            RotateEvent,
            HeartbeatLogEvent,
            XAPrepareEvent,
            ExecuteLoadQueryEvent,
            PartialUpdateRowsEvent,
            NotImplementedEvent,
        ],
        "filter_non_implemented_events": False,
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
        charsets: ServerCharsets,
        dbms: str = "mariadb",
        heartbeat_s: float = 1.0,
    ) -> None:
        self.start = start
        self._family_cache: dict[int, tuple[list[Any], tuple[str, ...]]] = {}
        install_library_fixes()
        register_charsets(dbms, charsets)
        settings = stream_settings(params, server_id=server_id, tables=tables, start=start, heartbeat_s=heartbeat_s)
        settings["pymysql_wrapper"] = connect_unpacking_payloads  # MySQL's compressed transactions
        self._stream = BinLogStreamReader(**settings)

    def _families(self, columns: list[Any]) -> tuple[str, ...]:
        """``column_families`` of a table map's columns, once per table map (the library reads
        one per transaction and table: the cache is kept small)."""
        got = self._family_cache.get(id(columns))
        if got is None or got[0] is not columns:
            if len(self._family_cache) >= FAMILY_CACHE_SIZE:
                self._family_cache.clear()
            got = self._family_cache[id(columns)] = (columns, column_families(columns))
        return got[1]

    def _here(self) -> BinlogPosition:
        return BinlogPosition(str(self._stream.log_file), int(self._stream.log_pos or 0))

    def __iter__(self) -> Iterator[ReaderEvent]:
        events = iter(self._stream)
        while True:
            try:
                out = self._plain(next(events))  # rows are decoded here, when ``rows`` is first read
            except StopIteration:
                return
            except (pymysql.err.MySQLError, OSError, EOFError):
                raise
            except (CompressedEventError, struct.error, UnicodeError, ValueError, KeyError, IndexError) as exc:
                yield Unreadable(
                    self._here(),
                    Msg("err.capture.unreadable", error=f"{type(exc).__name__}: {exc}"),
                    Msg("err.capture.unreadable.hint"),
                )
                return
            if out is not None:
                yield out

    def _plain(self, ev: Any) -> ReaderEvent | None:
        stream = self._stream
        kind = _ROW_KINDS.get(type(ev))
        if kind is not None:
            pos = BinlogPosition(stream.log_file, ev.packet.log_pos)
            return Rows(kind, ev.table, ev.rows, pos, self._families(ev.columns))
        if isinstance(ev, XidEvent):
            return TxnEnd(BinlogPosition(stream.log_file, ev.packet.log_pos), ev.timestamp, mark_of(ev))
        if isinstance(ev, MariadbGtidEvent):
            return TxnBegin(ev.gtid, ev.timestamp)
        if isinstance(ev, GtidEvent):
            return GtidSeen(ev.gtid)
        if isinstance(ev, QueryEvent):
            return _statement(ev, BinlogPosition(stream.log_file, ev.packet.log_pos))
        if isinstance(ev, ExecuteLoadQueryEvent):  # LOAD DATA logged as a statement
            return _load_data(ev, BinlogPosition(stream.log_file, ev.packet.log_pos))
        if isinstance(ev, XAPrepareEvent):
            pos = BinlogPosition(stream.log_file, ev.packet.log_pos)
            if ev.one_phase:
                return TxnEnd(pos, ev.timestamp, mark_of(ev))
            xid = xid_key(ev.xid_format_id, bytes(ev.xid_gtrid), bytes(ev.xid_bqual))
            return XaPrepare(xid, pos, ev.timestamp, mark_of(ev))
        if isinstance(ev, RotateEvent):
            pos = BinlogPosition(ev.next_binlog, ev.position)
            return StreamStart(pos) if ev.timestamp == 0 else Rotate(pos)
        if isinstance(ev, HeartbeatLogEvent):
            return Heartbeat(BinlogPosition(str(ev.ident), ev.packet.log_pos))
        if isinstance(ev, PartialUpdateRowsEvent):
            return Unreadable(
                BinlogPosition(stream.log_file, ev.packet.log_pos),
                Msg("err.capture.partial_json", table=ev.table),
                Msg("err.capture.partial_json.hint", table=ev.table),
            )
        if isinstance(ev, NotImplementedEvent):
            return _unparsed(ev, BinlogPosition(stream.log_file, ev.packet.log_pos))
        return None

    def close(self) -> None:
        self._stream.close()


# Table-map type codes (include/mysql_com.h) -> the families cdc.translate converts by.
_FAMILIES = {16: "bit", 7: "timestamp", 17: "timestamp", 13: "year", 10: "date", 14: "date", 12: "datetime"}
_FAMILIES |= {18: "datetime", 248: "set", 247: "enum"}
_STRINGS = frozenset({15, 249, 250, 251, 252, 253, 254})


def mark_of(ev: Any) -> CommitMark:
    """The event's own ``CommitMark``: its header says its end and its size, hence its start;
    one unpacked from a MySQL transaction payload starts where the payload does (the binlog
    holds no event at its own start)."""
    start = getattr(ev.packet, "payload_start", None)
    if start is None:
        start = int(ev.packet.log_pos) - int(ev.packet.event_size)
    return CommitMark(int(start), int(ev.timestamp), int(ev.packet.server_id))


def commit_event_at(
    params: ConnParams, *, server_id: int, position: BinlogPosition, mark: CommitMark
) -> CommitMark | None:
    """The mark of the event that starts at ``mark.start`` of ``position``'s file, if one starts
    there and ends at ``position``; None when none does (the server refuses to read from the
    middle of an event, or the event there ends elsewhere). One short dump connection, at start
    and after a reconnect: compared with the mark capture recorded, it says whether the binlog
    still holds the transactions capture read, or others under the same positions."""
    settings = stream_settings(params, server_id=server_id, tables=[], start=BinlogPosition(position.file, mark.start))
    settings.update(blocking=False, only_events=[XidEvent, QueryEvent, XAPrepareEvent], only_tables=None)
    settings["pymysql_wrapper"] = connect_unpacking_payloads  # a MySQL transaction payload's XID
    settings.update(only_schemas=None, enable_logging=False)
    stream = BinLogStreamReader(**settings)
    try:
        last = None  # a payload's events all end where it does: its XID is the last of them
        for ev in stream:
            if int(ev.packet.log_pos) == 0:  # the stream's own rotate and format events
                continue
            if int(ev.packet.log_pos) != position.pos:
                break
            last = mark_of(ev)
        return last if last is not None and last.start == mark.start else None
    except pymysql.err.MySQLError as exc:
        if error_code(exc) == 1236:  # no event starts there: the binlog holds something else
            return None
        raise SourceError(Msg("err.source.stream_failed", where=params.describe(), error=exc.args[-1])) from None
    except (OSError, EOFError) as exc:  # the server went away while asked: not an answer
        raise SourceError(Msg("err.source.stream_broke", where=params.describe(), error=exc)) from None
    finally:
        stream.close()


def column_families(columns: list[Any]) -> tuple[str, ...]:
    """What each column was when the event was written, as far as conversion goes: ``bit``,
    ``timestamp``, ``year``, ``date``, ``datetime``, ``set``, ``enum``, ``binary`` (a string or
    blob of the binary charset) or ``other``."""
    out = []
    for c in columns:
        family = _FAMILIES.get(c.type)
        if family is None:
            binary = c.type in _STRINGS and c.character_set_name in (None, "binary")
            family = "binary" if binary else "other"
        out.append(family)
    return tuple(out)


def _statement(ev: Any, pos: BinlogPosition) -> ReaderEvent | None:
    query = str(ev.query)
    schema = ev.schema.decode() if isinstance(ev.schema, bytes) else str(ev.schema or "")
    st = classify(query)
    if st.kind == "begin":
        return TxnBegin(None, ev.timestamp)
    if st.kind == "commit":
        return TxnEnd(pos, ev.timestamp, mark_of(ev))
    if st.kind == "rollback":
        return Rollback(pos, ev.timestamp, mark_of(ev))
    if st.kind == "savepoint":
        return Savepoint(st.name)
    if st.kind == "rollback_to":
        return RollbackTo(st.name, pos)
    if st.kind in ("release", "xa_start", "xa_end"):
        return None  # inside the transaction, changes nothing of its rows
    if st.kind in ("xa_commit", "xa_rollback"):
        return XaFinish(st.name, st.kind == "xa_commit", pos, ev.timestamp, mark_of(ev))
    if st.kind == "dml":
        return StatementDml(pos, schema, query)
    if st.kind == "truncate":
        return Truncate(pos, st.schema or schema, st.name, ev.timestamp, mark_of(ev))
    return Ddl(pos, schema, query, ev.timestamp, mark_of(ev))


def _load_data(ev: Any, pos: BinlogPosition) -> StatementDml:
    """A statement-logged LOAD DATA: the library reads only its post-header; its schema and text
    follow as in a query event (status variables, schema, NUL, text). When they cannot be read,
    the statement is reported without them (capture then refuses it whatever its target)."""
    try:
        ev.packet.read(ev.status_vars_length)
        schema = ev.packet.read(ev.schema_length).decode()
        ev.packet.advance(1)
        text_len = ev.event_size - _EXECUTE_LOAD_POST_HEADER - ev.status_vars_length - ev.schema_length - 1
        query = ev.packet.read(text_len).decode("utf-8", errors="backslashreplace") if text_len > 0 else ""
    except (struct.error, UnicodeError, ValueError, AttributeError):
        return StatementDml(pos, "", "", known=False)
    return StatementDml(pos, schema, query, known=bool(query))


def _unparsed(ev: Any, pos: BinlogPosition) -> ReaderEvent | None:
    """An event type the library does not parse: skipped only when it cannot matter."""
    event_type = int(ev.packet.event_type)
    if event_type in (ANONYMOUS_GTID_EVENT, GTID_TAGGED_EVENT):
        return GtidSeen(None)
    if event_type in HARMLESS_UNPARSED or int(ev.packet.flags) & LOG_EVENT_IGNORABLE_F:
        return None
    if event_type == TRANSACTION_PAYLOAD_EVENT:
        return Unreadable(pos, Msg("err.capture.payload"), Msg("err.capture.payload.hint"))
    if event_type == INCIDENT_EVENT:
        return Unreadable(pos, Msg("err.capture.incident"), Msg("err.capture.incident.hint"))
    return Unreadable(pos, Msg("err.capture.unknown_event", type=event_type), Msg("err.capture.unknown_event.hint"))
