"""Reading the outbox into batches: whole capture transactions, at most so many rows each.

This is a catch-up's hot loop (a store back from an outage reads a million rows), so it does no
work per row in Python beyond what SQLite's own row tuples cost: rows are cut into batches at
transaction boundaries by looking only where a batch would end, and each batch into runs
(``Run``: one table, kind and columns) by C-level grouping and transposition. Values stay as the
outbox stores them; the applier decodes them only where it needs them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from itertools import groupby
from operator import itemgetter
from typing import Any

from centrale.changes import Batch, Run

FETCH_ROWS = 1024  # rows per fetch from SQLite (more when a batch is larger)
_SHAPE_AND_OP = itemgetter(2, 3)
_TXN = 1

Shapes = Callable[[int], tuple[str, tuple[str, ...]]]


def read_batches(
    db: sqlite3.Connection,
    shape_of: Shapes,
    generation: str,
    max_rows: int,
    *,
    after_seq: int,
    up_to_seq: int,
    max_batches: int,
) -> list[Batch]:
    """Up to ``max_batches`` consecutive batches of rows with ``after_seq < seq <= up_to_seq``,
    each of whole capture transactions and at most ``max_rows`` rows (a larger transaction goes
    alone, whole)."""
    cur = db.execute(
        "SELECT seq, txn, shape, op, data, captured_at FROM changes WHERE seq > ? AND seq <= ? ORDER BY seq",
        (after_seq, up_to_seq),
    )
    try:
        batches: list[Batch] = []
        pending: list[Any] = []  # rows read, not yet in a batch
        exhausted = False
        while len(batches) < max_batches and not (exhausted and not pending):
            if not exhausted:
                chunk = cur.fetchmany(max(FETCH_ROWS, max_rows + 1 - len(pending)))
                exhausted = not chunk
                pending += chunk
            while pending and len(batches) < max_batches:
                cut = _batch_end(pending, max_rows, exhausted)
                if cut is None:
                    break  # where this batch ends is further on: read more
                batches.append(Batch(generation, runs=_runs(pending[:cut], shape_of)))
                del pending[:cut]
        return batches
    finally:
        cur.close()


def _batch_end(rows: list[Any], max_rows: int, exhausted: bool) -> int | None:
    """How many of ``rows`` make the next batch, or None if that needs rows not read yet.

    Rows of a transaction are consecutive, so only the rows around the cut are looked at."""
    if len(rows) <= max_rows:
        return len(rows) if exhausted else None
    txn = rows[max_rows][_TXN]  # the first row that does not fit
    cut = max_rows
    while cut > 0 and rows[cut - 1][_TXN] == txn:
        cut -= 1
    if cut > 0:
        return cut
    end = max_rows  # the first transaction alone is larger than a batch: it goes whole
    while end < len(rows) and rows[end][_TXN] == txn:
        end += 1
    return end if end < len(rows) or exhausted else None


def _runs(rows: list[Any], shape_of: Shapes) -> list[Run]:
    runs = []
    for (shape, op), group in groupby(rows, key=_SHAPE_AND_OP):
        seqs, txns, _, _, stored, captured = zip(*group, strict=True)
        table, columns = shape_of(shape)
        runs.append(Run(table, op, columns, seqs, txns, captured, stored))
    return runs
