"""Capture keeps the GTID state of its checkpoint, and finds the checkpoint again by it on another
server with the same history: a replica that took over from the store's dead server.

Where the new server cannot prove it holds the same transactions (the same server put back from a
backup and counting GTIDs again, a server that holds transactions capture never saw), capture
stops as it would have without GTIDs, naming the lost position.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from cdc.binlog import end_position
from cdc.gtidsearch import quick_state_at, state_at
from centrale.core.config import Config, load
from centrale.core.db import connect_store
from centrale.core.errors import PositionLostError
from centrale.core.gtid import parse_state
from centrale.core.outbox import OutboxStore
from centrale.core.server import server_of
from sandbox.capture import Capture, capturing, ship
from sandbox.chain import Chain, Site, chain_on
from sandbox.compare import site_differences
from sandbox.mariadb import MariaDBServer
from sandbox.mysql import MySQLServer, ensure_mysql
from sandbox.server import LocalServer
from sandbox.writes import capture_table
from tests.conftest import Servers

DDL = "CREATE TABLE moves (id INT PRIMARY KEY, n INT NOT NULL) ENGINE=InnoDB"


def make_server(kind: str, name: str, root: Path, server_id: int) -> LocalServer:
    if kind == "mysql":
        ensure_mysql()
        return MySQLServer(name, root, server_id=server_id).start()
    return MariaDBServer(name, root, server_id=server_id, extra_options={"log_slave_updates": "ON"}).start()


def follow(replica: LocalServer, source: LocalServer) -> None:
    """``replica`` replicates ``source`` by GTID from its first transaction."""
    if isinstance(replica, MySQLServer):
        replica.sql(
            f"CHANGE REPLICATION SOURCE TO SOURCE_HOST='127.0.0.1', SOURCE_PORT={source.port}, "
            "SOURCE_USER='root', SOURCE_PASSWORD='', SOURCE_AUTO_POSITION=1"
        )
        replica.sql("START REPLICA")
    else:
        replica.sql(
            f"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={source.port}, MASTER_USER='root', "
            "MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos"
        )
        replica.sql("START SLAVE")


def caught_up(replica: LocalServer, source: LocalServer) -> None:
    if isinstance(replica, MySQLServer):
        gtids = source.sql("SELECT @@GLOBAL.gtid_executed")[0][0]
        assert replica.sql("SELECT WAIT_FOR_EXECUTED_GTID_SET(%s, 60)", args=(gtids,))[0][0] == 0
    else:
        pos = source.sql("SELECT @@GLOBAL.gtid_binlog_pos")[0][0]
        assert replica.sql("SELECT MASTER_GTID_WAIT(%s, 60)", args=(pos,))[0][0] == 0


def take_over(replica: LocalServer) -> None:
    """The replica becomes the store's server (its source is dead)."""
    if isinstance(replica, MySQLServer):
        replica.sql("STOP REPLICA")
        replica.sql("RESET REPLICA ALL")
    else:
        replica.sql("STOP SLAVE")
        replica.sql("RESET SLAVE ALL")


def server_state(server: LocalServer) -> str:
    sql = "SELECT @@GLOBAL.gtid_executed" if isinstance(server, MySQLServer) else "SELECT @@GLOBAL.gtid_binlog_state"
    return str(server.sql(sql)[0][0])


def point_at(site: Site, server: LocalServer) -> Config:
    """The store's configuration, its database now on ``server``."""
    lines = site.config.read_text().splitlines()
    site.config.write_text(
        "\n".join(f'url = "{server.url(site.database)}"' if line.startswith("url = ") else line for line in lines)
        + "\n"
    )
    return load(site.config)


