"""Where in the store's binlog the outbox's rows came from, so that a lost outbox costs nothing.

Each capture commit records (its last seq, the binlog position and GTID it reached). The row
with the greatest seq at or below what head office acknowledged gives a position that head
office holds everything before: the store reports it (``centrale.app.report``), and a new outbox
(the old one deleted, or lost with its disk) resumes capture there instead of at the binlog's
end (``cdc.service``). It is a lower bound: the transactions between it and head office's last
row are captured again, and applying them again changes nothing (upserts and deletes by key).
"""

from __future__ import annotations

import sqlite3

from centrale.core.changes import BinlogPosition, CommitMark

SCHEMA = """
CREATE TABLE IF NOT EXISTS seq_positions (
    seq INTEGER PRIMARY KEY, log_file TEXT NOT NULL, log_pos INTEGER NOT NULL, gtid TEXT);
CREATE TABLE IF NOT EXISTS commit_marks (
    log_file TEXT NOT NULL, log_pos INTEGER NOT NULL, mark TEXT NOT NULL, PRIMARY KEY (log_file, log_pos));
"""


def record(db: sqlite3.Connection, pos: BinlogPosition, gtid: str | None, mark: CommitMark | None = None) -> None:
    """Inside the capture commit, after its rows: the greatest seq so far reached ``pos``, and the
    event that ends there (``CommitMark``), so that a binlog holding other transactions under the
    same positions can be told apart (``cdc.service``)."""
    db.execute(
        "INSERT OR REPLACE INTO seq_positions SELECT seq, ?, ?, ? FROM sqlite_sequence WHERE name = 'changes'",
        (pos.file, pos.pos, gtid),
    )
    if mark is not None:
        db.execute("INSERT OR REPLACE INTO commit_marks VALUES (?, ?, ?)", (pos.file, pos.pos, str(mark)))


def mark_at(db: sqlite3.Connection, pos: BinlogPosition) -> CommitMark | None:
    """The mark recorded for the event ending at ``pos`` (None: not a commit, or not recorded)."""
    row = db.execute("SELECT mark FROM commit_marks WHERE log_file = ? AND log_pos = ?", (pos.file, pos.pos)).fetchone()
    return CommitMark.parse(str(row[0])) if row else None


def position_of(db: sqlite3.Connection, seq: int) -> tuple[BinlogPosition, str | None] | None:
    """The binlog position everything up to row ``seq`` came from at the latest (a lower bound)."""
    row = db.execute(
        "SELECT log_file, log_pos, gtid FROM seq_positions WHERE seq <= ? ORDER BY seq DESC LIMIT 1", (seq,)
    ).fetchone()
    return (BinlogPosition(str(row[0]), int(row[1])), row[2]) if row else None


def forget_below(db: sqlite3.Connection, seq: int) -> None:
    """Acknowledged up to ``seq``: only the newest record at or below it is still needed."""
    db.execute("DELETE FROM seq_positions WHERE seq < (SELECT MAX(seq) FROM seq_positions WHERE seq <= ?)", (seq,))
    db.execute(
        "DELETE FROM commit_marks WHERE (log_file, log_pos) NOT IN "
        "(SELECT log_file, log_pos FROM seq_positions UNION SELECT log_file, log_pos FROM checkpoint)"
    )


def shipped_position(db: sqlite3.Connection) -> tuple[BinlogPosition, str | None] | None:
    """``position_of`` the last acknowledged row."""
    row = db.execute("SELECT last_shipped_seq FROM shipping WHERE id = 1").fetchone()
    return position_of(db, int(row[0])) if row and row[0] else None
