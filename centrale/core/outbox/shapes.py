"""The outbox's small tables every writer needs: interned row shapes, the next seq, the checkpoint.

A row's table and column names are stored once per distinct (table, columns) pair, in
``shapes``, and each change row names its shape by id: a store's few dozen shapes cost nothing
per row. Capture (``store.OutboxStore``) and a snapshot (``writer.SnapshotWriter``) both write
rows under the outbox write lock, so both go through this module, which knows only the SQLite
connection it is handed.
"""

from __future__ import annotations

import sqlite3

from centrale.core.changes import BinlogPosition
from centrale.core.codec import decode_names, encode_names
from centrale.core.outbox.records import Checkpoint

Shape = tuple[str, tuple[str, ...]]


class Shapes:
    """The shapes already read or written by one connection, both ways (id <-> shape)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._ids: dict[Shape, int] = {}
        self._shapes: dict[int, Shape] = {}

    def id_of(self, table: str, columns: tuple[str, ...]) -> int:
        """The shape's id, written first if this outbox never held it (inside the caller's
        write transaction)."""
        key = (table, columns)
        sid = self._ids.get(key)
        if sid is not None:
            return sid
        blob = encode_names(columns)
        row = self._db.execute("SELECT id FROM shapes WHERE tbl=? AND columns=?", (table, blob)).fetchone()
        if row is None:
            cur = self._db.execute("INSERT INTO shapes (tbl, columns) VALUES (?, ?)", (table, blob))
            sid = int(cur.lastrowid or 0)
        else:
            sid = int(row[0])
        self._remember(sid, key)
        return sid

    def of(self, sid: int) -> Shape:
        got = self._shapes.get(sid)
        if got is None:
            row = self._db.execute("SELECT tbl, columns FROM shapes WHERE id=?", (sid,)).fetchone()
            got = (str(row[0]), decode_names(row[1]))
            self._remember(sid, got)
        return got

    def _remember(self, sid: int, shape: Shape) -> None:
        self._ids[shape] = sid
        self._shapes[sid] = shape


def next_seq(db: sqlite3.Connection) -> int:
    """The seq the next change row gets (AUTOINCREMENT never reuses one, even after a purge)."""
    row = db.execute("SELECT seq FROM sqlite_sequence WHERE name='changes'").fetchone()
    return (int(row[0]) if row else 0) + 1


def write_checkpoint(db: sqlite3.Connection, pos: BinlogPosition, gtid: str | None, source_ts: int, now: float) -> None:
    db.execute(
        "INSERT INTO checkpoint (id, log_file, log_pos, gtid, source_ts, updated_at) "
        "VALUES (1, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET log_file=excluded.log_file, "
        "log_pos=excluded.log_pos, gtid=excluded.gtid, source_ts=excluded.source_ts, "
        "updated_at=excluded.updated_at",
        (pos.file, pos.pos, gtid, source_ts, now),
    )


def read_checkpoint(db: sqlite3.Connection) -> Checkpoint | None:
    row = db.execute("SELECT log_file, log_pos, gtid, source_ts, updated_at FROM checkpoint WHERE id=1").fetchone()
    if row is None:
        return None
    return Checkpoint(BinlogPosition(str(row[0]), int(row[1])), row[2], int(row[3]), float(row[4]))