@pytest.fixture(params=["mariadb", "mysql"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def pair(kind: str, tmp_path: Path) -> Iterator[tuple[LocalServer, LocalServer]]:
    """A store server and its replica (GTIDs, the replica logging what it applies)."""
    source = make_server(kind, "source", tmp_path / "servers", 201)
    replica = make_server(kind, "replica", tmp_path / "servers", 202)
    try:
        replica.sql("FLUSH BINARY LOGS")  # its binlog's files and positions differ from its source's
        follow(replica, source)
        yield source, replica
    finally:
        for s in (replica, source):
            s.destroy()


@pytest.fixture
def chain(servers: Servers, pair: tuple[LocalServer, LocalServer], tmp_path: Path) -> Iterator[Chain]:
    with chain_on(
        tmp_path / "chain", servers.hq, {12: pair[0]}, hq_db=f"hq_gtid_{os.getpid()}", store_db="gtid_store"
    ) as chain:
        yield chain


def sell(server: LocalServer, database: str, ids: range) -> None:
    for i in ids:
        server.sql(f"INSERT INTO `{database}`.moves VALUES ({i}, {i})")


def reset_binlog(server: LocalServer, state: str) -> None:
    """The server's binlog emptied and its GTIDs counted on from ``state`` (as after a restore)."""
    if isinstance(server, MySQLServer):
        server.sql("RESET BINARY LOGS AND GTIDS")
        server.sql("SET GLOBAL gtid_purged = %s", args=(state,))
    else:
        server.sql("RESET MASTER")
        server.sql("SET GLOBAL gtid_binlog_state = %s", args=(state,))


def alone(chain: Chain, pair: tuple[LocalServer, LocalServer]) -> tuple[LocalServer, Site, Config]:
    """The store's own server, its replica cut off, with the captured table."""
    source, replica = pair
    take_over(replica)
    site = chain.store(12)
    return source, site, capture_table(site, DDL, "moves")


def test_the_checkpoint_holds_the_servers_own_gtid_state(chain: Chain, pair: tuple[LocalServer, LocalServer]) -> None:
    """Once capture reaches the binlog's end, the outbox's GTID state is the one the server
    reports for it (MySQL ``gtid_executed``, MariaDB ``gtid_binlog_state``), DDL and
    transactions on other tables counted too."""
    source, _ = pair
    site = chain.store(12)
    cfg = capture_table(site, DDL, "moves")
    with capturing(cfg) as cap:
        sell(source, site.database, range(1, 6))
        source.sql("CREATE TABLE elsewhere (id INT PRIMARY KEY)", site.database)
        source.sql("INSERT INTO elsewhere VALUES (1)", site.database)
        cap.wait_rows(5)
        with connect_store(cfg.local.params) as conn:
            end, family = end_position(conn), server_of(conn).family
        expected = parse_state(family, server_state(source))
        with OutboxStore(cfg.outbox.path) as outbox:  # another connection: what capture committed
            for _ in range(600):
                cp, rec = outbox.checkpoint(), outbox.gtid_state()
                if cp is not None and cp.position.sort_key >= end.sort_key and rec is not None:
                    break
                time.sleep(0.05)
    assert rec is not None and parse_state(family, rec.state) == expected
    assert rec.last_mark is not None and rec.server.startswith("201/")


def test_the_state_read_from_the_binlog_is_the_servers_at_every_transaction(
    chain: Chain, pair: tuple[LocalServer, LocalServer]
) -> None:
    """``state_at`` and ``quick_state_at`` (how capture works out a state it lacks) against the
    server's own answer, read after each transaction with the binlog position it reached, across
    a rotation."""
    source, _ = pair
    site = chain.store(12)
    capture_table(site, DDL, "moves")
    seen = []
    for i in range(1, 9):
        sell(source, site.database, range(i, i + 1))
        if i == 4:
            source.sql("FLUSH BINARY LOGS")
        with source.connect() as conn:
            seen.append((end_position(conn), server_state(source)))
    with source.connect() as conn:
        server = server_of(conn)
        for k, (position, state) in enumerate(seen):
            expected = parse_state(server.family, state)
            found = state_at(conn, server, position)
            assert found is not None and found.state == expected, position
            # Without the walk: MariaDB anywhere, MySQL at the binlog's end.
            quick = quick_state_at(conn, server, position)
            if server.is_mariadb or k == len(seen) - 1:
                assert quick == expected, position
            else:
                assert quick is None


def test_capture_goes_on_from_a_replica_that_took_over_exactly_where_it_stopped(
    chain: Chain, pair: tuple[LocalServer, LocalServer], caplog: pytest.LogCaptureFixture
) -> None:
    """The store's server dies with sales capture has not read yet; its replica takes over, under
    other binlog positions. Capture finds its checkpoint there by GTID, and head office gets
    every sale once: those before, those the replica received, those written on it since."""
    source, replica = pair
    site = chain.store(12)
    cfg = capture_table(site, DDL, "moves")
    with capturing(cfg) as cap:
        sell(source, site.database, range(1, 31))
        source.sql(f"UPDATE `{site.database}`.moves SET n = n + 100 WHERE id <= 10")
        cap.wait_rows(40)
    sell(source, site.database, range(31, 41))  # while capture is stopped
    caught_up(replica, source)
    source.stop()
    take_over(replica)
    moved = point_at(site, replica)
    with capturing(moved) as cap:
        cap.wait_rows(10)
        sell(replica, site.database, range(41, 46))
        cap.wait_rows(15)
        rec = cap.outbox.gtid_state()
        assert rec is not None and rec.server.startswith("202/")
    assert "found here by their GTIDs" in caplog.text
    ship(moved)
    with OutboxStore(moved.outbox.path) as outbox:
        assert outbox.stats().last_seq == 55  # every row once: none again, none left out
    assert site_differences(chain, replace(site, server=replica)) == "equal"


def test_a_replica_holding_a_transaction_capture_never_saw_before_the_checkpoint_is_refused(
    chain: Chain, pair: tuple[LocalServer, LocalServer]
) -> None:
    """A row written on the replica itself, before the checkpoint: the replica's history is not
    the one capture read, and no point of it is the checkpoint. Capture stops, naming it."""
    source, replica = pair
    site = chain.store(12)
    cfg = capture_table(site, DDL, "moves")
    with capturing(cfg) as cap:
        sell(source, site.database, range(1, 4))
        caught_up(replica, source)
        sell(replica, site.database, range(100, 101))  # on the replica only
        sell(source, site.database, range(4, 6))
        cap.wait_rows(5)
    caught_up(replica, source)
    source.stop()
    take_over(replica)
    sell(replica, site.database, range(6, 7))  # the replica sells on as the store's server
    moved = point_at(site, replica)
    with pytest.raises(PositionLostError):
        Capture(moved)


def test_the_same_server_put_back_and_counting_gtids_again_is_not_taken_for_a_move(
    chain: Chain, pair: tuple[LocalServer, LocalServer]
) -> None:
    """The store's own server, its binlog reset and its GTIDs counted again from an earlier point
    (as after a restore from a backup): the same GTID numbers now name other sales. Capture does
    not resume by them; it stops on the replaced binlog, as without GTIDs."""
    source, site, cfg = alone(chain, pair)
    captured_then_reset(source, site, cfg, 8)
    source.sql("FLUSH BINARY LOGS")  # the next file opens with the backup's GTIDs
    with OutboxStore(cfg.outbox.path) as outbox:
        rec = outbox.gtid_state()
    assert rec is not None and rec.last_mark is not None
    # Other sales under the numbers of 4..8 and after, even stamped with the same second as the
    # last one capture read: only the server's identity tells this from a move.
    with source.connect(site.database) as conn, conn.cursor() as cur:
        cur.execute(f"SET TIMESTAMP = {rec.last_mark.timestamp}")
        cur.execute("DELETE FROM moves WHERE id >= 4")
        for i in range(20, 40):
            cur.execute(f"INSERT INTO moves VALUES ({i}, {i})")
        conn.commit()
    with pytest.raises(PositionLostError):
        Capture(cfg)


def idle_after_a_rotation(cap: Capture, server: LocalServer) -> None:
    """The checkpoint moved past the last transaction to the start of a new binlog file, where no
    event ends (the mark capture records with a commit is not there to check)."""
    server.sql("FLUSH BINARY LOGS")
    with connect_store(cap.service.params) as conn:
        end = end_position(conn)
    for _ in range(600):
        cp = cap.outbox.checkpoint()
        if cp is not None and cp.position.file == end.file:
            break
        time.sleep(0.05)
    assert cp is not None and cp.position.file == end.file and cap.outbox.mark_at(cp.position) is None


def captured_then_reset(source: LocalServer, site: Site, cfg: Config, sales: int, *, idle: bool = False) -> None:
    """Sales 1 to ``sales`` captured (then the store idle after a rotation, with ``idle``), and
    the binlog reset to the GTIDs after sale 3: a backup of then put back."""
    with capturing(cfg) as cap:
        sell(source, site.database, range(1, 4))
        before = server_state(source)
        sell(source, site.database, range(4, sales + 1))
        cap.wait_rows(sales)
        if idle:
            idle_after_a_rotation(cap, source)
    reset_binlog(source, before)


def test_an_idle_stores_binlog_reset_under_its_checkpoint_stops_capture(
    chain: Chain, pair: tuple[LocalServer, LocalServer]
) -> None:
    """The checkpoint sits between transactions, in a file the reset binlog has again: the event
    ending the last transaction before it is gone, so capture stops instead of reading on from a
    position of another history (it used to go on, leaving out the sales written since)."""
    source, site, cfg = alone(chain, pair)
    captured_then_reset(source, site, cfg, 5, idle=True)
    sell(source, site.database, range(20, 60))
    source.sql("FLUSH BINARY LOGS")  # the checkpoint's file exists again, with other events
    with pytest.raises(PositionLostError):
        Capture(cfg)


def test_an_idle_store_whose_last_transactions_file_was_purged_goes_on(
    chain: Chain, pair: tuple[LocalServer, LocalServer]
) -> None:
    """Binlog expiry removed the file of the last transaction while the store was idle: nothing
    to check it by, and nothing wrong; capture goes on from its checkpoint."""
    source, site, cfg = alone(chain, pair)
    with capturing(cfg) as cap:
        sell(source, site.database, range(1, 4))
        cap.wait_rows(3)
        idle_after_a_rotation(cap, source)
        current = str(source.sql(source_status(source))[0][0])
    source.sql(f"PURGE BINARY LOGS TO '{current}'")
    with capturing(cfg) as cap:
        sell(source, site.database, range(4, 6))
        cap.wait_rows(2)
    ship(cfg)
    assert site_differences(chain, site) == "equal"


def source_status(server: LocalServer) -> str:
    return "SHOW BINARY LOG STATUS" if isinstance(server, MySQLServer) else "SHOW MASTER STATUS"


def test_a_mysql_store_without_gtids_is_captured_by_position_and_keeps_no_state(
    servers: Servers, tmp_path: Path
) -> None:
    """``gtid_mode=OFF`` (MySQL 8.4's default): every transaction is anonymous; capture carries
    them all by file and position, and records no GTID state it could not prove."""
    ensure_mysql()
    plain = MySQLServer("plain", tmp_path / "servers", server_id=203, extra_options={"gtid_mode": "OFF"}).start()
    try:
        with chain_on(
            tmp_path / "chain", servers.hq, {12: plain}, hq_db=f"hq_nogtid_{os.getpid()}", store_db="nogtid"
        ) as chain:
            site = chain.store(12)
            cfg = capture_table(site, DDL, "moves")
            with capturing(cfg) as cap:
                sell(plain, site.database, range(1, 11))
                cap.wait_rows(10)
            with OutboxStore(cfg.outbox.path) as outbox:
                assert outbox.gtid_state() is None
            with capturing(cfg) as cap:  # started again from its checkpoint
                sell(plain, site.database, range(11, 16))
                cap.wait_rows(5)
            ship(cfg)
            assert site_differences(chain, site) == "equal"
    finally:
        plain.destroy()


@pytest.mark.parametrize("kind", ["mysql"])
def test_a_transaction_with_a_tagged_gtid_is_captured_and_the_state_given_up(
    chain: Chain, pair: tuple[LocalServer, LocalServer], caplog: pytest.LogCaptureFixture
) -> None:
    """MySQL's tagged GTIDs (``AUTOMATIC:tag``): the sale arrives; the GTID state, which cannot
    count it, is not kept (a move would then stop capture, naming the lost position)."""
    source, site, cfg = alone(chain, pair)
    with capturing(cfg) as cap:
        sell(source, site.database, range(1, 3))
        with source.connect(site.database) as conn, conn.cursor() as cur:
            cur.execute("SET gtid_next = 'AUTOMATIC:night'")
            cur.execute("INSERT INTO moves VALUES (3, 3)")
            cur.execute("SET gtid_next = 'AUTOMATIC'")
        sell(source, site.database, range(4, 5))
        cap.wait_rows(4)
    assert ":night:" in server_state(source)
    assert "has no GTID capture can read" in caplog.text  # said, not dropped
    with OutboxStore(cfg.outbox.path) as outbox:
        assert outbox.gtid_state() is None
    ship(cfg)
    assert site_differences(chain, site) == "equal"
