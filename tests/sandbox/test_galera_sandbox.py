"""The throwaway Galera head office (sandbox/galera.py): start, replicate, lose a node, bring it back by IST."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import pymysql
import pytest

from sandbox.galera import GaleraCluster, galera_missing


def _read_synced(conn: pymysql.connections.Connection[Any], sql: str) -> list[tuple[Any, ...]]:
    with conn.cursor() as cur:
        cur.execute("SET SESSION wsrep_sync_wait=1")
        cur.execute(sql)
        return list(cur.fetchall())


@pytest.mark.local_servers
def test_a_three_node_cluster_replicates_and_survives_a_killed_node() -> None:
    why = galera_missing()
    if why:
        pytest.fail(why)  # names `apt-get install galera-4 rsync`: scripts/ensure-system installs them
    root = Path(tempfile.mkdtemp(prefix="centrale-galera-test-"))
    cluster = GaleraCluster(root, name="hq", nodes=3)
    timings: dict[str, float] = {}
    try:
        t = time.monotonic()
        cluster.start()
        timings["start"] = time.monotonic() - t
        n1, n2, n3 = cluster.nodes
        assert cluster.hosts_spec() == ",".join(f"127.0.0.1:{n.port}" for n in cluster.nodes)
        assert all(n.controllable and n.pid for n in cluster.nodes)
        assert {n.status()["wsrep_cluster_size"] for n in cluster.nodes} == {"3"}

        n1.sql("CREATE DATABASE galera_t")
        n1.sql("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))", "galera_t")
        n1.sql("CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY 'app-pw'")
        n1.sql("GRANT ALL ON galera_t.* TO 'app'@'127.0.0.1'")
        n1.sql("INSERT INTO t VALUES (1, 'one')", "galera_t")
        with n3.connect("galera_t", user="app", password="app-pw") as conn:
            assert _read_synced(conn, "SELECT id, v FROM t") == [(1, "one")]

        t = time.monotonic()
        cluster.kill(1)  # nodes[1] is n2
        assert n2.pid is None
        with pytest.raises(pymysql.err.OperationalError):
            n2.connect(connect_timeout=2)
        n1.sql("INSERT INTO t VALUES (2, 'two')", "galera_t")  # blocks until n2 is evicted
        timings["write while n2 down"] = time.monotonic() - t
        assert n1.status()["wsrep_cluster_size"] == "2"

        t = time.monotonic()
        cluster.restart(1)
        timings["restart"] = time.monotonic() - t
        assert any(a.startswith("--wsrep_start_position=") for a in n2.last_start_args)  # IST, not full SST
        with n2.connect("galera_t") as conn:
            assert _read_synced(conn, "SELECT id, v FROM t ORDER BY id") == [(1, "one"), (2, "two")]
        assert {n.status()["wsrep_cluster_size"] for n in cluster.nodes} == {"3"}
        print("galera timings (s):", {k: round(v, 1) for k, v in timings.items()})
    finally:
        cluster.destroy()
        shutil.rmtree(root, ignore_errors=True)
    assert not (root / "hq").exists()
