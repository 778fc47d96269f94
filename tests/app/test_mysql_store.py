"""A MySQL store ships to a MariaDB head office: the same sample POS, the same exactness."""

from __future__ import annotations

from pathlib import Path

import pytest

from centrale.core.config import load
from sandbox.chain import chain_on
from sandbox.compare import compare_store, describe
from sandbox.inprocess import InProcessStore
from sandbox.mysql import MySQLServer
from sandbox.workload import StoreActivity
from tests.conftest import Servers

pytestmark = pytest.mark.local_servers


def test_a_mysql_store_ships_every_sale_to_a_mariadb_head_office(
    mysql: MySQLServer, servers: Servers, tmp_path: Path
) -> None:
    with chain_on(tmp_path, servers.hq, {12: mysql}, hq_db="pos_hq_my", store_db="pos_my") as chain:
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
