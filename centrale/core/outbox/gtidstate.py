"""The GTID state of the checkpoint: which transactions of the store's server lie before it.

Kept beside the checkpoint, written in the same commit, and valid only while it names the
checkpoint's own position (a snapshot or a resync moves the checkpoint without a state: capture
works it out again, ``cdc.gtidsearch``). With it, capture finds the checkpoint again on another
server holding the same history (``cdc.gtids``). It names the server it was read on (on that
same server, other events at the checkpoint mean a restore, whose GTID numbers may have been
counted again from the backup's), and the last transaction before the checkpoint, where it ended
and the event ending it (``CommitMark``): the proof that another server holding the same GTIDs
holds the same transactions.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace

from centrale.core.changes import BinlogPosition, CommitMark

SCHEMA = """
CREATE TABLE IF NOT EXISTS gtid_state (
    id INTEGER PRIMARY KEY CHECK (id = 1), log_file TEXT NOT NULL, log_pos INTEGER NOT NULL,
    family TEXT NOT NULL, server TEXT NOT NULL, state TEXT NOT NULL,
    last_gtid TEXT, last_end TEXT, last_mark TEXT);
"""


@dataclass(frozen=True)
class GtidRecord:
    """``state`` (the server's own text) holds at ``position`` of the binlog of ``server`` (its
    id, and uuid on MySQL); ``last_gtid`` is the last transaction before it, ending at
    ``last_end`` with ``last_mark`` (None: none seen yet)."""

    position: BinlogPosition
    family: str
    server: str
    state: str
    last_gtid: str | None = None
    last_end: BinlogPosition | None = None
    last_mark: CommitMark | None = None

    def at(self, position: BinlogPosition) -> GtidRecord:
        return replace(self, position=position)


def write(db: sqlite3.Connection, rec: GtidRecord) -> None:
    db.execute(
        "INSERT OR REPLACE INTO gtid_state VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            rec.position.file,
            rec.position.pos,
            rec.family,
            rec.server,
            rec.state,
            rec.last_gtid,
            str(rec.last_end) if rec.last_end else None,
            str(rec.last_mark) if rec.last_mark else None,
        ),
    )


def read(db: sqlite3.Connection, checkpoint: BinlogPosition | None) -> GtidRecord | None:
    """The record, if it holds at ``checkpoint``."""
    row = db.execute(
        "SELECT log_file, log_pos, family, server, state, last_gtid, last_end, last_mark FROM gtid_state WHERE id = 1"
    ).fetchone()
    if row is None or checkpoint is None or BinlogPosition(str(row[0]), int(row[1])) != checkpoint:
        return None
    return GtidRecord(
        BinlogPosition(str(row[0]), int(row[1])),
        str(row[2]),
        str(row[3]),
        str(row[4]),
        row[5],
        BinlogPosition.parse(str(row[6])) if row[6] else None,
        CommitMark.parse(str(row[7])) if row[7] else None,
    )
