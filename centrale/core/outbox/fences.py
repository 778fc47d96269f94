"""Snapshot fences: a snapshot of a table taken at binlog position P already holds every change
the stream will read up to P, so those are dropped from the outbox, and the fence goes once the
stream has passed it."""

from __future__ import annotations

import sqlite3

from centrale.core.changes import BinlogPosition, RowChange, SourceTransaction

SortKeys = dict[str, tuple[str, int, int]]  # table -> its fence's BinlogPosition.sort_key


def read_fences(db: sqlite3.Connection) -> dict[str, BinlogPosition]:
    rows = db.execute("SELECT tbl, log_file, log_pos FROM fences").fetchall()
    return {str(t): BinlogPosition(str(f), int(p)) for t, f, p in rows}


def drop_passed_fences(db: sqlite3.Connection, pos: BinlogPosition, fences: SortKeys) -> None:
    passed = [t for t, key in fences.items() if pos.sort_key >= key]
    db.executemany("DELETE FROM fences WHERE tbl=?", [(t,) for t in passed])


def unfenced(txn: SourceTransaction, fences: SortKeys) -> tuple[RowChange, ...]:
    """The changes of ``txn`` that a snapshot of their table (fenced at or after its end) lacks."""
    if not fences:
        return txn.changes
    end = txn.end.sort_key
    return tuple(c for c in txn.changes if c.table not in fences or end > fences[c.table])
