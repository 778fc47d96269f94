"""A local chain on throwaway servers: one head office and N stores, with their config files.

Used by `make demo`, the integration tests and the benchmarks. When ``CENTRALE_TEST_HQ_URL``
and ``CENTRALE_TEST_STORE_URLS`` point at external servers (compose.yaml's), those are used
instead of starting local ones.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pymysql

from centrale.core.catalog import schema_dir
from sandbox.mariadb import MariaDBServer
from sandbox.processes import quiet_env, run_centrale
from sandbox.workload import seed_store

HQ_DB = "pos_hq"
STORE_DB = "pos"
HQ_STORE = 1


def load_sql(conn: pymysql.connections.Connection, sql: str) -> None:
    """Run a file of ;-separated statements (no procedures in our files)."""
    with conn.cursor() as cur:
        for stmt in _statements(sql):
            cur.execute(stmt)


def _statements(sql: str) -> list[str]:
    lines = [ln for ln in sql.splitlines() if not ln.strip().startswith("--")]
    text = "\n".join(ln.split(" -- ")[0] if " -- " in ln else ln for ln in lines)
    return [s.strip() for s in text.split(";") if s.strip()]


def store_schema_sql() -> str:
    return (schema_dir() / "pos_store.sql").read_text(encoding="utf-8")


def reference_schema_sql() -> str:
    """The sample schema's reference tables: head office keeps the master copy of these."""
    from centrale.core.catalog import load_default_tables

    reference = {n for n, spec in load_default_tables().items() if spec.kind == "reference"}
    keep = [s for s in _statements(store_schema_sql()) if s.split()[2] in reference]
    return ";\n".join(keep) + ";"


@dataclass
class Site:
    number: int
    name: str
    server: MariaDBServer
    database: str
    config: Path

    def connect(self, **kw: object) -> pymysql.connections.Connection:
        return self.server.connect(self.database, **kw)

    def sql(self, statement: str, args: object = None) -> list[tuple[Any, ...]]:
        return self.server.sql(statement, self.database, args)


