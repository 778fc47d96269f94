"""What the head-office page shows, gathered in one blocking call (run in a worker thread):
every store of the chain, the jobs table (filtered), today's sales per store and per hour.

Which tables are sales and what to sum come from the catalog, as for `reconcile`: aggregate
tables of the ``sales`` group with a ``since_column`` (the day) and a ``sum_column`` (the
amount). The hourly chart needs a time of day: the first such table whose day column is a
DATETIME or TIMESTAMP at head office (in the sample schema, payments' ``paid_at``).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pymysql

from centrale.app.status import stores_seen
from centrale.core.config import Config
from centrale.core.db import connect_store, quote_ident
from jobs.queue import Job, known_stores, list_jobs


@dataclass(frozen=True)
class SalesTable:
    table: str
    day_column: str
    sum_column: str


@dataclass(frozen=True)
class HqView:
    stores: list[dict[str, Any]]
    jobs: list[Job]
    sales_tables: list[SalesTable]
    sales: dict[int, dict[str, tuple[int, Decimal]]]  # store -> table -> (rows, sum)
    hourly: dict[int, list[Decimal]]  # store -> 24 sums
    hourly_table: SalesTable | None
    day: dt.date


def sales_tables(cfg: Config) -> list[SalesTable]:
    return [
        SalesTable(name, spec.since_column, spec.sum_column)
        for name, spec in cfg.catalog.tables.items()
        if spec.kind == "aggregate" and spec.group == "sales" and spec.since_column and spec.sum_column
    ]


def hq_view(cfg: Config, *, store: int | None, status: str | None, day: dt.date) -> HqView:
    """Raises JobError for a bad status filter (the page says so)."""
    now = time.time()
    with connect_store(cfg.local.params) as conn:
        jobs = list_jobs(conn, store=store, status=status, limit=200)
        seen = {s["store"]: s for s in stores_seen(conn)}
        for number in known_stores(conn, cfg.site.store):
            seen.setdefault(number, {"store": number, "name": None, "last_contact_ts": None})
        names = _store_names(conn)
        tables = sales_tables(cfg)
        sales = {t.table: _day_totals(conn, t, cfg.hq.origin_column, day) for t in tables}
        hourly_table = next((t for t in tables if _has_time(conn, t)), None)
        hourly = _hourly(conn, hourly_table, cfg.hq.origin_column, day) if hourly_table else {}
    stores = []
    for number in sorted(seen):
        s = dict(seen[number])
        s["name"] = s.get("name") or names.get(number, "")
        contact = s.get("last_contact_ts")
        s["silent_s"] = None if contact is None else round(now - contact)
        s["stale"] = contact is None or now - contact > cfg.console.stale_after_s
        stores.append(s)
    per_store: dict[int, dict[str, tuple[int, Decimal]]] = {}
    for table, totals in sales.items():
        for number, figures in totals.items():
            per_store.setdefault(number, {})[table] = figures
    return HqView(stores, jobs, tables, per_store, hourly, hourly_table, day)


def _store_names(conn: pymysql.connections.Connection) -> dict[int, str]:
    """Names from the `stores` reference table when it has id and name (the sample schema)."""
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT id, name FROM stores")
            return {int(r[0]): str(r[1]) for r in cur.fetchall()}
    except pymysql.err.MySQLError:
        return {}


def _day_totals(
    conn: pymysql.connections.Connection, t: SalesTable, origin: str, day: dt.date
) -> dict[int, tuple[int, Decimal]]:
    col, amount, org = quote_ident(t.day_column), quote_ident(t.sum_column), quote_ident(origin)
    try:
        with conn.cursor() as cur:
            cur.execute(
                f"SELECT {org}, COUNT(*), COALESCE(SUM({amount}), 0) FROM {quote_ident(t.table)} "
                f"WHERE {col} >= %s AND {col} < %s GROUP BY {org}",
                (day, day + dt.timedelta(days=1)),
            )
            return {int(r[0]): (int(r[1]), Decimal(r[2])) for r in cur.fetchall()}
    except pymysql.err.ProgrammingError:
        return {}  # no store has shipped this table yet: head office lacks it


def _has_time(conn: pymysql.connections.Connection, t: SalesTable) -> bool:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
            "AND TABLE_NAME = %s AND COLUMN_NAME = %s",
            (t.table, t.day_column),
        )
        row = cur.fetchone()
    return row is not None and str(row[0]).lower() in ("datetime", "timestamp")


def _hourly(conn: pymysql.connections.Connection, t: SalesTable, origin: str, day: dt.date) -> dict[int, list[Decimal]]:
    col, amount, org = quote_ident(t.day_column), quote_ident(t.sum_column), quote_ident(origin)
    with conn.cursor() as cur:
        cur.execute(
            f"SELECT {org}, HOUR({col}), COALESCE(SUM({amount}), 0) FROM {quote_ident(t.table)} "
            f"WHERE {col} >= %s AND {col} < %s GROUP BY 1, 2",
            (day, day + dt.timedelta(days=1)),
        )
        out: dict[int, list[Decimal]] = {}
        for store, hour, total in cur.fetchall():
            out.setdefault(int(store), [Decimal(0)] * 24)[int(hour)] = Decimal(total)
    return out
