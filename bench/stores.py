"""Head office under many stores: 50, 100 and 200 simulated stores ship to one head-office MariaDB
with the real applier, against MariaDB multi-source replication of the same tickets into one server.

What a store is here: its own outbox file (``OutboxStore``), its own store number and
configuration, its own ``ApplierService`` + ``HeadOfficeShipper`` (20-row batches, a tick every
second, as `centrale run` wires them), and a till that appends realistic tickets to the outbox as
capture would (a sale header, 1-5 lines each with a stock movement and the article's new stock
level, a payment, the header's update; sandbox.workload.StoreActivity's shape), one ticket every
``TICKET_EVERY_S`` seconds per store. No store MariaDB: capture is measured by bench.capture, and
200 store servers do not fit on two cores. The stores run in ``PROCESSES`` worker processes
(``spawn``; 4, or 2 in quick mode), each with one till thread for its stores and one shipping
thread per store.

Each store count runs these phases, on both sides in turn:
1. steady: every store sells and ships for ``STEADY_S`` seconds (after ``WARM_S`` of warm-up):
   head-office apply rate, lag (a ticket's capture -> its batch committed at head office), head
   office's CPU, InnoDB row-lock waits and deadlocks;
2. backlog: head office "unreachable" (shipping paused; for the native side, the replica's SQL
   threads stopped) while each store sells ``BURST_TICKETS`` more tickets (appended at once,
   and dated as capture would have dated them, sold ``TICKET_EVERY_S`` apart across the outage:
   shipping sees it is behind and catches up, as after a real outage);
3. drain: head office is back and every store ships its backlog at once (the thundering herd
   after an outage): head office's apply capacity in rows/s, its CPU and lock figures;
4. check: per store and table, row counts and sums at head office equal what the store sold;
   ``centrale_progress.rows_applied`` equals the rows the store's outbox held.
The largest chain then runs once more against a second head-office server that differs only by
``thread_handling=pool-of-threads``.

The native peer: ``SOURCES`` MariaDB servers with binlog (ROW), each holding the tickets of a
quarter of the stores, replicated into one replica by named multi-source connections
(``CHANGE MASTER 'srcK' ...``, ``START ALL SLAVES``, GTID, one domain per source). Sources and
replica hold head office's table shapes (``origin_store`` first in the key, the same DDL as the
shipper creates), so the replica applies the same rows into the same tables. The tills run the
same tickets as SQL at the sources (one transaction per ticket); lag is a ticket's commit at its
source -> the first poll (every ``POLL_S``) of the replica's ``@@gtid_slave_pos`` that shows it.

Run alone: ``python -m bench.stores`` (``BENCH_QUICK=1`` for 10/20/40 stores and shorter phases).
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import math
import multiprocessing
import os
import random
import shutil
import sqlite3
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pymysql
from pymysql.constants import CLIENT

from applier.headoffice import HeadOfficeShipper
from applier.service import ApplierService, CatchUp
from bench.harness import (
    BINLOG_FILE_BYTES,
    QUICK,
    Measure,
    Report,
    durability,
    main_for,
)
from centrale.changes import Batch, BinlogPosition, RowChange, SourceTransaction
from centrale.config import Config, load
from centrale.db import error_code
from centrale.hqtables import create_missing_tables
from centrale.outbox import OutboxStore
from centrale.schema import TableDef, read_tables
from sandbox.chain import build_chain, load_sql, store_schema_sql, write_store_config
from sandbox.mariadb import MariaDBServer
from sandbox.workload import ARTICLES

STORE_COUNTS = (10, 20, 40) if QUICK else (50, 100, 200)
PROCESSES = 2 if QUICK else 4
SOURCES = 4
TICKET_EVERY_S = 2.0  # per store: a rush hour with several tills, far above a chain's real mean
INTERVAL_S = 1.0  # ship.interval_s (production default: 30 s)
BATCH_ROWS = 20
WARM_S = 0.5 if QUICK else 2.0
STEADY_S = 3.5 if QUICK else 12.0
BURST_TICKETS = 10 if QUICK else 25  # per store, sold while head office is away
POLL_S = 0.02
DRAIN_POLL_S = 0.005
DRAIN_TIMEOUT_S = 120.0
FIRST_STORE = 101
TEMPLATE_DB = "pos_template"  # the sample store schema: what store_tables() reads
NATIVE_DB = "pos_hq"
TABLES = ("sales", "sale_lines", "sale_payments", "stock_movements", "stock_levels")
SUM_COLUMN = {
    "sales": "total",
    "sale_lines": "amount",
    "sale_payments": "amount",
    "stock_movements": "quantity",
    "stock_levels": "quantity",
}
SALES_COLS = (
    "id",
    "ticket_no",
    "business_day",
    "opened_at",
    "closed_at",
    "salesperson_id",
    "customer_card",
    "total",
    "status",
)
LINE_COLS = ("id", "sale_id", "line_no", "article_id", "label", "quantity", "unit_price", "amount", "vat_rate")
PAYMENT_COLS = ("id", "sale_id", "method", "amount", "paid_at")
MOVEMENT_COLS = ("id", "article_id", "quantity", "kind", "reference", "moved_at")
LEVEL_COLS = ("article_id", "quantity", "updated_at")
CENT = Decimal("0.01")
MILLI = Decimal("0.001")

Figures = dict[str, tuple[int, Decimal]]  # table -> (rows, sum of its amount column)


# --- the tickets ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One row of a ticket: the change capture would write to the outbox, and the statement a
    till runs at a native source (head office's table shapes, ``origin_store`` first)."""

    change: RowChange
    sql: str
    args: tuple[Any, ...]


