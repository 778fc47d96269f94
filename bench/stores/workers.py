"""The worker processes: simulated stores (own outbox, number, shipper) and native tills."""

from __future__ import annotations

import contextlib
import random
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pymysql
from pymysql.constants import CLIENT

from applier.headoffice import HeadOfficeShipper
from applier.service import ApplierService, CatchUp
from bench.stores.settings import BURST_TICKETS, INTERVAL_S, NATIVE_DB, TICKET_EVERY_S, Figures
from bench.stores.tickets import Step, Till, schedule, sleep_until
from centrale.core.changes import Batch, BinlogPosition, SourceTransaction
from centrale.core.config import Config, load
from centrale.core.db import error_code
from centrale.core.outbox import OutboxStore

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
    """``centrale.app.site.build_shipper`` with SimShipper; the store's table definitions come from
    the template database ([local] url of the store's configuration)."""
    from centrale.app.site import build_shipper

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
        with contextlib.closing(sqlite3.connect(self.path)) as db, db:
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


# --- what both sides' workers do ----------------------------------------------------------------


def sell_scheduled(spec: WorkerSpec, t0: float, until: float, late: list[float], sell: Callable[[int], object]) -> None:
    """Every ticket of ``spec``'s stores from ``t0`` to ``until`` (``schedule``), each sold by
    ``sell(store)`` at its time; how late each one was goes to ``late``."""
    for at, number in schedule(spec.stores, t0, until, spec.seed + spec.index):
        late.append(sleep_until(at))
        sell(number)


def sell_burst(tills: dict[int, Till], sell: Callable[[int], object]) -> tuple[int, int]:
    """BURST_TICKETS more tickets per store, sold at once (``sell(store)``) while head office is
    away: the backlog grows. (The burst's rows, every row sold so far.)"""
    before = sum(t.rows for t in tills.values())
    for _ in range(BURST_TICKETS):
        for number in tills:
            sell(number)
    burst_rows = sum(t.rows for t in tills.values()) - before
    return burst_rows, before + burst_rows


def till_figures(result: WorkerResult, tills: dict[int, Till]) -> None:
    """Each till's rows and figures (what head office must hold of its store) into ``result``."""
    for number, till in tills.items():
        result.rows[number] = till.rows
        result.figures[number] = till.figures()


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

        def sell(number: int) -> None:
            store = stores[number]
            store.append(store.till.ticket())

        till = threading.Thread(target=sell_scheduled, args=(spec, t0, t_sell_end, result.late, sell), name="till")
        threads = [
            threading.Thread(target=s.ship_loop, args=(t0, t_pause, resume), name=f"ship-{s.number}")
            for s in stores.values()
        ]
        for t in [till, *threads]:
            t.start()
        till.join()
        for s in stores.values():
            s.idle.wait()
        seqs = {n: s.last_seq() for n, s in stores.items()}
        result.burst_rows, sold = sell_burst({n: s.till for n, s in stores.items()}, sell)
        for n, s in stores.items():
            s.date_back(seqs[n], BURST_TICKETS * TICKET_EVERY_S)
        pipe.send(("burst", result.burst_rows, sold))
        _recv(pipe, "resume")
        resume.set()
        _recv(pipe, "stop")
    finally:
        resume.set()
        for s in stores.values():
            s.stop.set()
        for t in threads:
            t.join()
    till_figures(result, {n: s.till for n, s in stores.items()})
    for s in stores.values():
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

        def sell(number: int) -> float:
            return run(number, tills[number].ticket())

        sell_scheduled(spec, t0, t_sell_end, result.late, sell)
        _recv(pipe, "burst")  # the replica's SQL threads are stopped: the relay logs fill up
        result.burst_rows, sold = sell_burst(tills, sell)
        pipe.send(("burst", result.burst_rows, sold))
        _recv(pipe, "stop")
    finally:
        for conn in conns.values():
            conn.close()
    till_figures(result, tills)
    pipe.send(("result", result))
