"""End-to-end lag and memory of `centrale run` (child process, ship.interval_s = 1): tickets are
sold at a steady rate at the store, and head office is polled every 50 ms for each one.

- lag of a ticket = the start of the first poll that sees it at head office - its commit time at
  the store (target: p99 under 2 s);
- the floor: the same writer and polling loop against rows inserted directly into head office,
  i.e. the measurement's own resolution (poll interval + a commit + a query);
- peak RSS of the child (psutil samples every 100 ms, children included, and the kernel's
  high-water mark VmHWM) against a bare `python -c 'import pymysqlreplication, pymysql'`
  (target: under 150 MB).

Run alone: ``python -m bench.lag`` (``BENCH_QUICK=1`` for a fast pass).
"""

from __future__ import annotations

import datetime as dt
import math
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pymysql

from bench.harness import QUICK, STORE, Measure, Report, main_for, pick, servers_and_chain
from centrale.core.config import load
from sandbox.chain import Chain
from sandbox.processes import CentraleProcess
from sandbox.workload import StoreActivity, seed_store

RATE_PER_S = 20
INTERVAL_S = 1.0
POLL_S = 0.05
RSS_EVERY_S = 0.1
P99_TARGET_S = 2.0
RSS_TARGET_MB = 150.0
FLOOR_DB = "bench_floor"


class Poller:
    """Polls a head-office ``sales`` table for this store's tickets; records when each appears."""

    def __init__(self, conn: pymysql.connections.Connection, table: str, on_poll: Callable[[], None]) -> None:
        self.conn = conn
        self.table = table
        self.on_poll = on_poll
        self.seen: dict[int, float] = {}
        self.done = threading.Event()

    def run(self, first_ticket: int) -> None:
        low = first_ticket
        next_at = time.monotonic()
        with self.conn.cursor() as cur:
            while not self.done.is_set():
                started = time.time()
                cur.execute(f"SELECT ticket_no FROM {self.table} WHERE origin_store=%s AND ticket_no>=%s", (STORE, low))
                for (ticket,) in cur.fetchall():
                    self.seen.setdefault(int(ticket), started)
                while low in self.seen:
                    low += 1
                self.on_poll()
                next_at += POLL_S
                time.sleep(max(0.0, next_at - time.monotonic()))


def steady(write: Callable[[], int], seconds: float) -> dict[int, float]:
    """Call ``write`` (returns a ticket number) RATE_PER_S times a second on average, each call
    at a random point of its slot so that writes do not lock in phase with the polls."""
    rng = random.Random(7)
    committed: dict[int, float] = {}
    start = time.monotonic()
    for k in range(int(seconds * RATE_PER_S)):
        time.sleep(max(0.0, start + (k + rng.random()) / RATE_PER_S - time.monotonic()))
        ticket = write()
        committed[ticket] = time.time()
    return committed


def measure(
    chain: Chain, table: str, write: Callable[[], int], first: int, seconds: float, on_poll: Callable[[], None]
) -> list[float]:
    """Lags (s) of the tickets written during ``seconds``; missing ones count as +inf."""
    with chain.hq.server.connect(chain.hq.database) as conn:
        poller = Poller(conn, table, on_poll)
        thread = threading.Thread(target=poller.run, args=(first,), daemon=True)
        thread.start()
        committed = steady(write, seconds)
        deadline = time.monotonic() + 30
        while not committed.keys() <= poller.seen.keys() and time.monotonic() < deadline:
            time.sleep(POLL_S)
        poller.done.set()
        thread.join(10)
    return [poller.seen[t] - c if t in poller.seen else math.inf for t, c in committed.items()]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


class RssSampler:
    """Peak RSS (bytes) of a process and its children, sampled at most every RSS_EVERY_S."""

    def __init__(self, pid: int) -> None:
        self.proc = psutil.Process(pid)
        self.peak = 0
        self.samples = 0
        self._last = 0.0

    def sample(self) -> None:
        if time.monotonic() - self._last < RSS_EVERY_S:
            return
        self._last = time.monotonic()
        try:
            procs = [self.proc, *self.proc.children(recursive=True)]
            self.peak = max(self.peak, sum(p.memory_info().rss for p in procs))
            self.samples += 1
        except psutil.Error:
            pass

    def high_water_mark(self) -> int:
        """The kernel's VmHWM of the main process (bytes), 0 if unreadable."""
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0