def _insert(store: int, table: str, columns: tuple[str, ...], values: tuple[Any, ...]) -> Step:
    cols = ", ".join(("origin_store", *columns))
    marks = ", ".join(["%s"] * (len(columns) + 1))
    return Step(
        RowChange(table, "upsert", columns, values), f"INSERT INTO {table} ({cols}) VALUES ({marks})", (store, *values)
    )


class Till:
    """Tickets of one store, as sandbox.workload.StoreActivity sells them, with the store's own ids
    (as its auto-increments would give them) and running figures of what it sold."""

    def __init__(self, store: int, seed: int) -> None:
        self.store = store
        self.rng = random.Random(seed * 100_003 + store)
        self.ids: Counter[str] = Counter()
        self.ticket_no = 0
        self.levels = {i: Decimal("1000.000") for i in range(1, len(ARTICLES) + 1)}
        self.sold: dict[str, list[Any]] = {t: [0, Decimal(0)] for t in TABLES if t != "stock_levels"}
        self.rows = 0

    def _next(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def _count(self, table: str, amount: Decimal) -> None:
        self.sold[table][0] += 1
        self.sold[table][1] += amount

    def opening(self) -> list[Step]:
        """The store's stock levels, as a snapshot would load them before the day starts."""
        now = dt.datetime.now()
        steps = [_insert(self.store, "stock_levels", LEVEL_COLS, (a, q, now)) for a, q in self.levels.items()]
        self.rows += len(steps)
        return steps

    def ticket(self) -> list[Step]:
        """Header, 1-5 lines (each: the line, a stock movement, the stock level), a payment, and
        the header's update to paid: one store transaction."""
        rng, store = self.rng, self.store
        now = dt.datetime.now()
        self.ticket_no += 1
        sale_id = self._next("sales")
        seller = rng.randint(1, 3)
        header = (sale_id, self.ticket_no, now.date(), now, None, seller, None, Decimal("0.00"), "open")
        steps = [_insert(store, "sales", SALES_COLS, header)]
        total = Decimal("0.00")
        for line_no in range(1, rng.randint(1, 5) + 1):
            article = rng.randint(1, len(ARTICLES))
            _code, label, price = ARTICLES[article - 1]
            qty = Decimal(rng.randint(1, 3)).quantize(MILLI)
            amount = (price * qty).quantize(CENT)
            total += amount
            line = (self._next("sale_lines"), sale_id, line_no, article, label, qty, price, amount, Decimal("10.00"))
            steps.append(_insert(store, "sale_lines", LINE_COLS, line))
            self._count("sale_lines", amount)
            move = (self._next("stock_movements"), article, -qty, "sale", f"T{self.ticket_no}", now)
            steps.append(_insert(store, "stock_movements", MOVEMENT_COLS, move))
            self._count("stock_movements", -qty)
            self.levels[article] -= qty
            level = self.levels[article]
            steps.append(
                Step(
                    RowChange("stock_levels", "upsert", LEVEL_COLS, (article, level, now)),
                    "UPDATE stock_levels SET quantity=%s, updated_at=%s WHERE origin_store=%s AND article_id=%s",
                    (level, now, store, article),
                )
            )
        method = rng.choice(["cash", "card", "card", "voucher"])
        steps.append(
            _insert(store, "sale_payments", PAYMENT_COLS, (self._next("sale_payments"), sale_id, method, total, now))
        )
        self._count("sale_payments", total)
        closed = dt.datetime.now()
        paid = (sale_id, self.ticket_no, now.date(), now, closed, seller, None, total, "paid")
        steps.append(
            Step(
                RowChange("sales", "upsert", SALES_COLS, paid),
                "UPDATE sales SET closed_at=%s, total=%s, status='paid' WHERE origin_store=%s AND id=%s",
                (closed, total, store, sale_id),
            )
        )
        self._count("sales", total)
        self.rows += len(steps)
        return steps

    def figures(self) -> Figures:
        out: Figures = {t: (int(n), Decimal(s)) for t, (n, s) in self.sold.items()}
        out["stock_levels"] = (len(self.levels), sum(self.levels.values(), Decimal(0)))
        return out


def schedule(stores: list[int], t0: float, until: float, seed: int) -> Iterator[tuple[float, int]]:
    """(when, store) of every ticket sold from ``t0`` to ``until``: each store one ticket in each
    TICKET_EVERY_S slot, at a random point of it (so stores are out of phase with each other and
    with the shipping ticks)."""
    rng = random.Random(seed)
    heap = [(t0 + rng.random() * TICKET_EVERY_S, s, 0) for s in stores]
    heapq.heapify(heap)
    while heap:
        at, store, k = heapq.heappop(heap)
        if at >= until:
            continue
        yield at, store
        heapq.heappush(heap, (t0 + (k + 1 + rng.random()) * TICKET_EVERY_S, store, k + 1))


def sleep_until(at: float) -> float:
    """Sleep until wall time ``at``; return how late we woke (s)."""
    delay = at - time.time()
    if delay > 0:
        time.sleep(delay)
    return max(0.0, time.time() - at)


# --- worker processes ---------------------------------------------------------------------------


@dataclass
class WorkerSpec:
    side: str  # "centrale" | "native"
    index: int
    stores: list[int]
    seed: int
    configs: dict[int, str] = field(default_factory=dict)  # centrale: store -> config file
    sources: dict[int, int] = field(default_factory=dict)  # native: store -> source port


@dataclass
class WorkerResult:
    rows: dict[int, int] = field(default_factory=dict)  # rows (outbox rows / row events) per store
    burst_rows: int = 0
    figures: dict[int, Figures] = field(default_factory=dict)
    lags: list[tuple[float, float, float]] = field(default_factory=list)  # centrale: (captured, shipped, lag)
    tickets: list[tuple[int, int, float, int]] = field(default_factory=list)  # native: (domain, seq, commit, rows)
    late: list[float] = field(default_factory=list)  # how late the tills were on their schedule (s)
    conflicts: dict[int, int] = field(default_factory=dict)  # MariaDB error code -> times seen by shippers
    tick_errors: list[str] = field(default_factory=list)
    backlog: int = 0  # rows left in the outboxes at the end
    setup_s: float = 0.0


class SimShipper(HeadOfficeShipper):
    """The real shipper; it also notes when each ticket's batch committed, and every MariaDB error
    an attempt met (a deadlock or lock wait is retried inside ``ship`` and would go unseen)."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.lags: list[tuple[float, float, float]] = []
        self.errors: Counter[int] = Counter()

    def ship(self, batch: Batch) -> int:
        applied = super().ship(batch)
        done = time.time()
        txn = None
        for row in batch.rows:
            if row.txn != txn:
                txn = row.txn
                self.lags.append((row.captured_at, done, done - row.captured_at))
        return applied

    def _ship_once(self, batch: Batch) -> int:
        try:
            return super()._ship_once(batch)
        except pymysql.err.MySQLError as exc:
            self.errors[error_code(exc) or 0] += 1
            raise


def sim_shipper(cfg: Config) -> SimShipper:
    """``centrale.site.build_shipper`` with SimShipper; the store's table definitions come from
    the template database ([local] url of the store's configuration)."""
    from centrale.site import build_shipper

    shipper = build_shipper(cfg, SimShipper)
    assert isinstance(shipper, SimShipper)
    return shipper


class SimStore:
    """One store of the Centrale side: till, outbox (one connection for the till, one for
    shipping, as capture and the applier each open their own), applier and shipper."""

    def __init__(self, number: int, config: Path, seed: int) -> None:
        cfg = load(config)
        self.number = number
        self.till = Till(number, seed)
        self.path = cfg.outbox.path
        self.capture = OutboxStore(cfg.outbox.path)
        self.outbox = OutboxStore(cfg.outbox.path)
        self.shipper = sim_shipper(cfg)
        self.stop = threading.Event()
        catchup = CatchUp.from_settings(cfg.ship)  # as `centrale run`
        self.service = ApplierService(self.outbox, self.shipper, cfg.ship.batch_rows, self.stop, catchup)
        self.idle = threading.Event()
        self.pos = 4
        self.rng = random.Random(seed + number)
        self.tick_errors: list[str] = []
        self.append(self.till.opening())
        first = self.service.tick()  # prepare (tables created by the first store) + the opening rows
        if first.error:
            raise RuntimeError(f"store {number}: first tick failed: {first.error}")

    def append(self, steps: list[Step]) -> None:
        """What capture does for one store transaction: its rows and the checkpoint, one commit."""
        self.pos += 1000
        txn = SourceTransaction(
            tuple(s.change for s in steps), BinlogPosition("mariadb-bin.000001", self.pos), timestamp=int(time.time())
        )
        self.capture.append([txn])

    def ship_loop(self, t0: float, t_pause: float, resume: threading.Event) -> None:
        """`centrale run`'s shipping tick (every INTERVAL_S, coalesced when late), paused from
        ``t_pause`` until ``resume``; then one tick at once (head office is back) and on."""
        next_at = t0 + self.rng.random() * INTERVAL_S
        resumed = False
        try:
            while True:
                if not resumed and next_at >= t_pause:
                    self.idle.set()
                    resume.wait()
                    resumed = True
                    next_at = time.time()
                delay = next_at - time.time()
                if (delay > 0 and self.stop.wait(delay)) or self.stop.is_set():
                    return
                report = self.service.tick()
                if report.error:
                    self.tick_errors.append(f"store {self.number}: {report.error}")
                next_at = max(next_at + INTERVAL_S, time.time())
        except Exception as exc:  # reported with the results, never a hung worker
            self.tick_errors.append(f"store {self.number}: shipping thread died: {exc!r}")
        finally:
            self.idle.set()

    def last_seq(self) -> int:
        return self.capture.stats().last_seq

    def date_back(self, after_seq: int, seconds: float) -> None:
        """The burst's rows are appended at once; date them as capture would have, sold across
        the outage (the oldest ``seconds`` ago), so that shipping sees how far behind it is."""
        with sqlite3.connect(self.path) as db:
            db.execute(
                "UPDATE changes SET captured_at = captured_at - ? * (1.0 - (seq - ?) * 1.0 / "
                "(SELECT MAX(seq) - ? + 1 FROM changes)) WHERE seq > ?",
                (seconds, after_seq, after_seq, after_seq),
            )

    def close(self) -> int:
        left = self.outbox.stats().backlog
        self.shipper.close()
        self.outbox.close()
        self.capture.close()
        return left


def _recv(pipe: Connection, expected: str) -> tuple[Any, ...]:
    msg = pipe.recv()
    if not isinstance(msg, tuple) or msg[0] != expected:
        raise RuntimeError(f"worker expected {expected!r}, got {msg!r}")
    return msg


def centrale_worker(spec: WorkerSpec, pipe: Connection) -> None:
    """A worker process of the Centrale side: its stores' tills (one thread) and shippers (one
    thread per store)."""
    started = time.perf_counter()
    stores = {n: SimStore(n, Path(spec.configs[n]), spec.seed) for n in spec.stores}
    result = WorkerResult(setup_s=time.perf_counter() - started)
    resume = threading.Event()
    threads: list[threading.Thread] = []
    try:
        pipe.send(("ready",))
        _, t0, t_sell_end, t_pause = _recv(pipe, "start")

        def sell() -> None:
            for at, number in schedule(spec.stores, t0, t_sell_end, spec.seed + spec.index):
                result.late.append(sleep_until(at))
                store = stores[number]
                store.append(store.till.ticket())

        till = threading.Thread(target=sell, name="till")
        threads = [
            threading.Thread(target=s.ship_loop, args=(t0, t_pause, resume), name=f"ship-{s.number}")
            for s in stores.values()
        ]
        for t in [till, *threads]:
            t.start()
        till.join()
        for s in stores.values():
            s.idle.wait()
        before = sum(s.till.rows for s in stores.values())
        seqs = {n: s.last_seq() for n, s in stores.items()}
        for _ in range(BURST_TICKETS):  # head office away: the backlog grows
            for s in stores.values():
                s.append(s.till.ticket())
        for n, s in stores.items():
            s.date_back(seqs[n], BURST_TICKETS * TICKET_EVERY_S)
        result.burst_rows = sum(s.till.rows for s in stores.values()) - before
        pipe.send(("burst", result.burst_rows, before + result.burst_rows))
        _recv(pipe, "resume")
        resume.set()
        _recv(pipe, "stop")
    finally:
        resume.set()
        for s in stores.values():
            s.stop.set()
        for t in threads:
            t.join()
    for s in stores.values():
        result.rows[s.number] = s.till.rows
        result.figures[s.number] = s.till.figures()
        result.lags += s.shipper.lags
        result.tick_errors += s.tick_errors
        for code, n in s.shipper.errors.items():
            result.conflicts[code] = result.conflicts.get(code, 0) + n
        result.backlog += s.close()
    pipe.send(("result", result))


def native_worker(spec: WorkerSpec, pipe: Connection) -> None:
    """A worker process of the native side: its stores' tills run their tickets as SQL at their
    source (one transaction and one round trip per ticket; the source's GTID noted)."""
    started = time.perf_counter()
    tills = {n: Till(n, spec.seed) for n in spec.stores}
    conns: dict[int, pymysql.connections.Connection[Any]] = {}
    result = WorkerResult()
    try:
        for port in sorted(set(spec.sources.values())):
            conns[port] = pymysql.connect(
                host="127.0.0.1",
                port=port,
                user="root",
                password="",
                database=NATIVE_DB,
                charset="utf8mb4",
                autocommit=True,
                client_flag=CLIENT.MULTI_STATEMENTS,
            )

        def run(number: int, steps: list[Step]) -> float:
            """One store transaction at the store's source; notes its GTID and commit time."""
            conn = conns[spec.sources[number]]
            row = None
            with conn.cursor() as cur:
                body = ";\n".join(cur.mogrify(s.sql, s.args) for s in steps)
                cur.execute(f"BEGIN;\n{body};\nCOMMIT;\nSELECT @@last_gtid")
                while cur.nextset():
                    row = cur.fetchone() or row
            committed = time.time()
            domain, _server, seq = str(row[0] if row else "0-0-0").split("-")
            result.tickets.append((int(domain), int(seq), committed, len(steps)))
            return committed

        for number, till in tills.items():
            run(number, till.opening())
        result.setup_s = time.perf_counter() - started
        pipe.send(("ready",))
        _, t0, t_sell_end, _t_pause = _recv(pipe, "start")
        for at, number in schedule(spec.stores, t0, t_sell_end, spec.seed + spec.index):
            result.late.append(sleep_until(at))
            run(number, tills[number].ticket())
        _recv(pipe, "burst")  # the replica's SQL threads are stopped: the relay logs fill up
        before = sum(t.rows for t in tills.values())
        for _ in range(BURST_TICKETS):
            for number, till in tills.items():
                run(number, till.ticket())
        result.burst_rows = sum(t.rows for t in tills.values()) - before
        pipe.send(("burst", result.burst_rows, before + result.burst_rows))
        _recv(pipe, "stop")
    finally:
        for conn in conns.values():
            conn.close()
    for number, till in tills.items():
        result.rows[number] = till.rows
        result.figures[number] = till.figures()
    pipe.send(("result", result))


# --- head office's figures ----------------------------------------------------------------------


@dataclass
class Sample:
    at: float
    cpu_s: float
    status: dict[str, int]
    clients_s: float = 0.0  # CPU time of the simulated stores' processes (Centrale side)


STATUS = ("Innodb_row_lock_waits", "Innodb_row_lock_time", "Innodb_deadlocks", "Threads_connected")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process so far (/proc/PID/stat)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sample(conn: pymysql.connections.Connection[Any], pid: int, clients: list[int] | None = None) -> Sample:
    """Head office's CPU time so far and its InnoDB lock counters (and the stores' CPU time)."""
    cpu = cpu_seconds(pid)
    clients_s = sum(cpu_seconds(p) for p in clients or [])
    with conn.cursor() as cur:
        cur.execute(
            "SHOW GLOBAL STATUS WHERE Variable_name IN (" + ", ".join(["%s"] * len(STATUS)) + ")",
            STATUS,
        )
        status = {str(k): int(v) for k, v in cur.fetchall()}
    return Sample(time.time(), cpu, status, clients_s)


@dataclass
class Span:
    """Head office between two samples, with the rows it applied meanwhile."""

    rows: int
    seconds: float
    cpu_s: float
    lock_waits: int
    lock_ms: int
    deadlocks: int
    clients_cpu_s: float = 0.0

    @classmethod
    def between(cls, a: Sample, b: Sample, rows: int, until: float | None = None) -> Span:
        """From ``a`` to ``b`` (or to ``until``, when the rows were all seen before ``b``)."""
        d = {k: b.status.get(k, 0) - a.status.get(k, 0) for k in STATUS}
        return cls(
            rows,
            (until or b.at) - a.at,
            b.cpu_s - a.cpu_s,
            d["Innodb_row_lock_waits"],
            d["Innodb_row_lock_time"],
            d["Innodb_deadlocks"],
            b.clients_s - a.clients_s,
        )

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    @property
    def cpu_share(self) -> float:
        """Head office's CPU use, in cores."""
        return self.cpu_s / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_krow(self) -> float:
        return 1e6 * self.cpu_s / self.rows if self.rows else 0.0


@dataclass
class Outcome:
    """One side's figures for one store count."""

    stores: int
    steady: Span
    drain: Span
    whole: Span  # from before the stores start (first ticks included) to the end of the drain
    lags: list[float]
    unlagged: int  # steady tickets not applied before the pause (no lag figure)
    late_p99: float
    conflicts: dict[int, int]
    tick_errors: list[str]
    lost: int  # rows missing at head office (sum over stores and tables of expected - found, if positive)
    extra: int  # rows head office has beyond what the stores sold
    mismatched: list[str]  # store/table whose count or sum differs
    progress_off: int  # stores whose centrale_progress.rows_applied differs from their outbox rows
    backlog: int
    rows: int
    setup_s: float
    seconds: float = 0.0  # wall time of this side's run
    connections: int = 0  # client connections open at head office at the end of the steady window
    label: str = "Centrale"

    def lag(self, q: float) -> float:
        return percentile(self.lags, q)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]  # nearest rank


def head_office_figures(conn: pymysql.connections.Connection[Any]) -> dict[int, Figures]:
    out: dict[int, Figures] = {}
    with conn.cursor() as cur:
        for table in TABLES:
            cur.execute(f"SELECT origin_store, COUNT(*), COALESCE(SUM({SUM_COLUMN[table]}), 0) FROM {table} GROUP BY 1")
            for store, n, total in cur.fetchall():
                out.setdefault(int(store), {})[table] = (int(n), Decimal(total))
    return out


def compare(expected: dict[int, Figures], found: dict[int, Figures]) -> tuple[int, int, list[str]]:
    lost = extra = 0
    mismatched: list[str] = []
    for store, figures in sorted(expected.items()):
        for table, (n, total) in figures.items():
            got_n, got_total = found.get(store, {}).get(table, (0, Decimal(0)))
            lost += max(0, n - got_n)
            extra += max(0, got_n - n)
            if (got_n, got_total) != (n, total):
                mismatched.append(f"store {store} {table}: {got_n} rows, sum {got_total} (expected {n}, {total})")
    for store in found.keys() - expected.keys():
        extra += sum(n for n, _ in found[store].values())
        mismatched.append(f"store {store}: unexpected rows")
    return lost, extra, mismatched


# --- orchestration --------------------------------------------------------------------------------


class Workers:
    """Worker processes (spawned, so no server connection or thread is inherited) and their pipes."""

    def __init__(self, target: Callable[[WorkerSpec, Connection], None], specs: list[WorkerSpec]) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.pipes: list[Connection] = []
        self.procs: list[multiprocessing.process.BaseProcess] = []
        for spec in specs:
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=target, args=(spec, child), name=f"{spec.side}-{spec.index}", daemon=True)
            proc.start()
            child.close()
            self.pipes.append(parent)
            self.procs.append(proc)

    def gather(self, expected: str, timeout: float = 180.0) -> list[tuple[Any, ...]]:
        out = []
        deadline = time.monotonic() + timeout
        for pipe, proc in zip(self.pipes, self.procs, strict=True):
            while not pipe.poll(0.2):
                if not proc.is_alive():
                    raise RuntimeError(f"worker {proc.name} died (exit code {proc.exitcode})")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"worker {proc.name} did not answer {expected!r} in {timeout:.0f} s")
            try:
                msg = pipe.recv()
            except EOFError:
                proc.join(timeout=5)
                raise RuntimeError(f"worker {proc.name} died (exit code {proc.exitcode})") from None
            if msg[0] != expected:
                raise RuntimeError(f"worker {proc.name} sent {msg[0]!r}, expected {expected!r}")
            out.append(msg)
        return out

    def send(self, *msg: Any) -> None:
        for pipe in self.pipes:
            pipe.send(msg)

    def close(self) -> None:
        """Close the pipes (a worker still waiting for an order then ends), wait, and terminate
        any of our own workers that did not end, by their handle."""
        for pipe in self.pipes:
            pipe.close()
        for proc in self.procs:
            proc.join(timeout=20)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=10)


