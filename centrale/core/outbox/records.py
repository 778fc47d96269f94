"""Value types read from the outbox, and the queries that read the simple ones."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass

from centrale.core.changes import BinlogPosition, OutboxRow
from centrale.core.codec import decode_values
from centrale.core.errors import OutboxError
from centrale.core.i18n import Msg


@dataclass(frozen=True)
class Checkpoint:
    position: BinlogPosition
    gtid: str | None
    source_ts: int
    updated_at: float


@dataclass(frozen=True)
class OutboxStats:
    generation: str
    backlog: int
    oldest_captured_at: float | None
    last_seq: int
    last_shipped_seq: int
    last_shipped_at: float | None
    rows_shipped: int
    last_error: str | None
    last_error_at: float | None
    checkpoint: Checkpoint | None
    skipped: int


@dataclass(frozen=True)
class PullState:
    table: str
    hq_mark: str | None  # head office's greatest modified value when the last pull started
    store_mark: str | None  # the store's greatest modified value after the last pull
    full_at: float  # when the last full comparison ran (time.time())
    tomb_mark: int | None = None  # the greatest head-office tombstone id already applied
    seen: str | None = None  # rows the last pull looked at inside the next window (JSON)


def read_stats(db: sqlite3.Connection, generation: str, checkpoint: Checkpoint | None) -> OutboxStats:
    backlog, oldest = db.execute("SELECT count(*), min(captured_at) FROM changes").fetchone()
    ship = db.execute(
        "SELECT last_shipped_seq, last_shipped_at, rows_shipped, last_error, last_error_at FROM shipping"
    ).fetchone()
    seqrow = db.execute("SELECT seq FROM sqlite_sequence WHERE name='changes'").fetchone()
    skipped = db.execute("SELECT count(*) FROM skipped").fetchone()[0]
    return OutboxStats(
        generation=generation,
        backlog=int(backlog),
        oldest_captured_at=oldest,
        last_seq=int(seqrow[0]) if seqrow else 0,
        last_shipped_seq=int(ship[0]),
        last_shipped_at=ship[1],
        rows_shipped=int(ship[2]),
        last_error=ship[3],
        last_error_at=ship[4],
        checkpoint=checkpoint,
        skipped=int(skipped),
    )


def read_pull_state(db: sqlite3.Connection, table: str) -> PullState | None:
    row = db.execute(
        "SELECT hq_mark, store_mark, full_at, tomb_mark, seen FROM pull_state WHERE tbl=?", (table,)
    ).fetchone()
    return None if row is None else PullState(table, row[0], row[1], float(row[2]), row[3], row[4])


def write_pull_state(db: sqlite3.Connection, state: PullState) -> None:
    db.execute(
        "INSERT OR REPLACE INTO pull_state (tbl, hq_mark, store_mark, full_at, tomb_mark, seen) VALUES (?,?,?,?,?,?)",
        (state.table, state.hq_mark, state.store_mark, state.full_at, state.tomb_mark, state.seen),
    )


def read_note(db: sqlite3.Connection, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key=?", ("note:" + key,)).fetchone()
    return None if row is None else str(row[0])


def write_note(db: sqlite3.Connection, key: str, value: str | None) -> None:
    if value is None:
        db.execute("DELETE FROM meta WHERE key=?", ("note:" + key,))
    else:
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", ("note:" + key, value))


def skip_row(
    db: sqlite3.Connection, seq: int, reason: str, shape_of: Callable[[int], tuple[str, tuple[str, ...]]]
) -> OutboxRow:
    """Move one poison row out of the shipping queue into the ``skipped`` audit table (inside
    the caller's write transaction)."""
    row = db.execute("SELECT seq, txn, shape, op, data, captured_at FROM changes WHERE seq=?", (seq,)).fetchone()
    if row is None:
        raise OutboxError(Msg("err.outbox.no_seq", seq=seq), hint=Msg("err.outbox.no_seq.hint"))
    table, columns = shape_of(int(row[2]))
    db.execute(
        "INSERT INTO skipped (seq, txn, tbl, op, data, reason, skipped_at) VALUES (?,?,?,?,?,?,?)",
        (seq, row[1], table, row[3], row[4], reason, time.time()),
    )
    db.execute("DELETE FROM changes WHERE seq=?", (seq,))
    db.execute("UPDATE shipping SET last_error=NULL, last_error_at=NULL WHERE id=1")
    return OutboxRow(int(row[0]), int(row[1]), table, row[3], columns, decode_values(row[4]), float(row[5]))


def read_oldest(db: sqlite3.Connection) -> tuple[int, float | None]:
    """``OutboxStore.oldest``: the oldest waiting row's seq and time, or the next seq and None."""
    row = db.execute("SELECT seq, captured_at FROM changes ORDER BY seq LIMIT 1").fetchone()
    if row is not None:
        return int(row[0]), float(row[1])
    last = db.execute("SELECT seq FROM sqlite_sequence WHERE name='changes'").fetchone()
    return (int(last[0]) + 1 if last else 1), None
