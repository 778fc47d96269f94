"""Reading the outbox into batches (``centrale.core.outbox.reading``): whatever the transactions, the
batch size and the read size, batches hold whole transactions in seq order, at most so many rows
(a larger transaction alone), and their runs and rows are exactly what capture stored."""

from __future__ import annotations

import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from applier.operations import plan
from centrale.core.changes import Batch, BinlogPosition, RowChange, SourceTransaction
from centrale.core.codec import decode_values
from centrale.core.outbox import OutboxStore, reading

SHAPES = [("sales", "upsert", ("id", "v")), ("sales", "delete", ("id",)), ("lines", "upsert", ("id", "v", "q"))]
VALUE = st.one_of(st.none(), st.integers(-(2**40), 2**40), st.text(max_size=8), st.binary(max_size=4))
ROW = st.tuples(st.sampled_from(SHAPES), st.integers(0, 10**6), VALUE, VALUE)
TRANSACTIONS = st.lists(st.lists(ROW, max_size=12), min_size=1, max_size=25)


def change(shape: tuple[str, str, tuple[str, ...]], key: int, a: Any, b: Any) -> RowChange:
    table, op, columns = shape
    return RowChange(table, op, columns, (key, a, b)[: len(columns)])  # type: ignore[arg-type]


def expected_batches(path: Path, max_rows: int) -> list[list[tuple[Any, ...]]]:
    """The rule, written plainly over the raw table: whole transactions, at most ``max_rows``
    rows a batch unless one transaction alone is larger."""
    with closing(sqlite3.connect(path)) as db:
        shapes = {sid: (tbl, cols) for sid, tbl, cols in db.execute("SELECT id, tbl, columns FROM shapes")}
        raw = db.execute("SELECT seq, txn, shape, op, data FROM changes ORDER BY seq").fetchall()
    txns: list[list[tuple[Any, ...]]] = []
    for seq, txn, shape, op, data in raw:
        row = (seq, txn, shapes[shape][0], op, decode_values(data))
        if txns and txns[-1][0][1] == txn:
            txns[-1].append(row)
        else:
            txns.append([row])
    batches: list[list[tuple[Any, ...]]] = []
    for t in txns:
        if batches and len(batches[-1]) + len(t) <= max_rows:
            batches[-1] += t
        else:
            batches.append(list(t))
    return batches


@settings(max_examples=60, deadline=None)
@given(
    transactions=TRANSACTIONS,
    max_rows=st.integers(1, 40),
    max_batches=st.integers(1, 6),
    fetch_rows=st.sampled_from([1, 3, 1024]),
)
def test_batches_hold_whole_transactions_and_exactly_the_stored_rows(
    transactions: list[list[tuple[Any, ...]]], max_rows: int, max_batches: int, fetch_rows: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "outbox.db"
        with OutboxStore(path) as box:
            box.append(
                [
                    SourceTransaction(tuple(change(*r) for r in t), BinlogPosition("mariadb-bin.000001", 4 + i))
                    for i, t in enumerate(transactions)
                ]
            )
            saved, reading.FETCH_ROWS = reading.FETCH_ROWS, fetch_rows  # small reads cut batches mid-read
            try:
                got: list[Batch] = []
                while more := box.claim_batches(
                    max_rows, after_seq=got[-1].last_seq if got else 0, max_batches=max_batches
                ):
                    assert len(more) <= max_batches
                    got += more
            finally:
                reading.FETCH_ROWS = saved
        want = expected_batches(path, max_rows)
    assert [[(r.seq, r.txn, r.table, r.op, r.values) for r in b.rows] for b in got] == [
        [(seq, txn, table, op, values) for seq, txn, table, op, values in b] for b in want
    ]
    for batch in got:
        assert len(batch) == len(batch.rows) and batch.first_seq == batch.rows[0].seq
        for a, b in zip(batch.runs, batch.runs[1:], strict=False):  # runs are maximal
            assert (a.table, a.op, a.columns) != (b.table, b.op, b.columns)
        ops = plan(batch.runs)  # values decoded on demand, in each table's order
        by_table = {t: [r.values for r in batch.rows if r.table == t] for t in {r.table for r in batch.rows}}
        for table, rows in by_table.items():
            assert [v for op in ops if op.table == table for v in op.rows] == rows