def spread_stores(stores: list[int]) -> list[list[int]]:
    return [stores[i::PROCESSES] for i in range(min(PROCESSES, len(stores)))]


def timeline(setup_done: float) -> tuple[float, float, float, float]:
    """t0 (selling and shipping start), t_warm (measuring starts), t_sell_end, t_pause (shipping
    stops: every store ticked at least once after its last steady ticket)."""
    t0 = setup_done + 0.5
    return t0, t0 + WARM_S, t0 + WARM_S + STEADY_S, t0 + WARM_S + STEADY_S + 1.5 * INTERVAL_S


def wait_for(check: Callable[[], bool], timeout: float, what: str, every: float = POLL_S) -> float:
    """Poll ``check`` every ``every`` s; return the wall time at the start of the poll that saw it true."""
    deadline = time.monotonic() + timeout
    while True:
        at = time.time()
        if check():
            return at
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(every)


@dataclass
class Servers:
    root: Path
    hq: MariaDBServer
    hq_pool: MariaDBServer  # the same head office with thread_handling=pool-of-threads
    sources: list[MariaDBServer]
    replica: MariaDBServer


def centrale_side(servers: Servers, count: int, seed: int, hq: MariaDBServer) -> Outcome:
    started = time.perf_counter()
    hq_db = f"pos_hq_{count}"
    root = servers.root / f"centrale-{hq.name}-{count}"
    build_chain(root, hq, {}, hq_db=hq_db, interval_s=INTERVAL_S, batch_rows=BATCH_ROWS)  # `hq init`
    numbers = list(range(FIRST_STORE, FIRST_STORE + count))
    configs = {
        n: str(
            write_store_config(
                root / f"store{n}.toml",
                number=n,
                name=f"Magasin {n}",
                store=hq,  # [local] is the template database: what the shipper reads table definitions from
                hq=hq,
                hq_db=hq_db,
                store_db=TEMPLATE_DB,
                interval_s=INTERVAL_S,
                batch_rows=BATCH_ROWS,
            )
        )
        for n in numbers
    }
    specs = [
        WorkerSpec("centrale", i, part, seed, configs={n: configs[n] for n in part})
        for i, part in enumerate(spread_stores(numbers))
    ]
    conn = hq.connect(hq_db)
    assert hq.pid is not None
    pid = hq.pid
    start = sample(conn, pid)
    workers = Workers(centrale_worker, specs)
    try:

        def applied() -> int:
            with conn.cursor() as cur:
                cur.execute("SELECT COALESCE(SUM(rows_applied), 0) FROM centrale_progress")
                row = cur.fetchone()
            return int(row[0]) if row else 0

        workers.gather("ready")
        t0, t_warm, t_sell_end, t_pause = timeline(time.time())
        workers.send("start", t0, t_sell_end, t_pause)
        sleep_until(t_warm)
        pids = [p.pid for p in workers.procs if p.pid]
        s0, a0 = sample(conn, pid, pids), applied()
        sleep_until(t_sell_end)
        s1, a1 = sample(conn, pid, pids), applied()
        total = sum(m[2] for m in workers.gather("burst"))  # every row sold, backlog included
        s2, a2 = sample(conn, pid, pids), applied()
        workers.send("resume")
        done = wait_for(lambda: applied() >= total, DRAIN_TIMEOUT_S, f"all {total} rows at head office", DRAIN_POLL_S)
        s3 = sample(conn, pid, pids)
        workers.send("stop")
        results: list[WorkerResult] = [m[1] for m in workers.gather("result")]
        expected = {n: f for r in results for n, f in r.figures.items()}
        lost, extra, mismatched = compare(expected, head_office_figures(conn))
        rows = {n: k for r in results for n, k in r.rows.items()}
        with conn.cursor() as cur:
            cur.execute("SELECT store, SUM(rows_applied) FROM centrale_progress GROUP BY store")
            progress = {int(s): int(k) for s, k in cur.fetchall()}
    finally:
        workers.close()
        conn.close()
    steady_lags = [lag for r in results for cap, done, lag in r.lags if t_warm <= cap < t_sell_end and done < t_pause]
    steady_tickets = sum(1 for r in results for cap, _d, _l in r.lags if t_warm <= cap < t_sell_end)
    conflicts: Counter[int] = Counter()
    for r in results:
        conflicts.update(r.conflicts)
    outcome = Outcome(
        stores=count,
        steady=Span.between(s0, s1, a1 - a0),
        drain=Span.between(s2, s3, total - a2, done),
        whole=Span.between(start, s3, total),
        lags=steady_lags,
        unlagged=steady_tickets - len(steady_lags),
        late_p99=percentile([x for r in results for x in r.late], 0.99),
        connections=s1.status.get("Threads_connected", 0),
        conflicts=dict(conflicts),
        tick_errors=[e for r in results for e in r.tick_errors],
        lost=lost,
        extra=extra,
        mismatched=mismatched,
        progress_off=sum(1 for n, k in rows.items() if progress.get(n) != k),
        backlog=sum(r.backlog for r in results),
        rows=sum(rows.values()),
        setup_s=max(r.setup_s for r in results),
    )
    hq.sql(f"DROP DATABASE IF EXISTS `{hq_db}`")
    hq.sql(f"DROP DATABASE IF EXISTS `{hq_db}_stores`")
    shutil.rmtree(root, ignore_errors=True)
    outcome.seconds = time.perf_counter() - started
    return outcome


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
    specs = [
        WorkerSpec("native", i, part, seed, sources={n: ports[n] for n in part})
        for i, part in enumerate(spread_stores(numbers))
    ]
    conn = replica.connect(NATIVE_DB)
    assert replica.pid is not None
    pid = replica.pid
    poller: GtidPoller | None = None
    start = sample(conn, pid)
    workers = Workers(native_worker, specs)
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
        t0, t_warm, t_sell_end, t_pause = timeline(time.time())
        poller = GtidPoller(replica)
        poller.start()
        workers.send("start", t0, t_sell_end, t_pause)
        sleep_until(t_warm)
        s0, g0 = sample(conn, pid), gtid_positions(conn, "gtid_slave_pos")
        sleep_until(t_sell_end)
        s1, g1 = sample(conn, pid), gtid_positions(conn, "gtid_slave_pos")
        sleep_until(t_pause)
        poller.stop()
        with conn.cursor() as cur:
            for k in range(SOURCES):
                cur.execute(f"STOP SLAVE 'src{k}' SQL_THREAD")
        workers.send("burst")
        workers.gather("burst")
        target = source_positions()
        s2, g2 = sample(conn, pid), gtid_positions(conn, "gtid_slave_pos")
        with conn.cursor() as cur:
            cur.execute("START ALL SLAVES")
        done = wait_for(caught_up(target), DRAIN_TIMEOUT_S, "the replica to apply the backlog", DRAIN_POLL_S)
        s3 = sample(conn, pid)
        workers.send("stop")
        results: list[WorkerResult] = [m[1] for m in workers.gather("result")]
        expected = {n: f for r in results for n, f in r.figures.items()}
        lost, extra, mismatched = compare(expected, head_office_figures(conn))
    finally:
        if poller is not None and not poller.done.is_set():
            poller.stop()
        workers.close()
        conn.close()
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
        late_p99=percentile([x for r in results for x in r.late], 0.99),
        connections=s1.status.get("Threads_connected", 0),
        conflicts={},
        tick_errors=[],
        lost=lost,
        extra=extra,
        mismatched=mismatched,
        progress_off=0,
        backlog=0,
        rows=sum(k for r in results for k in r.rows.values()),
        setup_s=max(r.setup_s for r in results),
        seconds=time.perf_counter() - started,
    )


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
        deadlock_log = _deadlock_lines(servers.hq) + _deadlock_lines(servers.hq_pool)
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


