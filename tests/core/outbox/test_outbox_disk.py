"""What the outbox says when its disk cannot take a write.
(The real full and read-only disks are in tests/faults/test_outbox_disk.py; how much the applier
reads at once, in tests/applier/test_prefetch.py.)"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

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
