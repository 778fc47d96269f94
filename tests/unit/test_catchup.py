"""Shipping's pace: a large backlog ships in catch-up batches of whole transactions, in order,
then the normal batch size returns; `--batch-rows` (no catch-up) ships exactly what it is told;
ticks far apart hang up between ticks."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from pathlib import Path

from applier.memory import MemoryShipper
from applier.service import ApplierService, CatchUp
from centrale.changes import BinlogPosition, RowChange, SourceTransaction
from centrale.outbox import OutboxStore


def fill(box: OutboxStore, transactions: int, rows_per_txn: int, start: int = 0) -> int:
    txns = [
        SourceTransaction(
            tuple(
                RowChange("sales", "upsert", ("id", "v"), (start + t * rows_per_txn + i, f"v{t}"))
                for i in range(rows_per_txn)
            ),
            BinlogPosition("mariadb-bin.000001", 4 + start + t),
        )
        for t in range(transactions)
    ]
    box.append(txns)
    return transactions * rows_per_txn


def test_a_large_backlog_ships_in_catch_up_batches_then_normal_ones(tmp_path: Path) -> None:
    with OutboxStore(tmp_path / "outbox.db") as box:
        total = fill(box, 300, 7)  # 2,100 rows in 7-row transactions
        shipper = MemoryShipper(12, keys=lambda t: ("id",))
        service = ApplierService(box, shipper, 20, threading.Event(), CatchUp(after_rows=500, batch_rows=200))
        report = service.tick()
        assert report.error is None and report.rows == total and box.stats().backlog == 0
    sizes = [len(b) for b in shipper.batches]
    seqs = [r.seq for b in shipper.batches for r in b.rows]
    assert seqs == sorted(seqs) and len(seqs) == total  # in order, each row once
    assert all(len(b) % 7 == 0 for b in shipper.batches)  # whole source transactions
    assert max(sizes) == 196 and sizes[0] == 196  # catch-up batches while more than 500 wait
    assert sizes[-1] <= 20  # and 20-row batches (here 14: two transactions) for the tail
    tail = [s for s in sizes if s <= 20]
    assert sum(tail) <= 500 + 196


def test_rows_waiting_for_several_ticks_ship_in_catch_up_batches_whatever_their_number(tmp_path: Path) -> None:
    """Head office was away for ten minutes: 300 rows is no large backlog, but shipping is behind."""
    path = tmp_path / "outbox.db"
    with OutboxStore(path) as box:
        fill(box, 50, 6)
        with contextlib.closing(sqlite3.connect(path)) as db, db:  # as if captured ten minutes ago
            db.execute("UPDATE changes SET captured_at = captured_at - 600")
        fill(box, 500, 6, start=1_000)  # and fresh sales on top
        shipper = MemoryShipper(12, keys=lambda t: ("id",))
        catchup = CatchUp(after_rows=10_000, batch_rows=200, after_s=120)
        assert ApplierService(box, shipper, 20, threading.Event(), catchup).tick().rows == 3_300
    sizes = [len(b) for b in shipper.batches]
    # The read that starts with the late rows is in catch-up batches (one read: PREFETCH_ROWS)...
    assert sizes[:10] == [198] * 10
    # ...the next starts with fresh rows: 20-row batches again (three 6-row transactions)
    assert max(sizes[10:]) == 18 and len(sizes) > 10


def test_a_small_backlog_and_an_explicit_batch_size_ignore_catch_up(tmp_path: Path) -> None:
    with OutboxStore(tmp_path / "outbox.db") as box:
        fill(box, 50, 4)  # 200 rows: under the threshold
        shipper = MemoryShipper(12, keys=lambda t: ("id",))
        ApplierService(box, shipper, 20, threading.Event(), CatchUp(after_rows=500, batch_rows=200)).tick()
        assert {len(b) for b in shipper.batches} == {20}
        fill(box, 500, 4, start=10_000)  # 2,000 rows, shipped as `outbox replay --batch-rows 40` would
        explicit = MemoryShipper(12, keys=lambda t: ("id",))
        ApplierService(box, explicit, 40, threading.Event(), None).tick()
        assert {len(b) for b in explicit.batches} == {40}


class CountingShipper(MemoryShipper):
    closes = 0

    def close(self) -> None:
        self.closes += 1
        super().close()


def test_ticks_far_apart_hang_up_so_head_office_holds_no_idle_connection(tmp_path: Path) -> None:
    with OutboxStore(tmp_path / "outbox.db") as box:
        fill(box, 3, 2)
        kept, hung_up = CountingShipper(12, keys=lambda t: ("id",)), CountingShipper(12, keys=lambda t: ("id",))
        ApplierService(box, kept, 20, threading.Event()).tick()
        fill(box, 3, 2, start=100)
        ApplierService(box, hung_up, 20, threading.Event(), hang_up_between_ticks=True).tick()
    assert kept.closes == 0 and hung_up.closes == 1
    assert sum(len(b) for b in hung_up.batches) == 6