@dataclass
class Chain:
    root: Path
    hq: Site
    stores: list[Site] = field(default_factory=list)

    def store(self, number: int) -> Site:
        return next(s for s in self.stores if s.number == number)

    def stop(self) -> None:
        for s in [*self.stores, self.hq]:
            s.server.stop()

    def drop(self) -> None:
        """Drop this chain's databases (servers shared between chains stay up)."""
        for s in [*self.stores, self.hq]:
            s.server.sql(f"DROP DATABASE IF EXISTS `{s.database}`")

    def centrale(
        self, site: Site, *args: str, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """Run the `centrale` command for a site, as an operator would."""
        res = run_centrale(site.config, *args, timeout=timeout, env=quiet_env())
        if check and res.returncode != 0:
            raise RuntimeError(f"centrale {' '.join(args)} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")
        return res

    def seeded(self, site: Site) -> Site:
        """``site`` with the sample articles and salespeople (``sandbox.workload.seed_store``),
        snapshotted into its outbox: a store ready for `centrale run`."""
        with site.connect() as conn:
            seed_store(conn)
        self.centrale(site, "snapshot")
        return site


def write_store_config(
    path: Path,
    *,
    number: int,
    name: str,
    store: MariaDBServer,
    hq: MariaDBServer,
    hq_db: str = HQ_DB,
    store_db: str = STORE_DB,
    interval_s: float = 1.0,
    batch_rows: int = 20,
    extra: str = "",
) -> Path:
    var = path.parent / f"var-store{number}"
    path.write_text(
        f"""# store {number} ({name}) of the local demo chain
[site]
role = "store"
store = {number}
name = "{name}"
hq_store = {HQ_STORE}

[local]
url = "{store.url(store_db)}"
heartbeat_s = 0.5

[hq]
host = "{hq.host}"
port = {hq.port}
database = "{hq_db}"
user = "{getattr(hq, "user", "root")}"
password = "{getattr(hq, "password", "")}"
connect_timeout_s = 5
read_timeout_s = 30

[ship]
batch_rows = {batch_rows}
interval_s = {interval_s}

[outbox]
path = "{var}/outbox.db"

[log]
dir = "{var}/log"
{extra}
"""
    )
    path.chmod(0o600)
    return path


def write_hq_config(path: Path, hq: MariaDBServer, hq_db: str = HQ_DB) -> Path:
    path.write_text(
        f"""# head office of the local demo chain
[site]
role = "hq"
store = {HQ_STORE}
name = "Siège"
hq_store = {HQ_STORE}

[local]
url = "{hq.url(hq_db)}"

[log]
dir = "{path.parent}/var-hq/log"
"""
    )
    path.chmod(0o600)
    return path


def start_servers(
    root: Path,
    store_numbers: tuple[int, ...],
    *,
    max_binlog_size: int = MariaDBServer.max_binlog_size,
    hq_options: Mapping[str, str] | None = None,
) -> tuple[MariaDBServer, dict[int, MariaDBServer]]:
    """Head office (server id 1, ``hq_options`` added to its options) and one server per store
    (100 + its number) under ``root``, started in that order. If one does not start, those
    started before it are stopped and the error raised."""
    root.mkdir(parents=True, exist_ok=True)
    hq = MariaDBServer("hq", root, server_id=1, max_binlog_size=max_binlog_size, extra_options=dict(hq_options or {}))
    stores = {
        n: MariaDBServer(f"store{n}", root, server_id=100 + n, max_binlog_size=max_binlog_size) for n in store_numbers
    }
    tried: list[MariaDBServer] = []
    try:
        for server in [hq, *stores.values()]:
            tried.append(server)
            server.start()
    except BaseException:
        for server in reversed(tried):
            with contextlib.suppress(Exception):
                server.stop()
        raise
    return hq, stores


DEFAULT_NAMES = {12: "Lyon", 13: "Lille", 14: "Nantes", 15: "Rennes"}


def build_chain(
    root: Path,
    hq_server: MariaDBServer,
    store_servers: dict[int, MariaDBServer],
    *,
    hq_db: str = HQ_DB,
    store_db: str = STORE_DB,
    interval_s: float = 1.0,
    batch_rows: int = 20,
    extra: str = "",
) -> Chain:
    """Create the databases on running servers, load the sample schema, write configs, `hq init`."""
    from centrale.core.config import load
    from centrale.hq.access import register_store
    from centrale.hq.schema import init_hq
    from centrale.hq.tombstones import install_triggers

    root.mkdir(parents=True, exist_ok=True)
    hq_server.sql(f"CREATE DATABASE `{hq_db}`")
    with hq_server.connect(hq_db) as conn:
        load_sql(conn, reference_schema_sql())
    hq_cfg = write_hq_config(root / "hq.toml", hq_server, hq_db)
    chain = Chain(root, Site(HQ_STORE, "Siège", hq_server, hq_db, hq_cfg))
    hq_params = load(hq_cfg).local.params
    init_hq(hq_params, HQ_STORE, "Siège")
    with hq_server.connect(hq_db) as conn:
        install_triggers(conn, hq_db, load(hq_cfg).catalog)
        for number in store_servers:  # as `hq add-store N` registers each store
            register_store(conn, hq_db, number, DEFAULT_NAMES.get(number, f"Store {number}"))
        conn.commit()
    for number, server in store_servers.items():
        server.sql(f"CREATE DATABASE `{store_db}`")
        with server.connect(store_db) as conn:
            load_sql(conn, store_schema_sql())
        cfg = write_store_config(
            root / f"store{number}.toml",
            number=number,
            name=DEFAULT_NAMES.get(number, f"Store {number}"),
            store=server,
            hq=hq_server,
            hq_db=hq_db,
            store_db=store_db,
            interval_s=interval_s,
            batch_rows=batch_rows,
            extra=extra,
        )
        chain.stores.append(Site(number, DEFAULT_NAMES.get(number, f"Store {number}"), server, store_db, cfg))
    return chain


@contextmanager
def chain_on(
    root: Path, hq_server: MariaDBServer, store_servers: dict[int, MariaDBServer], *, hq_db: str, store_db: str
) -> Iterator[Chain]:
    """A chain (``build_chain``) on servers other chains share, under its own database names;
    on leaving, a server the chain's user stopped is started again and the chain's databases
    are dropped (the servers stay up for the next chain)."""
    chain = build_chain(root, hq_server, store_servers, hq_db=hq_db, store_db=store_db)
    try:
        yield chain
    finally:
        for site in [*chain.stores, chain.hq]:
            if site.server.controllable and site.server.pid is None:
                site.server.start()
        chain.drop()
