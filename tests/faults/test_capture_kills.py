"""`centrale run` killed with SIGKILL while it captures transactions written with savepoints and
XA: started again, head office ends equal to the store row for row, the rolled-back parts
nowhere, a transaction prepared before the kill arriving whole at its commit after it."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator

import pytest

from sandbox.chain import Chain, Site
from sandbox.compare import wait_equal
from sandbox.mysql import MySQLServer
from sandbox.processes import status_json
from sandbox.writes import rollback_prepared_xa, script, use_write_tables
from tests.faults.conftest import Spawn

TICKETS = 60


@pytest.fixture
def site(chain: Chain) -> Iterator[Site]:
    store = chain.store(12)
    use_write_tables(store)
    yield store
    rollback_prepared_xa(store)


def non_transactional_in_transactions(site: Site) -> bool:
    """MySQL with GTIDs refuses a non-transactional table's rows inside a transaction
    (``enforce_gtid_consistency``); MariaDB logs them."""
    return not isinstance(site.server, MySQLServer)


def ticket_with_savepoints(site: Site, n: int) -> None:
    """One ticket the way an ORM writes it: a savepoint per line, every third line rolled back,
    a journal row (MyISAM) after a savepoint that is rolled back too (it stays) where the server
    takes one inside a transaction."""
    base = n * 1000
    statements = [f"BEGIN; INSERT INTO tickets (id, label, total) VALUES ({n}, 'ticket {n}', {n})"]
    for line in range(30):
        statements.append(f"SAVEPOINT l{line}; INSERT INTO ticket_lines VALUES ({base + line}, {n}, {line})")
        if line % 3 == 2:
            statements.append(f"ROLLBACK TO SAVEPOINT l{line}")
        else:
            statements.append(f"RELEASE SAVEPOINT l{line}")
    if non_transactional_in_transactions(site):
        statements.append(f"SAVEPOINT j; INSERT INTO journal VALUES ({n}, 'ticket {n}'); ROLLBACK TO j")
    statements.append("COMMIT")
    script(site, "; ".join(statements))


@pytest.fixture(params=[False, True], ids=["plain binlog", "compressed binlog"])
def compressed(request: pytest.FixtureRequest, site: Site) -> Iterator[bool]:
    """The scenario on a plain binlog, then on a compressed one (MariaDB's log_bin_compress=ON,
    MySQL's binlog_transaction_compression=ON)."""
    mysql = isinstance(site.server, MySQLServer)
    on, off = (
        ("SET GLOBAL binlog_transaction_compression = ON", "SET GLOBAL binlog_transaction_compression = OFF")
        if mysql
        else (
            "SET GLOBAL log_bin_compress = ON, GLOBAL log_bin_compress_min_len = 10",
            "SET GLOBAL log_bin_compress = OFF, GLOBAL log_bin_compress_min_len = 256",
        )
    )
    if request.param:
        site.server.sql(on)
    try:
        yield bool(request.param)
    finally:
        site.server.sql(off)


@pytest.mark.parametrize("chain", ["mariadb", "mysql-store"], indirect=True)
def test_kills_while_capturing_savepoints_and_a_prepared_xa_lose_nothing(
    chain: Chain, site: Site, spawn: Spawn, rng: random.Random, compressed: bool
) -> None:
    proc = spawn(site).wait_capturing()
    script(
        site,
        "XA START 'pending'; INSERT INTO tickets (id, label, total) VALUES (900000, 'xa', 1); "
        "INSERT INTO ticket_lines VALUES (900000, 900000, 1), (900001, 900000, 2); "
        "XA END 'pending'; XA PREPARE 'pending'",
    )
    for n in range(TICKETS):
        ticket_with_savepoints(site, n)
        if n % 15 == 7:  # killed at a random moment of the capture of the tickets that follow
            time.sleep(rng.uniform(0.0, 0.3))
            proc.kill()
            proc = spawn(site).wait_capturing()
    proc.kill()
    script(site, "XA COMMIT 'pending'")  # while Centrale is down: its prepared rows are in the outbox file
    proc = spawn(site).wait_capturing()
    wait_equal(chain, site)
    assert chain.hq.sql("SELECT COUNT(*) FROM ticket_lines WHERE ticket_id = 900000") == [(2,)]
    assert chain.hq.sql("SELECT COUNT(*) FROM ticket_lines") == [(TICKETS * 20 + 2,)]
    journal = TICKETS if non_transactional_in_transactions(site) else 0
    assert chain.hq.sql("SELECT COUNT(*) FROM journal") == [(journal,)]
    assert proc.terminate() == 0, proc.log_text()[-3000:]
    assert status_json(chain, site)["backlog"] == 0


def test_kills_while_a_transaction_larger_than_memory_is_captured_and_shipped_lose_nothing(
    chain: Chain, site: Site, spawn: Spawn, rng: random.Random
) -> None:
    """Killed while the transaction's first rows wait in the outbox file (staged), and while it
    ships piece by piece: the staged rows are dropped and read again, head office's transaction
    rolls back whole, and the next start carries it once."""
    proc = spawn(site).wait_capturing()
    script(
        site,
        """BEGIN; INSERT INTO tickets (id, label, total) VALUES (1, 'stock-take', 0);
        SAVEPOINT s; INSERT INTO ticket_lines SELECT seq, 1, seq FROM seq_1_to_20000;
        INSERT INTO journal VALUES (1, 'recount'); ROLLBACK TO s;
        INSERT INTO ticket_lines SELECT seq, 2, seq % 11 FROM seq_1_to_70000; COMMIT""",
    )
    for _ in range(3):
        time.sleep(rng.uniform(0.2, 1.5))
        proc.kill()
        proc = spawn(site).wait_capturing()
    wait_equal(chain, site, timeout_s=180)
    assert chain.hq.sql("SELECT COUNT(*) FROM ticket_lines") == [(70000,)]
    assert chain.hq.sql("SELECT id FROM journal") == [(1,)]
    assert proc.terminate() == 0, proc.log_text()[-3000:]


def test_centrale_run_stops_with_exit_code_9_naming_the_event_and_goes_on_after_the_fix(
    chain: Chain, site: Site, spawn: Spawn
) -> None:
    """As a store PC runs it: a DBA's import in STATEMENT format stops `centrale run` with exit
    code 9 and one line naming the table, the position and the fix; after the snapshot, the
    next start goes on and head office equals the store."""
    proc = spawn(site).wait_capturing()
    script(site, "INSERT INTO tickets (id, label, total) VALUES (1, 'sale', 1)")
    script(site, "SET SESSION binlog_format = STATEMENT; UPDATE tickets SET total = 2 WHERE id = 1")
    assert proc.wait_until(lambda: not proc.alive, timeout_s=60)
    assert proc.terminate() == 9
    text = proc.log_text(since_start=True)
    assert "a change to tickets at binlog position mariadb-bin." in text and "centrale snapshot tickets" in text
    chain.centrale(site, "snapshot", "tickets")
    proc = spawn(site).wait_capturing()
    wait_equal(chain, site)
    assert chain.hq.sql("SELECT id, total FROM tickets") == [(1, 2)]
    assert proc.terminate() == 0, proc.log_text()[-3000:]
