"""The whole benchmark: the servers, every store count on both sides, the report."""

from __future__ import annotations

import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.harness import (
    BINLOG_FILE_BYTES,
    Report,
    durability,
)
from bench.stores.centrale_side import centrale_side
from bench.stores.figures import Outcome
from bench.stores.native_side import native_side
from bench.stores.phases import Servers
from bench.stores.report import deadlock_lines, measures, notes, summary_line
from bench.stores.settings import (
    BATCH_ROWS,
    BURST_TICKETS,
    FIRST_STORE,
    INTERVAL_S,
    PROCESSES,
    SOURCES,
    STEADY_S,
    STORE_COUNTS,
    TEMPLATE_DB,
    TICKET_EVERY_S,
    WARM_S,
)
from sandbox.chain import load_sql, store_schema_sql, write_store_config
from sandbox.mariadb import MariaDBServer


def start_servers(root: Path, started: list[MariaDBServer]) -> Servers:
    """Head office (Centrale's), SOURCES binlog sources and one multi-source replica; same
    durability settings everywhere (sandbox.mariadb's defaults)."""

    def server(name: str, server_id: int, **extra: str) -> MariaDBServer:
        s = MariaDBServer(name, root, server_id=server_id, max_binlog_size=BINLOG_FILE_BYTES, extra_options=extra)
        started.append(s)
        return s

    hq = server("hq", 1, innodb_print_all_deadlocks="ON").start()  # makes the template datadir the others copy
    hq_pool = server("hq-pool", 2, innodb_print_all_deadlocks="ON", thread_handling="pool-of-threads")
    sources = [server(f"src{k}", 200 + k, gtid_domain_id=str(k + 1)) for k in range(SOURCES)]
    replica = server("replica", 300, log_slave_updates="ON", skip_slave_start="", innodb_print_all_deadlocks="ON")
    with ThreadPoolExecutor(len(sources) + 2) as pool:
        for done in [pool.submit(s.start) for s in [hq_pool, *sources, replica]]:
            done.result()
    for h in (hq, hq_pool):
        h.sql(f"CREATE DATABASE {TEMPLATE_DB}")
        with h.connect(TEMPLATE_DB) as conn:
            load_sql(conn, store_schema_sql())
    write_store_config(
        root / "template.toml", number=FIRST_STORE, name="template", store=hq, hq=hq, store_db=TEMPLATE_DB
    )
    positions = [str(s.sql("SELECT @@gtid_binlog_pos")[0][0]) for s in sources]  # replicate from here on
    with replica.connect() as conn, conn.cursor() as cur:
        cur.execute("SET GLOBAL gtid_slave_pos = %s", (",".join(p for p in positions if p),))
        for k, s in enumerate(sources):
            cur.execute(
                f"CHANGE MASTER 'src{k}' TO MASTER_HOST='127.0.0.1', MASTER_PORT={s.port}, MASTER_USER='root', "
                "MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos"
            )
        cur.execute("START ALL SLAVES")
    return Servers(root, hq, hq_pool, sources, replica)


def run() -> Report:
    report = Report(
        "stores",
        "many stores shipping to one head office vs MariaDB multi-source replication of the same tickets",
        params={
            "stores": " / ".join(str(n) for n in STORE_COUNTS),
            "ticket every (per store)": f"{TICKET_EVERY_S:g} s",
            "ship.interval_s": INTERVAL_S,
            "batch rows": BATCH_ROWS,
            "steady window": f"{STEADY_S:g} s after {WARM_S:g} s warm-up",
            "backlog": f"{BURST_TICKETS} tickets per store",
            "worker processes": PROCESSES,
        },
    )
    root = Path(tempfile.mkdtemp(prefix="centrale-bench-stores-"))
    started: list[MariaDBServer] = []
    outcomes: list[tuple[Outcome, Outcome]] = []
    try:
        servers = start_servers(root, started)
        settings = {"head office": durability(servers.hq), "replica": durability(servers.replica)}
        for i, count in enumerate(STORE_COUNTS):
            centrale = centrale_side(servers, count, seed=i, hq=servers.hq)
            native = native_side(servers, count, seed=i)
            outcomes.append((centrale, native))
            print(f"  {count} stores: {summary_line(centrale, native)}", flush=True)
        # The largest chain again (same tickets), head office on MariaDB's thread pool.
        pooled = centrale_side(servers, STORE_COUNTS[-1], seed=len(STORE_COUNTS) - 1, hq=servers.hq_pool)
        pooled.label = "Centrale, head office thread_handling=pool-of-threads"
        print(f"  {pooled.stores} stores, thread pool: {summary_line(pooled, outcomes[-1][1])}", flush=True)
        deadlock_log = deadlock_lines(servers.hq) + deadlock_lines(servers.hq_pool)
    finally:
        for s in reversed(started):
            try:
                s.stop()
            except RuntimeError as exc:
                print(f"warning: {exc}", flush=True)
        shutil.rmtree(root, ignore_errors=True)
    for c, n in outcomes:
        report.measures += measures(c, n)
    report.measures += measures(pooled, outcomes[-1][1])
    report.notes += notes([*outcomes, (pooled, outcomes[-1][1])], settings, deadlock_log)
    return report
