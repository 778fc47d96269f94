"""The shipper interface: what the applier needs from a destination.

Contract (tested against every implementation in tests/applier/test_shipper_contract.py):
- ``ship(batch)`` applies the batch's rows in order, in one destination transaction that also
  records ``batch.last_seq`` for the batch's generation; rows at or below the recorded seq are
  skipped, so shipping a batch twice equals shipping it once;
- it raises TransientShipError when the destination could not be reached (nothing applied)
  and BatchRejectedError when the destination refused the data (nothing applied).

A shipper may also have ``prebuild(batch)``: CPU work for a batch done ahead, in the thread
that reads the outbox, while the previous batch is being shipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, cast

from centrale.changes import Batch, OutboxRow


@dataclass(frozen=True, slots=True)
class Operation:
    """One statement's worth of rows: same table, same kind, same columns, in order."""

    table: str
    kind: str  # "upsert" | "delete"
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    seqs: tuple[int, ...]
    # Each row's stored values (OutboxRow.stored); None unless every row has them.
    stored: tuple[bytes, ...] | None = None

    @property
    def first_seq(self) -> int:
        return self.seqs[0]

    @property
    def last_seq(self) -> int:
        return self.seqs[-1]


def plan(rows: tuple[OutboxRow, ...] | list[OutboxRow]) -> list[Operation]:
    """Group rows into operations: tables in the order they first appear, each table's rows in
    their own order, consecutive rows of the same kind and columns in one operation.

    A batch is one head-office transaction, and head office's tables have no foreign keys
    between them, so only each table's own order matters; grouping by table turns a batch of
    tickets (header, lines, payment, stock, header again...) into a few multi-row statements
    instead of one statement per row. A table first seen earlier (a ticket's header) still goes
    before the tables that follow it (its lines)."""
    first_seen: dict[str, int] = {}
    for r in rows:
        first_seen.setdefault(r.table, len(first_seen))
    if len(first_seen) > 1:
        rows = sorted(rows, key=lambda r: first_seen[r.table])  # stable: each table keeps its order
    ops: list[Operation] = []
    cur: tuple[str, str, tuple[str, ...]] | None = None
    acc: list[tuple[Any, ...]] = []
    seqs: list[int] = []
    stored: list[bytes | None] = []

    def close() -> None:
        if cur is not None and acc:
            blobs = cast(tuple[bytes, ...], tuple(stored)) if None not in stored else None
            ops.append(Operation(cur[0], cur[1], cur[2], tuple(acc), tuple(seqs), blobs))

    for r in rows:
        sig = (r.table, r.op, r.columns)
        if sig != cur:
            close()
            cur, acc, seqs, stored = sig, [], [], []
        acc.append(r.values)
        seqs.append(r.seq)
        stored.append(r.stored)
    close()
    return ops


class Shipper(Protocol):
    def prepare(self) -> None:
        """Check the destination and create what is missing (tables, bookkeeping)."""

    def last_applied(self, generation: str) -> int:
        """The highest seq of this generation the destination has committed (0 if none)."""

    def ship(self, batch: Batch) -> int:
        """Apply one batch idempotently; return the number of rows newly applied."""

    def close(self) -> None: ...
