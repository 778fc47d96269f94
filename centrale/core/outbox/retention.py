"""Shipped rows kept for a while, so that a head office put back from a backup gets them again.

Head office's progress row for a store says which rows it holds (``last_seq``). Restored from
last night's copy, it says less than the store shipped since; the store, which used to forget a
row as soon as head office had it, could not send those rows again, and the gap went unnoticed.
So an acknowledged row moves to ``shipped`` instead of vanishing, for ``keep_s`` seconds (a
week by default: ``outbox.keep_shipped_h``) and at most ``MAX_KEPT_ROWS`` rows, and the applier
compares head office's ``last_seq`` with its own before shipping (``applier.service``): when head
office is behind, ``reship_after`` puts the rows it lacks back in the queue. What was purged
before the restore cannot come back that way: ``Reshipped.lost_*`` names the range, and the fix
(`push --since`, `reconcile`) is the operator's.

Purging goes by seq: each acknowledgement records (last seq, when) in ``shipped_marks``, a few
rows a day, so finding what is older than the window never scans the kept rows.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

KEEP_S = 7 * 86_400.0
MAX_KEPT_ROWS = 5_000_000  # about 1 GB of outbox file at most, whatever the window
PURGE_EVERY_S = 60.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS shipped (
    seq INTEGER PRIMARY KEY, txn INTEGER NOT NULL, shape INTEGER NOT NULL, op TEXT NOT NULL,
    data BLOB NOT NULL, captured_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS shipped_marks (seq INTEGER PRIMARY KEY, shipped_at REAL NOT NULL);
"""


@dataclass(frozen=True)
class Reshipped:
    """What ``reship_after`` put back in the queue, and what it could not (purged before)."""

    rows: int
    lost_from: int | None = None
    lost_to: int | None = None


def keep(db: sqlite3.Connection, last_seq: int, now: float, keep_s: float) -> None:
    """Inside the acknowledgement's transaction, before its rows leave ``changes``."""
    if keep_s <= 0:  # nothing kept: these rows are gone for a restored head office
        _purged(db, last_seq)
        return
    db.execute(
        "INSERT OR REPLACE INTO shipped SELECT seq, txn, shape, op, data, captured_at FROM changes WHERE seq <= ?",
        (last_seq,),
    )
    db.execute("INSERT OR REPLACE INTO shipped_marks VALUES (?, ?)", (last_seq, now))


def purge(db: sqlite3.Connection, now: float, keep_s: float) -> None:
    """Drop kept rows older than the window, or beyond ``MAX_KEPT_ROWS``; remember how far."""
    old = db.execute("SELECT MAX(seq) FROM shipped_marks WHERE shipped_at < ?", (now - keep_s,)).fetchone()[0]
    beyond = db.execute("SELECT seq FROM shipped ORDER BY seq DESC LIMIT 1 OFFSET ?", (MAX_KEPT_ROWS,)).fetchone()
    up_to = max(int(old or 0), int(beyond[0]) if beyond else 0)
    if not up_to:
        return
    db.execute("DELETE FROM shipped WHERE seq <= ?", (up_to,))
    db.execute("DELETE FROM shipped_marks WHERE seq <= ?", (up_to,))
    _purged(db, up_to)


def _purged(db: sqlite3.Connection, up_to: int) -> None:
    db.execute(
        "INSERT INTO meta VALUES ('purged_up_to', ?) ON CONFLICT(key) DO UPDATE SET value = "
        "MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
        (str(up_to),),
    )


def reship_after(db: sqlite3.Connection, seq: int) -> Reshipped:
    """Rows above ``seq`` that were shipped go back in the queue (head office lacks them)."""
    moved = db.execute(
        "INSERT OR IGNORE INTO changes (seq, txn, shape, op, data, captured_at) "
        "SELECT seq, txn, shape, op, data, captured_at FROM shipped WHERE seq > ?",
        (seq,),
    ).rowcount
    db.execute("DELETE FROM shipped WHERE seq > ?", (seq,))
    db.execute("DELETE FROM shipped_marks WHERE seq > ?", (seq,))
    db.execute("UPDATE shipping SET last_shipped_seq = ? WHERE id = 1", (seq,))
    row = db.execute("SELECT value FROM meta WHERE key = 'purged_up_to'").fetchone()
    purged = int(row[0]) if row else 0
    if purged > seq:
        return Reshipped(moved, seq + 1, purged)
    return Reshipped(moved)


def kept_rows(db: sqlite3.Connection) -> int:
    return int(db.execute("SELECT COUNT(*) FROM shipped").fetchone()[0])
