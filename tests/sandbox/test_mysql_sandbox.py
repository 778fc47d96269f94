"""The throwaway MySQL 9.7 server (sandbox/mysql.py): unpacked by scripts/ensure-mysql, started, binlogging
what capture needs, destroyed."""

from __future__ import annotations

import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest

from sandbox.mysql import MySQLServer, ensure_mysql


@pytest.mark.local_servers
def test_a_mysql_server_starts_with_capture_binlog_settings_and_is_destroyed() -> None:
    ensure_mysql()  # unpacks MySQL on a fresh machine (a no-op afterwards), rather than skipping
    # Not pytest's tmp_path: its long names could overflow the unix socket path limit (108 bytes).
    root = Path(tempfile.mkdtemp(prefix="centrale-mysql-test-"))
    server = MySQLServer("store", root, server_id=4242)
    try:
        server.start()
        assert server.controllable and server.pid
        version, row_metadata, row_image, fmt, server_id = server.sql(
            "SELECT @@version, @@binlog_row_metadata, @@binlog_row_image, @@binlog_format, @@server_id"
        )[0]
        assert str(version).startswith("9."), version
        assert (row_metadata, row_image, fmt, server_id) == ("FULL", "FULL", "ROW", 4242)

        server.sql("CREATE DATABASE pos")
        before = server.sql("SHOW BINARY LOG STATUS")[0]
        server.sql("CREATE TABLE sale (id INT PRIMARY KEY, total DECIMAL(10,2) NOT NULL, note VARCHAR(40))", "pos")
        with server.connect("pos") as conn, conn.cursor() as cur:
            cur.executemany("INSERT INTO sale VALUES (%s, %s, %s)", [(1, "9.99", "café"), (2, "0.50", None)])
        assert server.sql("SELECT id, total, note FROM sale ORDER BY id", "pos") == [
            (1, Decimal("9.99"), "café"),
            (2, Decimal("0.50"), None),
        ]

        log_file, position = server.sql("SHOW BINARY LOG STATUS")[0][:2]
        assert str(log_file).startswith("mysql-bin.") and int(position) > 0
        assert (log_file, int(position)) > (before[0], int(before[1]))  # the writes went to the binlog
        assert (server.base / "binlog" / str(log_file)).is_file()
    finally:
        server.destroy()
        shutil.rmtree(root, ignore_errors=True)
    assert server.pid is None and not server.base.exists()
