"""A prepared XA transaction's rows wait in the outbox file, across restarts, until its end."""

from __future__ import annotations

from pathlib import Path

from centrale.core.changes import BinlogPosition, RowChange, SourceTransaction, XaStep
from centrale.core.outbox import OutboxStore


def pos(n: int) -> BinlogPosition:
    return BinlogPosition("mariadb-bin.000001", n)


def sale(i: int) -> RowChange:
    return RowChange("sales", "upsert", ("id", "total"), (i, f"{i}.00"))


def line(i: int) -> RowChange:
    return RowChange("sale_lines", "upsert", ("id",), (i,))


def test_rows_of_a_prepared_transaction_ship_at_its_commit_after_what_committed_between(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    with OutboxStore(path) as box:
        box.append([SourceTransaction((sale(1), line(1)), pos(100), xa=XaStep("prepare", "1:61:"))])
        assert box.stats().backlog == 0
        assert box.prepared_xa() == {"1:61:": (pos(100), 2)}
        box.append([SourceTransaction((sale(2),), pos(200))])
    with OutboxStore(path) as box:  # a restart between prepare and commit
        assert box.checkpoint() is not None and box.checkpoint().position == pos(200)  # type: ignore[union-attr]
        box.append(
            [
                SourceTransaction((), pos(300), xa=XaStep("commit", "1:61:")),
                SourceTransaction((sale(3),), pos(400)),
            ]
        )
        rows = box.rows()
        assert [(r.table, r.values[0]) for r in rows] == [("sales", 2), ("sales", 1), ("sale_lines", 1), ("sales", 3)]
        assert rows[1].txn == rows[2].txn != rows[0].txn  # the XA transaction is one transaction
        assert box.prepared_xa() == {}


def test_a_rolled_back_prepared_transaction_leaves_nothing(tmp_path: Path) -> None:
    with OutboxStore(tmp_path / "outbox.db") as box:
        box.append([SourceTransaction((sale(1),), pos(100), xa=XaStep("prepare", "1:62:"))])
        box.append([SourceTransaction((), pos(200), xa=XaStep("rollback", "1:62:"))])
        assert box.prepared_xa() == {} and box.stats().backlog == 0
        assert box.checkpoint().position == pos(200)  # type: ignore[union-attr]


def test_a_snapshot_taken_after_the_commit_holds_its_rows(tmp_path: Path) -> None:
    with OutboxStore(tmp_path / "outbox.db") as box:
        box.append([SourceTransaction((sale(1), line(1)), pos(100), xa=XaStep("prepare", "1:63:"))])
        with box.snapshot_writer() as w:
            w.fence("sales", pos(500))
        box.append([SourceTransaction((), pos(300), xa=XaStep("commit", "1:63:"))])
        assert [(r.table, r.values[0]) for r in box.rows()] == [("sale_lines", 1)]


def test_a_prepared_transaction_with_no_captured_rows_is_still_known(tmp_path: Path) -> None:
    with OutboxStore(tmp_path / "outbox.db") as box:
        box.append([SourceTransaction((), pos(100), xa=XaStep("prepare", "1:64:"))])
        assert box.prepared_xa() == {"1:64:": (pos(100), 0)}