def summary_line(c: Outcome, n: Outcome) -> str:
    return (
        f"steady {c.steady.rate:,.0f} vs {n.steady.rate:,.0f} rows/s, drain {c.drain.rate:,.0f} vs "
        f"{n.drain.rate:,.0f} rows/s, lag p99 {c.lag(0.99):.2f} vs {n.lag(0.99):.3f} s, "
        f"deadlocks {c.whole.deadlocks}, lost {c.lost} ({c.seconds:.0f} s + {n.seconds:.0f} s)"
    )


def _deadlock_lines(hq: MariaDBServer) -> list[str]:
    try:
        text = hq.error_log.read_text(errors="replace")
    except OSError:
        return []
    return [ln for ln in text.splitlines() if "DEADLOCK" in ln.upper()][:5]


def deadlocks(o: Outcome) -> int:
    """Deadlocks over the whole run: InnoDB's count, or the 1213s the shippers met if more."""
    return max(o.whole.deadlocks, o.conflicts.get(1213, 0))


def measures(c: Outcome, n: Outcome) -> list[Measure]:
    pooled = c.label != "Centrale"
    k = f"{c.stores} stores" + (", head office thread pool" if pooled else "")
    peer = "multi-source replica"
    first = [] if pooled else [Measure(f"{k}: steady apply rate", "rows/s", c.steady.rate, n.steady.rate, peer)]
    return [
        *first,
        Measure(f"{k}: drain apply rate (capacity)", "rows/s", c.drain.rate, n.drain.rate, peer),
        *([] if pooled else [Measure(f"{k}: lag p50", "s", c.lag(0.5), n.lag(0.5), peer)]),
        Measure(f"{k}: lag p99", "s", c.lag(0.99), n.lag(0.99), peer),
        Measure(
            f"{k}: head-office CPU per 1000 rows, steady",
            "ms",
            c.steady.cpu_ms_per_krow,
            n.steady.cpu_ms_per_krow,
            peer,
        ),
        Measure(
            f"{k}: head-office CPU per 1000 rows, drain", "ms", c.drain.cpu_ms_per_krow, n.drain.cpu_ms_per_krow, peer
        ),
        Measure(f"{k}: deadlocks", "", deadlocks(c), deadlocks(n), peer, target="= 0", passed=deadlocks(c) == 0),
        Measure(
            f"{k}: rows lost or doubled",
            "rows",
            c.lost + c.extra,
            n.lost + n.extra,
            peer,
            target="= 0",
            passed=not (c.lost or c.extra or c.mismatched or c.progress_off or c.backlog),
        ),
    ]


