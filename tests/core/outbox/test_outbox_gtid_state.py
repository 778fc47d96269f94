"""The checkpoint's GTID state: written with the checkpoint, and only ever read for it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from centrale.core.changes import BinlogPosition, CommitMark, RowChange, SourceTransaction
from centrale.core.outbox import OutboxStore
from centrale.core.outbox.gtidstate import GtidRecord

AT = BinlogPosition("mysql-bin.000003", 900)
STATE = GtidRecord(
    BinlogPosition("", 0), "mysql", "7/uuid", "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-40", None, None, None
)


def sale(pos: int) -> SourceTransaction:
    change = RowChange("sales", "upsert", ("id",), (pos,))
    return SourceTransaction((change,), BinlogPosition("mysql-bin.000003", pos), mark=CommitMark(pos - 31, 5, 7))


def test_the_state_is_written_with_the_checkpoint_it_holds_at(tmp_path: Path) -> None:
    with OutboxStore(tmp_path / "o.db") as box:
        box.append([sale(900)], gtid=STATE)
        got = box.gtid_state()
        assert got == STATE.at(AT)


def test_a_checkpoint_moved_without_a_state_leaves_none(tmp_path: Path) -> None:
    """A snapshot or a resync moves the checkpoint: the old state no longer holds there."""
    with OutboxStore(tmp_path / "o.db") as box:
        box.append([sale(900)], gtid=STATE)
        box.set_checkpoint(BinlogPosition("mysql-bin.000004", 4))
        assert box.gtid_state() is None
        box.append([sale(1000)])  # a commit capture could not follow by GTID either
        assert box.gtid_state() is None
        box.set_checkpoint(BinlogPosition("mysql-bin.000004", 4), gtid=STATE)
        assert box.gtid_state() == STATE.at(BinlogPosition("mysql-bin.000004", 4))


def test_an_outbox_from_before_gtid_states_gets_the_table_and_none(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with OutboxStore(path) as box:
        box.append([sale(900)])
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE gtid_state")
        db.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    with OutboxStore(path) as box:
        assert box.checkpoint() is not None and box.gtid_state() is None
        box.append([sale(1000)], gtid=STATE)
        assert box.gtid_state() == STATE.at(BinlogPosition("mysql-bin.000003", 1000))
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "5"
