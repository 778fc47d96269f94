"""Writing a planned pull into the store: one transaction per group that gives way to the
store's own transactions, and a delete the store refuses explained with its fix.

The POS writes the same rows while a pull runs: a sale decrements an article's stock (a
``local_columns`` column) or changes another store-owned column. Two rules keep the sale's
change, in whatever order the two transactions meet:

- The upsert assigns head office's columns only (``Plan.assignments`` never names a local
  column), and InnoDB applies it to the row as it is when the pull locks it, not as the pull
  saw it when comparing: nothing a pull read from the store is written back, so a change the
  store made after the comparison, or still uncommitted during it, survives.
- The pull never waits for a row lock (``innodb_lock_wait_timeout = 0``): a row that a store
  transaction holds makes the pull roll back, pause and start again. A pull that waited while
  holding other rows could close a deadlock with a sale touching two of its articles, and
  InnoDB then rolls back the smaller transaction: the sale. A sale may still wait for a pull
  that holds its row, until the pull commits (a pull's transaction is short and never waits).
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pymysql

from centrale.core.catalog import MARKER_TABLE
from centrale.core.db import error_code, explain, is_transient, quote_ident, quote_ident_fmt
from centrale.core.errors import JobError, JobInterruptedError
from centrale.core.i18n import Msg
from centrale.core.log import get_logger
from centrale.core.outbox import PullState
from centrale.core.progress import Report, Step, quiet
from centrale.core.server import server_of

log = get_logger("pull")

# How long one pull keeps giving way to rows the store's transactions hold before this run
# gives up (JobInterruptedError: the job runs again at the next tick). Sales hold rows for
# milliseconds; a transaction left open at the store holds them until it ends.
YIELD_FOR_S = 30.0
FIRST_PAUSE_S = 0.05
MAX_PAUSE_S = 1.0
LOCK_CONFLICTS = frozenset({1205, 1213})  # lock wait timeout (here: "locked, not waiting"), deadlock
ROW_IS_REFERENCED = 1451  # ER_ROW_IS_REFERENCED_2: a foreign key refused a delete
YIELDING = "%s gives way to a store transaction holding a row it writes (a sale?); again in %.2f s"

# "... a foreign key constraint fails (`db`.`child`, CONSTRAINT `name` FOREIGN KEY ..." (names
# with their backticks doubled); the rest of the constraint is read from information_schema.
_REFUSED_BY = re.compile(r"fails \(`((?:[^`]|``)+)`\.`((?:[^`]|``)+)`, CONSTRAINT `((?:[^`]|``)+)`")


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
class Plan:
    """What a pull writes into one table: head office's rows (``columns``, local columns only
    for rows the store lacks) and the keys to delete."""

    table: str
    key: tuple[str, ...]
    columns: tuple[str, ...]
    assignments: str  # ON DUPLICATE KEY UPDATE list: head office's columns only
    rows: list[tuple[Any, ...]]
    deletes: list[tuple[Any, ...]]
    report: TablePull
    modified: str | None = None
    next_state: PullState | None = None  # saved once the pull is committed
    seen: tuple[dict[tuple[Any, ...], str], dict[tuple[Any, ...], str]] = field(default_factory=lambda: ({}, {}))

    @property
    def task(self) -> str:
        """Its name in progress reports (``centrale.core.progress``), as `snapshot` names its tables."""
        return f"pull {self.table}"

    @property
    def planned(self) -> int:
        """The rows it writes, upserted or deleted: known before the write, a progress bar's total."""
        return len(self.rows) + len(self.deletes)


def ensure_marker_table(store: pymysql.connections.Connection) -> None:
    with store.cursor() as cur:
        cur.execute(
            f"CREATE TABLE IF NOT EXISTS {quote_ident(MARKER_TABLE)} (id TINYINT NOT NULL PRIMARY KEY, "
            "applied_at DATETIME(6) NOT NULL, what VARCHAR(64) NOT NULL) ENGINE=InnoDB"
        )


