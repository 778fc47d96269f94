"""``cdc.assembler.Assembler``: a transaction is what the binlog's own markers say it is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cdc.assembler import Assembler
from cdc.consume import OutboxSpill
from cdc.events import Rollback, RollbackTo, Rows, Savepoint, TxnBegin, TxnEnd, XaFinish, XaPrepare
from centrale.core.catalog import MARKER_TABLE
from centrale.core.changes import BinlogPosition, RowChange, XaStep
from centrale.core.outbox import OutboxStore

POS = BinlogPosition("mariadb-bin.000001", 100)
NON_TRANSACTIONAL = {"journal"}


def translate(ev: Rows) -> list[RowChange]:
    return [RowChange(ev.table, "upsert", ("id",), (r["values"]["id"],)) for r in ev.rows]


def rows(table: str, *ids: int) -> Rows:
    return Rows("insert", table, [{"values": {"id": i}} for i in ids], POS)


def assembler() -> Assembler:
    return Assembler(translate, lambda t: t not in NON_TRANSACTIONAL)


def ids(changes: Any) -> list[tuple[str, int]]:
    return [(c.table, c.values[0]) for c in changes]


def test_rows_before_a_savepoint_stay_in_the_transaction() -> None:
    asm = assembler()
    asm.begin(TxnBegin("0-1-1", 0))
    asm.rows(rows("sales", 1))
    asm.savepoint(Savepoint("a"))
    asm.rows(rows("sale_lines", 10, 11))
    txn = asm.end(TxnEnd(POS, 5))
    assert ids(txn.changes) == [("sales", 1), ("sale_lines", 10), ("sale_lines", 11)]
    assert (txn.end, txn.gtid, txn.timestamp, txn.xa) == (POS, "0-1-1", 5, None)
    assert not asm.open


def test_rollback_to_drops_transactional_changes_after_the_savepoint_and_keeps_the_others() -> None:
    asm = assembler()
    asm.begin(TxnBegin("0-1-2", 0))
    asm.rows(rows("sales", 1))
    asm.savepoint(Savepoint("a"))
    asm.rows(rows("sale_lines", 10))
    asm.savepoint(Savepoint("b"))
    asm.rows(rows("journal", 7))
    asm.rows(rows("sale_lines", 11))
    asm.rollback_to(RollbackTo("a", POS))
    asm.rows(rows("sale_lines", 12))
    assert ids(asm.end(TxnEnd(POS, 0)).changes) == [("sales", 1), ("journal", 7), ("sale_lines", 12)]


def test_a_savepoint_set_again_moves_and_later_ones_go_with_a_rollback_to() -> None:
    asm = assembler()
    asm.begin(TxnBegin(None, 0))
    asm.savepoint(Savepoint("a"))
    asm.rows(rows("sales", 1))
    asm.savepoint(Savepoint("a"))  # redefined: the first "a" is gone
    asm.savepoint(Savepoint("b"))
    asm.rows(rows("sales", 2))
    asm.rollback_to(RollbackTo("a", POS))
    asm.rollback_to(RollbackTo("b", POS))  # released by the rollback to "a": nothing more goes
    assert ids(asm.end(TxnEnd(POS, 0)).changes) == [("sales", 1)]


def test_a_rolled_back_transaction_keeps_only_non_transactional_changes() -> None:
    asm = assembler()
    asm.begin(TxnBegin("0-1-3", 0))
    asm.rows(rows("sales", 1))
    asm.rows(rows("journal", 2))
    assert ids(asm.end(Rollback(POS, 0)).changes) == [("journal", 2)]


def test_a_transaction_carrying_the_pull_marker_is_not_sent_back() -> None:
    asm = assembler()
    asm.begin(TxnBegin("0-1-4", 0))
    asm.rows(rows("articles", 1))
    asm.rows(Rows("insert", MARKER_TABLE, [{"values": {"id": 1}}], POS))
    assert asm.end(TxnEnd(POS, 0)).changes == ()
    asm.begin(TxnBegin("0-1-5", 0))
    asm.rows(rows("articles", 2))
    assert ids(asm.end(TxnEnd(POS, 0)).changes) == [("articles", 2)]


def test_xa_prepare_and_its_end_are_steps_of_the_same_xid() -> None:
    asm = assembler()
    asm.begin(TxnBegin("0-1-6", 0))
    asm.rows(rows("sales", 1))
    prepared = asm.end(XaPrepare("1:78:", POS, 0))
    assert prepared.xa == XaStep("prepare", "1:78:") and ids(prepared.changes) == [("sales", 1)]
    asm.begin(TxnBegin("0-1-7", 0))
    committed = asm.xa_finish(XaFinish("1:78:", True, POS, 0))
    assert committed.xa == XaStep("commit", "1:78:") and committed.changes == ()
    assert asm.xa_finish(XaFinish("1:79:", False, POS, 0)).xa == XaStep("rollback", "1:79:")


def test_rows_without_a_begin_are_a_transaction_all_the_same() -> None:
    asm = assembler()
    asm.rows(rows("journal", 1))
    assert asm.open
    assert ids(asm.end(TxnEnd(POS, 0)).changes) == [("journal", 1)]


# --- large transactions: the rows read so far wait in the outbox -------------------------------


def spilling(tmp_path: Path, every: int = 3) -> tuple[Assembler, OutboxStore]:
    box = OutboxStore(tmp_path / "outbox.db")
    return Assembler(translate, lambda t: t not in NON_TRANSACTIONAL, OutboxSpill(box), spill_rows=every), box


def stored(box: OutboxStore) -> list[tuple[str, int]]:
    return [(r.table, r.values[0]) for r in box.rows(limit=1000)]


def test_a_transaction_larger_than_memory_arrives_whole_and_in_order(tmp_path: Path) -> None:
    asm, box = spilling(tmp_path)
    asm.begin(TxnBegin("0-1-8", 0))
    for i in range(10):
        asm.rows(rows("sale_lines", i))
    assert asm.staged == 9 and len(asm.pending or ()) == 1  # at most ``every`` rows held in memory
    txn = asm.end(TxnEnd(POS, 0))
    assert txn.staged == 9
    assert box.append([txn]) == 10
    assert stored(box) == [("sale_lines", i) for i in range(10)]
    assert len({r.txn for r in box.rows(limit=1000)}) == 1


def test_rollback_to_a_savepoint_before_the_staged_rows_keeps_only_what_the_store_kept(tmp_path: Path) -> None:
    asm, box = spilling(tmp_path)
    asm.begin(TxnBegin("0-1-9", 0))
    asm.rows(rows("sales", 1))
    asm.savepoint(Savepoint("a"))
    for i in range(4):
        asm.rows(rows("sale_lines", 10 + i))
    asm.rows(rows("journal", 5))
    asm.rows(rows("sale_lines", 20, 21))
    asm.rollback_to(RollbackTo("a", POS))  # back over staged rows: the journal row stays
    asm.savepoint(Savepoint("b"))
    for i in range(4):
        asm.rows(rows("sale_lines", 30 + i))
    asm.rollback_to(RollbackTo("b", POS))
    asm.rows(rows("sale_lines", 40))
    box.append([asm.end(TxnEnd(POS, 0))])
    assert stored(box) == [("sales", 1), ("journal", 5), ("sale_lines", 40)]


def test_a_large_rolled_back_or_received_transaction_leaves_nothing_staged(tmp_path: Path) -> None:
    asm, box = spilling(tmp_path)
    asm.begin(TxnBegin("0-1-10", 0))
    asm.rows(rows("sales", 1, 2, 3, 4))
    asm.rows(rows("journal", 9))
    box.append([asm.end(Rollback(POS, 0))])
    asm.begin(TxnBegin("0-1-11", 0))
    asm.rows(rows("articles", 1, 2, 3, 4, 5))
    asm.rows(Rows("insert", MARKER_TABLE, [{"values": {"id": 1}}], POS))
    box.append([asm.end(TxnEnd(POS, 0))])
    assert stored(box) == [("journal", 9)]
    asm.begin(TxnBegin("0-1-12", 0))
    asm.rows(rows("sales", 7, 8, 9, 10))  # never ends: the stream starts again from its beginning
    asm.reset()
    assert box.prepared_xa() == {} and stored(box) == [("journal", 9)]
    box.append([asm.end(TxnEnd(POS, 0))])
    assert stored(box) == [("journal", 9)]


def test_a_large_prepared_xa_transaction_is_kept_aside_whole(tmp_path: Path) -> None:
    asm, box = spilling(tmp_path)
    asm.begin(TxnBegin("0-1-13", 0))
    asm.rows(rows("sales", 1, 2, 3, 4, 5, 6, 7))
    box.append([asm.end(XaPrepare("1:99:", POS, 0))])
    assert box.prepared_xa() == {"1:99:": (POS, 7)} and stored(box) == []
    box.append([asm.xa_finish(XaFinish("1:99:", True, POS, 0))])
    assert stored(box) == [("sales", i) for i in range(1, 8)]
