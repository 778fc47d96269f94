"""`pull GROUP`: make the store's copy of a group's tables equal to head office's.

Reference tables are mirrored (rows gone at head office are deleted, unless the catalog says
``pull = "keep"``); the store's own price and printer columns survive when its options say so,
while new rows arrive whole. Shared tables (customers) are merged on their chain-wide key, the
newer ``modified_column`` winning (head office on a tie), and never deleted by a pull.

Everything a pull changes is written in ONE store transaction per group, together with a marker
row that tells the binlog reader to skip it (no echo). A pull that finds nothing to change
writes nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import pymysql

from centrale.catalog import MARKER_TABLE
from centrale.config import Config
from centrale.db import connect, hq_params, is_transient, parse_url, quote_ident, quote_ident_fmt
from centrale.errors import JobError, JobInterruptedError
from centrale.i18n import Msg
from centrale.log import get_logger
from centrale.outbox import OutboxStore, PullState
from centrale.schema import TableDef, read_tables
from jobs.diff import diff_table, fetch_rows
from jobs.incremental import (
    FULL_EVERY_S,
    INT_TYPES,
    both,
    decode_seen,
    diff_changed,
    encode_seen,
    greatest,
    modified_text,
    recent,
    tombstone_mark,
)

log = get_logger("pull")

SESSION_SQL = "SET SESSION time_zone = '+00:00', group_concat_max_len = 1073741824"


@dataclass
class TablePull:
    table: str
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    kept_newer: int = 0  # shared rows the store changed after head office did
    chunks: int = 0
    chunks_differing: int = 0
    incremental: bool = False  # only rows changed since the last pull were compared


@dataclass
class PullResult:
    group: str
    tables: list[TablePull] = field(default_factory=list)

    @property
    def rows_moved(self) -> int:
        return sum(t.inserted + t.updated + t.deleted for t in self.tables)

    def summary(self) -> Msg:
        parts = [f"{t.table} +{t.inserted} ~{t.updated} -{t.deleted}" for t in self.tables]
        return Msg("out.pull.summary", group=self.group, rows=self.rows_moved, detail="; ".join(parts))


@dataclass
class _Plan:
    table: str
    key: tuple[str, ...]
    columns: tuple[str, ...]
    assignments: str
    rows: list[tuple[Any, ...]]
    deletes: list[tuple[Any, ...]]
    report: TablePull
    modified: str | None = None
    next_state: PullState | None = None  # saved once the pull is committed
    seen: tuple[dict[tuple[Any, ...], str], dict[tuple[Any, ...], str]] = ({}, {})


def _connect(cfg: Config) -> tuple[pymysql.connections.Connection, pymysql.connections.Connection]:
    hq_p = hq_params(cfg.hq)
    local_p = parse_url(cfg.local.url.get_secret_value())
    try:
        hq = connect(hq_p)
    except pymysql.err.MySQLError as exc:
        raise JobInterruptedError(
            Msg("err.jobs.hq_unreachable", where=hq_p.describe(), error=exc.args[-1]), hint=Msg("err.doctor.see.hint")
        ) from None
    try:
        store = connect(local_p, autocommit=False)
    except pymysql.err.MySQLError as exc:
        hq.close()
        raise JobInterruptedError(Msg("err.local.unreachable", where=local_p.describe(), error=exc.args[-1])) from None
    for conn in (hq, store):
        with conn.cursor() as cur:
            cur.execute(SESSION_SQL)
    return hq, store


def _parents_first(conn: pymysql.connections.Connection, database: str, tables: list[str]) -> list[str]:
    """Order tables so that a referenced table comes before the tables referencing it."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT TABLE_NAME, REFERENCED_TABLE_NAME FROM information_schema.KEY_COLUMN_USAGE "
            "WHERE TABLE_SCHEMA=%s AND REFERENCED_TABLE_NAME IS NOT NULL",
            (database,),
        )
        deps: dict[str, set[str]] = {t: set() for t in tables}
        for child, parent in cur.fetchall():
            if child in deps and parent in deps and parent != child:
                deps[child].add(parent)
    ordered: list[str] = []
    while deps:
        ready = [t for t in tables if t in deps and not deps[t] - set(ordered)]
        if not ready:  # a cycle: keep catalog order for the rest
            ready = [t for t in tables if t in deps]
        for t in ready:
            ordered.append(t)
            deps.pop(t)
    return ordered


def _columns(
    cfg: Config, table: str, mine: TableDef, theirs: TableDef
) -> tuple[tuple[str, ...], tuple[str, ...], set[str]]:
    """(key, synced columns, protected columns) of one table."""
    spec = cfg.catalog.spec(table)
    key = spec.key or mine.primary_key
    if not key:
        raise JobError(Msg("err.pull.no_key", table=table), hint=Msg("err.pull.no_key.hint", table=table))
    local = set(mine.primary_key) - set(key) if spec.kind == "shared" else set()
    at_hq = set(theirs.column_names)
    columns = tuple(c.name for c in mine.columns if c.name in at_hq and c.name not in local and not c.generated)
    missing_key = [k for k in key if k not in columns]
    if missing_key:
        raise JobError(Msg("err.pull.key_missing", columns=missing_key, table=table))
    protected: set[str] = set(spec.local_columns)
    if not cfg.options.receive_prices:
        protected |= set(spec.price_columns)
    if not cfg.options.receive_printers:
        protected |= set(spec.printer_columns)
    return key, columns, protected & set(columns)


