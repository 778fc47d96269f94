"""How much the applier reads from the outbox at once: bounded, whatever the batch size."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from applier.service import PREFETCH_ROWS, ApplierService
from centrale.core.changes import Batch, BinlogPosition, RowChange, SourceTransaction
from centrale.core.outbox import OutboxStore


class CountingShipper:
    def __init__(self) -> None:
        self.rows = 0

    def prepare(self) -> None:
        pass

    def ship(self, batch: Batch) -> int:
        self.rows += len(batch)
        return len(batch)

    def close(self) -> None:
        pass


@pytest.mark.parametrize("batch_rows", [20, 1000, 5000])
def test_one_outbox_read_holds_a_bounded_number_of_rows_whatever_the_batch_size(
    tmp_path: Path, batch_rows: int
) -> None:
    box = OutboxStore(tmp_path / "outbox.db")
    pos = BinlogPosition("mariadb-bin.000001", 4)
    box.append(
        [
            SourceTransaction(tuple(RowChange("t", "upsert", ("id",), (t * 10 + i,)) for i in range(10)), pos)
            for t in range(1200)
        ]
    )
    reads: list[int] = []
    claim = box.claim_batches

    def counted(*args: object, **kw: object) -> list[Batch]:
        got = claim(*args, **kw)  # type: ignore[arg-type]
        reads.append(sum(len(b) for b in got))
        return got

    box.claim_batches = counted  # type: ignore[method-assign]
    shipper = CountingShipper()
    report = ApplierService(box, shipper, batch_rows, threading.Event()).tick()
    assert report.rows == shipper.rows == 12_000
    assert max(reads) <= max(PREFETCH_ROWS, batch_rows)
    assert box.stats().backlog == 0
    box.close()
