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
the outbox keeps a prepared transaction's rows aside until its end (``centrale.outbox``).
"""

from __future__ import annotations

from collections.abc import Callable

from cdc.events import Rollback, RollbackTo, Rows, Savepoint, TxnBegin, TxnEnd, XaFinish, XaPrepare
from centrale.catalog import MARKER_TABLE
from centrale.changes import BinlogPosition, RowChange, SourceTransaction, XaStep

Translate = Callable[[Rows], list[RowChange]]
IsTransactional = Callable[[str], bool]


class Assembler:
    """Feeds on a transaction's events; ``end`` returns the whole transaction."""

    def __init__(self, translate: Translate, transactional: IsTransactional) -> None:
        self._translate = translate
        self._transactional = transactional
        self.pending: list[RowChange] | None = None
        self.gtid: str | None = None
        self._received = False
        self._savepoints: list[tuple[str, int]] = []

    @property
    def open(self) -> bool:
        """Inside a transaction (its end not seen yet)."""
        return self.pending is not None

    def reset(self) -> None:
        self.pending, self.gtid, self._received = None, None, False
        self._savepoints = []

    def begin(self, ev: TxnBegin) -> None:
        self.reset()
        self.pending, self.gtid = [], ev.gtid

    def rows(self, ev: Rows) -> None:
        if self.pending is None:  # rows without a GTID or BEGIN before them (a non-transactional
            self.pending = []  # table's statement, older servers): a transaction all the same
        if ev.table == MARKER_TABLE:
            self._received = True
            return
        self.pending.extend(self._translate(ev))

    def savepoint(self, ev: Savepoint) -> None:
        if self.pending is None:
            self.pending = []
        self._savepoints = [(n, i) for n, i in self._savepoints if n != ev.name]
        self._savepoints.append((ev.name, len(self.pending)))

    def rollback_to(self, ev: RollbackTo) -> None:
        if self.pending is None:
            return
        for k in range(len(self._savepoints) - 1, -1, -1):
            name, at = self._savepoints[k]
            if name == ev.name:
                self.pending[at:] = [c for c in self.pending[at:] if not self._transactional(c.table)]
                del self._savepoints[k + 1 :]
                return

    def end(self, ev: TxnEnd | Rollback | XaPrepare) -> SourceTransaction:
        """The transaction that ends with ``ev`` (its changes, or none when it came from head
        office); the assembler is then outside any transaction."""
        changes = [] if self._received else list(self.pending or ())
        if isinstance(ev, Rollback):
            changes = [c for c in changes if not self._transactional(c.table)]
        xa = XaStep("prepare", ev.xid) if isinstance(ev, XaPrepare) else None
        txn = SourceTransaction(tuple(changes), ev.position, self.gtid, ev.timestamp, xa)
        self.reset()
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
