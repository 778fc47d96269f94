"""Shared fixtures: real MariaDB servers started by the suite (or external ones from env)."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.chain import Chain, chain_on, start_servers
from sandbox.mariadb import ExternalServer, MariaDBServer
from sandbox.mysql import MySQLServer, ensure_mysql
from sandbox.server import LocalServer

STORE_NUMBERS = (12, 13)
_counter = itertools.count(1)

# compose.yaml's servers instead of local ones, e.g.
# CENTRALE_TEST_HQ_URL=mysql://root:centrale@127.0.0.1:33061/
# CENTRALE_TEST_STORE_URLS=mysql://root:centrale@127.0.0.1:33062/,mysql://root:centrale@127.0.0.1:33063/
EXTERNAL_HQ = os.environ.get("CENTRALE_TEST_HQ_URL", "")
EXTERNAL_STORES = [u for u in os.environ.get("CENTRALE_TEST_STORE_URLS", "").split(",") if u]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "local_servers: needs servers the suite can stop, kill and reconfigure")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not EXTERNAL_HQ:
        return
    skip = pytest.mark.skip(reason="runs only against servers the suite starts itself")
    for item in items:
        if "local_servers" in item.keywords:
            item.add_marker(skip)


class Servers:
    def __init__(self, hq: MariaDBServer, stores: dict[int, MariaDBServer], root: Path) -> None:
        self.hq = hq
        self.stores = stores
        self.root = root


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    """One head-office server and two store servers for the whole session (binlog ROW/FULL)."""
    root = Path(tempfile.mkdtemp(prefix="centrale-test-"))
    if EXTERNAL_HQ:
        ext_hq = ExternalServer("hq", EXTERNAL_HQ)
        ext = {n: ExternalServer(f"store{n}", u) for n, u in zip(STORE_NUMBERS, EXTERNAL_STORES, strict=True)}
        yield Servers(ext_hq, dict(ext), root)
        return
    hq, stores = start_servers(root, STORE_NUMBERS)
    yield Servers(hq, stores, root)
    for s in [hq, *stores.values()]:
        s.destroy()


SERVER_MIXES = ("mariadb", "mysql-store", "mysql-hq")


@pytest.fixture
def chain(request: pytest.FixtureRequest, servers: Servers, tmp_path: Path) -> Iterator[Chain]:
    """A fresh chain (own databases, configs, outboxes) on the session's servers: MariaDB
    everywhere, or, for a test that asks (``@pytest.mark.parametrize("chain", SERVER_MIXES,
    indirect=True)``), store 12 on MySQL ("mysql-store") or head office on MySQL ("mysql-hq")."""
    mix = getattr(request, "param", "mariadb")
    hq: LocalServer = servers.hq
    stores: dict[int, LocalServer] = dict(servers.stores)
    if mix == "mysql-store":
        stores[min(stores)] = request.getfixturevalue("mysql")
    elif mix == "mysql-hq":
        hq = request.getfixturevalue("mysql")
    n = next(_counter)
    with chain_on(
        tmp_path,
        hq,
        stores,
        hq_db=f"hq_{os.getpid()}_{n}",
        store_db=f"pos_{os.getpid()}_{n}",  # type: ignore[arg-type]
    ) as c:
        yield c


@pytest.fixture(scope="session")
def mysql() -> Iterator[MySQLServer]:
    """One MySQL 9.7 server for the session (sandbox/mysql.py: binlog ROW/FULL, metadata FULL)."""
    ensure_mysql()
    root = Path(tempfile.mkdtemp(prefix="centrale-my-"))
    server = MySQLServer("mystore", root, server_id=77).start()
    try:
        yield server
    finally:
        server.destroy()
        shutil.rmtree(root, ignore_errors=True)
