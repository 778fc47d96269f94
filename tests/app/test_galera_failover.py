"""Head office on a 3-node Galera cluster: `hq.host` lists the nodes; ten stores keep selling,
shipping and running their jobs while the node they write to is killed and later rejoins.
Shipping and jobs fail over to another node, a batch whose COMMIT was cut (unknown outcome) is
simply sent again, certification conflicts are retried, and head office ends equal to every
store, row for row, with every job done once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from centrale.app.actions import store_actions
from centrale.app.config_edit import set_values
from centrale.core.config import load
from centrale.core.db import hq_params
from centrale.hq.schema import init_hq
from jobs.queue import add_jobs
from jobs.runner import JobsRunner
from sandbox.chain import load_sql, reference_schema_sql, store_schema_sql, write_hq_config, write_store_config
from sandbox.compare import compare_store, describe
from sandbox.galera import GaleraCluster
from sandbox.inprocess import InProcessStore
from sandbox.processes import run_centrale
from sandbox.workload import StoreActivity, seed_store
from tests.conftest import Servers

STORES = tuple(range(21, 31))
HQ_DB = "hq_galera"


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[GaleraCluster]:
    c = GaleraCluster(tmp_path / "galera").start()
    try:
        yield c
    finally:
        c.destroy()


def build_stores(servers: Servers, cluster: GaleraCluster, root: Path) -> list[tuple[int, Path, str]]:
    """Head office on the cluster; ten store databases on the session's two store servers,
    each store configured with every node of the cluster."""
    node = cluster.nodes[0]
    node.sql(f"CREATE DATABASE `{HQ_DB}`")
    with node.connect(HQ_DB) as conn:
        load_sql(conn, reference_schema_sql())
    hq_cfg = write_hq_config(root / "hq.toml", node, HQ_DB)
    init_hq(load(hq_cfg).local.params, 1, "Siège")
    stores = []
    for i, number in enumerate(STORES):
        server = servers.stores[12 if i % 2 == 0 else 13]
        db = f"pos_galera_{number}"
        server.sql(f"DROP DATABASE IF EXISTS `{db}`")
        server.sql(f"CREATE DATABASE `{db}`")
        with server.connect(db) as conn:
            load_sql(conn, store_schema_sql())
            seed_store(conn)
        cfg = write_store_config(
            root / f"store{number}.toml",
            number=number,
            name=f"Store {number}",
            store=server,
            hq=node,
            hq_db=HQ_DB,
            store_db=db,
            interval_s=0.2,
        )
        set_values(cfg, [("hq.host", cluster.hosts_spec()), ("hq.read_timeout_s", "20")])
        snapshot = run_centrale(cfg, "snapshot", timeout=None)
        assert snapshot.returncode == 0, snapshot.stderr
        stores.append((number, cfg, db))
    return stores


class Shop:
    """One store: capture in process, a till selling, a loop shipping every 0.2 s."""

    def __init__(self, number: int, config: Path, servers: Servers) -> None:
        self.number = number
        self.cfg = load(config)
        self.server = servers.stores[12 if (number - STORES[0]) % 2 == 0 else 13]
        self.db = self.cfg.local.params.database
        self.store = InProcessStore(self.cfg)
        self.stop = threading.Event()
        self.sold = 0
        self.ship_errors: list[str] = []
        self.jobs = JobsRunner(hq_params(self.cfg.hq), number, store_actions(self.cfg), self.stop)
        self.threads = [threading.Thread(target=self._sell), threading.Thread(target=self._ship)]

    def _sell(self) -> None:
        with self.server.connect(self.db) as conn:
            till = StoreActivity(conn, seed=self.number)
            while not self.stop.is_set():
                till.sell()
                self.sold += 1
                time.sleep(0.05)

    def _ship(self) -> None:
        while not self.stop.is_set():
            report = self.store.ship()
            if report.error:
                self.ship_errors.append(report.error)
            self.jobs.tick()
            self.stop.wait(0.2)

    def start(self) -> None:
        self.store.start()
        for t in self.threads:
            t.start()

    def finish(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join()
        self.store.sync(timeout_s=60)
        self.store.drain(timeout_s=120)
        self.store.stop()
        self.stop.clear()
        self.jobs.tick()  # anything claimed before a failure and left pending
        self.stop.set()


@pytest.mark.local_servers
def test_ten_stores_ship_through_a_node_failure_and_rejoin(
    servers: Servers, cluster: GaleraCluster, tmp_path: Path
) -> None:
    stores = build_stores(servers, cluster, tmp_path)
    shops = [Shop(number, cfg, servers) for number, cfg, _ in stores]
    try:
        for shop in shops:
            shop.start()
        time.sleep(2)
        cluster.nodes[1].sql(
            f"INSERT INTO `{HQ_DB}`.articles (id, code, label, price) VALUES (900, 'GAL', 'Galette', 2.5)"
        )
        with cluster.nodes[1].connect(HQ_DB, autocommit=False) as conn:
            add_jobs(conn, "pull-articles", list(STORES))
        time.sleep(2)
        cluster.kill(0)  # the node every store writes to: the first in hq.host
        time.sleep(8)
        cluster.restart(0)  # rejoins with an incremental state transfer
        time.sleep(3)
    finally:
        for shop in shops:
            shop.finish()
    assert all(shop.sold > 20 for shop in shops)
    assert any(shop.ship_errors for shop in shops)  # the failure was seen, and survived
    node = cluster.nodes[2]
    with node.connect(HQ_DB) as hq:
        with hq.cursor() as cur:
            cur.execute("SET SESSION wsrep_sync_wait = 1")  # read what every node committed
        for shop in shops:
            with shop.server.connect(shop.db) as conn:
                diffs = compare_store(conn, hq, shop.cfg.catalog, shop.number, shop.db)
            assert all(d.equal for d in diffs), f"store {shop.number}: {describe(diffs)}"
        with hq.cursor() as cur:
            cur.execute("SELECT COUNT(DISTINCT store) FROM centrale_progress")
            assert cur.fetchone() == (len(STORES),)
            cur.execute("SELECT status, COUNT(*) FROM centrale_jobs GROUP BY status")
            assert cur.fetchall() == (("done", len(STORES)),)
    for shop in shops:
        assert shop.server.sql(f"SELECT label FROM `{shop.db}`.articles WHERE id = 900") == [("Galette",)]
    for _, _, db in stores:
        for server in servers.stores.values():
            server.sql(f"DROP DATABASE IF EXISTS `{db}`")
