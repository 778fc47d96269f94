"""Prepared XA transactions, kept in the outbox file until the store commits or rolls them back.

``XA PREPARE`` ends a group in the binlog, but the transaction is not committed: its rows must
reach head office at the place of its ``XA COMMIT`` (which may come hours later, after other
transactions, after a restart of the server or of Centrale), and never if it is rolled back.
The checkpoint moves past the prepare, so its rows cannot stay in memory: they are written here,
in the same SQLite transaction as the checkpoint, and moved into ``changes`` (one transaction,
numbered like any other) in the same SQLite transaction as the commit's checkpoint.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from centrale.changes import BinlogPosition

XA_SCHEMA = """
CREATE TABLE IF NOT EXISTS xa_prepared (
    xid TEXT PRIMARY KEY, log_file TEXT NOT NULL, log_pos INTEGER NOT NULL, prepared_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS xa_rows (
    xid TEXT NOT NULL, ord INTEGER NOT NULL, shape INTEGER NOT NULL, op TEXT NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (xid, ord));
"""


def keep(
    db: sqlite3.Connection, xid: str, position: BinlogPosition, rows: Iterable[tuple[int, str, bytes]], now: float
) -> None:
    """Set a prepared transaction's rows (shape id, op, encoded values) aside under ``xid``."""
    db.execute("DELETE FROM xa_rows WHERE xid=?", (xid,))
    db.execute(
        "INSERT OR REPLACE INTO xa_prepared (xid, log_file, log_pos, prepared_at) VALUES (?,?,?,?)",
        (xid, position.file, position.pos, now),
    )
    db.executemany(
        "INSERT INTO xa_rows (xid, ord, shape, op, data) VALUES (?,?,?,?,?)",
        ((xid, i, sid, op, data) for i, (sid, op, data) in enumerate(rows)),
    )


def commit(db: sqlite3.Connection, xid: str, txn: int, leave_out_tables: Iterable[str], now: float) -> int:
    """Move ``xid``'s rows into ``changes`` as transaction ``txn`` (the seq its first row gets),
    leaving out the tables a snapshot taken after the commit already holds. Returns the rows."""
    left_out = list(leave_out_tables)
    marks = ",".join("?" * len(left_out))
    skip = f" AND shape NOT IN (SELECT id FROM shapes WHERE tbl IN ({marks}))" if left_out else ""
    cur = db.execute(
        "INSERT INTO changes (txn, shape, op, data, captured_at) "
        f"SELECT ?, shape, op, data, ? FROM xa_rows WHERE xid=?{skip} ORDER BY ord",
        (txn, now, xid, *left_out),
    )
    drop(db, xid)
    return max(0, cur.rowcount)


def drop(db: sqlite3.Connection, xid: str) -> None:
    db.execute("DELETE FROM xa_rows WHERE xid=?", (xid,))
    db.execute("DELETE FROM xa_prepared WHERE xid=?", (xid,))


def prepared(db: sqlite3.Connection) -> dict[str, tuple[BinlogPosition, int]]:
    """Every prepared transaction still waiting for its end: xid -> (where it was prepared, rows)."""
    rows = db.execute(
        "SELECT p.xid, p.log_file, p.log_pos, (SELECT COUNT(*) FROM xa_rows r WHERE r.xid = p.xid) FROM xa_prepared p"
    ).fetchall()
    return {str(x): (BinlogPosition(str(f), int(p)), int(n)) for x, f, p, n in rows}
