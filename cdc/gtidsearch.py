"""Reading a server's binlog by GTID: the state at a position, and the position of a state.

Both walk ``SHOW BINLOG EVENTS`` (an ordinary connection, ``REPLICATION SLAVE`` is enough): each
file opens with the GTID state before it (MySQL ``Previous_gtids``, MariaDB ``Gtid_list``), and
each transaction with its GTID. A page at a time, from the end of the last row read, so a file of
a gigabyte costs one pass and little memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pymysql

from cdc.binlog import binlog_files
from centrale.core.changes import BinlogPosition
from centrale.core.gtid import GtidError, GtidState, MariadbGtidState, MysqlGtidSet, parse_state
from centrale.core.server import Server

PAGE = 5000
_ENDING = frozenset({"Xid", "Query", "XA_prepare"})  # events that may end a transaction


@dataclass(frozen=True)
class EventRow:
    """One row of ``SHOW BINLOG EVENTS``."""

    file: str
    pos: int
    event_type: str
    end: int
    info: str


@dataclass(frozen=True)
class Found:
    """The GTID state at ``position``, and the last transaction before it (its GTID and the event
    ending it: start and end in ``position``'s file), if the file holds one before it."""

    position: BinlogPosition
    state: GtidState
    last_gtid: str | None
    last_end: BinlogPosition | None
    last_start: int | None


def events(conn: pymysql.connections.Connection, file: str, limit: int | None = None) -> Iterator[EventRow]:
    """The file's events in order (the first ``limit`` of them)."""
    start, read = 4, 0
    with conn.cursor() as cur:
        while limit is None or read < limit:
            page = PAGE if limit is None else min(PAGE, limit - read)
            cur.execute(f"SHOW BINLOG EVENTS IN %s FROM {int(start)} LIMIT {int(page)}", (file,))
            rows = cur.fetchall()
            for r in rows:
                yield EventRow(file, int(r[1]), str(r[2]), int(r[4]), str(r[5] or ""))
            read += len(rows)
            if len(rows) < page:
                return
            start = int(rows[-1][4])


def gtids_kept(conn: pymysql.connections.Connection, server: Server) -> bool:
    """Whether every transaction the server logs now has a GTID."""
    with conn.cursor() as cur:
        cur.execute(server.gtids_kept_sql)
        row = cur.fetchone()
    return bool(row and row[0])


def before_binlog(conn: pymysql.connections.Connection, server: Server) -> GtidState:
    """The GTIDs the server holds before its oldest binlog file that no file lists."""
    with conn.cursor() as cur:
        cur.execute(server.gtids_before_binlog_sql)
        row = cur.fetchone()
    return parse_state(server.family, str(row[0] or "") if row else "")


class _Walk:
    """One file's events folded into the GTID state, transaction by transaction."""

    def __init__(self, server: Server, file: str, base: GtidState) -> None:
        self.server, self.file, self.base = server, file, base
        self.state: GtidState | None = None
        self.pending: str | None = None  # the GTID of the transaction being read
        self.ending: EventRow | None = None  # the last event of it that may end it
        self.anonymous = False

    def last(self) -> tuple[str | None, BinlogPosition | None, int | None]:
        if self.pending is None or self.ending is None:
            return None, None, None
        return self.pending, BinlogPosition(self.file, self.ending.end), self.ending.pos

    def feed(self, row: EventRow) -> bool:
        """Take one event; True when it opens a transaction (the state before it is complete)."""
        if row.event_type == self.server.gtid_list_event:
            self.state = _union(parse_state(self.server.family, row.info), self.base)
            return False
        gtid = self.server.gtid_of_event(row.event_type, row.info)
        if gtid is None:
            if self.pending is not None and row.event_type in _ENDING:
                self.ending = row
            return False
        if gtid == "" or self.state is None:
            self.anonymous = True
            return True
        self.state = self.state.add(gtid)
        self.pending, self.ending = gtid, None
        return True


def quick_state_at(conn: pymysql.connections.Connection, server: Server, position: BinlogPosition) -> GtidState | None:
    """The GTID state at ``position`` where the server can say it without a walk through the
    file (a walk reads every event of it, in this process): MySQL at its binlog's end, from the
    status; MariaDB anywhere, from the file's ``Gtid_list`` and ``BINLOG_GTID_POS``. None
    elsewhere, or when the server does not know the position."""
    try:
        if server.gtid_pos_at_sql is not None:
            opening = _opening_state(conn, server, position.file, parse_state(server.family, ""))
            with conn.cursor() as cur:
                cur.execute(server.gtid_pos_at_sql, (position.file, position.pos))
                row = cur.fetchone()
            if opening is None or not row or row[0] is None:
                return None
            state = opening
            for gtid in str(row[0]).split(","):
                if gtid.strip():
                    state = state.add(gtid)
            return state
        column = server.status_gtids_column
        with conn.cursor() as cur:
            cur.execute(server.binlog_status_sql)
            status = cur.fetchone()
        if column is None or not status or BinlogPosition(str(status[0]), int(status[1])) != position:
            return None
        return parse_state(server.family, str(status[column] or ""))
    except GtidError:
        return None


def state_at(conn: pymysql.connections.Connection, server: Server, position: BinlogPosition) -> Found | None:
    """The GTID state at ``position`` (a transaction boundary of this server's binlog): the file's
    opening state and every transaction before the position. None when a transaction there has
    no GTID (MySQL with ``gtid_mode`` not ON) or the file names no state."""
    try:
        walk = _Walk(server, position.file, before_binlog(conn, server))
        for row in events(conn, position.file):
            if row.pos >= position.pos:
                break
            walk.feed(row)
            if walk.anonymous:
                return None
    except GtidError:
        return None
    if walk.state is None:
        return None
    last = walk.last()
    if last[0] is None:  # none in this file yet: the last of the file before, if it is kept
        last = _last_of_file_before(conn, server, position.file, walk.state)
    return Found(position, walk.state, *last)


def _last_of_file_before(
    conn: pymysql.connections.Connection, server: Server, file: str, opening: GtidState
) -> tuple[str | None, BinlogPosition | None, int | None]:
    files = binlog_files(conn)
    k = files.index(file) if file in files else 0
    found = _scan(conn, server, files[k - 1], opening, before_binlog(conn, server)) if k > 0 else None
    return (found.last_gtid, found.last_end, found.last_start) if found else (None, None, None)


def find_state(conn: pymysql.connections.Connection, server: Server, ours: GtidState) -> Found | None:
    """Where this server's binlog reaches exactly ``ours``: the end of the transaction after which
    every GTID before it is ours and every one of ours is before it. None when no such point is
    in the binlog (purged, never written, or transactions here that capture never saw)."""
    files = binlog_files(conn)
    try:
        base = before_binlog(conn, server)
        for k in range(len(files) - 1, -1, -1):
            opening = _opening_state(conn, server, files[k], base)
            if opening is None or not opening.within(ours):
                continue
            if opening == ours:
                # Ours ends the file before (its last transaction, whose end event proves it).
                return _scan(conn, server, files[k - 1], ours, base) if k > 0 else None
            return _scan(conn, server, files[k], ours, base)
    except GtidError:
        return None
    return None


def _opening_state(
    conn: pymysql.connections.Connection, server: Server, file: str, base: GtidState
) -> GtidState | None:
    for row in events(conn, file, limit=4):
        if row.event_type == server.gtid_list_event:
            return _union(parse_state(server.family, row.info), base)
    return None


def _union(a: GtidState, b: GtidState) -> GtidState:
    if isinstance(a, MysqlGtidSet) and isinstance(b, MysqlGtidSet):
        return a.union(b)
    if isinstance(a, MariadbGtidState) and isinstance(b, MariadbGtidState):
        return a.union(b)
    raise GtidError("GTID states of two kinds of server")


def _scan(
    conn: pymysql.connections.Connection, server: Server, file: str, ours: GtidState, base: GtidState
) -> Found | None:
    walk = _Walk(server, file, base)
    for row in events(conn, file):
        last, before = walk.last(), walk.state
        if walk.feed(row):
            if walk.anonymous:
                return None
            if before == ours:
                return _found(ours, last)
            if walk.state is not None and not walk.state.within(ours):
                return None  # a transaction capture never saw
    return _found(ours, walk.last()) if walk.state == ours else None


def _found(ours: GtidState, last: tuple[str | None, BinlogPosition | None, int | None]) -> Found | None:
    gtid, end, start = last
    if gtid is None or end is None:
        return None
    return Found(end, ours, gtid, end, start)
