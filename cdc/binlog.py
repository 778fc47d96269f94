"""Facts about the store server's binlog, read over an ordinary connection."""

from __future__ import annotations

import pymysql

from centrale.core.changes import BinlogPosition
from centrale.core.errors import PositionLostError, SourceError
from centrale.core.i18n import Msg
from centrale.core.server import server_of


def end_position(conn: pymysql.connections.Connection) -> BinlogPosition:
    """The current end of the binlog (where a fresh capture starts)."""
    with conn.cursor() as cur:
        cur.execute(server_of(conn).binlog_status_sql)
        row = cur.fetchone()
    if not row:
        raise SourceError(Msg("err.source.no_binlog"), hint=Msg("err.source.no_binlog.hint"))
    return BinlogPosition(str(row[0]), int(row[1]))


def binlog_sizes(conn: pymysql.connections.Connection) -> dict[str, int]:
    """The binlog's files and their sizes, oldest first."""
    with conn.cursor() as cur:
        cur.execute("SHOW BINARY LOGS")
        return {str(r[0]): int(r[1]) for r in cur.fetchall()}


def binlog_files(conn: pymysql.connections.Connection) -> list[str]:
    """The binlog's files, oldest first."""
    return list(binlog_sizes(conn))


def holds_position(conn: pymysql.connections.Connection, pos: BinlogPosition) -> bool:
    """Whether the server's binlog still holds ``pos``: its file is listed and reaches that far
    (a binlog put back from a backup, or reset, can name the file and end before the position)."""
    sizes = binlog_sizes(conn)
    return pos.file in sizes and pos.pos <= sizes[pos.file]


def check_position_available(conn: pymysql.connections.Connection, pos: BinlogPosition) -> None:
    """Raise PositionLostError when the checkpoint's binlog file has been purged, or no longer
    reaches the checkpoint."""
    if not holds_position(conn, pos):
        files = binlog_files(conn)
        oldest = files[0] if files else "none"
        raise PositionLostError(
            Msg("err.source.position_lost", position=pos, oldest=oldest), hint=Msg("err.source.position_lost.hint")
        )
