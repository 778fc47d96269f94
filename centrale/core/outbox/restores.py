"""What the outbox answers when either side may have been put back from a backup: which rows
head office should hold (``lineage``), where in the binlog they came from (``positions``), and
the shipped rows it keeps to send again (``retention``).

A mixin of ``OutboxStore``: these need its connection and write transaction, and nothing else.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import NamedTuple

from centrale.core.changes import BinlogPosition, CommitMark
from centrale.core.outbox import positions, retention
from centrale.core.outbox.schema import _outbox_error, rotate_generation


class Seqs(NamedTuple):
    issued: int
    shipped: int


class Restores:
    """The outbox's answers about its own lineage (see the module's docstring)."""

    _db: sqlite3.Connection
    path: Path
    generation: str

    _write: Callable[[], AbstractContextManager[sqlite3.Connection]]  # OutboxStore's write transaction

    def seqs(self) -> Seqs:
        """The greatest seq issued and the last shipped (two lookups; ``stats`` counts the backlog)."""
        try:
            row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").fetchone()
            shipped = self._db.execute("SELECT last_shipped_seq FROM shipping WHERE id = 1").fetchone()
        except sqlite3.Error as exc:
            raise _outbox_error(self.path, exc) from None
        return Seqs(int(row[0]) if row else 0, int(shipped[0]) if shipped else 0)

    def captured_at_of(self, seq: int) -> float | None:
        """When row ``seq`` was captured, if this file still has it (waiting, or kept after shipping):
        head office's mark of its last row is compared with it (``applier.progress``)."""
        try:
            row = self._db.execute(
                "SELECT captured_at FROM changes WHERE seq = ? UNION ALL SELECT captured_at FROM shipped WHERE seq = ?",
                (seq, seq),
            ).fetchone()
        except sqlite3.Error as exc:
            raise _outbox_error(self.path, exc) from None
        return float(row[0]) if row else None

    def shipped_position(self) -> tuple[BinlogPosition, str | None] | None:
        """The binlog position head office holds everything before (``positions``)."""
        return positions.shipped_position(self._db)

    def mark_at(self, pos: BinlogPosition) -> CommitMark | None:
        """The recorded ``CommitMark`` of the event ending at ``pos`` (the checkpoint's, a shipped
        position's), when capture recorded one."""
        return positions.mark_at(self._db, pos)

    def new_generation(self) -> str:
        """This file's rows get a new name (``rotate_generation``): head office applies them all."""
        with self._write():
            self.generation = rotate_generation(self._db)
        return self.generation

    def reship_after(self, seq: int) -> retention.Reshipped:
        """Head office holds rows up to ``seq`` only (a backup): kept rows above it are queued again."""
        try:
            with self._write():
                return retention.reship_after(self._db, seq)
        except sqlite3.Error as exc:
            raise _outbox_error(self.path, exc) from None