def bare_rss() -> int:
    """Peak RSS (bytes, VmHWM) of a bare Python that imports the two MySQL libraries. Not
    ru_maxrss: Linux carries it over from the parent across fork and exec."""
    code = (
        "import pymysqlreplication, pymysql\n"
        "print(next(ln.split()[1] for ln in open('/proc/self/status') if ln.startswith('VmHWM:')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip()) * 1024


class FloorWriter:
    """Single-row autocommit inserts into a copy of head office's ``sales``: the floor's writer."""

    def __init__(self, chain: Chain) -> None:
        hq = chain.hq.server
        hq.sql(f"CREATE DATABASE {FLOOR_DB}")
        hq.sql(f"CREATE TABLE {FLOOR_DB}.sales LIKE `{chain.hq.database}`.sales")
        self.conn = hq.connect(FLOOR_DB)
        self.ticket = 0
        self.commit_s: list[float] = []

    def write(self) -> int:
        self.ticket += 1
        now = dt.datetime.now()
        started = time.perf_counter()
        with self.conn.cursor() as cur:
            cur.execute(
                "INSERT INTO sales (origin_store, id, ticket_no, business_day, opened_at, total, status) "
                "VALUES (%s, %s, %s, %s, %s, 0, 'paid')",
                (STORE, self.ticket, self.ticket, now.date(), now),
            )
        self.commit_s.append(time.perf_counter() - started)
        return self.ticket


def warm_up(chain: Chain, activity: StoreActivity, child: CentraleProcess, timeout_s: float = 60) -> None:
    """Sell until a ticket reaches head office: capture is running and head office has the tables."""
    deadline = time.monotonic() + timeout_s
    with chain.hq.server.connect(chain.hq.database) as conn, conn.cursor() as cur:
        while time.monotonic() < deadline and child.alive:
            activity.sell()
            time.sleep(1.0)
            try:
                cur.execute("SELECT 1 FROM sales WHERE origin_store=%s AND ticket_no=%s", (STORE, activity.ticket_no))
            except pymysql.err.ProgrammingError:
                continue  # head office has no sales table yet
            if cur.fetchone():
                return
    raise RuntimeError(f"`centrale run` shipped nothing within {timeout_s:.0f} s; see {child.log_path}")


def run() -> Report:
    seconds = pick(30, 10)
    floor_seconds = pick(10, 5)
    report = Report(
        "lag",
        "store commit -> visible at head office, and peak RSS of `centrale run`",
        params={"tickets/s": RATE_PER_S, "selling for": f"{seconds} s", "floor for": f"{floor_seconds} s"},
    )
    with servers_and_chain("lag", interval_s=INTERVAL_S) as (root, chain):
        site = chain.store(STORE)
        cfg = load(site.config)
        report.params |= {"ship.interval_s": cfg.ship.interval_s, "ship.batch_rows": cfg.ship.batch_rows}
        store_conn = site.connect()
        seed_store(store_conn)
        activity = StoreActivity(store_conn, seed=1)
        child = CentraleProcess(site.config, root / "centrale-run.log").start()
        assert child.proc is not None
        try:
            rss = RssSampler(child.proc.pid)
            warm_up(chain, activity, child)
            floor_writer = FloorWriter(chain)
            try:
                floor = measure(chain, f"{FLOOR_DB}.sales", floor_writer.write, 1, floor_seconds, rss.sample)
            finally:
                floor_writer.conn.close()

            def sell() -> int:
                activity.sell()
                return activity.ticket_no

            lags = measure(chain, "sales", sell, activity.ticket_no + 1, seconds, rss.sample)
            rss.sample()
            hwm = rss.high_water_mark()
            shipped = chain.hq.sql(
                "SELECT SUM(rows_applied), SUM(batches) FROM centrale_progress WHERE store=%s", STORE
            )
        finally:
            code = child.terminate()
            store_conn.close()
        if code:
            tail = child.log_path.read_text(errors="replace")[-2000:] if child.log_path.exists() else ""
            print(f"warning: `centrale run` exited with {code}:\n{tail}", flush=True)
    peak = max(rss.peak, hwm)
    base = bare_rss()
    missing = sum(1 for v in lags if math.isinf(v))
    mb = 1024 * 1024
    for q, name in ((0.5, "p50"), (0.99, "p99"), (1.0, "max")):
        c, f = pct(lags, q), pct(floor, q)
        report.measures.append(
            Measure(
                f"lag {name}",
                "s",
                c,
                f,
                "floor: direct insert at HQ, same polling",
                target=f"< {P99_TARGET_S:.0f} s" if name == "p99" else "",
                passed=c < P99_TARGET_S if name == "p99" else None,
            )
        )
    report.measures.append(
        Measure(
            "peak RSS",
            "MB",
            peak / mb,
            base / mb,
            "python -c 'import pymysqlreplication, pymysql'",
            target=f"< {RSS_TARGET_MB:.0f} MB",
            passed=peak / mb < RSS_TARGET_MB,
        )
    )
    rows, batches = (int(v or 0) for v in shipped[0])
    report.notes += [
        f"{len(lags)} tickets measured ({missing} never seen within 30 s after the last sale), {len(floor)} floor rows",
        f"each ticket is one store transaction (sale, 1-5 lines, payment, stock movements and levels): "
        f"{rows:,} rows shipped in {batches:,} batches in all (warm-up included)",
        "floor writer: one autocommit INSERT per ticket at head office, "
        f"{pct(floor_writer.commit_s, 0.5) * 1000:.1f} ms median INSERT+commit",
        f"polling every {POLL_S * 1000:.0f} ms; a ticket's lag counts from its commit to the start of the first poll "
        "that sees it, so the floor is about half a poll interval",
        f"peak RSS: max of {rss.samples} psutil samples (children included) and the child's VmHWM; "
        "baseline: VmHWM of the bare process",
    ]
    if QUICK:
        report.notes.append("quick mode: short run; p99 of few tickets is close to the max")
    return report


if __name__ == "__main__":
    main_for(run)