def apply_plans(
    store: pymysql.connections.Connection,
    plans: list[Plan],
    group: str,
    pulled_groups: Mapping[str, str],
    progress: Report = quiet,  # passed by position: tests wrap this function as (store, *args)
) -> int:
    """Write ``plans`` in one store transaction, started again whenever a row is locked by the
    store's own transactions; returns how many times it gave way. ``pulled_groups`` (table ->
    its pull group) lets a refused delete name the pull that fixes it. ``progress`` hears each
    table's rows written of its planned ones, from none again in an attempt after giving way
    (the caller says when they are done: once committed)."""
    what = f"pull {group}"
    no_wait = server_of(store).shortest_lock_wait_s
    deadline = time.monotonic() + YIELD_FOR_S
    pause, gave_way = FIRST_PAUSE_S, 0
    try:
        try:
            ensure_marker_table(store)  # DDL commits: never inside an attempt's transaction, once is enough
        except pymysql.err.MySQLError as exc:
            _rollback(store)
            raise _store_failed(exc, group) from None
        while True:
            try:
                _write(store, plans, group, pulled_groups, no_wait, progress)
                return gave_way
            except pymysql.err.MySQLError as exc:
                _rollback(store)
                if error_code(exc) not in LOCK_CONFLICTS:
                    raise _store_failed(exc, group) from None
                if time.monotonic() + pause > deadline:
                    raise JobInterruptedError(
                        Msg("err.pull.store_busy", group=group, seconds=round(YIELD_FOR_S)),
                        hint=Msg("err.pull.store_busy.hint", group=group),
                    ) from None
                gave_way += 1
                log.info(YIELDING, what, pause)
                time.sleep(pause)
                pause = min(2 * pause, MAX_PAUSE_S)
            except JobError:
                _rollback(store)
                raise
    finally:
        with contextlib.suppress(pymysql.err.MySQLError), store.cursor() as cur:
            cur.execute("SET SESSION foreign_key_checks = 1, innodb_lock_wait_timeout = DEFAULT")


def _store_failed(exc: pymysql.err.MySQLError, group: str) -> JobError:
    """The store refused the write for a reason other than a held row: again later if the
    reason passes (a link lost), else failed, with the server error's fix when known."""
    error = JobInterruptedError if is_transient(exc) else JobError
    explained = explain(exc)
    hint = explained.hint_text if explained else None
    return error(Msg("err.pull.store_failed", group=group, error=exc.args[-1]), hint=hint)


def _write(
    store: pymysql.connections.Connection,
    plans: list[Plan],
    group: str,
    pulled_groups: Mapping[str, str],
    no_wait: int,
    progress: Report,
) -> None:
    """One attempt: the marker row, deletes children first, then upserts parents first
    (deleting first frees unique values, e.g. an article code whose row head office re-keyed).

    Deletes run with foreign key checks on, so the store's own cascades run (a store-local
    table's rows that reference a deleted article go with it, as the store's schema says);
    upserts run with them off, since a row may reference a parent of another group that its
    own pull brings later (a technical sheet's article)."""
    written = dict.fromkeys((p.table for p in plans), 0)

    def wrote(p: Plan, n: int) -> None:
        written[p.table] += n
        progress(Step(p.task, written[p.table], p.planned))

    for p in plans:
        wrote(p, 0)
    with store.cursor() as cur:
        cur.execute(f"SET SESSION foreign_key_checks = 1, innodb_lock_wait_timeout = {int(no_wait)}")
        cur.execute("BEGIN")
        cur.execute(
            f"INSERT INTO {quote_ident(MARKER_TABLE)} (id, applied_at, what) VALUES (1, UTC_TIMESTAMP(6), %s) "
            "ON DUPLICATE KEY UPDATE applied_at = VALUES(applied_at), what = VALUES(what)",
            (f"pull {group}"[:64],),
        )
        for p in reversed(plans):
            one = "(" + ", ".join(["%s"] * len(p.key)) + ")"
            target = "(" + ", ".join(quote_ident_fmt(k) for k in p.key) + ")"
            for i in range(0, len(p.deletes), 1000):
                part = p.deletes[i : i + 1000]
                try:
                    cur.execute(
                        f"DELETE FROM {quote_ident_fmt(p.table)} WHERE {target} IN ({', '.join([one] * len(part))})",
                        [v for k in part for v in k],
                    )
                except pymysql.err.IntegrityError as exc:
                    if error_code(exc) != ROW_IS_REFERENCED:
                        raise
                    refused = _delete_one(cur, p, p.deletes[i:])
                    raise _refused(cur, p, refused, exc, group, pulled_groups) from None
                wrote(p, len(part))
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
                wrote(p, len(p.rows[i : i + 1000]))
        cur.execute("COMMIT")


