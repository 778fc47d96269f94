"""Shipping's pace: a large or late backlog ships in catch-up batches of whole transactions, in
order, to its end, then the normal batch size returns; `--batch-rows` (no catch-up) ships exactly what it is told;
ticks far apart hang up between ticks."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from applier.memory import MemoryShipper
from applier.service import ACK_EVERY_ROWS, ApplierService, CatchUp
from centrale.core.changes import Batch, BinlogPosition, RowChange, SourceTransaction
from centrale.core.errors import TransientShipError
from centrale.core.i18n import Msg
from centrale.core.outbox import OutboxStore


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


def test_a_large_backlog_ships_in_catch_up_batches_to_its_end_then_normal_ones(tmp_path: Path) -> None:
    with OutboxStore(tmp_path / "outbox.db") as box:
        total = fill(box, 300, 7)  # 2,100 rows in 7-row transactions
        shipper = MemoryShipper(12, keys=lambda t: ("id",))
        service = ApplierService(box, shipper, 20, threading.Event(), CatchUp(after_rows=500, batch_rows=200))
        report = service.tick()
        assert report.error is None and report.rows == total and box.stats().backlog == 0
        seqs = [r.seq for b in shipper.batches for r in b.rows]
        assert seqs == sorted(seqs) and len(seqs) == total  # in order, each row once
        assert all(len(b) % 7 == 0 for b in shipper.batches)  # whole source transactions
        # Catch-up batches to the end of the backlog: its last 500 rows in 20-row batches would
        # cost as long as the rest.
        assert [len(b) for b in shipper.batches] == [196] * 10 + [140]
        fill(box, 10, 7, start=10_000)  # caught up: the next tick's 70 rows go 20 at a time
        shipper.batches.clear()
        assert service.tick().rows == 70
        assert [len(b) for b in shipper.batches] == [14] * 5


def test_rows_waiting_for_several_ticks_ship_in_catch_up_batches_whatever_their_number(tmp_path: Path) -> None:
    """Head office was away for ten minutes: 300 rows is no large backlog, but shipping is behind
    (and the fresh rows above them are part of the same backlog)."""
    path = tmp_path / "outbox.db"
    with OutboxStore(path) as box:
        fill(box, 50, 6)
        with contextlib.closing(sqlite3.connect(path)) as db, db:  # as if captured ten minutes ago
            db.execute("UPDATE changes SET captured_at = captured_at - 600")
        fill(box, 500, 6, start=1_000)  # and fresh sales on top
        shipper = MemoryShipper(12, keys=lambda t: ("id",))
        catchup = CatchUp(after_rows=10_000, batch_rows=200, after_s=120)
        assert ApplierService(box, shipper, 20, threading.Event(), catchup).tick().rows == 3_300
    assert [len(b) for b in shipper.batches] == [198] * 16 + [132]


def test_without_a_late_row_or_a_large_backlog_batches_keep_the_normal_size(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    with OutboxStore(path) as box:
        fill(box, 500, 6)  # 3,000 fresh rows: under the threshold
        shipper = MemoryShipper(12, keys=lambda t: ("id",))
        catchup = CatchUp(after_rows=10_000, batch_rows=200, after_s=120)
        assert ApplierService(box, shipper, 20, threading.Event(), catchup).tick().rows == 3_000
    assert [len(b) for b in shipper.batches] == [18] * 166 + [12]


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
        hung_up.progress = dict(kept.progress)  # the same head office, which has the first rows
        ApplierService(box, hung_up, 20, threading.Event(), hang_up_between_ticks=True).tick()
    assert kept.closes == 0 and hung_up.closes == 1
    assert sum(len(b) for b in hung_up.batches) == 6


class FailsOnce(MemoryShipper):
    """Head office goes away at the ``at``-th batch (nothing of it applied), then comes back."""

    def __init__(self, at: int) -> None:
        super().__init__(12, keys=lambda t: ("id",))
        self.at, self.calls = at, 0

    def ship(self, batch: Batch) -> int:
        self.calls += 1
        if self.calls == self.at:
            time.sleep(0.3)  # a slow failure: the next read is queued behind this one meanwhile
            raise TransientShipError(Msg("err.ship.memory_down"))
        return super().ship(batch)


def test_a_failure_mid_drain_ships_nothing_after_it_and_the_next_tick_resumes_there(tmp_path: Path) -> None:
    """Reads are queued for the shipping thread ahead of time: after a failed batch, none of
    them may ship (head office would hold rows after a gap)."""
    with OutboxStore(tmp_path / "outbox.db") as box:
        total = fill(box, 400, 5)  # 2,000 rows: a hundred 20-row batches, reads queued ahead
        shipper = FailsOnce(at=37)
        service = ApplierService(box, shipper, 20, threading.Event())
        first = service.tick()
        assert first.error is not None and first.rows == 36 * 20
        assert box.stats().backlog == total - 36 * 20
        assert [r.seq for b in shipper.batches for r in b.rows] == list(range(1, 36 * 20 + 1))
        second = service.tick()
        assert second.error is None and second.rows == total - 36 * 20 and box.stats().backlog == 0
    seqs = [r.seq for b in shipper.batches for r in b.rows]
    assert seqs == list(range(1, total + 1))  # no gap, nothing twice


class WatchingBacklog(MemoryShipper):
    """Notes, at each batch, how many rows the outbox file still holds (its own connection)."""

    def __init__(self, path: Path) -> None:
        super().__init__(12, keys=lambda t: ("id",))
        self.path, self.backlogs = path, []

    def ship(self, batch: Batch) -> int:
        with contextlib.closing(sqlite3.connect(self.path)) as db:
            self.backlogs.append(db.execute("SELECT count(*) FROM changes").fetchone()[0])
        return super().ship(batch)


def test_a_long_drain_forgets_shipped_rows_as_it_goes(tmp_path: Path) -> None:
    """Not all at the end: deleting a million shipped rows at once would hold up the tick."""
    path = tmp_path / "outbox.db"
    with OutboxStore(path) as box:
        total = fill(box, 3_000, 10)  # 30,000 rows
        shipper = WatchingBacklog(path)
        ApplierService(box, shipper, 20, threading.Event(), CatchUp(after_rows=500, batch_rows=1_000)).tick()
        assert box.stats().backlog == 0
    assert shipper.backlogs[0] == total
    assert shipper.backlogs[-1] < total - ACK_EVERY_ROWS  # acked while shipping, every ACK_EVERY_ROWS rows


class Breaks(FailsOnce):
    """A shipper with a bug at the ``at``-th batch."""

    def ship(self, batch: Batch) -> int:
        if self.calls + 1 == self.at:
            self.calls += 1
            time.sleep(0.3)  # the next read is queued behind this one meanwhile
            raise RuntimeError("a bug")
        return super().ship(batch)


def test_an_unexpected_error_mid_drain_ships_nothing_after_it(tmp_path: Path) -> None:
    with OutboxStore(tmp_path / "outbox.db") as box:
        fill(box, 400, 5)
        shipper = Breaks(at=37)
        with pytest.raises(RuntimeError, match="a bug"):
            ApplierService(box, shipper, 20, threading.Event()).tick()
    assert [r.seq for b in shipper.batches for r in b.rows] == list(range(1, 36 * 20 + 1))
