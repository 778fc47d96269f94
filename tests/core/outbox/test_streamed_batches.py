"""A transaction too large to hold is read from the outbox piece by piece, whole all the same."""

from __future__ import annotations

from pathlib import Path

from applier.memory import MemoryShipper
from centrale.core.changes import BinlogPosition, RowChange, SourceTransaction, StreamedBatch
from centrale.core.outbox import OutboxStore
from centrale.core.outbox.reading import PIECE_ROWS, STREAM_ROWS

BIG = STREAM_ROWS + 2 * PIECE_ROWS + 7


def txn(n: int, ids: range) -> SourceTransaction:
    return SourceTransaction(
        tuple(RowChange("stock", "upsert", ("id", "qty"), (i, i % 7)) for i in ids), BinlogPosition("b.000001", n)
    )


def filled(tmp_path: Path) -> OutboxStore:
    box = OutboxStore(tmp_path / "outbox.db")
    box.append([txn(1, range(0, 3)), txn(2, range(3, 3 + BIG)), txn(3, range(3 + BIG, 3 + BIG + 5))])
    return box


def test_a_large_transaction_comes_alone_as_a_streamed_batch_after_the_ones_before_it(tmp_path: Path) -> None:
    box = filled(tmp_path)
    first = box.claim_batches(20, max_batches=8)
    assert [len(b) for b in first] == [3] and not isinstance(first[0], StreamedBatch)
    big = box.claim_batches(20, after_seq=first[-1].last_seq, max_batches=8)
    assert len(big) == 1 and isinstance(big[0], StreamedBatch)
    assert (len(big[0]), big[0].first_seq, big[0].last_seq) == (BIG, 4, 3 + BIG)
    pieces = list(big[0].pieces())
    assert max(len(p) for p in pieces) == PIECE_ROWS
    assert [r.values[0] for p in pieces for r in p.rows] == list(range(3, 3 + BIG))
    assert len({r.txn for p in pieces for r in p.rows}) == 1
    rest = box.claim_batches(20, after_seq=big[0].last_seq, max_batches=8)
    assert [len(b) for b in rest] == [5]


def test_head_office_holds_all_of_it_or_none_of_it(tmp_path: Path) -> None:
    box = filled(tmp_path)
    big = box.claim_batches(20, after_seq=3)[0]
    assert big.after(3) is big and len(big.after(big.first_seq)) == 0
    shipper = MemoryShipper(12, keys=lambda table: ("id",))
    for batch in [*box.claim_batches(20, max_batches=8), big, *box.claim_batches(20, after_seq=big.last_seq)]:
        shipper.ship(batch)
    assert len(shipper.tables["stock"]) == 3 + BIG + 5


def test_outbox_list_shows_the_first_rows_without_reading_the_whole_transaction(tmp_path: Path) -> None:
    box = filled(tmp_path)
    assert [r.values[0] for r in box.rows(limit=10)] == list(range(10))