def _assignments(columns: tuple[str, ...], key: tuple[str, ...], protected: set[str], modified: str | None) -> str:
    """ON DUPLICATE KEY UPDATE list: protected columns keep the store's value; with a modified
    column, head office's row wins only if it is at least as new (assigned last, since later
    assignments see earlier ones)."""
    cols = [c for c in columns if c not in key and c not in protected]
    if modified and modified in cols:
        m = quote_ident_fmt(modified)
        cond = f"VALUES({m}) >= {m}"
        parts = [
            f"{quote_ident_fmt(c)} = IF({cond}, VALUES({quote_ident_fmt(c)}), {quote_ident_fmt(c)})"
            for c in cols
            if c != modified
        ]
        parts.append(f"{m} = IF({cond}, VALUES({m}), {m})")
        return ", ".join(parts)
    return ", ".join(f"{quote_ident_fmt(c)} = VALUES({quote_ident_fmt(c)})" for c in cols)


def _drop_store_newer(
    store: pymysql.connections.Connection,
    table: str,
    key: tuple[str, ...],
    columns: tuple[str, ...],
    modified: str,
    rows: list[tuple[Any, ...]],
    report: TablePull,
) -> list[tuple[Any, ...]]:
    """Shared rows the store changed after head office did stay as they are (the store's
    change reaches head office through capture)."""
    ki = [columns.index(k) for k in key]
    mi = columns.index(modified)
    keys = [tuple(r[i] for i in ki) for r in rows]
    ours = {tuple(r[:-1]): r[-1] for r in fetch_rows(store, table, key, (*key, modified), keys)}
    kept = []
    for r, k in zip(rows, keys, strict=True):
        mine = ours.get(k)
        if mine is not None and r[mi] is not None and mine > r[mi]:
            report.kept_newer += 1
            continue
        kept.append(r)
    return kept


def plan_pull(
    cfg: Config,
    group: str,
    hq: pymysql.connections.Connection,
    store: pymysql.connections.Connection,
    states: OutboxStore,
    *,
    full: bool = False,
) -> list[_Plan]:
    tables = cfg.catalog.pulled(group)
    if not tables:
        raise JobError(Msg("err.pull.empty_group", group=group), hint=Msg("err.pull.empty_group.hint"))
    store_db = parse_url(cfg.local.url.get_secret_value()).database
    assert cfg.hq.database is not None
    hq_db = cfg.hq.database
    theirs, mine = both(lambda: read_tables(hq, hq_db, tables), lambda: read_tables(store, store_db, tables))
    for t in tables:
        if t not in mine:
            raise JobError(Msg("err.pull.no_table_store", table=t), hint=Msg("err.pull.no_table_store.hint"))
        if t not in theirs:
            raise JobError(Msg("err.pull.no_table_hq", table=t), hint=Msg("err.pull.no_table_hq.hint"))
    plans = []
    for t in _parents_first(store, store_db, tables) if len(tables) > 1 else tables:
        spec = cfg.catalog.spec(t)
        key, columns, protected = _columns(cfg, t, mine[t], theirs[t])
        compared = tuple(c for c in columns if c not in protected)
        # Incremental only for reference tables: a shared row's modified time is its store's, and
        # it may reach head office long after (a store back from an outage): always compare fully.
        m = spec.modified_column if spec.kind == "reference" and spec.modified_column in columns else None
        hq_mark = greatest(hq, t, m) if m else None  # read before comparing: later changes are next time's
        last = states.pull_state(t) if m else None
        incremental = bool(m and last and not full and time.time() - last.full_at < FULL_EVERY_S)
        tomb = tombstone_mark(hq, t) if m else None
        if m and last and incremental:
            column = mine[t].column(key[0])
            integer_key = len(key) == 1 and column is not None and column.data_type in INT_TYPES
            logged = (last.tomb_mark, tomb) if tomb is not None and last.tomb_mark is not None else None
            d = diff_changed(
                hq,
                store,
                t,
                key,
                columns,
                compared,
                m,
                (last.hq_mark, last.store_mark),
                integer_key,
                logged,
                decode_seen(last.seen),
            )
        else:
            d = diff_table(hq, store, t, key, compared)
        report = TablePull(t, chunks=d.chunks, chunks_differing=d.chunks_differing, incremental=incremental)
        rows = [d.rows[k] for k in d.to_upsert if k in d.rows]
        rows += fetch_rows(hq, t, key, columns, [k for k in d.to_upsert if k not in d.rows])
        modified = spec.modified_column if spec.kind == "shared" else None
        if modified and modified in columns and rows:
            rows = _drop_store_newer(store, t, key, columns, modified, rows, report)
        kept_keys = {tuple(r[columns.index(k)] for k in key) for r in rows}
        report.updated = len(kept_keys & d.existing)
        report.inserted = len(kept_keys) - report.updated
        deletes = d.to_delete if spec.kind == "reference" and spec.pull == "mirror" else []
        report.deleted = len(deletes)
        plan = _Plan(t, key, columns, _assignments(columns, key, protected, modified), rows, deletes, report)
        if m:
            full_at = last.full_at if (last and incremental) else time.time()
            plan.next_state = PullState(t, hq_mark, None, full_at, tomb)
            plan.seen = d.seen
            plan.modified = m
        plans.append(plan)
    return plans


