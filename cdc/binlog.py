"""Facts about the store server's binlog, read over an ordinary connection."""

from __future__ import annotations

import pymysql

from centrale.changes import BinlogPosition
from centrale.errors import PositionLostError, SourceError
from centrale.i18n import Msg


def end_position(conn: pymysql.connections.Connection) -> BinlogPosition:
    """The current end of the binlog (where a fresh capture starts)."""
    with conn.cursor() as cur:
        cur.execute("SHOW MASTER STATUS")
        row = cur.fetchone()
    if not row:
        raise SourceError(Msg("err.source.no_binlog"), hint=Msg("err.source.no_binlog.hint"))
    return BinlogPosition(str(row[0]), int(row[1]))


def binlog_files(conn: pymysql.connections.Connection) -> list[str]:
    with conn.cursor() as cur:
        cur.execute("SHOW BINARY LOGS")
        return [str(r[0]) for r in cur.fetchall()]


def check_position_available(conn: pymysql.connections.Connection, pos: BinlogPosition) -> None:
    """Raise PositionLostError when the checkpoint's binlog file has been purged."""
    files = binlog_files(conn)
    if pos.file not in files:
        oldest = files[0] if files else "none"
        raise PositionLostError(
            Msg("err.source.position_lost", position=pos, oldest=oldest), hint=Msg("err.source.position_lost.hint")
        )
