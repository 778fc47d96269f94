"""Stores and head offices on either server: a MySQL store ships to a MariaDB head office and a
MariaDB store to a MySQL one, with the same sample POS and the same exactness; `verify` finds
them equal and a pull brings head office's articles, hashing alike on both sides (MySQL 9.6+
has no ``MD5()`` by default)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from cdc.snapshot import take_snapshot
from centrale.core.config import load
from centrale.core.errors import CaptureStoppedError
from centrale.core.outbox import OutboxStore
from jobs.pull import pull_group
from jobs.verify import verify
from sandbox.chain import chain_on
from sandbox.compare import compare_store, describe
from sandbox.inprocess import InProcessStore
from sandbox.mysql import MySQLServer
from sandbox.server import LocalServer
from sandbox.workload import StoreActivity
from tests.conftest import Servers
from tests.hq.test_store_accounts import add_store, drop_accounts, login, refused, use_account

pytestmark = pytest.mark.local_servers


@pytest.fixture(params=["mysql-store", "mysql-head-office"])
def mix(request: pytest.FixtureRequest, mysql: MySQLServer, servers: Servers) -> tuple[LocalServer, LocalServer]:
    """(head office, store): one of them MySQL, the other MariaDB."""
    mariadb_store = servers.stores[max(servers.stores)]
    if request.param == "mysql-store":
        return servers.hq, mysql
    return mysql, mariadb_store


def test_every_sale_ships_verify_agrees_and_a_pull_lands_across_servers(
    mix: tuple[LocalServer, LocalServer], tmp_path: Path
) -> None:
    hq_server, store_server = mix
    with chain_on(tmp_path, hq_server, {12: store_server}, hq_db="pos_hq_mix", store_db="pos_mix") as chain:  # type: ignore[arg-type]
        site = chain.seeded(chain.store(12))
        cfg = load(site.config)
        with InProcessStore(cfg) as run, site.connect() as conn:
            activity = StoreActivity(conn, seed=7)
            for _ in range(40):
                activity.sell()
            report = run.sync()
            assert report.error is None, report.error
        with site.connect() as store, chain.hq.connect() as hq:
            diffs = compare_store(store, hq, cfg.catalog, 12, site.database)
        assert all(d.equal for d in diffs), describe(diffs)
        assert all(c.equal for c in verify(cfg)), [c.table for c in verify(cfg) if not c.equal]

        chain.hq.sql("INSERT INTO articles (code, label, price) VALUES ('MIX-1', 'Café crème', 2.40)")
        pulled = pull_group(cfg, "articles")
        assert pulled.rows_moved >= 1
        assert site.sql("SELECT label, price FROM articles WHERE code = 'MIX-1'") == [("Café crème", Decimal("2.40"))]
        assert pull_group(cfg, "articles").rows_moved == 0  # equal now: nothing moves twice


def test_a_mysql_store_writing_rows_without_column_names_stops_capture_naming_the_setting(
    mysql: MySQLServer, servers: Servers, tmp_path: Path
) -> None:
    """MySQL's default ``binlog_row_metadata=MINIMAL`` names no column in its row events: capture
    stops on the first one, naming the setting and the fix, and the fix it names works."""
    with chain_on(tmp_path, servers.hq, {12: mysql}, hq_db="pos_hq_min", store_db="pos_min") as chain:  # type: ignore[arg-type]
        site = chain.seeded(chain.store(12))
        cfg = load(site.config)
        with InProcessStore(cfg) as run:
            assert run.sync().error is None
            mysql.sql("SET GLOBAL binlog_row_metadata = MINIMAL")
            try:
                with site.connect() as conn:
                    StoreActivity(conn, seed=3).sell()
                with pytest.raises(CaptureStoppedError) as stopped:
                    run.sync()
            finally:
                mysql.sql("SET GLOBAL binlog_row_metadata = FULL")
        assert "binlog_row_metadata other than FULL (MySQL's MINIMAL" in stopped.value.message
        assert "SET GLOBAL binlog_row_metadata = FULL" in str(stopped.value.hint)
        with OutboxStore(cfg.outbox.path) as outbox:
            take_snapshot(cfg, outbox)
        with InProcessStore(cfg) as run, site.connect() as conn:
            StoreActivity(conn, seed=4).sell()
            assert run.sync().error is None
        with site.connect() as store, chain.hq.connect() as hq:
            diffs = compare_store(store, hq, cfg.catalog, 12, site.database)
        assert all(d.equal for d in diffs), describe(diffs)


def test_a_store_account_at_a_mysql_head_office_ships_its_own_rows_and_touches_no_other(
    mysql: MySQLServer, servers: Servers, tmp_path: Path
) -> None:
    """`hq add-store` on a MySQL head office: its views, triggers and grants hold as on MariaDB."""
    store = servers.stores[max(servers.stores)]
    with chain_on(tmp_path, mysql, {12: store}, hq_db="pos_hq_acc", store_db="pos_acc") as chain:  # type: ignore[arg-type]
        try:
            site = chain.seeded(chain.store(12))
            chain.centrale(chain.hq, "hq", "init", "--tables-from", site.server.url(site.database))
            account = add_store(chain, 12)
            use_account(chain, site, account)
            cfg = load(site.config)
            with InProcessStore(cfg) as run, site.connect() as conn:
                activity = StoreActivity(conn, seed=5)
                for _ in range(10):
                    activity.sell()
                assert run.sync().error is None
            with site.connect() as store_conn, chain.hq.connect() as hq:
                diffs = compare_store(store_conn, hq, cfg.catalog, 12, site.database)
            assert all(d.equal for d in diffs), describe(diffs)
            with login(chain, account) as conn:
                assert refused(conn, "UPDATE sales SET origin_store = 13") != 0  # another store's number
                assert refused(conn, "DELETE FROM articles") != 0  # reference data: read only
                with conn.cursor() as cur:
                    cur.execute("SELECT COUNT(*) FROM sales WHERE origin_store <> 12")
                    assert cur.fetchone() == (0,)
        finally:
            drop_accounts(chain)
