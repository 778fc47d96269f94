"""Business reconciliation: per business day, row counts and amounts at the store and at head
office (sales tickets and their total, payments, stock movements). Finance closes per store and
day; row-level replication can look green while a day is short.

Tables taking part have a ``since_column`` (the day) and a ``sum_column`` (the amount). A day
differs when head office has fewer rows or another sum; a day head office has MORE of is
reported but not re-sent (the store purged old rows: head office keeps history).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pymysql

from centrale.core.config import Config
from centrale.core.db import connect, hq_params, quote_ident
from centrale.core.errors import JobError
from centrale.core.i18n import Msg
from centrale.core.progress import Report, Step, quiet

Figures = dict[dt.date, tuple[int, Decimal]]


@dataclass(frozen=True)
class DayDiff:
    table: str
    group: str
    day: dt.date
    store: tuple[int, Decimal]
    hq: tuple[int, Decimal]

    @property
    def short_at_hq(self) -> bool:
        """Head office lacks rows or holds other amounts (not: the store purged old rows)."""
        return self.hq[0] < self.store[0] or (self.hq[0] == self.store[0] and self.hq[1] != self.store[1])

    def as_dict(self) -> dict[str, object]:
        """For `reconcile --json`: amounts as text, exactly as the databases hold them."""
        return {
            "table": self.table,
            "group": self.group,
            "day": self.day.isoformat(),
            "store_rows": self.store[0],
            "store_sum": str(self.store[1]),
            "hq_rows": self.hq[0],
            "hq_sum": str(self.hq[1]),
            "short_at_hq": self.short_at_hq,
        }

    def describe(self) -> Msg:
        return Msg(
            "out.reconcile.day",
            day=self.day,
            table=self.table,
            store_rows=self.store[0],
            store_sum=self.store[1],
            hq_rows=self.hq[0],
            hq_sum=self.hq[1],
            what=Msg("out.reconcile.hq_short" if self.short_at_hq else "out.reconcile.store_purged"),
        )


def _figures(
    conn: pymysql.connections.Connection,
    table: str,
    day_col: str,
    sum_col: str,
    since: dt.date,
    until: dt.date,
    origin: tuple[str, int] | None,
) -> Figures:
    where = f"{quote_ident(day_col)} >= %s AND {quote_ident(day_col)} < %s"
    args: list[Any] = [since, until]
    if origin:
        where += f" AND {quote_ident(origin[0])} = %s"
        args.append(origin[1])
    with conn.cursor() as cur:
        cur.execute(
            f"SELECT DATE({quote_ident(day_col)}), COUNT(*), COALESCE(SUM({quote_ident(sum_col)}), 0) "
            f"FROM {quote_ident(table)} WHERE {where} GROUP BY 1",
            args,
        )
        return {r[0]: (int(r[1]), Decimal(r[2])) for r in cur.fetchall()}


def reconcile(cfg: Config, since: dt.date, until: dt.date, *, progress: Report = quiet) -> list[DayDiff]:
    """Days in [since, until) whose figures differ between this store and head office.
    ``progress`` counts tables: each is two queries whose rows the servers sum out of sight."""
    tables = [
        (t, s) for t, s in cfg.catalog.tables.items() if s.kind == "aggregate" and s.since_column and s.sum_column
    ]
    if not tables:
        raise JobError(Msg("err.reconcile.no_table"), hint=Msg("err.reconcile.no_table.hint"))
    local = cfg.local.params
    remote = hq_params(cfg.hq)
    try:
        store, hq = connect(local), connect(remote)
    except pymysql.err.MySQLError as exc:
        raise JobError(Msg("err.reconcile.connect", error=exc.args[-1]), hint=Msg("err.doctor.see.hint")) from None
    diffs: list[DayDiff] = []
    with store, hq:
        for conn in (store, hq):
            with conn.cursor() as cur:
                cur.execute("SET SESSION time_zone = '+00:00'")
        progress(Step("reconcile", 0, len(tables), unit="tables"))
        for done, (table, spec) in enumerate(tables, 1):
            assert spec.since_column and spec.sum_column
            mine = _figures(store, table, spec.since_column, spec.sum_column, since, until, None)
            try:
                theirs = _figures(
                    hq, table, spec.since_column, spec.sum_column, since, until,
                    (cfg.hq.origin_column, cfg.site.store),
                )  # fmt: skip
            except pymysql.err.ProgrammingError:
                theirs = {}  # the table is not at head office yet: every day is short
            for day in sorted(set(mine) | set(theirs)):
                a, b = mine.get(day, (0, Decimal(0))), theirs.get(day, (0, Decimal(0)))
                if a != b:
                    diffs.append(DayDiff(table, spec.group, day, a, b))
            progress(Step("reconcile", done, len(tables), unit="tables"))
        progress(Step("reconcile", len(tables), len(tables), finished=True, unit="tables"))
    return diffs
