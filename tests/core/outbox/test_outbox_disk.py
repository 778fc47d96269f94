"""What the outbox says when its disk cannot take a write, and how much the applier reads at once.
(The real full and read-only disks are in tests/faults/test_outbox_disk.py.)"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

import pytest

from applier.service import PREFETCH_ROWS, ApplierService
from centrale.core.changes import Batch, BinlogPosition, RowChange, SourceTransaction
from centrale.core.outbox import OutboxStore
from centrale.core.outbox.disk import FULL_HINT, human_bytes, probe
from centrale.core.outbox.schema import _outbox_error


def test_a_disk_with_room_and_write_rights_has_no_problem(tmp_path: Path) -> None:
    assert probe(tmp_path / "var" / "outbox.db") is None  # a folder still to create: its parent counts


def test_too_little_free_space_is_a_full_disk_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    err = probe(path, full_below=1 << 62)
    assert err is not None
    assert err.message.startswith(f"outbox {path} is full (disk full, ")
    assert err.hint == str(FULL_HINT) == "free space on that disk; capture resumes by itself from its checkpoint"


def test_sqlite_full_becomes_one_line_naming_the_outbox(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    exc = sqlite3.connect(":memory:")
    try:
        exc.execute("PRAGMA max_page_count = 2")
        exc.execute("CREATE TABLE t (x)")
        with pytest.raises(sqlite3.Error) as raised:
            exc.execute("INSERT INTO t VALUES (randomblob(100000))")
    finally:
        exc.close()
    err = _outbox_error(path, raised.value)
    assert err.message.startswith(f"outbox {path} is full (disk full")
    assert "\n" not in err.message + (err.hint or "")
    assert err.hint == str(FULL_HINT)


@pytest.mark.skipif(os.geteuid() == 0, reason="permissions do not stop root (the fault suite remounts instead)")
def test_a_folder_the_user_cannot_write_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "var"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        err = probe(folder / "outbox.db")
        assert err is not None
        assert err.message == f"outbox {folder / 'outbox.db'} is not writable (permission denied on {folder})"
        assert err.hint and err.hint.startswith(f"make {folder} writable by the Centrale user")
    finally:
        folder.chmod(0o755)


def test_human_bytes() -> None:
    assert [human_bytes(n) for n in (0, 1023, 1536, 5 << 20, 3 << 30)] == [
        "0 bytes",
        "1023 bytes",
        "1.5 KB",
        "5.0 MB",
        "3.0 GB",
    ]


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
