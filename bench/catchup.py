"""Catch-up after a long outage: a store's outbox backlog drained into head office, against the
same rows applied by MariaDB's native replication (a replica's SQL thread), same server.

The data: ``sale_lines`` rows in 20-row source transactions, as a till writes them. Native: the
rows are written at the store's server (binlog ROW), the replica's IO thread has already copied
them into its relay log, then ``START SLAVE SQL_THREAD`` is timed until the replica has applied
them all. Head office runs with ``log_slave_updates=ON``, so that the replica writes what it
applies to its own binlog just as head office does for what Centrale applies: the same
durability on both sides (without it the native side skips the binlog writes).
Centrale: the same rows as capture stores them in an outbox, drained by
``ApplierService`` with the store configuration's catch-up mode (``ship.catchup_*``), the
exactly-once bookkeeping included. Both apply into the head-office server, in rounds that
alternate which side goes first; target: Centrale at least 1.0x native.

Run alone: ``python -m bench.catchup`` (``BENCH_QUICK=1`` for a fast pass).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pymysql

from applier.service import ApplierService, CatchUp
from bench.applier import COLUMNS, TABLE, fill_outbox, make_rows
from bench.harness import (
    STORE,
    Measure,
    Report,
    Stopwatch,
    Tally,
    durability,
    main_for,
    pick,
    servers_and_chain,
    spread,
)
from centrale.changes import Batch
from centrale.config import load
from centrale.db import quote_ident
from centrale.outbox import OutboxStore
from centrale.site import build_shipper
from sandbox.mariadb import MariaDBServer

NATIVE_DB = "bench_native"
TARGET = 1.0
TXN_ROWS = 20


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
        self.tally = Tally()
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
        """Untimed: the rows reach the source's binlog and the replica's relay log."""
        cols = ", ".join(quote_ident(c) for c in ("origin_store", *COLUMNS))
        marks = ", ".join(["%s"] * (len(COLUMNS) + 1))
        with self.source.connect(NATIVE_DB) as conn, conn.cursor() as cur:
            conn.autocommit(False)
            for i in range(0, len(rows), TXN_ROWS):
                cur.executemany(
                    f"INSERT INTO {quote_ident(TABLE)} ({cols}) VALUES ({marks})",
                    [(STORE, *r) for r in rows[i : i + TXN_ROWS]],
                )
                conn.commit()
        file, pos = _source_end(self.source)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            st = _status(self.replica)
            if st["Master_Log_File"] == file and int(st["Read_Master_Log_Pos"]) >= pos:
                return
            time.sleep(0.05)
        raise RuntimeError("the replica's IO thread did not catch up")

    def round(self, rows: int) -> None:
        """Timed: the SQL thread applies the relay log until it has executed everything."""
        file, pos = _source_end(self.source)
        with Stopwatch() as sw:
            self.replica.sql("START SLAVE SQL_THREAD")
            while True:
                st = _status(self.replica)
                if st["Last_SQL_Error"]:
                    raise RuntimeError(f"native replication stopped: {st['Last_SQL_Error']}")
                if st["Relay_Master_Log_File"] == file and int(st["Exec_Master_Log_Pos"]) >= pos:
                    break
                time.sleep(0.005)
        self.replica.sql("STOP SLAVE SQL_THREAD")
        self.tally.add(rows, sw.seconds)

    def close(self) -> None:
        self.replica.sql("STOP SLAVE")
        self.replica.sql("RESET SLAVE ALL")


class CentraleSide:
    """An outbox holding a round's rows, drained by ApplierService in catch-up mode."""

    def __init__(self, root: Path, config: Path) -> None:
        self.cfg = load(config)
        self.path = root / "catchup-outbox.db"
        self.shipper = build_shipper(self.cfg)
        self.shipper.prepare()
        self.tally = Tally()
        self.apply_tally = Tally()

    def round(self, rows: list[tuple[Any, ...]]) -> None:
        fill_outbox(self.path, rows)
        ship = self.cfg.ship
        with OutboxStore(self.path) as outbox:
            service = ApplierService(
                outbox,
                self.shipper,
                ship.batch_rows,
                threading.Event(),
                CatchUp.from_settings(ship),
            )
            with Stopwatch() as sw:
                report = service.tick()
            left = outbox.stats().backlog
        if report.error or left:
            raise RuntimeError(f"the drain stopped with {left} rows left: {report.error}")
        self.tally.add(report.rows, sw.seconds)

    def apply_only(self, rows: list[tuple[Any, ...]]) -> None:
        """Head office's side alone: the round's catch-up batches read first (untimed), then
        shipped. What a drain costs when the store is another machine, as in a chain, instead
        of sharing this machine's two cores with head office."""
        fill_outbox(self.path, rows)
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
    rounds = pick(4, 2)
    round_rows = pick(250_000, 50_000)
    n = rounds * round_rows
    all_rows = make_rows(n)
    with servers_and_chain("catchup", hq_options={"log_slave_updates": "ON"}) as (root, chain):
        store, hq = chain.store(STORE), chain.hq
        cfg = load(store.config)
        report = Report(
            "catchup",
            "a long outage's backlog drained into head office vs native replication's SQL thread",
            params={
                "rows": n,
                "table": TABLE,
                "source transactions": f"{TXN_ROWS} rows",
                "rounds": f"{rounds} x {round_rows:,} rows",
                "catch-up batches": f"{cfg.ship.catchup_batch_rows:,} rows",
            },
        )
        centrale = CentraleSide(root, store.config)
        native = NativeSide(store.server, hq.server, hq.database)
        try:
            for i in range(rounds):
                chunk = all_rows[i * round_rows : (i + 1) * round_rows]
                native.write(chunk)
                if i % 2:
                    centrale.round(chunk)
                    native.round(len(chunk))
                else:
                    native.round(len(chunk))
                    centrale.round(chunk)
            centrale.apply_only(make_rows(round_rows, first_id=n + 1))
        finally:
            native.close()
        got = hq.server.sql(f"SELECT COUNT(*) FROM {quote_ident(hq.database)}.{TABLE}")[0][0]
        native_got = hq.server.sql(f"SELECT COUNT(*) FROM {NATIVE_DB}.{TABLE}")[0][0]
        settings = durability(hq.server)
        parallel, slave_updates = hq.server.sql("SELECT @@slave_parallel_threads, @@log_slave_updates")[0]
    if got != n + round_rows or native_got != n:
        print(f"warning: head office has {got} rows, the replica {native_got} (expected {n})", flush=True)
    report.measures.append(
        Measure(
            "catch-up rows/s",
            "rows/s",
            centrale.tally.rate,
            native.tally.rate,
            "replica SQL thread",
            target=f">= {TARGET:.1f}x",
            passed=centrale.tally.rate / native.tally.rate >= TARGET,
        )
    )
    report.notes += [
        f"one server applies both (head office = the replica): {settings}, log_slave_updates={slave_updates}; "
        f"slave_parallel_threads={parallel}",
        "native: row events of 20-row transactions, already in the relay log; timed from START SLAVE SQL_THREAD "
        "until Exec_Master_Log_Pos reaches the source's end",
        "Centrale: outbox rows as capture writes them, ApplierService.tick() with catch-up batches (the outbox "
        "read while head office applies the previous read; stored values sent as literal text), the "
        "exactly-once guard and acks included",
        f"rounds alternate which side goes first; {spread(centrale.tally, native.tally)}",
        f"head office's side alone (a round's batches read from the outbox first, as when the store is another "
        f"machine): {centrale.apply_tally.rate:,.0f} rows/s = {centrale.apply_tally.rate / native.tally.rate:.2f}x "
        "native; the drain above shares this machine's two cores between the store's process and head office",
    ]
    return report


if __name__ == "__main__":
    main_for(run)
