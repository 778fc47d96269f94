"""Catch-up after a long outage: a store's outbox backlog drained into head office, against the
same rows applied by MariaDB's native replication (a replica's SQL thread), same server.

The data: ``sale_lines`` rows in 20-row source transactions, as a till writes them. Native: the
rows are written at the store's server (binlog ROW), the replica's IO thread has already copied
them into its relay log, then ``START SLAVE SQL_THREAD`` is timed until the replica has applied
them all. Head office runs with ``log_slave_updates=ON``, so that the replica writes what it
applies to its own binlog just as head office does for what Centrale applies.
Centrale: the same rows as capture stores them in an outbox, drained by ``ApplierService``
with the store configuration's catch-up mode (``ship.catchup_*``), the exactly-once
bookkeeping included. Both apply into the head-office server, in rounds that alternate which
side goes first.

Durability is the same on both sides and set twice: head office as MariaDB ships it
(``innodb_flush_log_at_trx_commit=1``: each commit is on disk, which is what a head office that
must lose no sale runs, and the setting of the ~91k rows/s native figure the target was set
against), then relaxed (``=2``: commits reach the disk within a second), where native's
20-row commits cost nothing and the comparison is per row alone. The target (Centrale at least
1.0x native) is checked on the durable run; the relaxed one is reported beside it.

Run alone: ``python -m bench.catchup`` (``BENCH_QUICK=1`` for a fast pass).
"""

from __future__ import annotations

import gc
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pymysql
from pymysql.constants import CLIENT

from applier.service import ApplierService, CatchUp
from bench.applier import COLUMNS, TABLE, fill_outbox, make_rows
from bench.harness import (
    STORE,
    Measure,
    Report,
    Stopwatch,
    Tally,
    cpu_seconds,
    durability,
    main_for,
    pick,
    servers_and_chain,
    spread,
)
from centrale.app.site import build_shipper
from centrale.core.changes import Batch
from centrale.core.config import load
from centrale.core.db import quote_ident
from centrale.core.outbox import OutboxStore
from sandbox.mariadb import MariaDBServer

NATIVE_DB = "bench_native"
TARGET = 1.0
TXN_ROWS = 20
TXNS_PER_WRITE = 50  # source transactions sent per round trip while preparing (untimed)
DURABLE, RELAXED = "1", "2"  # head office's innodb_flush_log_at_trx_commit
PARALLEL_THREADS = 4  # the replica's parallel workers for the second native baseline


@dataclass
class Side:
    """One side's rounds at one durability setting: rows/s, and head office's CPU per row."""

    tally: Tally = field(default_factory=Tally)
    hq_cpu_s: float = 0.0

    def add(self, rows: int, seconds: float, hq_cpu_s: float) -> None:
        self.tally.add(rows, seconds)
        self.hq_cpu_s += hq_cpu_s

    @property
    def us_per_row(self) -> float:
        return self.hq_cpu_s / self.tally.rows * 1e6 if self.tally.rows else 0.0


def _status(replica: MariaDBServer) -> dict[str, Any]:
    with replica.connect() as conn, conn.cursor(pymysql.cursors.DictCursor) as cur:
        cur.execute("SHOW SLAVE STATUS")
        row = cur.fetchone()
    if not row:
        raise RuntimeError("the replica has no replication configured")
    return dict(row)


def _source_end(source: MariaDBServer) -> tuple[str, int]:
    row = source.sql("SHOW MASTER STATUS")[0]
    return str(row[0]), int(row[1])


