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

from centrale.core.changes import BinlogPosition

OPEN = ""  # the transaction being read, when it is too large to hold in memory until its end

XA_SCHEMA = """
CREATE TABLE IF NOT EXISTS xa_prepared (
    xid TEXT PRIMARY KEY, log_file TEXT NOT NULL, log_pos INTEGER NOT NULL, prepared_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS xa_rows (
    xid TEXT NOT NULL, ord INTEGER NOT NULL, shape INTEGER NOT NULL, op TEXT NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (xid, ord));
"""


Rows = Iterable[tuple[int, str, bytes]]  # shape id, op, encoded values


def keep(db: sqlite3.Connection, xid: str, position: BinlogPosition, rows: Rows, now: float, *, staged: bool) -> None:
    """Set a prepared transaction's rows aside under ``xid``: those ``staged`` while it was read
    (``OPEN``), then ``rows``."""
    db.execute("DELETE FROM xa_rows WHERE xid=?", (xid,))
    if staged:
        db.execute("UPDATE xa_rows SET xid=? WHERE xid=?", (xid, OPEN))
    db.execute(
        "INSERT OR REPLACE INTO xa_prepared (xid, log_file, log_pos, prepared_at) VALUES (?,?,?,?)",
        (xid, position.file, position.pos, now),
    )
    stage(db, rows, _next_ord(db, xid), xid)


def _next_ord(db: sqlite3.Connection, xid: str) -> int:
    row = db.execute("SELECT MAX(ord) FROM xa_rows WHERE xid=?", (xid,)).fetchone()
    return 0 if row is None or row[0] is None else int(row[0]) + 1


def stage(db: sqlite3.Connection, rows: Rows, first_ord: int, xid: str = OPEN) -> None:
    """Rows of a transaction still being read (or of a prepared one), numbered from ``first_ord``."""
    db.executemany(
        "INSERT INTO xa_rows (xid, ord, shape, op, data) VALUES (?,?,?,?,?)",
        ((xid, first_ord + i, sid, op, data) for i, (sid, op, data) in enumerate(rows)),
    )


def unstage(db: sqlite3.Connection, from_ord: int, keep_tables: Iterable[str]) -> int:
    """``ROLLBACK TO`` a savepoint at ``from_ord``: drop the staged rows from there on except
    those of ``keep_tables`` (non-transactional), which close up behind the savepoint. Returns
    how many rows stay staged."""
    kept = list(keep_tables)
    marks = ",".join("?" * len(kept))
    spare = f" AND shape NOT IN (SELECT id FROM shapes WHERE tbl IN ({marks}))" if kept else ""
    db.execute(f"DELETE FROM xa_rows WHERE xid=? AND ord >= ?{spare}", (OPEN, from_ord, *kept))
    later = db.execute("SELECT ord FROM xa_rows WHERE xid=? AND ord >= ? ORDER BY ord", (OPEN, from_ord)).fetchall()
    for i, (old,) in enumerate(later):  # ascending: each row's new place is free by then
        if old != from_ord + i:
            db.execute("UPDATE xa_rows SET ord=? WHERE xid=? AND ord=?", (from_ord + i, OPEN, old))
    return int(db.execute("SELECT COUNT(*) FROM xa_rows WHERE xid=?", (OPEN,)).fetchone()[0])


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
        "SELECT p.xid, p.log_file, p.log_pos, (SELECT COUNT(*) FROM xa_rows r WHERE r.xid = p.xid) "
        "FROM xa_prepared p WHERE p.xid <> ''"
    ).fetchall()
    return {str(x): (BinlogPosition(str(f), int(p)), int(n)) for x, f, p, n in rows}
