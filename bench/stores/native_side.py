"""The native side of one store count: the same tickets by multi-source replication."""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable
from typing import Any

import pymysql

from bench.stores.figures import Outcome, Sample, Span, sample
from bench.stores.phases import Servers, measured, wait_for, worker_specs
from bench.stores.settings import (
    DRAIN_POLL_S,
    DRAIN_TIMEOUT_S,
    FIRST_STORE,
    NATIVE_DB,
    POLL_S,
    SOURCES,
    TABLES,
    TEMPLATE_DB,
)
from bench.stores.tickets import sleep_until
from bench.stores.workers import native_worker
from centrale.core.config import load
from centrale.core.hqtables import create_missing_tables
from centrale.core.schema import TableDef, read_tables
from sandbox.mariadb import MariaDBServer


def gtid_positions(conn: pymysql.connections.Connection[Any], variable: str) -> dict[int, int]:
    """``@@gtid_slave_pos`` / ``@@gtid_binlog_pos`` as {domain: seq_no}."""
    with conn.cursor() as cur:
        cur.execute(f"SELECT @@{variable}")
        row = cur.fetchone()
    out: dict[int, int] = {}
    for part in str(row[0] if row else "").split(","):
        if part.strip():
            domain, _server, seq = part.strip().split("-")
            out[int(domain)] = int(seq)
    return out


class GtidPoller(threading.Thread):
    """Polls the replica's ``@@gtid_slave_pos`` every POLL_S: when each source's transactions
    became visible there."""

    def __init__(self, replica: MariaDBServer) -> None:
        super().__init__(name="gtid-poller", daemon=True)
        self.conn = replica.connect()
        self.polls: list[tuple[float, dict[int, int]]] = []
        self.done = threading.Event()
        self._applied: dict[int, list[int]] = {}

    def run(self) -> None:
        next_at = time.monotonic()
        while not self.done.is_set():
            at = time.time()
            self.polls.append((at, gtid_positions(self.conn, "gtid_slave_pos")))
            next_at += POLL_S
            time.sleep(max(0.0, next_at - time.monotonic()))

    def seen_at(self, domain: int, seq: int) -> float | None:
        """Start of the first poll showing ``domain``'s ``seq`` applied."""
        applied = self._applied.get(domain)
        if applied is None:
            applied = self._applied[domain] = [p.get(domain, 0) for _, p in self.polls]
        i = bisect.bisect_left(applied, seq)
        return self.polls[i][0] if i < len(self.polls) else None

    def stop(self) -> None:
        self.done.set()
        self.join()
        self.conn.close()


def create_native_tables(servers: Servers) -> None:
    """Head office's table shapes (the shipper's own DDL), on every source and the replica, kept
    out of the binlog so that the replica gets them once."""
    spec = load(servers.root / "template.toml").catalog
    wanted = {t: spec.spec(t) for t in TABLES}

    def defs(names: list[str]) -> dict[str, TableDef]:
        with servers.hq.connect(TEMPLATE_DB) as c:
            return read_tables(c, TEMPLATE_DB, names)

    for server in [*servers.sources, servers.replica]:
        with server.connect() as conn, conn.cursor() as cur:
            cur.execute("SET SESSION sql_log_bin = 0")
            cur.execute(f"DROP DATABASE IF EXISTS {NATIVE_DB}")
            cur.execute(f"CREATE DATABASE {NATIVE_DB}")
            cur.execute(f"USE {NATIVE_DB}")
            create_missing_tables(conn, NATIVE_DB, wanted, defs, "origin_store")


def native_side(servers: Servers, count: int, seed: int) -> Outcome:
    started = time.perf_counter()
    create_native_tables(servers)
    replica = servers.replica
    numbers = list(range(FIRST_STORE, FIRST_STORE + count))
    ports = {n: servers.sources[i % SOURCES].port for i, n in enumerate(numbers)}
    specs = worker_specs("native", numbers, seed, sources=ports)
    poller: GtidPoller | None = None
    with measured(replica, NATIVE_DB, native_worker, specs) as run:
        conn, pid, start, workers = run.conn, run.pid, run.start, run.workers
        try:

            def source_positions() -> dict[int, int]:
                out: dict[int, int] = {}
                for s in servers.sources:
                    with s.connect() as c:
                        out.update(gtid_positions(c, "gtid_binlog_pos"))
                return out

            def caught_up(target: dict[int, int]) -> Callable[[], bool]:
                def check() -> bool:
                    have = gtid_positions(conn, "gtid_slave_pos")
                    return all(have.get(d, 0) >= s for d, s in target.items())

                return check

            workers.gather("ready")
            wait_for(caught_up(source_positions()), 60, "the replica to apply the opening stock")

            def start_polling() -> None:
                nonlocal poller
                poller = GtidPoller(replica)
                poller.start()

            def measure() -> tuple[Sample, dict[int, int]]:
                return sample(conn, pid), gtid_positions(conn, "gtid_slave_pos")

            _t0, t_warm, t_sell_end, t_pause = run.begin(then=start_polling)
            (s0, g0), (s1, g1) = run.steady(t_warm, t_sell_end, measure)
            sleep_until(t_pause)
            assert poller is not None
            poller.stop()
            with conn.cursor() as cur:
                for k in range(SOURCES):
                    cur.execute(f"STOP SLAVE 'src{k}' SQL_THREAD")
            workers.send("burst")
            workers.gather("burst")
            target = source_positions()
            s2, g2 = measure()
            with conn.cursor() as cur:
                cur.execute("START ALL SLAVES")
            done = wait_for(caught_up(target), DRAIN_TIMEOUT_S, "the replica to apply the backlog", DRAIN_POLL_S)
            s3 = sample(conn, pid)
            checked = run.check()
        finally:
            if poller is not None and not poller.done.is_set():
                poller.stop()
    results = checked.results
    tickets = sorted(t for r in results for t in r.tickets)

    def rows_upto(positions: dict[int, int]) -> int:
        return sum(rows for d, seq, _c, rows in tickets if seq <= positions.get(d, 0))

    lags: list[float] = []
    unlagged = 0
    for domain, seq, committed, _rows in tickets:
        if not t_warm <= committed < t_sell_end:
            continue
        seen = poller.seen_at(domain, seq) if poller else None
        if seen is None:
            unlagged += 1
        else:
            lags.append(max(0.0, seen - committed))
    return Outcome(
        stores=count,
        steady=Span.between(s0, s1, rows_upto(g1) - rows_upto(g0)),
        drain=Span.between(s2, s3, rows_upto(target) - rows_upto(g2), done),
        whole=Span.between(start, s3, rows_upto(target)),
        lags=lags,
        unlagged=unlagged,
        late_p99=checked.late_p99,
        connections=s1.status.get("Threads_connected", 0),
        conflicts={},
        tick_errors=[],
        lost=checked.lost,
        extra=checked.extra,
        mismatched=checked.mismatched,
        progress_off=0,
        backlog=0,
        rows=sum(k for r in results for k in r.rows.values()),
        setup_s=checked.setup_s,
        seconds=time.perf_counter() - started,
    )
