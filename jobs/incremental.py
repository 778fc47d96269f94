"""Incremental comparison for tables with a modified column: only rows changed since the last
pull (on either side) are hashed, and the two key sets are compared (one row per side for
integer keys) to find rows head office deleted or inserted with an old modified value. A full
comparison (jobs/diff.py) still runs at least daily, and
whenever there is no state yet: marks are trusted only as far as clocks and commit order are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pymysql

from centrale.db import quote_ident
from jobs.diff import TableDiff, fetch_rows

WINDOW_S = 60  # re-examine rows modified this long before a mark: late commits, small clock skews
FULL_EVERY_S = 86_400  # a full hash comparison at least this often
INT_TYPES = frozenset({"tinyint", "smallint", "mediumint", "int", "bigint"})


def greatest(conn: pymysql.connections.Connection, table: str, modified: str) -> str | None:
    with conn.cursor() as cur:
        cur.execute(f"SELECT CAST(MAX({quote_ident(modified)}) AS CHAR) FROM {quote_ident(table)}")
        row = cur.fetchone()
    return str(row[0]) if row and row[0] is not None else None


def changed_keys(
    conn: pymysql.connections.Connection, table: str, key: Sequence[str], modified: str, mark: str | None
) -> set[tuple[Any, ...]]:
    keys = ", ".join(quote_ident(k) for k in key)
    with conn.cursor() as cur:
        if mark is None:
            cur.execute(f"SELECT {keys} FROM {quote_ident(table)}")
        else:
            cur.execute(
                f"SELECT {keys} FROM {quote_ident(table)} WHERE {quote_ident(modified)} >= %s - INTERVAL %s SECOND",
                (mark, WINDOW_S),
            )
        return {tuple(r) for r in cur.fetchall()}


def _in_clause(key: Sequence[str], n: int) -> str:
    cols = ", ".join(quote_ident(k) for k in key)
    one = "(" + ", ".join(["%s"] * len(key)) + ")" if len(key) > 1 else "%s"
    target = f"({cols})" if len(key) > 1 else cols
    return f"{target} IN ({', '.join([one] * n)})"


def _all_keys(
    conn: pymysql.connections.Connection, table: str, key: Sequence[str], where: str = ""
) -> set[tuple[Any, ...]]:
    keys = ", ".join(quote_ident(k) for k in key)
    with conn.cursor() as cur:
        cur.execute(f"SELECT {keys} FROM {quote_ident(table)}{where}")
        return {tuple(r) for r in cur.fetchall()}


def _integer_keys(conn: pymysql.connections.Connection, table: str, k: str) -> set[str]:
    """Every key of a single-integer-key table in ONE result row: PyMySQL's per-row parsing,
    not the server, is what makes listing 50,000 keys slow."""
    with conn.cursor() as cur:  # the pull's sessions raise group_concat_max_len (jobs/pull.py)
        cur.execute(f"SELECT GROUP_CONCAT({quote_ident(k)} SEPARATOR ',') FROM {quote_ident(table)}")
        row = cur.fetchone()
    text = row[0] if row else None
    if not text:
        return set()
    if isinstance(text, bytes):
        text = text.decode()
    return set(text.split(","))  # compared as text; only the differences become integers


def key_differences(
    hq: pymysql.connections.Connection,
    store: pymysql.connections.Connection,
    table: str,
    key: Sequence[str],
    integer_key: bool,
) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    """(keys only head office has, keys only the store has)."""
    if integer_key:
        x, y = both(lambda: _integer_keys(hq, table, key[0]), lambda: _integer_keys(store, table, key[0]))
        return {(int(v),) for v in x - y}, {(int(v),) for v in y - x}
    theirs, ours = both(lambda: _all_keys(hq, table, key), lambda: _all_keys(store, table, key))
    return theirs - ours, ours - theirs


def diff_changed(
    hq: pymysql.connections.Connection,
    store: pymysql.connections.Connection,
    table: str,
    key: Sequence[str],
    columns: Sequence[str],
    compared: Sequence[str],
    modified: str,
    marks: tuple[str | None, str | None],
    integer_key: bool,
) -> TableDiff:
    """The same answer as ``diff_table`` when the marks hold, touching only what changed: the
    candidate rows are read whole from both sides (at the same time) and compared here on the
    ``compared`` columns; head office's rows are kept for the upsert."""
    a, b = both(
        lambda: changed_keys(hq, table, key, modified, marks[0]),
        lambda: changed_keys(store, table, key, modified, marks[1]),
    )
    keys = sorted(a | b)
    theirs_rows, ours_rows = both(
        lambda: fetch_rows(hq, table, key, columns, keys), lambda: fetch_rows(store, table, key, columns, keys)
    )
    ki = [columns.index(k) for k in key]
    ci = [columns.index(c) for c in compared]
    theirs = {tuple(r[i] for i in ki): r for r in theirs_rows}
    ours = {tuple(r[i] for i in ki): tuple(r[i] for i in ci) for r in ours_rows}
    diff = TableDiff()
    for k, row in theirs.items():
        if ours.get(k) != tuple(row[i] for i in ci):
            diff.to_upsert.append(k)
            diff.rows[k] = row
    diff.existing = {k for k in diff.to_upsert if k in ours}
    diff.to_delete = [k for k in ours if k not in theirs]
    only_hq, only_store = key_differences(hq, store, table, key, integer_key)
    seen_up, seen_del = set(diff.to_upsert), set(diff.to_delete)
    diff.to_upsert.extend(k for k in sorted(only_hq) if k not in seen_up)
    diff.to_delete.extend(k for k in sorted(only_store) if k not in seen_del)
    diff.chunks = len(keys)
    return diff


A = TypeVar("A")
B = TypeVar("B")
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pull")


def both(on_hq: Callable[[], A], on_store: Callable[[], B]) -> tuple[A, B]:
    """Run one query at head office and one at the store concurrently (each on its own
    connection, used by one thread at a time)."""
    future = _POOL.submit(on_hq)
    ours = on_store()
    return future.result(), ours
