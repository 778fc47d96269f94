"""Writing a snapshot's rows while the outbox write lock is held."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from centrale.core.changes import BinlogPosition
from centrale.core.codec import encode_values
from centrale.core.outbox.records import Checkpoint, write_note

if TYPE_CHECKING:
    from centrale.core.outbox.store import OutboxStore


class SnapshotWriter:
    """Writes a snapshot's rows while the outbox write lock is held (see ``snapshot_writer``)."""

    def __init__(self, store: OutboxStore) -> None:
        self._store = store
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
        st = self._store
        sid = st._shape(table, columns)
        now = time.time()
        first = st._next_seq()
        st._db.executemany(
            "INSERT INTO changes (txn, shape, op, data, captured_at) VALUES (?,?,?,?,?)",
            [(first + i, sid, op, encode_values(v), now) for i, v in enumerate(values)],
        )

    def empty_first(self, table: str) -> None:
        """Head office deletes the store's rows of ``table`` before the snapshot's rows arrive
        (a delete without key columns: every row of the store)."""
        st = self._store
        st._db.execute(
            "INSERT INTO changes (txn, shape, op, data, captured_at) VALUES (?,?,?,?,?)",
            (st._next_seq(), st._shape(table, ()), "delete", encode_values(()), time.time()),
        )

    def fence(self, table: str, pos: BinlogPosition) -> None:
        self._store._db.execute(
            "INSERT OR REPLACE INTO fences (tbl, log_file, log_pos, taken_at) VALUES (?,?,?,?)",
            (table, pos.file, pos.pos, time.time()),
        )

    def note(self, key: str, value: str | None) -> None:
        """An outbox note, in the snapshot's transaction (``centrale.core.outbox.notes``)."""
        write_note(self._store._db, key, value)

    def checkpoint(self) -> Checkpoint | None:
        return self._store.checkpoint()

    def set_checkpoint(self, pos: BinlogPosition) -> None:
        self._store._set_checkpoint(pos, None, 0, time.time())