class NativeSide:
    """The store's server as replication source, head office's server as its replica."""

    def __init__(self, source: MariaDBServer, replica: MariaDBServer, hq_db: str) -> None:
        self.source, self.replica = source, replica
        source.sql(f"CREATE DATABASE {NATIVE_DB}")
        # the same table as head office's copy (origin_store first in the key)
        create = replica.sql(f"SHOW CREATE TABLE {quote_ident(hq_db)}.{quote_ident(TABLE)}")[0][1]
        source.sql(create, NATIVE_DB)
        file, pos = _source_end(source)
        replica.sql(f"CREATE DATABASE {NATIVE_DB}")
        replica.sql(create, NATIVE_DB)
        replica.sql(
            f"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={source.port}, MASTER_USER='root', "
            f"MASTER_PASSWORD='', MASTER_USE_GTID=no, MASTER_LOG_FILE='{file}', MASTER_LOG_POS={pos}"
        )
        replica.sql("START SLAVE IO_THREAD")

    def write(self, rows: list[tuple[Any, ...]]) -> None:
        """Untimed: the rows reach the source's binlog, one 20-row transaction per COMMIT (many
        per round trip), and the replica's relay log."""
        cols = ", ".join(quote_ident(c) for c in ("origin_store", *COLUMNS))
        conn = self.source.connect(NATIVE_DB, client_flag=CLIENT.MULTI_STATEMENTS)
        with conn, conn.cursor() as cur:
            conn.autocommit(False)
            values = [conn.escape((STORE, *r)) for r in rows]
            txns = [
                f"INSERT INTO {quote_ident(TABLE)} ({cols}) VALUES {','.join(values[i : i + TXN_ROWS])};COMMIT"
                for i in range(0, len(values), TXN_ROWS)
            ]
            for i in range(0, len(txns), TXNS_PER_WRITE):
                cur.execute(";".join(txns[i : i + TXNS_PER_WRITE]))
                while cur.nextset():
                    pass
        file, pos = _source_end(self.source)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            st = _status(self.replica)
            if st["Master_Log_File"] == file and int(st["Read_Master_Log_Pos"]) >= pos:
                return
            time.sleep(0.05)
        raise RuntimeError("the replica's IO thread did not catch up")

    def parallel(self, threads: int) -> None:
        """The replica's SQL thread hands transactions to ``threads`` workers (0: applies alone);
        MariaDB's default mode, optimistic, runs them in parallel and commits them in order and
        in groups."""
        self.replica.sql("STOP SLAVE")
        self.replica.sql(f"SET GLOBAL slave_parallel_threads = {int(threads)}")
        self.replica.sql("SET GLOBAL slave_parallel_mode = 'optimistic'")
        self.replica.sql("START SLAVE IO_THREAD")

    def round(self, rows: int, side: Side) -> None:
        """Timed: the SQL thread applies the relay log until it has executed everything."""
        file, pos = _source_end(self.source)
        cpu = cpu_seconds(self.replica.pid or 0)
        with Stopwatch() as sw:
            self.replica.sql("START SLAVE SQL_THREAD")
            while True:
                st = _status(self.replica)
                if st["Last_SQL_Error"]:
                    raise RuntimeError(f"native replication stopped: {st['Last_SQL_Error']}")
                if st["Relay_Master_Log_File"] == file and int(st["Exec_Master_Log_Pos"]) >= pos:
                    break
                time.sleep(0.005)
        side.add(rows, sw.seconds, cpu_seconds(self.replica.pid or 0) - cpu)
        self.replica.sql("STOP SLAVE SQL_THREAD")

    def close(self) -> None:
        self.replica.sql("STOP SLAVE")
        self.replica.sql("RESET SLAVE ALL")


class CentraleSide:
    """An outbox holding a round's rows, drained by ApplierService in catch-up mode."""

    def __init__(self, root: Path, config: Path, hq: MariaDBServer) -> None:
        self.cfg = load(config)
        self.path = root / "catchup-outbox.db"
        self.hq = hq
        self.shipper = build_shipper(self.cfg)
        self.shipper.prepare()
        self.apply_tally = Tally()

    def fill(self, rows: list[tuple[Any, ...]]) -> None:
        """Untimed: the rows in the outbox as capture stores them."""
        fill_outbox(self.path, rows)

    def round(self, side: Side) -> None:
        """Timed: one tick drains the whole backlog, as `centrale run` does after an outage."""
        ship = self.cfg.ship
        with OutboxStore(self.path) as outbox:
            service = ApplierService(
                outbox, self.shipper, ship.batch_rows, threading.Event(), CatchUp.from_settings(ship)
            )
            gc.collect()  # the benchmark's own garbage is not the store's
            cpu = cpu_seconds(self.hq.pid or 0)
            with Stopwatch() as sw:
                report = service.tick()
            hq_cpu = cpu_seconds(self.hq.pid or 0) - cpu
            left = outbox.stats().backlog
        if report.error or left:
            raise RuntimeError(f"the drain stopped with {left} rows left: {report.error}")
        side.add(report.rows, sw.seconds, hq_cpu)

    def apply_only(self) -> None:
        """Head office's side alone: the outbox's catch-up batches read first (untimed), then
        shipped. What a drain costs when the store is another machine, as in a chain, instead
        of sharing this machine's two cores with head office."""
        ship = self.cfg.ship
        with OutboxStore(self.path) as outbox:
            batches: list[Batch] = []
            while more := outbox.claim_batches(
                ship.catchup_batch_rows, after_seq=batches[-1].last_seq if batches else 0, max_batches=50
            ):
                batches += more
            with Stopwatch() as sw:
                applied = sum(self.shipper.ship(b) for b in batches)
            outbox.ack(batches[-1].last_seq, applied)
        self.apply_tally.add(applied, sw.seconds)


