"""Whole source transactions from the binlog's own markers: pure, tested without a server.

A transaction starts at its GTID event (MariaDB) or BEGIN statement, and ends at an XID event,
a COMMIT or ROLLBACK statement, or an ``XA PREPARE`` event. In between:

- ``SAVEPOINT`` marks a place; ``ROLLBACK TO`` drops what a transactional table changed after
  it. The server writes that statement only when a non-transactional table (MyISAM, Aria)
  changed after the savepoint: those changes stay, since they cannot be undone. Otherwise the
  rolled-back rows are simply not in the binlog.
- A ``ROLLBACK`` at the end keeps only the non-transactional tables' changes.
- A transaction writing the marker row of a pull from head office is not sent back.

An XA transaction's rows end at ``XA PREPARE``; its ``XA COMMIT`` or ``XA ROLLBACK`` comes later,
in a group of its own. The assembler reports both as ``SourceTransaction`` with an ``XaStep``;
the outbox keeps a prepared transaction's rows aside until its end (``centrale.core.outbox``).

A transaction of any size is held with bounded memory: past ``spill_rows`` rows, the rows read
so far go to a ``Spill`` (the outbox's staging area), and the transaction's end says how many
were staged before the rows still in memory. Positions (savepoints) count both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from cdc.events import Rollback, RollbackTo, Rows, Savepoint, TxnBegin, TxnEnd, XaFinish, XaPrepare
from centrale.core.catalog import MARKER_TABLE
from centrale.core.changes import BinlogPosition, RowChange, SourceTransaction, XaStep

Translate = Callable[[Rows], list[RowChange]]
IsTransactional = Callable[[str], bool]
SPILL_ROWS = 5_000


class Spill(Protocol):
    """Where a large transaction's first rows wait for its end."""

    def stage(self, changes: list[RowChange], first: int) -> None:
        """Keep ``changes`` as rows ``first``, ``first + 1`` ... of the open transaction."""

    def unstage(self, first: int, keep_tables: Iterable[str]) -> int:
        """Drop staged rows from ``first`` on, but those of ``keep_tables``; the rows left."""

    def clear(self) -> None:
        """Drop every staged row."""


class InMemory:
    """A spill that never spills (``spill_rows`` is then infinite): tests, and the bare
    assembler."""

    def stage(self, changes: list[RowChange], first: int) -> None:
        raise AssertionError("an in-memory assembler never stages")

    def unstage(self, first: int, keep_tables: Iterable[str]) -> int:
        return 0

    def clear(self) -> None:
        pass


class Assembler:
    """Feeds on a transaction's events; ``end`` returns the whole transaction."""

    def __init__(
        self,
        translate: Translate,
        transactional: IsTransactional,
        spill: Spill | None = None,
        spill_rows: int = SPILL_ROWS,
    ) -> None:
        self._translate = translate
        self._transactional = transactional
        self._spill: Spill = spill or InMemory()
        self._spill_rows = spill_rows if spill is not None else 2**62
        self.pending: list[RowChange] | None = None
        self.staged = 0  # rows of the open transaction in the spill, before ``pending``
        self.gtid: str | None = None
        self._received = False
        self._savepoints: list[tuple[str, int]] = []
        self.tables_seen: set[str] = set()

    @property
    def open(self) -> bool:
        """Inside a transaction (its end not seen yet)."""
        return self.pending is not None

    def reset(self) -> None:
        """Outside any transaction. Staged rows of a transaction left unfinished are dropped;
        those of one that ended (``end``) belong to it now."""
        if self.staged:
            self._spill.clear()
        self._forget()

    def _forget(self) -> None:
        self.pending, self.gtid, self._received, self.staged = None, None, False, 0
        self._savepoints = []
        self.tables_seen = set()

    def begin(self, ev: TxnBegin) -> None:
        self.reset()
        self.pending, self.gtid = [], ev.gtid

    def rows(self, ev: Rows) -> None:
        if self.pending is None:  # rows without a GTID or BEGIN before them (a non-transactional
            self.pending = []  # table's statement, older servers): a transaction all the same
        if ev.table == MARKER_TABLE:
            self._received = True
            return
        if self._received:
            return  # a pull's transaction: nothing of it goes back
        changes = self._translate(ev)
        if changes:
            self.tables_seen.add(ev.table)
        self.pending.extend(changes)
        if len(self.pending) >= self._spill_rows:
            self._spill.stage(self.pending, self.staged)
            self.staged += len(self.pending)
            self.pending = []

    def savepoint(self, ev: Savepoint) -> None:
        if self.pending is None:
            self.pending = []
        self._savepoints = [(n, i) for n, i in self._savepoints if n != ev.name]
        self._savepoints.append((ev.name, self.staged + len(self.pending)))

    def rollback_to(self, ev: RollbackTo) -> None:
        if self.pending is None:
            return
        for k in range(len(self._savepoints) - 1, -1, -1):
            name, at = self._savepoints[k]
            if name == ev.name:
                self._drop_from(at)
                del self._savepoints[k + 1 :]
                return

    def _drop_from(self, at: int) -> None:
        """What a transactional table changed from position ``at`` on is undone."""
        assert self.pending is not None
        if at >= self.staged:
            i = at - self.staged
            self.pending[i:] = [c for c in self.pending[i:] if not self._transactional(c.table)]
            return
        self.pending = [c for c in self.pending if not self._transactional(c.table)]
        self.staged = self._spill.unstage(at, [t for t in self.tables_seen if not self._transactional(t)])

    def end(self, ev: TxnEnd | Rollback | XaPrepare) -> SourceTransaction:
        """The transaction that ends with ``ev`` (its changes, or none when it came from head
        office); the assembler is then outside any transaction."""
        if self._received:
            if self.staged:
                self._spill.clear()
            self.pending, self.staged = [], 0
        elif isinstance(ev, Rollback) and self.pending is not None:
            self._drop_from(0)
        xa = XaStep("prepare", ev.xid) if isinstance(ev, XaPrepare) else None
        txn = SourceTransaction(
            tuple(self.pending or ()), ev.position, self.gtid, ev.timestamp, xa, self.staged, ev.mark
        )
        self._forget()  # the staged rows go with ``txn``
        return txn

    def xa_finish(self, ev: XaFinish) -> SourceTransaction:
        """``XA COMMIT``/``XA ROLLBACK``: a group of its own, with no rows of its own."""
        step = XaStep("commit", ev.xid) if ev.commit else XaStep("rollback", ev.xid)
        txn = SourceTransaction((), ev.position, self.gtid, ev.timestamp, step)
        self.reset()
        return txn

    @staticmethod
    def boundary(position: BinlogPosition, timestamp: int = 0) -> SourceTransaction:
        """A point between transactions (DDL, a rotation, an idle binlog end): nothing to ship,
        but a place the checkpoint may move to."""
        return SourceTransaction((), position, None, timestamp)