def _delete_one(cur: pymysql.cursors.Cursor, p: Plan, keys: list[tuple[Any, ...]]) -> list[tuple[tuple[Any, ...], str]]:
    """The store refused a delete among ``keys``: delete them one by one (the caller rolls it
    all back) to find which rows it refuses, each with the server's words."""
    where = " AND ".join(f"{quote_ident_fmt(k)} = %s" for k in p.key)
    refused = []
    for k in keys:
        try:
            cur.execute(f"DELETE FROM {quote_ident_fmt(p.table)} WHERE {where}", k)
        except pymysql.err.IntegrityError as exc:
            if error_code(exc) != ROW_IS_REFERENCED:
                raise
            refused.append((k, str(exc.args[-1])))
    return refused


def _refused(
    cur: pymysql.cursors.Cursor,
    p: Plan,
    refused: list[tuple[tuple[Any, ...], str]],
    exc: pymysql.err.MySQLError,
    group: str,
    pulled_groups: Mapping[str, str],
) -> JobError:
    """The error for a delete head office made that a foreign key of the store refuses (ON
    DELETE RESTRICT / NO ACTION): which row, which of the store's tables and constraint, and
    the fix. The store's schema is the store's to change, so the pull stops rather than guess."""
    if not refused:  # refused together, accepted one by one: only the server's words to give
        return JobError(Msg("err.pull.store_failed", group=group, error=exc.args[-1]))
    key, text = refused[0]
    where = key_text(p.key, key)
    found = _REFUSED_BY.search(text)  # the server cuts its words at 192 bytes: long names may not fit
    schema, child, constraint = (found.group(i).replace("``", "`") for i in (1, 2, 3)) if found else ("", "", "")
    shape = _constraint(cur, schema, child, constraint) if found else None
    if shape is None:
        return JobError(
            Msg("err.pull.delete_refused_raw", n=len(refused), table=p.table, key=where, error=text, group=group),
            hint=Msg("err.pull.delete_refused_raw.hint", group=group),
        )
    columns, parent, rule = shape
    child_group = pulled_groups.get(child)
    hint = (
        Msg("err.pull.delete_refused.pull_first", child=child, child_group=child_group, group=group)
        if child_group and child_group != group
        else Msg("err.pull.delete_refused.hint", child=child, constraint=constraint, group=group)
    )
    return JobError(
        Msg(
            "err.pull.delete_refused",
            n=len(refused),
            table=p.table,
            key=where,
            child=child,
            constraint=constraint,
            columns=columns,
            parent=parent,
            rule=rule,
            group=group,
        ),
        hint=hint,
    )


def _constraint(cur: pymysql.cursors.Cursor, schema: str, table: str, name: str) -> tuple[str, str, str] | None:
    """(its columns, the table it references, its ON DELETE rule) of a foreign key."""
    cur.execute(
        "SELECT k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, r.DELETE_RULE FROM information_schema.KEY_COLUMN_USAGE k "
        "JOIN information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA "
        "AND r.TABLE_NAME = k.TABLE_NAME AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME "
        "WHERE k.CONSTRAINT_SCHEMA = %s AND k.TABLE_NAME = %s AND k.CONSTRAINT_NAME = %s "
        "ORDER BY k.ORDINAL_POSITION",
        (schema, table, name),
    )
    rows = cur.fetchall()
    if not rows:
        return None
    return ", ".join(str(r[0]) for r in rows), str(rows[0][1]), str(rows[0][2])


def key_text(columns: Sequence[str], values: Sequence[Any]) -> str:
    """A row's key as an operator would type it in SQL: `id` = 1, `code` = 'A'."""
    return ", ".join(f"{quote_ident(c)} = {_literal(v)}" for c, v in zip(columns, values, strict=True))


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return "'" + str(value).replace("'", "''") + "'"


def _rollback(store: pymysql.connections.Connection) -> None:
    """Roll the attempt back; a link gone meanwhile has rolled it back at the server already."""
    with contextlib.suppress(pymysql.err.MySQLError):
        store.rollback()
