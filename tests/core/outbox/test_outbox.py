"""The outbox: whole transactions, checkpoint in the same commit, seq never reused, batches bounded."""

from __future__ import annotations

from pathlib import Path

import pytest

from centrale.core.changes import BinlogPosition, RowChange, SourceTransaction
from centrale.core.errors import OutboxError
from centrale.core.outbox import OutboxStore


def txn(n_rows: int, pos: int, table: str = "sales", start: int = 0) -> SourceTransaction:
    changes = tuple(RowChange(table, "upsert", ("id", "v"), (start + i, f"v{start + i}")) for i in range(n_rows))
    return SourceTransaction(changes, BinlogPosition("mariadb-bin.000001", pos))


@pytest.fixture
def box(tmp_path: Path) -> OutboxStore:
    return OutboxStore(tmp_path / "outbox.db")


def test_append_stores_rows_and_checkpoint_together(box: OutboxStore) -> None:
    assert box.checkpoint() is None
    assert box.append([txn(3, 100), txn(2, 200, start=3)]) == 5
    cp = box.checkpoint()
    assert cp is not None and cp.position == BinlogPosition("mariadb-bin.000001", 200)
    assert [r.values[0] for r in box.rows()] == [0, 1, 2, 3, 4]


def test_one_append_of_many_transactions_keeps_each_whole_and_numbered_by_its_first_seq(box: OutboxStore) -> None:
    """Capture groups transactions into one append while catching up: each keeps its own txn id
    (the seq of its first row), tables alternate within a transaction, empty ones leave no gap."""
    box.append([txn(2, 50)])
    mixed = SourceTransaction(
        (*txn(1, 0, "sales", start=10).changes, *txn(3, 0, "sale_lines", start=20).changes), BinlogPosition("b.1", 1)
    )
    empty = SourceTransaction((), BinlogPosition("mariadb-bin.000001", 250))
    assert box.append([mixed, empty, txn(2, 300, start=30), txn(1, 400, "sale_lines", start=40)]) == 7
    rows = box.rows(limit=100)
    assert [(r.seq, r.txn, r.table, r.values[0]) for r in rows] == [
        (1, 1, "sales", 0),
        (2, 1, "sales", 1),
        (3, 3, "sales", 10),
        (4, 3, "sale_lines", 20),
        (5, 3, "sale_lines", 21),
        (6, 3, "sale_lines", 22),
        (7, 7, "sales", 30),
        (8, 7, "sales", 31),
        (9, 9, "sale_lines", 40),
    ]
    cp = box.checkpoint()
    assert cp is not None and cp.position.pos == 400


def test_a_checkpoint_can_advance_without_rows(box: OutboxStore) -> None:
    box.append([], checkpoint=txn(0, 900))
    cp = box.checkpoint()
    assert cp is not None and cp.position.pos == 900
    assert box.stats().backlog == 0


def test_batches_are_whole_transactions_of_at_most_batch_rows(box: OutboxStore) -> None:
    sizes = [5, 7, 9, 25, 1, 20, 3]
    pos = 100
    start = 0
    for n in sizes:
        box.append([txn(n, pos, start=start)])
        pos += 100
        start += n
    seen = []
    while (batch := box.claim_batch(20)) is not None:
        txns = [r.txn for r in batch.rows]
        seen.append(len(batch))
        # whole transactions only: every txn in the batch is complete
        for t in set(txns):
            assert txns.count(t) == sum(1 for r in box.rows(limit=1000) if r.txn == t)
        box.ack(batch.last_seq, len(batch))
    assert seen == [12, 9, 25, 1, 20, 3]
    assert all(n <= 20 for n in seen if n != 25)


def test_seq_keeps_growing_after_shipped_rows_are_deleted(box: OutboxStore) -> None:
    box.append([txn(3, 100)])
    batch = box.claim_batch(20)
    assert batch is not None
    box.ack(batch.last_seq, len(batch))
    assert box.stats().backlog == 0
    box.append([txn(1, 200)])
    nxt = box.claim_batch(20)
    assert nxt is not None and nxt.first_seq == 4


def test_generation_is_stable_per_file_and_new_for_a_new_file(tmp_path: Path) -> None:
    a = OutboxStore(tmp_path / "a.db").generation
    assert OutboxStore(tmp_path / "a.db").generation == a
    assert OutboxStore(tmp_path / "b.db").generation != a


def test_claim_respects_the_synced_limit(box: OutboxStore) -> None:
    box.append([txn(2, 100)])
    synced = box.sync()
    box.append([txn(2, 200, start=2)])
    batch = box.claim_batch(20, up_to_seq=synced)
    assert batch is not None and batch.last_seq == synced == 2


def test_skip_moves_one_row_to_the_audit_table(box: OutboxStore) -> None:
    box.append([txn(3, 100)])
    row = box.skip(2, "poison")
    assert row.seq == 2 and row.table == "sales"
    assert [r.seq for r in box.rows()] == [1, 3]
    assert box.stats().skipped == 1
    with pytest.raises(OutboxError, match="no row with seq 2"):
        box.skip(2, "again")


def test_fenced_rows_are_dropped_until_the_stream_passes_the_fence(box: OutboxStore) -> None:
    with box.snapshot_writer() as w:
        w.add_rows("sales", ("id", "v"), [(1, "snap")])
        w.fence("sales", BinlogPosition("mariadb-bin.000001", 500))
    # A transaction that ended before the snapshot position is already in the snapshot.
    box.append([txn(1, 400), txn(1, 400, table="stock_movements")])
    # One that ended after it is new.
    box.append([txn(1, 600, start=7)])
    tables = [(r.table, r.values[1]) for r in box.rows()]
    assert tables == [("sales", "snap"), ("stock_movements", "v0"), ("sales", "v7")]


def test_an_outbox_that_cannot_be_created_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "var"
    blocker.write_text("a file where the outbox folder should be")
    with pytest.raises(OutboxError) as err:
        OutboxStore(blocker / "outbox.db")
    assert str(blocker / "outbox.db") in err.value.message
    assert err.value.hint


def test_listing_shows_the_first_rows_whatever_the_transactions(box: OutboxStore) -> None:
    box.append([txn(20, 100), txn(20, 200, start=20), txn(20, 300, start=40)])
    assert [r.values[0] for r in box.rows(limit=50)] == list(range(50))  # 50, not the 40 of two whole ones
    assert [r.values[0] for r in box.rows(limit=10, after_seq=35)] == list(range(35, 45))
    assert len(box.rows(limit=1000)) == 60
