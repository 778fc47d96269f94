"""Reading the outbox into batches: whole capture transactions, at most so many rows each.

This is a catch-up's hot loop (a store back from an outage reads a million rows), so it does no
work per row in Python beyond what SQLite's own row tuples cost: rows are cut into batches at
transaction boundaries by looking only where a batch would end, and each batch into runs
(``Run``: one table, kind and columns) by C-level grouping and transposition. Values stay as the
outbox stores them; the applier decodes them only where it needs them.

A transaction larger than ``STREAM_ROWS`` is not read here at all: it becomes a ``StreamedBatch``
whose rows a connection of its own reads piece by piece while the shipper sends them, so a
million-row stock-take ships with the memory of a few thousand rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from itertools import groupby, islice
from operator import itemgetter
from pathlib import Path
from typing import Any

from centrale.core.changes import Batch, OutboxRow, Run, StreamedBatch
from centrale.core.codec import decode_names

FETCH_ROWS = 1024  # rows per fetch from SQLite (more when a batch is larger)
STREAM_ROWS = 20_000  # a transaction at least this large is streamed (``StreamedBatch``)
PIECE_ROWS = 5_000  # rows per piece of a streamed transaction
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
    path: Path | None = None,
) -> list[Batch]:
    """Up to ``max_batches`` consecutive batches of rows with ``after_seq < seq <= up_to_seq``,
    each of whole capture transactions and at most ``max_rows`` rows (a larger transaction goes
    alone, whole; streamed from ``path``, the outbox file, when it has ``STREAM_ROWS`` rows or
    more)."""
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
                if cut is None and path is not None and _large(pending):
                    if not batches:  # alone, like any transaction larger than a batch
                        batches.append(_streamed(db, path, generation, pending[0], up_to_seq))
                    return batches
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


def _large(rows: list[Any]) -> bool:
    """Whether the rows read so far hold ``STREAM_ROWS`` rows of their first transaction."""
    return len(rows) >= STREAM_ROWS and rows[STREAM_ROWS - 1][_TXN] == rows[0][_TXN]


def _streamed(db: sqlite3.Connection, path: Path, generation: str, first: Any, up_to_seq: int) -> StreamedBatch:
    """The transaction starting at row ``first``, as a batch read piece by piece when shipped."""
    first_seq, txn = int(first[0]), int(first[_TXN])
    after = db.execute(
        "SELECT seq FROM changes WHERE seq > ? AND seq <= ? AND txn <> ? ORDER BY seq LIMIT 1",
        (first_seq, up_to_seq, txn),
    ).fetchone()
    end = int(after[0]) - 1 if after else up_to_seq
    count, last_seq, captured = db.execute(
        "SELECT COUNT(*), MAX(seq), MAX(captured_at) FROM changes WHERE seq >= ? AND seq <= ?", (first_seq, end)
    ).fetchone()

    def pieces() -> Iterator[Batch]:
        return read_pieces(path, generation, first_seq, int(last_seq))

    return StreamedBatch(
        generation,
        first_seq=first_seq,
        last_seq=int(last_seq),
        rows=int(count),
        last_captured_at=float(captured),
        pieces=pieces,
    )


def read_pieces(path: Path, generation: str, first_seq: int, last_seq: int) -> Iterator[Batch]:
    """Rows ``first_seq..last_seq`` as batches of ``PIECE_ROWS``, through a read-only connection
    of their own (the shipping thread reads them while the applier's thread reads what follows)."""
    db = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True, check_same_thread=False)
    shapes: dict[int, tuple[str, tuple[str, ...]]] = {}

    def shape_of(sid: int) -> tuple[str, tuple[str, ...]]:
        got = shapes.get(sid)
        if got is None:
            row = db.execute("SELECT tbl, columns FROM shapes WHERE id=?", (sid,)).fetchone()
            got = shapes[sid] = (str(row[0]), decode_names(row[1]))
        return got

    try:
        cur = db.execute(
            "SELECT seq, txn, shape, op, data, captured_at FROM changes WHERE seq >= ? AND seq <= ? ORDER BY seq",
            (first_seq, last_seq),
        )
        while chunk := cur.fetchmany(PIECE_ROWS):
            yield Batch(generation, runs=_runs(chunk, shape_of))
    finally:
        db.close()


def first_rows(claim: Callable[..., list[Batch]], limit: int, after_seq: int) -> list[OutboxRow]:
    """The first ``limit`` rows after ``after_seq`` (``claim`` is ``OutboxStore.claim_batches``).
    Batches hold whole transactions only, so several may be needed to reach ``limit`` rows; a
    large transaction (streamed) is read only as far as its first ``limit`` rows."""
    out: list[OutboxRow] = []
    while len(out) < limit:
        batches = claim(max(1, limit), after_seq=after_seq, max_batches=2)
        if not batches:
            break
        pieces = (p for b in batches for p in (b.pieces() if isinstance(b, StreamedBatch) else [b]))
        out += islice((r for p in pieces for r in p.rows), limit - len(out))
        after_seq = batches[-1].last_seq
    return out
