"""A batch planned into operations: each a run of rows of one table, one kind and one set of
columns, which the writer turns into one multi-row statement or one upload (``applier.writer``).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any, cast

from centrale.core.changes import Run
from centrale.core.codec import decode_many


class Operation:
    """One statement's worth of rows: same table, same kind, same columns, in order.

    ``stored`` is each row's stored text (``Run.stored``), None unless every row has it; head
    office is sent that text as it is when it can be. ``rows`` (the values) are decoded from it
    on first use when they were not given: a catch-up's uploads never need them."""

    __slots__ = ("_rows", "columns", "kind", "seqs", "stored", "table")

    def __init__(
        self,
        table: str,
        kind: str,
        columns: tuple[str, ...],
        rows: tuple[tuple[Any, ...], ...] | None,
        seqs: tuple[int, ...],
        stored: tuple[bytes, ...] | None = None,
    ) -> None:
        if rows is None and stored is None:
            raise ValueError("an operation needs its rows' values or their stored text")
        self.table, self.kind, self.columns, self.seqs, self.stored = table, kind, columns, seqs, stored
        self._rows = rows

    @property
    def rows(self) -> tuple[tuple[Any, ...], ...]:
        if self._rows is None:
            self._rows = tuple(decode_many(cast(tuple[bytes, ...], self.stored)))
        return self._rows

    @property
    def first_seq(self) -> int:
        return self.seqs[0]

    @property
    def last_seq(self) -> int:
        return self.seqs[-1]

    def __len__(self) -> int:
        return len(self.seqs)

    def part(self, lo: int, hi: int) -> Operation:
        """Rows ``lo`` to ``hi`` (excluded) of the operation, as an operation of their own."""
        rows = self._rows[lo:hi] if self._rows is not None else None
        stored = self.stored[lo:hi] if self.stored is not None else None
        return Operation(self.table, self.kind, self.columns, rows, self.seqs[lo:hi], stored)

    @classmethod
    def of(cls, runs: Sequence[Run]) -> Operation:
        """Runs of the same table, kind and columns, one after another, as one operation."""
        first = runs[0]
        if len(runs) == 1:
            seqs, stored, values = first.seqs, first.stored, first.values
        else:
            seqs = tuple(chain.from_iterable(r.seqs for r in runs))
            stored = tuple(chain.from_iterable(r.stored for r in runs))
            parts = [r.values for r in runs]
            values = None if any(v is None for v in parts) else tuple(chain.from_iterable(v or () for v in parts))
        blobs = cast(tuple[bytes, ...], stored) if None not in stored else None
        return cls(first.table, first.op, first.columns, values, seqs, blobs)


def plan(runs: Sequence[Run]) -> list[Operation]:
    """Group a batch's runs into operations: tables in the order they first appear, each table's
    rows in their own order, consecutive rows of the same kind and columns in one operation.

    A batch is one head-office transaction, and head office's tables have no foreign keys
    between them, so only each table's own order matters; grouping by table turns a batch of
    tickets (header, lines, payment, stock, header again...) into a few multi-row statements
    instead of one statement per row. A table first seen earlier (a ticket's header) still goes
    before the tables that follow it (its lines)."""
    first_seen: dict[str, int] = {}
    for r in runs:
        first_seen.setdefault(r.table, len(first_seen))
    if len(first_seen) > 1:
        runs = sorted(runs, key=lambda r: first_seen[r.table])  # stable: each table keeps its order
    ops: list[Operation] = []
    group: list[Run] = []
    for run in runs:
        if group and (run.table, run.op, run.columns) != (group[0].table, group[0].op, group[0].columns):
            ops.append(Operation.of(group))
            group = []
        group.append(run)
    if group:
        ops.append(Operation.of(group))
    return ops
