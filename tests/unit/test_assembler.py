"""``cdc.assembler.Assembler``: a transaction is what the binlog's own markers say it is."""

from __future__ import annotations

from typing import Any

from cdc.assembler import Assembler
from cdc.events import Rollback, RollbackTo, Rows, Savepoint, TxnBegin, TxnEnd, XaFinish, XaPrepare
from centrale.catalog import MARKER_TABLE
from centrale.changes import BinlogPosition, RowChange, XaStep

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