def ensure_marker_table(store: pymysql.connections.Connection) -> None:
    with store.cursor() as cur:
        cur.execute(
            f"CREATE TABLE IF NOT EXISTS {quote_ident(MARKER_TABLE)} (id TINYINT NOT NULL PRIMARY KEY, "
            "applied_at DATETIME(6) NOT NULL, what VARCHAR(64) NOT NULL) ENGINE=InnoDB"
        )


def apply_plans(store: pymysql.connections.Connection, plans: list[_Plan], what: str) -> None:
    """One store transaction: the marker row, deletes children first, then upserts parents first
    (deleting first frees unique values, e.g. an article code whose row head office re-keyed).

    Deletes run with foreign key checks on, so the store's own cascades run (a store-local
    table's rows that reference a deleted article go with it, as the store's schema says);
    upserts run with them off, since a row may reference a parent of another group that its
    own pull brings later (a technical sheet's article)."""
    ensure_marker_table(store)
    try:
        with store.cursor() as cur:
            cur.execute("SET SESSION foreign_key_checks = 1")
            cur.execute("BEGIN")
            cur.execute(
                f"INSERT INTO {quote_ident(MARKER_TABLE)} (id, applied_at, what) VALUES (1, UTC_TIMESTAMP(6), %s) "
                "ON DUPLICATE KEY UPDATE applied_at = VALUES(applied_at), what = VALUES(what)",
                (what[:64],),
            )
            for p in reversed(plans):
                for i in range(0, len(p.deletes), 1000):
                    part = p.deletes[i : i + 1000]
                    one = "(" + ", ".join(["%s"] * len(p.key)) + ")"
                    target = "(" + ", ".join(quote_ident_fmt(k) for k in p.key) + ")"
                    cur.execute(
                        f"DELETE FROM {quote_ident_fmt(p.table)} WHERE {target} IN ({', '.join([one] * len(part))})",
                        [v for k in part for v in k],
                    )
            cur.execute("SET SESSION foreign_key_checks = 0")  # cross-group references may lag one pull
            for p in plans:
                if not p.rows:
                    continue
                cols = ", ".join(quote_ident_fmt(c) for c in p.columns)
                marks = ", ".join(["%s"] * len(p.columns))
                table = quote_ident_fmt(p.table)
                if p.assignments:
                    sql = f"INSERT INTO {table} ({cols}) VALUES ({marks}) ON DUPLICATE KEY UPDATE {p.assignments}"
                else:
                    sql = f"INSERT IGNORE INTO {table} ({cols}) VALUES ({marks})"
                for i in range(0, len(p.rows), 1000):
                    cur.executemany(sql, p.rows[i : i + 1000])
            cur.execute("COMMIT")
    except pymysql.err.MySQLError as exc:
        store.rollback()
        error = JobInterruptedError if is_transient(exc) else JobError
        raise error(f"{what} failed at the store and changed nothing: {exc.args[-1]}") from None
    finally:
        with store.cursor() as cur:
            cur.execute("SET SESSION foreign_key_checks = 1")


def _written(p: _Plan) -> dict[tuple[Any, ...], str]:
    if not p.modified:
        return {}
    ki = [p.columns.index(k) for k in p.key]
    mi = p.columns.index(p.modified)
    return {tuple(r[i] for i in ki): modified_text(r[mi]) for r in p.rows}


def pull_group(cfg: Config, group: str, *, full: bool = False) -> PullResult:
    """Compare, then apply every difference of the group in one store transaction.

    Tables with a modified column compare only what changed since the last pull (marks kept in
    the outbox file), with a full comparison at least daily or when ``full`` is asked.
    """
    hq, store = _connect(cfg)
    try:
        with OutboxStore(cfg.outbox.path) as states:
            plans = plan_pull(cfg, group, hq, store, states, full=full)
            result = PullResult(group, [p.report for p in plans])
            if any(p.rows or p.deletes for p in plans):
                apply_plans(store, plans, f"pull {group}")
            else:
                store.rollback()
            for p in plans:
                if p.next_state is not None and p.modified:
                    mark = greatest(store, p.table, p.modified)
                    written = _written(p)  # rows this pull wrote carry head office's modified values
                    seen = encode_seen(recent(p.seen[0], p.next_state.hq_mark), recent({**p.seen[1], **written}, mark))
                    states.save_pull_state(replace(p.next_state, store_mark=mark, seen=seen))
            store.commit()
        log.info("%s", result.summary())
        return result
    finally:
        hq.close()
        store.close()
