"""Writing a snapshot's rows while the outbox write lock is held."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from typing import Any

from centrale.core.changes import BinlogPosition
from centrale.core.codec import encode_values
from centrale.core.outbox.records import Checkpoint, write_note
from centrale.core.outbox.shapes import Shapes, next_seq, read_checkpoint, write_checkpoint


class SnapshotWriter:
    """Writes a snapshot's rows while the outbox write lock is held (``OutboxStore.snapshot_writer``
    opens the transaction and hands its connection here)."""

    def __init__(self, db: sqlite3.Connection, shapes: Shapes) -> None:
        self._db = db
        self._shapes = shapes
        self.rows = 0

    def add_rows(self, table: str, columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]]) -> None:
        """Each snapshot row is its own capture transaction, so batches keep their normal size."""
        self._insert(table, columns, "upsert", rows)
        self.rows += len(rows)

    def add_deletes(self, table: str, key: tuple[str, ...], keys: Sequence[tuple[Any, ...]]) -> None:
        """Deletes by key, as capture queues a deleted row's (each its own transaction)."""
        self._insert(table, key, "delete", keys)

    def _insert(self, table: str, columns: tuple[str, ...], op: str, values: Sequence[tuple[Any, ...]]) -> None:
        if not values:
            return
        sid = self._shapes.id_of(table, columns)
        now = time.time()
        first = next_seq(self._db)
        self._db.executemany(
            "INSERT INTO changes (txn, shape, op, data, captured_at) VALUES (?,?,?,?,?)",
            [(first + i, sid, op, encode_values(v), now) for i, v in enumerate(values)],
        )

    def empty_first(self, table: str) -> None:
        """Head office deletes the store's rows of ``table`` before the snapshot's rows arrive
        (a delete without key columns: every row of the store)."""
        self._db.execute(
            "INSERT INTO changes (txn, shape, op, data, captured_at) VALUES (?,?,?,?,?)",
            (next_seq(self._db), self._shapes.id_of(table, ()), "delete", encode_values(()), time.time()),
        )

    def fence(self, table: str, pos: BinlogPosition) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO fences (tbl, log_file, log_pos, taken_at) VALUES (?,?,?,?)",
            (table, pos.file, pos.pos, time.time()),
        )

    def note(self, key: str, value: str | None) -> None:
        """An outbox note, in the snapshot's transaction (``centrale.core.outbox.notes``)."""
        write_note(self._db, key, value)

    def checkpoint(self) -> Checkpoint | None:
        return read_checkpoint(self._db)

    def set_checkpoint(self, pos: BinlogPosition) -> None:
        write_checkpoint(self._db, pos, None, 0, time.time())
