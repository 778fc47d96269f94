"""Head office's figures: CPU, lock and deadlock counters, per-store row counts and sums."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pymysql

from bench.harness import cpu_seconds
from bench.stores.settings import SUM_COLUMN, TABLES, Figures

# --- head office's figures ----------------------------------------------------------------------


@dataclass
class Sample:
    at: float
    cpu_s: float
    status: dict[str, int]
    clients_s: float = 0.0  # CPU time of the simulated stores' processes (Centrale side)


STATUS = ("Innodb_row_lock_waits", "Innodb_row_lock_time", "Innodb_deadlocks", "Threads_connected")


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
