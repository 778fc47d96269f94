"""A snapshot of a MySQL store stands at an exact binlog position, as on MariaDB.

MySQL's consistent-snapshot transaction does not say where in the binlog it stands (MariaDB's
``binlog_snapshot_*``). The snapshot holds commits for the instant its read view opens and the
binlog's end is read. The promise the fence relies on: the snapshot holds exactly the
transactions that end at or before its position, with a till committing all the while."""

from __future__ import annotations

import threading
from pathlib import Path

import pymysql
import pytest

from applier.operations import plan
from cdc.snapshot import take_snapshot
from centrale.core.changes import BinlogPosition
from centrale.core.config import load
from centrale.core.errors import SourceError
from centrale.core.outbox import OutboxStore
from sandbox.chain import write_store_config
from sandbox.mysql import MySQLServer
from tests.conftest import Servers

pytestmark = pytest.mark.local_servers

DB = "mysnap"
TABLE_SPEC = """
[tables.tickets]
kind = "aggregate"
group = "sales"
"""


def _site(mysql: MySQLServer, servers: Servers, tmp_path: Path, url_user: str = "root") -> Path:
    mysql.sql(f"DROP DATABASE IF EXISTS {DB}")
    mysql.sql(f"CREATE DATABASE {DB}")
    mysql.sql(f"CREATE TABLE {DB}.tickets (id INT PRIMARY KEY, amount DECIMAL(10,2) NOT NULL)")
    path = write_store_config(tmp_path / "store.toml", number=12, name="My", store=mysql, hq=servers.hq, store_db=DB)
    if url_user != "root":
        text = path.read_text().replace(
            f"mysql://root@127.0.0.1:{mysql.port}/", f"mysql://{url_user}@127.0.0.1:{mysql.port}/"
        )
        path.write_text(text)
    path.write_text(path.read_text() + TABLE_SPEC)
    return path


def _transaction_ends(mysql: MySQLServer) -> list[BinlogPosition]:
    """Where each committed transaction ends in the binlog, in commit order (its Xid event)."""
    ends = []
    for (name,) in [(r[0],) for r in mysql.sql("SHOW BINARY LOGS")]:
        for row in mysql.sql("SHOW BINLOG EVENTS IN %s", args=(name,)):
            if row[2] == "Xid":
                ends.append(BinlogPosition(str(name), int(row[4])))
    return ends


def test_a_mysql_snapshot_holds_exactly_the_transactions_before_its_position(
    mysql: MySQLServer, servers: Servers, tmp_path: Path
) -> None:
    cfg = load(_site(mysql, servers, tmp_path))
    mysql.sql(f"INSERT INTO {DB}.tickets VALUES (1, 1.00), (2, 2.00)")
    before = len(_transaction_ends(mysql))
    stop = threading.Event()
    committed: list[int] = []

    def till() -> None:
        """One ticket a transaction, ids in commit order, until the snapshot is done."""
        with mysql.connect(DB) as conn, conn.cursor() as cur:
            ticket = 3
            while not stop.is_set() or ticket < 60:
                cur.execute("INSERT INTO tickets VALUES (%s, %s)", (ticket, ticket))
                committed.append(ticket)
                ticket += 1

    selling = threading.Thread(target=till)
    selling.start()
    try:
        while len(committed) < 20:
            stop.wait(0.01)
        with OutboxStore(cfg.outbox.path) as box:
            (result,) = take_snapshot(cfg, box, ["tickets"])
            snapped = {int(values[0]) for values in _outbox_values(box)}
    finally:
        stop.set()
        selling.join()
    ends = _transaction_ends(mysql)[before:]
    assert len(ends) == len(committed)  # one Xid per ticket: the till's transactions only
    held = {ticket for ticket, end in zip(committed, ends, strict=True) if end <= result.position}
    assert snapped == {1, 2} | held
    assert 2 < len(snapped) < 2 + len(committed), "the snapshot raced no sale: the test proved nothing"


def _outbox_values(box: OutboxStore) -> list[tuple[object, ...]]:
    batches = box.claim_batches(100_000, after_seq=0, max_batches=1000)
    return [row for b in batches for op in plan(b.runs) for row in op.rows]


def test_a_mysql_snapshot_without_the_reload_privilege_names_it(
    mysql: MySQLServer, servers: Servers, tmp_path: Path
) -> None:
    mysql.sql("DROP USER IF EXISTS 'snap_short'@'%'")
    mysql.sql("CREATE USER 'snap_short'@'%' IDENTIFIED BY 'pw'")
    path = _site(mysql, servers, tmp_path, url_user="snap_short:pw")
    mysql.sql(f"GRANT SELECT ON {DB}.* TO 'snap_short'@'%'")
    mysql.sql("GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'snap_short'@'%'")
    cfg = load(path)
    with OutboxStore(cfg.outbox.path) as box, pytest.raises(SourceError) as caught:
        take_snapshot(cfg, box, ["tickets"])
    assert "RELOAD" in str(caught.value.hint)
    with pymysql.connect(host="127.0.0.1", port=mysql.port, user="snap_short", password="pw") as conn:
        assert conn.open  # the account itself works: only the lock was refused
