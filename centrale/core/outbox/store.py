"""The local outbox: an embedded SQLite file holding captured changes until head office has them.

Invariants (see docs/architecture.md):
1. Capture writes a source transaction's rows and the binlog checkpoint in ONE SQLite
   transaction, so after any crash the outbox and the checkpoint agree.
2. ``seq`` only grows (AUTOINCREMENT), even after shipped rows are deleted; together with the
   outbox ``generation`` (a random id made when the file is created) it names a row forever.
3. The applier ships only rows made durable first (``sync``), so a power cut can never make the
   outbox forget a row that head office already has.
4. A snapshot holds the write lock while it reads, and leaves a fence per table so that the
   stream drops changes the snapshot already contains.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from centrale.core.changes import Batch, BinlogPosition, OutboxRow, RowChange, SourceTransaction
from centrale.core.codec import encode_values
from centrale.core.errors import OutboxError
from centrale.core.i18n import Msg
from centrale.core.outbox import gtidstate, positions, retention, xa
from centrale.core.outbox.disk import probe
from centrale.core.outbox.fences import drop_passed_fences, read_fences, unfenced
from centrale.core.outbox.gtidstate import GtidRecord
from centrale.core.outbox.reading import first_rows, read_batches
from centrale.core.outbox.records import (
    Checkpoint,
    OutboxStats,
    PullState,
    read_note,
    read_oldest,
    read_pull_state,
    read_stats,
    skip_row,
    write_note,
    write_pull_state,
)
from centrale.core.outbox.restores import Restores
from centrale.core.outbox.schema import _SCHEMA, _outbox_error, init_meta
from centrale.core.outbox.shapes import Shapes, next_seq, read_checkpoint, write_checkpoint
from centrale.core.outbox.writer import SnapshotWriter


class OutboxStore(Restores):
    """One connection to the outbox file. Each thread opens its own."""

    def __init__(self, path: Path, *, keep_shipped_s: float = retention.KEEP_S) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), isolation_level=None, timeout=60.0, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL: commits do not fsync; the binlog is the durable log and the checkpoint
            # rolls back with the rows. ``sync`` makes them durable before they are shipped.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=OFF")
            self._db.executescript(_SCHEMA)
            with self._write():
                self.generation = init_meta(self._db, path)
        except sqlite3.Error as exc:
            raise _outbox_error(path, exc) from None
        except OSError as exc:
            raise probe(path) or OutboxError(
                Msg("err.outbox.create", path=path, error=exc.strerror),
                hint=Msg("err.outbox.create.hint", folder=path.parent),
            ) from None
        self.shapes = Shapes(self._db)
        self.keep_shipped_s = keep_shipped_s  # `outbox.keep_shipped_h`: shipped rows kept (``retention``)
        self._purged_at = 0.0

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> OutboxStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transactions -----------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT: one writer at a time, all or nothing."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _outbox_error(self.path, exc) from None
        try:
            yield self._db
        except BaseException:
            with suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            with suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise _outbox_error(self.path, exc) from None

    def _insert_txns(self, txns: Iterable[Sequence[RowChange]], now: float, txn_id: int | None = None) -> int:
        """Every row of whole transactions in one statement; a transaction's id is the seq of its
        first row (seq grows by one per row while the write lock is held), or ``txn_id`` for the
        rest of one whose first rows were staged."""
        nonempty = [changes for changes in txns if changes]
        if not nonempty:
            return 0
        first = next_seq(self._db) if txn_id is None else txn_id
        rows: list[tuple[int, int, str, bytes, float]] = []
        add = rows.append
        table: str | None = None
        columns: tuple[str, ...] | None = None
        sid = 0
        for changes in nonempty:
            txn = first + len(rows) if txn_id is None else txn_id
            for c in changes:
                if c.columns is not columns or c.table != table:  # rows of one event share their columns
                    table, columns = c.table, c.columns
                    sid = self.shapes.id_of(table, columns)
                add((txn, sid, c.op, encode_values(c.values), now))
        self._db.executemany("INSERT INTO changes (txn, shape, op, data, captured_at) VALUES (?,?,?,?,?)", rows)
        return len(rows)

    # --- capture side -------------------------------------------------------------------------

    def append(
        self,
        txns: Sequence[SourceTransaction],
        checkpoint: SourceTransaction | None = None,
        gtid: GtidRecord | None = None,
    ) -> int:
        """Store whole source transactions and advance the checkpoint, atomically.

        ``checkpoint`` defaults to the last transaction; pass one explicitly to advance past
        transactions that touched no captured table. Rows of a table fenced by a snapshot taken
        at or after a transaction's end are dropped: the snapshot already holds them. XA steps
        keep a prepared transaction's rows aside, and move them into the outbox at its commit
        (``centrale.core.outbox.xa``). ``gtid`` is the server's GTID state at the checkpoint
        (``gtidstate``), when capture knows it. Returns the number of rows written.
        """
        last = checkpoint or (txns[-1] if txns else None)
        if last is None:
            return 0
        now = time.time()
        try:
            with self._write():
                fences = {t: pos.sort_key for t, pos in read_fences(self._db).items()}
                written, plain = 0, []
                for txn in txns:
                    if txn.xa is None and not txn.staged:
                        plain.append(txn)
                        continue
                    written += self._insert_txns((unfenced(t, fences) for t in plain), now)
                    plain = []
                    written += self._special(txn, fences, now)
                written += self._insert_txns((unfenced(t, fences) for t in plain), now)
                write_checkpoint(self._db, last.end, last.gtid, last.timestamp, now)
                positions.record(self._db, last.end, last.gtid, last.mark)
                if gtid is not None:
                    gtidstate.write(self._db, gtid.at(last.end))
                if fences:
                    drop_passed_fences(self._db, last.end, fences)
        except sqlite3.Error as exc:
            raise _outbox_error(self.path, exc) from None
        return written

    def _special(self, txn: SourceTransaction, fences: dict[str, tuple[str, int, int]], now: float) -> int:
        """A transaction with staged rows, or an XA step (``centrale.core.outbox.xa``)."""
        end = txn.end.sort_key
        left_out = [t for t, f in fences.items() if end <= f]
        if txn.xa is None:  # staged while it was read: those rows first, then the rest, one txn id
            first = next_seq(self._db)
            moved = xa.commit(self._db, xa.OPEN, first, left_out, now)
            return moved + self._insert_txns([unfenced(txn, fences)], now, txn_id=first)
        if txn.xa.verb == "prepare":
            xa.keep(self._db, txn.xa.xid, txn.end, self._encoded(txn.changes), now, staged=txn.staged > 0)
            return 0
        if txn.xa.verb == "rollback":
            xa.drop(self._db, txn.xa.xid)
            return 0
        return xa.commit(self._db, txn.xa.xid, next_seq(self._db), left_out, now)

    def _encoded(self, changes: Iterable[RowChange]) -> list[tuple[int, str, bytes]]:
        return [(self.shapes.id_of(c.table, c.columns), c.op, encode_values(c.values)) for c in changes]

    def stage(self, changes: Sequence[RowChange], first_ord: int) -> None:
        """Rows of the transaction being read, written before its end (``Assembler``'s spill)."""
        with self._write():
            xa.stage(self._db, self._encoded(changes), first_ord)

    def unstage(self, from_ord: int, keep_tables: Iterable[str]) -> int:
        """``ROLLBACK TO`` over staged rows (``xa.unstage``); returns the rows still staged."""
        with self._write():
            return xa.unstage(self._db, from_ord, keep_tables)

    def clear_staged(self) -> None:
        """Forget the staged rows of a transaction that will be read again from its start."""
        with self._write():
            xa.drop(self._db, xa.OPEN)

    def note(self, key: str, value: str | None) -> None:
        """Keep (or with None forget) a fact for `status` (``capture_stopped``: why capture stopped)."""
        with self._write():
            write_note(self._db, key, value)

    def noted(self, key: str) -> str | None:
        return read_note(self._db, key)

    def prepared_xa(self) -> dict[str, tuple[BinlogPosition, int]]:
        """XA transactions prepared at the store and not ended yet: xid -> (position, rows)."""
        return xa.prepared(self._db)

    def fences(self) -> dict[str, BinlogPosition]:
        """The snapshots' fences the stream has not passed yet: table -> snapshot position."""
        return read_fences(self._db)

    def checkpoint(self) -> Checkpoint | None:
        return read_checkpoint(self._db)

    def set_checkpoint(self, pos: BinlogPosition, gtid: GtidRecord | None = None) -> None:
        """Start streaming from ``pos`` (first run from the binlog end, or after a resync), with the
        server's GTID state there when it is known."""
        with self._write():
            write_checkpoint(self._db, pos, None, 0, time.time())
            if gtid is not None:
                gtidstate.write(self._db, gtid.at(pos))

    def gtid_state(self) -> GtidRecord | None:
        """The server's GTID state at the checkpoint, if capture recorded it there."""
        cp = read_checkpoint(self._db)
        return gtidstate.read(self._db, cp.position if cp else None)

    def set_gtid_state(self, gtid: GtidRecord) -> None:
        """The GTID state capture worked out for the checkpoint (it must name the checkpoint)."""
        with self._write():
            gtidstate.write(self._db, gtid)

    # --- snapshot side ------------------------------------------------------------------------

    @contextmanager
    def snapshot_writer(self) -> Iterator[SnapshotWriter]:
        """Hold the outbox write lock for one table's snapshot; commit on success."""
        try:
            with self._write():
                yield SnapshotWriter(self._db, self.shapes)
        except sqlite3.Error as exc:
            raise _outbox_error(self.path, exc) from None

    # --- shipping side ------------------------------------------------------------------------

    def sync(self) -> int:
        """Make every committed row durable and return the last seq they cover.

        One commit with ``synchronous=FULL`` fsyncs the WAL file, which holds every earlier
        commit of every connection; the other commits stay cheap.
        """
        try:
            self._db.execute("PRAGMA synchronous=FULL")
            try:
                with self._write():
                    row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name='changes'").fetchone()
                    last = int(row[0]) if row else 0
                    self._db.execute("UPDATE shipping SET syncs=syncs+1 WHERE id=1")
            finally:
                self._db.execute("PRAGMA synchronous=NORMAL")
            return last
        except sqlite3.Error as exc:
            raise _outbox_error(self.path, exc) from None

    def oldest(self) -> tuple[int, float | None]:
        """The oldest waiting row's seq and capture time; when none waits, the next seq to come
        and None. With ``sync``'s result the seq gives an upper bound of the backlog without
        counting it; the time says how far behind shipping is."""
        try:
            return read_oldest(self._db)
        except sqlite3.Error as exc:
            raise _outbox_error(self.path, exc) from None

    def claim_batch(self, max_rows: int, *, up_to_seq: int | None = None) -> Batch | None:
        """The next whole capture transactions, at most ``max_rows`` rows unless one is larger."""
        batches = self.claim_batches(max_rows, up_to_seq=up_to_seq, max_batches=1)
        return batches[0] if batches else None

    def claim_batches(
        self, max_rows: int, *, after_seq: int = 0, up_to_seq: int | None = None, max_batches: int = 1
    ) -> list[Batch]:
        """Up to ``max_batches`` consecutive batches of rows with ``after_seq < seq <= up_to_seq``.

        Each batch holds whole capture transactions and at most ``max_rows`` rows, unless a
        single transaction is larger: it then goes alone, whole. One read serves many batches.
        """
        try:
            return read_batches(
                self._db,
                self.shapes.of,
                self.generation,
                max_rows,
                after_seq=after_seq,
                up_to_seq=up_to_seq if up_to_seq is not None else 2**62,
                max_batches=max_batches,
                path=self.path,
            )
        except sqlite3.Error as exc:
            raise _outbox_error(self.path, exc) from None

    def ack(self, last_seq: int, rows: int) -> None:
        """Head office has everything up to ``last_seq``: those rows leave the queue (``retention``)."""
        now = time.time()
        try:
            with self._write():
                retention.keep(self._db, last_seq, now, self.keep_shipped_s)
                positions.forget_below(self._db, last_seq)
                self._db.execute("DELETE FROM changes WHERE seq <= ?", (last_seq,))
                self._db.execute(
                    "UPDATE shipping SET last_shipped_seq=max(last_shipped_seq, ?), last_shipped_at=?, "
                    "rows_shipped=rows_shipped+?, last_error=NULL, last_error_at=NULL WHERE id=1",
                    (last_seq, now, rows),
                )
                if now - self._purged_at >= retention.PURGE_EVERY_S:
                    retention.purge(self._db, now, self.keep_shipped_s)
                    self._purged_at = now
        except sqlite3.Error as exc:
            raise _outbox_error(self.path, exc) from None

    def record_error(self, message: str) -> None:
        with suppress(sqlite3.Error, OutboxError), self._write():
            self._db.execute("UPDATE shipping SET last_error=?, last_error_at=? WHERE id=1", (message, time.time()))

    def skip(self, seq: int, reason: str) -> OutboxRow:
        """Move one poison row out of the shipping queue into the ``skipped`` audit table."""
        try:
            with self._write():
                return skip_row(self._db, seq, reason, self.shapes.of)
        except sqlite3.Error as exc:
            raise _outbox_error(self.path, exc) from None

    def rows(self, limit: int = 50, after_seq: int = 0) -> list[OutboxRow]:
        """The first ``limit`` rows waiting to be shipped, oldest first (for `outbox list`)."""
        return first_rows(self.claim_batches, limit, after_seq)

    def stats(self) -> OutboxStats:
        try:
            return read_stats(self._db, self.generation, self.checkpoint())
        except sqlite3.Error as exc:
            raise _outbox_error(self.path, exc) from None

    # --- pulls ---------------------------------------------------------------------------------

    def pull_state(self, table: str) -> PullState | None:
        """Where the last pull of a table left its modified-column marks (for incremental pulls)."""
        return read_pull_state(self._db, table)

    def save_pull_state(self, state: PullState) -> None:
        with self._write():
            write_pull_state(self._db, state)