def _table(c: Outcome, n: Outcome) -> str:
    def row(metric: str, a: str, b: str) -> str:
        return f"| {metric} | {a} | {b} |"

    def cores(x: float) -> str:
        return f"{100 * x:.0f} % of a core"

    def locks(o: Outcome) -> str:
        return " / ".join(f"{s.lock_waits} ({s.lock_ms} ms)" for s in (o.steady, o.drain, o.whole))

    title = f"{c.stores} stores ({c.rows:,} rows Centrale, {n.rows:,} native; {c.seconds:.0f} s + {n.seconds:.0f} s)"
    if c.label != "Centrale":
        title = f"{c.stores} stores again, head office on MariaDB's thread pool (same tickets; {c.seconds:.0f} s)"
    lines = [
        title + ":",
        "",
        f"| | {c.label} | multi-source replica |",
        "|---|---:|---:|",
        row("steady apply rate", f"{c.steady.rate:,.0f} rows/s", f"{n.steady.rate:,.0f} rows/s"),
        row("lag p50 / p99", f"{c.lag(0.5):.3f} / {c.lag(0.99):.3f} s", f"{n.lag(0.5):.3f} / {n.lag(0.99):.3f} s"),
        row("head-office CPU, steady", cores(c.steady.cpu_share), cores(n.steady.cpu_share)),
        row(
            "head-office CPU per 1000 rows, steady / drain",
            f"{c.steady.cpu_ms_per_krow:.0f} / {c.drain.cpu_ms_per_krow:.0f} ms",
            f"{n.steady.cpu_ms_per_krow:.0f} / {n.drain.cpu_ms_per_krow:.0f} ms",
        ),
        row(
            "drain of the backlog",
            f"{c.drain.rows:,} rows in {c.drain.seconds:.2f} s = {c.drain.rate:,.0f} rows/s",
            f"{n.drain.rows:,} rows in {n.drain.seconds:.2f} s = {n.drain.rate:,.0f} rows/s",
        ),
        row("head-office CPU during the drain", cores(c.drain.cpu_share), cores(n.drain.cpu_share)),
        row(
            "simulated stores' CPU, steady / drain",
            f"{cores(c.steady.clients_cpu_s / c.steady.seconds)} / {cores(c.drain.clients_cpu_s / c.drain.seconds)}",
            "— (tills at the sources)",
        ),
        row("row-lock waits (time): steady / drain / whole run", locks(c), locks(n)),
        row(
            "deadlocks, whole run; errors shippers retried",
            f"{c.whole.deadlocks}; {_codes(c.conflicts)}",
            f"{n.whole.deadlocks}; —",
        ),
        row(
            "rows lost / extra; tables differing",
            f"{c.lost} / {c.extra}; {len(c.mismatched)}",
            f"{n.lost} / {n.extra}; {len(n.mismatched)}",
        ),
        row(
            "progress rows off; ticks failed; outbox rows left",
            f"{c.progress_off}; {len(c.tick_errors)}; {c.backlog}",
            "—",
        ),
        row("connections open at head office, steady", str(c.connections), str(n.connections)),
        row("tills' schedule slip p99", f"{c.late_p99 * 1000:.0f} ms", f"{n.late_p99 * 1000:.0f} ms"),
    ]
    if c.unlagged or n.unlagged:
        lines.append(row("steady tickets without a lag figure", str(c.unlagged), str(n.unlagged)))
    return "\n".join(lines)


