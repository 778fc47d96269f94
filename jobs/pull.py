"""`pull GROUP`: make the store's copy of a group's tables equal to head office's.

Reference tables are mirrored (rows gone at head office are deleted, unless the catalog says
``pull = "keep"``); the store's own price and printer columns survive when its options say so,
while new rows arrive whole. Shared tables (customers) are merged on their chain-wide key, the
newer ``modified_column`` winning (head office on a tie), and never deleted by a pull.

Everything a pull changes is written in ONE store transaction per group, together with a marker
row that tells the binlog reader to skip it (no echo). A pull that finds nothing to change
writes nothing. The writing (``jobs.pull_apply``) gives way to the store's own transactions, so
a sale racing a pull on the same article keeps its change, and explains a delete the store's
foreign keys refuse.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import pymysql

from centrale.core.clock import clock_offset, correction, shifted
from centrale.core.config import Config
from centrale.core.db import connect, connect_store, hq_params, quote_ident_fmt
from centrale.core.errors import JobError, JobInterruptedError
from centrale.core.i18n import Msg
from centrale.core.log import get_logger
from centrale.core.outbox import OutboxStore, PullState
from centrale.core.progress import Report, Step, quiet
from centrale.core.schema import TableDef, read_tables
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
from jobs.pull_apply import Plan, TablePull, apply_plans

log = get_logger("pull")

SESSION_SQL = "SET SESSION time_zone = '+00:00', group_concat_max_len = 1073741824"


@dataclass
class PullResult:
    group: str
    tables: list[TablePull] = field(default_factory=list)
    gave_way: int = 0  # times the write started again because a store transaction held a row

    @property
    def rows_moved(self) -> int:
        return sum(t.inserted + t.updated + t.deleted for t in self.tables)

    def summary(self) -> Msg:
        parts = [f"{t.table} +{t.inserted} ~{t.updated} -{t.deleted}" for t in self.tables]
        return Msg("out.pull.summary", group=self.group, n=self.rows_moved, detail="; ".join(parts))

    def as_dict(self) -> dict[str, object]:
        """For `pull --json`: what each table received, as ``summary`` says it in words."""
        return {
            "group": self.group,
            "rows": self.rows_moved,
            "gave_way": self.gave_way,
            "tables": [asdict(t) for t in self.tables],
        }


def _connect(cfg: Config) -> tuple[pymysql.connections.Connection, pymysql.connections.Connection]:
    hq_p = hq_params(cfg.hq)
    local_p = cfg.local.params
    try:
        hq = connect(hq_p)
    except pymysql.err.MySQLError as exc:
        raise JobInterruptedError(
            Msg("err.jobs.hq_unreachable", where=hq_p.describe(), error=exc.args[-1]), hint=Msg("err.doctor.see.hint")
        ) from None
    try:
        store = connect_store(local_p, error=JobInterruptedError, autocommit=False)
    except JobInterruptedError:
        hq.close()
        raise
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
    assignments see earlier ones). Protected columns are never assigned, not even to a value
    read from the store: the store may change them between the comparison and the write (a
    sale's stock), and the upsert then finds the row as the sale left it."""
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
    shift: int = 0,
) -> list[Plan]:
    """What the pull will write, table by table. ``shift``: seconds that put head office's
    modified times on the store's clock, for shared tables (``centrale.core.clock``)."""
    tables = cfg.catalog.pulled(group)
    if not tables:
        raise JobError(Msg("err.pull.empty_group", group=group), hint=Msg("err.pull.empty_group.hint"))
    store_db = cfg.local.params.database
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
            if shift:  # head office's times, on this store's clock: compared and written so
                mi = columns.index(modified)
                rows = [(*r[:mi], shifted(r[mi], shift), *r[mi + 1 :]) for r in rows]
            rows = _drop_store_newer(store, t, key, columns, modified, rows, report)
        kept_keys = {tuple(r[columns.index(k)] for k in key) for r in rows}
        report.updated = len(kept_keys & d.existing)
        report.inserted = len(kept_keys) - report.updated
        deletes = d.to_delete if spec.kind == "reference" and spec.pull == "mirror" else []
        report.deleted = len(deletes)
        plan = Plan(t, key, columns, _assignments(columns, key, protected, modified), rows, deletes, report)
        if m:
            full_at = last.full_at if (last and incremental) else time.time()
            plan.next_state = PullState(t, hq_mark, None, full_at, tomb)
            plan.seen = d.seen
            plan.modified = m
        plans.append(plan)
    return plans


def _pulled_groups(cfg: Config) -> dict[str, str]:
    """Reference tables and the group whose pull brings them, to name it in a refused delete."""
    return {name: spec.group for name, spec in cfg.catalog.tables.items() if spec.kind == "reference"}


def _written(p: Plan) -> dict[tuple[Any, ...], str]:
    if not p.modified:
        return {}
    ki = [p.columns.index(k) for k in p.key]
    mi = p.columns.index(p.modified)
    return {tuple(r[i] for i in ki): modified_text(r[mi]) for r in p.rows}


def pull_group(
    cfg: Config,
    group: str,
    *,
    full: bool = False,
    measure: Callable[..., float] = clock_offset,
    progress: Report = quiet,
) -> PullResult:
    """Compare, then apply every difference of the group in one store transaction.

    Tables with a modified column compare only what changed since the last pull (marks kept in
    the outbox file), with a full comparison at least daily or when ``full`` is asked. Shared
    rows are compared on the store's clock: ``measure(store, hq)`` gives how far it is ahead of
    head office's (``centrale.core.clock``). ``progress`` hears each table's rows written of
    those planned (the comparison plans them all first), and each table finished once the
    transaction is committed.
    """
    hq, store = _connect(cfg)
    try:
        shift = (
            correction(measure(store, hq))
            if any(cfg.catalog.spec(t).kind == "shared" for t in cfg.catalog.pulled(group))
            else 0
        )
        if shift:
            log.warning("this store's clock is %+d s off head office's: shared rows' times are moved by it", shift)
        with OutboxStore(cfg.outbox.path) as states:
            plans = plan_pull(cfg, group, hq, store, states, full=full, shift=shift)
            result = PullResult(group, [p.report for p in plans])
            if any(p.rows or p.deletes for p in plans):
                result.gave_way = apply_plans(store, plans, group, _pulled_groups(cfg), progress)
            else:
                store.rollback()
            for p in plans:
                if p.next_state is not None and p.modified:
                    mark = greatest(store, p.table, p.modified)
                    written = _written(p)  # rows this pull wrote carry head office's modified values
                    seen = encode_seen(recent(p.seen[0], p.next_state.hq_mark), recent({**p.seen[1], **written}, mark))
                    states.save_pull_state(replace(p.next_state, store_mark=mark, seen=seen))
            store.commit()
        for p in plans:
            progress(Step(p.task, p.planned, p.planned, finished=True))
        log.info("%s", result.summary())
        return result
    finally:
        hq.close()
        store.close()
