"""MySQL's compressed transactions (``binlog_transaction_compression=ON``: one Transaction_payload
event, zstd, holding a whole transaction) are read as the transactions they hold, in order and
at the right binlog positions, mixed with uncompressed ones; the library alone sees no rows.

Capture's reader against a real MySQL 9.7 server (sandbox/mysql.py); the rest of the pipeline on
MySQL is issue 15's."""

from __future__ import annotations

import time

import pytest

from cdc.charsets import ServerCharsets
from cdc.events import Heartbeat, Rows, TxnBegin, TxnEnd, Unreadable
from cdc.reader import BinlogReader, commit_event_at
from centrale.core.changes import BinlogPosition
from centrale.core.db import parse_url
from sandbox.mysql import MySQLServer

pytestmark = pytest.mark.local_servers


def read(server: MySQLServer, start: BinlogPosition, transactions: int) -> tuple[list[Rows], list[TxnEnd]]:
    params = parse_url(server.url("pos"))
    with server.connect() as conn:
        charsets = ServerCharsets.load(conn)
    reader = BinlogReader(
        params, server_id=4711, tables=["t"], start=start, charsets=charsets, dbms="mysql", heartbeat_s=0.5
    )
    rows: list[Rows] = []
    ends: list[TxnEnd] = []
    deadline = time.monotonic() + 60
    try:
        for ev in reader:
            assert not isinstance(ev, Unreadable), ev.what
            if isinstance(ev, Rows):
                rows.append(ev)
            elif isinstance(ev, TxnEnd):
                ends.append(ev)
            elif isinstance(ev, Heartbeat | TxnBegin) and len(ends) >= transactions:
                break
            assert time.monotonic() < deadline, f"read {len(ends)} of {transactions} transactions"
    finally:
        reader.close()
    return rows, ends


def test_compressed_transactions_are_read_whole_and_in_order(mysql: MySQLServer) -> None:
    mysql.sql("CREATE DATABASE IF NOT EXISTS pos")
    mysql.sql("CREATE TABLE pos.t (id INT PRIMARY KEY, v VARCHAR(200), note VARCHAR(50) CHARSET latin1)")
    status = mysql.sql("SHOW BINARY LOG STATUS")[0]
    start = BinlogPosition(str(status[0]), int(status[1]))
    with mysql.connect("pos") as conn, conn.cursor() as cur:
        conn.autocommit(True)
        cur.execute("SET SESSION binlog_transaction_compression = ON")
        cur.execute("INSERT INTO t VALUES (1, REPEAT('a', 150), %s), (2, 'b', NULL)", (b"\x81\x8d\xe9",))
        cur.execute("BEGIN")
        cur.executemany("INSERT INTO t VALUES (%s, CONCAT('line ', %s), NULL)", [(i, i) for i in range(10, 3010)])
        cur.execute("COMMIT")
        cur.execute("SET SESSION binlog_transaction_compression = OFF")
        cur.execute("UPDATE t SET v = 'plain' WHERE id = 2")
        cur.execute("SET SESSION binlog_transaction_compression = ON")
        cur.execute("DELETE FROM t WHERE id >= 3000")
    events = mysql.sql(f"SHOW BINLOG EVENTS IN %s FROM {start.pos}", args=(start.file,))
    payloads = [r for r in events if r[2] == "Transaction_payload"]
    assert len(payloads) == 3  # the three compressed transactions really are
    rows, ends = read(mysql, start, 4)
    assert [len(e.rows) for e in rows if e.kind == "insert"] and sum(len(e.rows) for e in rows) == 2 + 3000 + 1 + 10
    first = rows[0].rows[0]["values"]
    assert first == {"id": 1, "v": "a" * 150, "note": "\x81\x8dé"}
    inserted = [r["values"]["id"] for e in rows if e.kind == "insert" for r in e.rows]
    assert inserted == [1, 2, *range(10, 3010)]
    assert [e.kind for e in rows][-2:] == ["update", "delete"] or rows[-1].kind == "delete"
    # Each transaction ends where its payload (or its XID) ends in the binlog: a resume point.
    assert [e.position.pos for e in ends][:2] == [int(payloads[0][4]), int(payloads[1][4])]
    assert sorted(e.position.pos for e in ends) == [e.position.pos for e in ends]
    # Each commit's mark names the event the binlog holds: the payload, from its start, which is
    # where a restart reads it again to prove the binlog is still the one capture read.
    assert [e.mark.start if e.mark else None for e in ends][:2] == [int(payloads[0][1]), int(payloads[1][1])]
    params = parse_url(mysql.url("pos"))
    for end in ends:
        assert end.mark is not None
        assert commit_event_at(params, server_id=4712, position=end.position, mark=end.mark) == end.mark
