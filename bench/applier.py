"""Shipping throughput: Centrale's outbox -> head office in 20-row batches against bare PyMySQL
``executemany`` upserts in 20-row transactions, same rows, same server (target: at least 0.8x).

The data: N ``sale_lines`` rows as capture stores them (20-row source transactions appended to a
fresh outbox). Bare: the same rows, already in memory, upserted into an identical head-office
table with the same statement, one commit per 20 rows. Centrale: ``ApplierService.tick()`` with
the ``HeadOfficeShipper`` of the store's configuration, draining the outbox (outbox reads, head
office bookkeeping and acks included).

Run alone: ``python -m bench.applier`` (``BENCH_QUICK=1`` for a fast pass).
"""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pymysql

from applier.headoffice import SESSION_SQL, HeadOfficeShipper
from applier.service import ApplierService
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
from centrale.app.site import build_shipper
from centrale.core.changes import BinlogPosition, RowChange, SourceTransaction
from centrale.core.config import Config, load
from centrale.core.db import quote_ident
from centrale.core.outbox import OutboxStore

TABLE = "sale_lines"
COLUMNS = ("id", "sale_id", "line_no", "article_id", "label", "quantity", "unit_price", "amount", "vat_rate")
BATCH_ROWS = 20
TARGET = 0.8
BARE_DB = "bench_bare"


def make_rows(n: int, first_id: int = 1) -> list[tuple[Any, ...]]:
    """Sale lines as the binlog gives them (Decimal amounts, text labels), ids from ``first_id``."""
    return [
        (
            i,
            1 + i // 19,
            1 + i % 19,
            1 + i % 8,
            f"Pain au chocolat n°{i % 50}",
            Decimal("2.000"),
            Decimal("1.40"),
            Decimal("2.80"),
            Decimal("10.00"),
        )
        for i in range(first_id, first_id + n)
    ]


def fill_outbox(path: Path, rows: list[tuple[Any, ...]]) -> None:
    """Append the rows as capture would: whole 20-row source transactions, checkpoint included."""
    txns = [
        SourceTransaction(
            tuple(RowChange(TABLE, "upsert", COLUMNS, r) for r in rows[i : i + BATCH_ROWS]),
            BinlogPosition("mariadb-bin.000001", 4 + i),
        )
        for i in range(0, len(rows), BATCH_ROWS)
    ]
    with OutboxStore(path) as outbox:
        for k in range(0, len(txns), 100):
            outbox.append(txns[k : k + 100])


def upsert_sql(shipper: HeadOfficeShipper) -> str:
    """The statement the bare loop runs: the one Centrale builds for these rows."""
    cols = ", ".join(quote_ident(c) for c in (shipper.origin, *COLUMNS))
    marks = ", ".join(["%s"] * (len(COLUMNS) + 1))
    updates = ", ".join(f"{quote_ident(c)}=VALUES({quote_ident(c)})" for c in COLUMNS)
    return f"INSERT INTO {quote_ident(TABLE)} ({cols}) VALUES ({marks}) ON DUPLICATE KEY UPDATE {updates}"


def bare_executemany(conn: pymysql.connections.Connection, sql: str, rows: list[tuple[Any, ...]]) -> float:
    """Seconds for PyMySQL executemany of ``rows``, one transaction (one commit) per 20 rows."""
    with conn.cursor() as cur, Stopwatch() as sw:
        for i in range(0, len(rows), BATCH_ROWS):
            cur.executemany(sql, [(STORE, *r) for r in rows[i : i + BATCH_ROWS]])
            conn.commit()
    return sw.seconds


class CentraleSide:
    """An outbox filled with every row, drained a round at a time by ApplierService.tick()."""

    def __init__(self, cfg: Config, path: Path, rows: list[tuple[Any, ...]]) -> None:
        fill_outbox(path, rows)
        self.shipper = build_shipper(cfg)
        self.shipper.prepare()
        self.outbox = OutboxStore(path)
        self.service = ApplierService(self.outbox, self.shipper, BATCH_ROWS, threading.Event())
        self.tally = Tally()

    def round(self, rows: int) -> None:
        with Stopwatch() as sw:
            shipped = self.service.tick(max_batches=rows // BATCH_ROWS)
        if shipped.error or shipped.rows != rows:
            print(f"warning: shipped {shipped.rows} of {rows} rows ({shipped.error})", flush=True)
        self.tally.add(shipped.rows, sw.seconds)

    def close(self) -> int:
        left = self.outbox.stats().backlog
        self.outbox.close()
        self.shipper.close()
        return left


def run() -> Report:
    rounds = pick(10, 4)
    round_rows = pick(10_000, 5_000)
    n = rounds * round_rows
    report = Report(
        "applier",
        "outbox -> head office rows/s in 20-row batches vs bare PyMySQL executemany",
        params={
            "rows": n,
            "table": TABLE,
            "rows per batch / transaction": BATCH_ROWS,
            "rounds": f"{rounds} x {round_rows:,} rows",
        },
    )
    rows = make_rows(n)
    bare = Tally()
    with servers_and_chain("applier") as (root, chain):
        cfg = load(chain.store(STORE).config)
        centrale_side = CentraleSide(cfg, root / "outbox.db", rows)
        sql = upsert_sql(centrale_side.shipper)
        hq = chain.hq.server
        hq.sql(f"CREATE DATABASE {BARE_DB}")
        hq.sql(f"CREATE TABLE {BARE_DB}.{TABLE} LIKE {quote_ident(chain.hq.database)}.{TABLE}")
        settings = durability(hq)
        conn = hq.connect(BARE_DB)
        try:
            conn.autocommit(False)
            with conn.cursor() as cur:
                cur.execute(SESSION_SQL)
            for i in range(rounds):
                chunk = rows[i * round_rows : (i + 1) * round_rows]
                if i % 2:
                    centrale_side.round(round_rows)
                    bare.add(len(chunk), bare_executemany(conn, sql, chunk))
                else:
                    bare.add(len(chunk), bare_executemany(conn, sql, chunk))
                    centrale_side.round(round_rows)
        finally:
            conn.close()
            left = centrale_side.close()
        counts = hq.sql(f"SELECT COUNT(*) FROM {quote_ident(chain.hq.database)}.{TABLE}")[0][0]
    if counts != n or left:
        print(f"warning: head office has {counts} rows (expected {n}), {left} left in the outbox", flush=True)
    centrale = centrale_side.tally
    report.measures += [
        Measure(
            "shipping rows/s",
            "rows/s",
            centrale.rate,
            bare.rate,
            "PyMySQL executemany",
            target=f">= {TARGET:.1f}x",
            passed=centrale.rate / bare.rate >= TARGET,
        ),
    ]
    report.notes += [
        f"head office (both sides, same server): {settings}; InnoDB buffer pool 64 MB",
        "bare: INSERT ... ON DUPLICATE KEY UPDATE (Centrale's own statement) via executemany, commit per 20 rows, "
        "rows already in memory, into an identical table",
        "Centrale: ApplierService.tick(max_batches) + HeadOfficeShipper (build_shipper from the store config), "
        "outbox as `centrale run` uses it: WAL, one fsync (sync) per tick before shipping, acks without fsync",
        f"rounds alternate which side goes first; {spread(centrale, bare)}",
    ]
    return report


if __name__ == "__main__":
    main_for(run)
