"""Shipped rows are kept for a window, so that a head office put back from a backup gets them
again (``centrale.core.outbox.retention``); what is no longer kept is named, never assumed sent."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from centrale.core.changes import BinlogPosition, RowChange, SourceTransaction
from centrale.core.outbox import OutboxStore, retention


def _store(path: Path, keep_s: float = retention.KEEP_S) -> OutboxStore:
    return OutboxStore(path / "outbox.db", keep_shipped_s=keep_s)


def _capture(box: OutboxStore, n: int) -> None:
    for i in range(1, n + 1):  # row i is seq i
        box.append(
            [
                SourceTransaction(
                    (RowChange("sales", "upsert", ("id", "total"), (i, f"{i}.00")),),
                    BinlogPosition("bin.000001", 1000 + i),
                    None,
                    0,
                )
            ]
        )


def _seqs(box: OutboxStore) -> list[int]:
    return [r.seq for r in box.rows(limit=1000)]


def test_acknowledged_rows_leave_the_queue_and_come_back_when_head_office_lacks_them(tmp_path: Path) -> None:
    box = _store(tmp_path)
    _capture(box, 10)
    box.ack(7, 7)
    assert _seqs(box) == [8, 9, 10]
    back = box.reship_after(4)  # head office restored: it holds seq 1 to 4 only
    assert (back.rows, back.lost_from) == (3, None)
    assert _seqs(box) == [5, 6, 7, 8, 9, 10]
    assert box.stats().last_shipped_seq == 4
    assert [r.values for r in box.rows(limit=1)] == [(5, "5.00")]


def test_rows_older_than_the_window_are_purged_and_a_gap_past_them_is_named(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(retention, "PURGE_EVERY_S", 0.0)
    box = _store(tmp_path, keep_s=3600)
    _capture(box, 10)
    box.ack(6, 6)
    db = sqlite3.connect(tmp_path / "outbox.db")
    db.execute("UPDATE shipped_marks SET shipped_at = shipped_at - 7200")  # shipped two hours ago
    db.commit()
    db.close()
    box.ack(8, 2)  # the next acknowledgement purges what is past the window
    back = box.reship_after(2)
    assert (back.lost_from, back.lost_to) == (3, 6)  # gone: named, for `push --since`
    assert back.rows == 2 and _seqs(box) == [7, 8, 9, 10]


def test_keeping_nothing_names_every_shipped_row_as_lost_to_a_restored_head_office(tmp_path: Path) -> None:
    box = _store(tmp_path, keep_s=0)
    _capture(box, 5)
    box.ack(5, 5)
    back = box.reship_after(1)
    assert (back.rows, back.lost_from, back.lost_to) == (0, 2, 5)


def test_a_store_with_more_kept_rows_than_the_cap_keeps_the_newest(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(retention, "MAX_KEPT_ROWS", 3)
    box = _store(tmp_path)
    _capture(box, 10)
    box.ack(8, 8)
    back = box.reship_after(0)
    assert (back.lost_from, back.lost_to) == (1, 5) and _seqs(box) == [6, 7, 8, 9, 10]