def _codes(codes: dict[int, int]) -> str:
    return ", ".join(f"{n} x error {code}" for code, n in sorted(codes.items())) or "none"


def notes(outcomes: list[tuple[Outcome, Outcome]], settings: dict[str, str], deadlocks: list[str]) -> list[str]:
    out = [
        f"durability, identical on both sides: head office {settings['head office']}; replica {settings['replica']}, "
        "log_slave_updates=ON (it binlogs what it applies, as head office binlogs Centrale's batches), "
        "relay log and master info at MariaDB's defaults (sync every 10,000 events); InnoDB buffer pool 64 MB; "
        "MariaDB 10.11 on the same 2-core machine as the simulated stores",
        f"Centrale: {PROCESSES} spawned worker processes, stores spread round-robin; per process one till thread "
        "(appends each ticket to its store's outbox as capture would: rows + checkpoint in one SQLite commit) "
        "and one shipping thread per store running ApplierService.tick() every ship.interval_s with the real "
        "HeadOfficeShipper (root account at head office, tables created by the first store's first tick); each "
        "store's outbox, configuration and store number are its own",
        f"native: {SOURCES} source servers (binlog ROW/FULL, one GTID domain each), stores spread round-robin; "
        "one replica with named connections src0..src3 (CHANGE MASTER 'srcK' ... MASTER_USE_GTID=slave_pos, "
        "START ALL SLAVES), slave_parallel_threads=0: one SQL thread per connection; tables of head office's "
        "shape (origin_store first in the primary key) created on every server outside the binlog; the same "
        f"tickets run at the sources by {PROCESSES} worker processes, one transaction and round trip per ticket. "
        "One source server per store, as in a real chain, does not fit on 2 cores",
        "steady apply rate: rows head office applied in the steady window (Centrale: centrale_progress.rows_applied; "
        "native: row events of the transactions @@gtid_slave_pos shows applied); both sides keep up, so it equals "
        "the offered load. Drain: every store's backlog shipped at once (native: the SQL threads restarted), "
        "rows / seconds until head office has them all: the capacity figure the ratio compares",
        f"lag: Centrale, a ticket's outbox commit -> its batch's COMMIT returned at head office (dominated by the "
        f"{INTERVAL_S:g} s tick; production default 30 s); native, the COMMIT at its source -> the first "
        f"{POLL_S * 1000:.0f} ms poll of the replica's @@gtid_slave_pos showing it",
        "head-office CPU: utime + stime of mariadbd (/proc/PID/stat) over the window; lock figures: "
        "Innodb_row_lock_waits, Innodb_row_lock_time, Innodb_deadlocks deltas; 'errors shippers retried' counts "
        "MariaDB errors met by any shipping attempt (a 1213 deadlock is retried inside ship())",
        "rows lost or doubled: per store and table, rows and the sum of the amount column at head office against "
        "what the store sold; plus stores whose centrale_progress.rows_applied differs from their outbox rows, "
        "and rows left in the outboxes",
        f"the largest chain runs a second time, same tickets, against a second head-office server identical but for "
        f"thread_handling=pool-of-threads (MariaDB's default is one thread per connection): with {STORE_COUNTS[-1]} "
        "stores draining at once, head office's cost per row is what changes",
        "each store's shipper (1 s ticks, under 5 s) keeps its head-office connection open between ticks, "
        "so head office holds one "
        "connection per store (the table's 'connections' row): its max_connections (MariaDB's default 151; these "
        "servers 300) must exceed the number of stores, or the stores beyond it never ship",
    ]
    out += [_table(c, n) for c, n in outcomes]
    problems = [f"{c.stores} stores: {m}" for c, _n in outcomes for m in c.mismatched[:3]]
    problems += [f"{c.stores} stores: {e}" for c, _n in outcomes for e in c.tick_errors[:3]]
    if problems:
        out.append("problems seen: " + "; ".join(problems))
    if deadlocks:
        out.append("head office's error log: " + " | ".join(deadlocks))
    return out


if __name__ == "__main__":
    main_for(run)
