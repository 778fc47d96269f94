"""Capture's GTID state: kept transaction by transaction, worked out when it is missing, and used
to find the checkpoint again on another server with the same history.

A checkpoint is a file and a position of one server's binlog. When the store's database moves
(a replica promoted after its server died, the database moved to a new machine by replication),
the new server's binlog has other files and positions, and the checkpoint names nothing there, or
another event. Where every transaction has a GTID, the checkpoint's GTID state names the same point
on the new server: capture finds it (``cdc.gtidsearch.find_state``), proves it holds the same
transactions (the event ending the last one, read there, is the one capture recorded: same
timestamp, same originating server), and goes on from it. Without the proof, or without GTIDs,
capture stops as before, naming the lost position.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pymysql

from cdc.gtidsearch import find_state, gtids_kept, quick_state_at, state_at
from cdc.reader import commit_event_at
from centrale.core.changes import BinlogPosition, CommitMark
from centrale.core.db import ConnParams, connect_store
from centrale.core.errors import SourceError
from centrale.core.gtid import GtidError, GtidState, parse_state
from centrale.core.i18n import Msg
from centrale.core.log import get_logger
from centrale.core.outbox.gtidstate import GtidRecord
from centrale.core.server import Family, Server, server_of

log = get_logger("cdc")


class GtidTrack:
    """The GTID state at the last transaction boundary the stream passed, and the last
    transaction's GTID and end event. A transaction counts once it has ended: the state written
    with a checkpoint never holds the transaction being read."""

    def __init__(self, family: Family, record: GtidRecord | None) -> None:
        self.family = family
        self.server = record.server if record is not None else ""
        self.state: GtidState | None = None
        self.last_gtid: str | None = None
        self.last_end: BinlogPosition | None = None
        self.last_mark: CommitMark | None = None
        self._open: str | None = None
        self._anonymous = False
        if record is not None and record.family == family:
            try:
                self.state = parse_state(family, record.state)
            except GtidError:
                self.state = None
            self.last_gtid, self.last_end, self.last_mark = record.last_gtid, record.last_end, record.last_mark

    def began(self, gtid: str | None) -> None:
        """A transaction's GTID (None: MySQL logged it without one; the state is lost until
        capture works it out again at its next start)."""
        if self._open is not None or self._anonymous:
            self.ended(None, None)  # the one before ended where the stream does not show it
        if gtid is None:
            self._anonymous = True
        else:
            self._open = gtid

    def ended(self, end: BinlogPosition | None, mark: CommitMark | None) -> None:
        """The open transaction ended at ``end`` with the event ``mark``."""
        gtid, self._open = self._open, None
        if self._anonymous:
            self._anonymous = False
            self._give_up(end, "")
        if gtid is None or self.state is None:
            return
        try:
            self.state = self.state.add(gtid)
        except GtidError:
            self._give_up(end, gtid)
            return
        if end is not None and mark is not None:
            self.last_gtid, self.last_end, self.last_mark = gtid, end, mark
        else:
            self.last_gtid, self.last_end, self.last_mark = gtid, None, None

    def _give_up(self, end: BinlogPosition | None, gtid: str) -> None:
        """A transaction the state cannot count: said once, since capture can no longer follow
        the store's database to another server by GTID (until its next start works it out)."""
        if self.state is not None:
            log.warning("%s", Msg("log.capture.gtid_given_up", position=end or "?", gtid=gtid or "none"))
        self.state = None

    def record(self, position: BinlogPosition) -> GtidRecord | None:
        if self.state is None:
            return None
        return GtidRecord(
            position, self.family, self.server, str(self.state), self.last_gtid, self.last_end, self.last_mark
        )


def identity(conn: pymysql.connections.Connection, server: Server) -> str:
    """``server_id/server_uuid`` (MariaDB: ``server_id/``): which server a binlog is."""
    with conn.cursor() as cur:
        cur.execute(server.identity_sql)
        row = cur.fetchone()
    return f"{row[0]}/{row[1]}" if row else "?"


def here(params: ConnParams) -> str:
    """The identity of the server capture reads now (``identity``)."""
    with connect_store(params) as conn, _answers(params):
        return identity(conn, server_of(conn))


@contextmanager
def _answers(params: ConnParams) -> Iterator[None]:
    """A query the server fails (a binlog file purged while read, the link cut): the store's
    server not answering now, which capture waits out as any other."""
    try:
        yield
    except pymysql.err.MySQLError as exc:
        raise SourceError(Msg("err.source.stream_failed", where=params.describe(), error=exc.args[-1])) from None


def work_out(params: ConnParams, *, server_id: int, position: BinlogPosition) -> GtidRecord | None:
    """The GTID state at ``position`` of the store's binlog (a checkpoint capture has just
    proved is still there), read from the binlog; None where transactions have no GTID."""
    with connect_store(params) as conn, _answers(params):
        server = server_of(conn)
        if not gtids_kept(conn, server):
            return None
        here = identity(conn, server)
        quick = quick_state_at(conn, server, position)
        if quick is not None:  # the last transaction is named at the next one's end
            return GtidRecord(position, server.family, here, str(quick))
        found = state_at(conn, server, position)
    if found is None:
        return None
    mark = None
    if found.last_end is not None and found.last_start is not None:
        mark = commit_event_at(
            params, server_id=server_id, position=found.last_end, mark=CommitMark(found.last_start, 0, 0)
        )
    return GtidRecord(
        position, server.family, here, str(found.state), found.last_gtid, found.last_end if mark else None, mark
    )


def relocate(params: ConnParams, *, server_id: int, record: GtidRecord) -> GtidRecord | None:
    """The checkpoint's place on this server, found by its GTID state and proved by the event
    ending its last transaction; None when it is not here (then capture stops as it would have).
    Only on another server than the one capture read: the same server with other events at the
    checkpoint was put back from a backup, or its binlog reset, and may count GTIDs again."""
    if record.last_gtid is None or record.last_mark is None:
        return None  # nothing to prove the place with
    with connect_store(params) as conn, _answers(params):
        server = server_of(conn)
        if server.family != record.family or identity(conn, server) == record.server:
            return None
        if not gtids_kept(conn, server):
            return None
        here = identity(conn, server)
        try:
            ours = parse_state(server.family, record.state)
        except GtidError:
            return None
        found = find_state(conn, server, ours)
    if found is None or found.last_gtid != record.last_gtid or found.last_start is None:
        return None
    wanted = CommitMark(found.last_start, record.last_mark.timestamp, record.last_mark.server_id)
    if commit_event_at(params, server_id=server_id, position=found.position, mark=wanted) != wanted:
        return None  # the same GTIDs, other transactions (numbers reused after a restore)
    return GtidRecord(found.position, record.family, here, record.state, record.last_gtid, found.position, wanted)