def run() -> Report:
    rounds = 2
    durable_rows = pick(1_000_000, 50_000)
    relaxed_rows = pick(250_000, 50_000)
    sides: dict[tuple[str, str], Side] = {(w, s): Side() for w in ("centrale", "native") for s in (DURABLE, RELAXED)}
    native_parallel = Side()
    with servers_and_chain("catchup", hq_options={"log_slave_updates": "ON"}) as (root, chain):
        store, hq = chain.store(STORE), chain.hq
        cfg = load(store.config)
        centrale = CentraleSide(root, store.config, hq.server)
        native = NativeSide(store.server, hq.server, hq.database)
        next_id = 1
        try:
            for setting, round_rows in ((DURABLE, durable_rows), (RELAXED, relaxed_rows)):
                hq.server.sql(f"SET GLOBAL innodb_flush_log_at_trx_commit = {setting}")
                for i in range(rounds):
                    rows = make_rows(round_rows, first_id=next_id)
                    next_id += round_rows
                    native.write(rows)
                    centrale.fill(rows)
                    del rows
                    if i % 2:
                        centrale.round(sides["centrale", setting])
                        native.round(round_rows, sides["native", setting])
                    else:
                        native.round(round_rows, sides["native", setting])
                        centrale.round(sides["centrale", setting])
                if setting == DURABLE:  # native's best at this setting: parallel apply, group commits
                    native.parallel(PARALLEL_THREADS)
                    rows = make_rows(durable_rows, first_id=next_id)
                    next_id += durable_rows
                    native.write(rows)
                    del rows
                    native.round(durable_rows, native_parallel)
                    native.parallel(0)
            centrale.fill(make_rows(relaxed_rows, first_id=next_id))
            centrale.apply_only()
        finally:
            native.close()
        got = hq.server.sql(f"SELECT COUNT(*) FROM {quote_ident(hq.database)}.{TABLE}")[0][0]
        native_got = hq.server.sql(f"SELECT COUNT(*) FROM {NATIVE_DB}.{TABLE}")[0][0]
        hq.server.sql(f"SET GLOBAL innodb_flush_log_at_trx_commit = {DURABLE}")
        settings = durability(hq.server).replace("innodb_flush_log_at_trx_commit=1, ", "")
        parallel, slave_updates = hq.server.sql("SELECT @@slave_parallel_threads, @@log_slave_updates")[0]
    expected = rounds * (durable_rows + relaxed_rows)
    if got != expected + relaxed_rows or native_got != expected + durable_rows:
        print(f"warning: head office has {got} rows, the replica {native_got} (expected {expected})", flush=True)
    report = Report(
        "catchup",
        "a long outage's backlog drained into head office vs native replication's SQL thread",
        params={
            "table": TABLE,
            "source transactions": f"{TXN_ROWS} rows",
            "durable rounds": f"{rounds} x {durable_rows:,} rows (+ {durable_rows:,} native, in parallel)",
            "relaxed rounds": f"{rounds} x {relaxed_rows:,} rows",
            "catch-up batches": f"{cfg.ship.catchup_batch_rows:,} rows",
        },
    )
    durable_c, durable_n = sides["centrale", DURABLE], sides["native", DURABLE]
    relaxed_c, relaxed_n = sides["centrale", RELAXED], sides["native", RELAXED]
    report.measures += [
        Measure(
            "catch-up rows/s, head office durable (flush_log_at_trx_commit=1)",
            "rows/s",
            durable_c.tally.rate,
            durable_n.tally.rate,
            "replica SQL thread",
            target=f">= {TARGET:.1f}x",
            passed=durable_c.tally.rate / durable_n.tally.rate >= TARGET,
        ),
        Measure(
            "catch-up rows/s, head office durable, native applying in parallel",
            "rows/s",
            durable_c.tally.rate,
            native_parallel.tally.rate,
            f"replica, slave_parallel_threads={PARALLEL_THREADS}, optimistic",
        ),
        Measure(
            "catch-up rows/s, head office relaxed (flush_log_at_trx_commit=2)",
            "rows/s",
            relaxed_c.tally.rate,
            relaxed_n.tally.rate,
            "replica SQL thread",
        ),
        Measure(
            "head office's CPU per row applied, relaxed",
            "µs",
            relaxed_c.us_per_row,
            relaxed_n.us_per_row,
            "replica SQL thread",
        ),
        Measure(
            "catch-up rows/s, head office's side alone, relaxed",
            "rows/s",
            centrale.apply_tally.rate,
            relaxed_n.tally.rate,
            "replica SQL thread",
        ),
    ]
    report.notes += [
        f"one server applies both (head office = the replica): {settings}, log_slave_updates={slave_updates}, "
        f"slave_parallel_threads={parallel}; innodb_flush_log_at_trx_commit=1 (MariaDB's default) for the "
        "durable rounds, 2 for the relaxed ones, the same for both sides",
        "native: row events of 20-row transactions, already in the relay log; timed from START SLAVE SQL_THREAD "
        "until Exec_Master_Log_Pos reaches the source's end; the SQL thread alone (the target's baseline), and "
        f"once more at the durable setting with {PARALLEL_THREADS} parallel workers (optimistic mode, MariaDB's "
        "default), where commits go to disk in groups",
        "Centrale: a full outbox drained by one ApplierService.tick() in catch-up batches (the outbox read while "
        "head office applies the previous read; stored values sent as literal text or uploads), the "
        "exactly-once guard and acks included",
        f"rounds alternate which side goes first; durable: {spread(durable_c.tally, durable_n.tally)}; "
        f"relaxed: {spread(relaxed_c.tally, relaxed_n.tally)}",
        f"head office's CPU per row, durable: Centrale {durable_c.us_per_row:.2f} µs, "
        f"native {durable_n.us_per_row:.2f} µs",
        "side alone: the batches read from the outbox first, as when the store is another machine; the drains "
        "above share this machine's two cores between the store's process and head office",
    ]
    return report


if __name__ == "__main__":
    main_for(run)
