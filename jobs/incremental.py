"""Incremental comparison for tables with a modified column: only rows changed since the last
pull (on either side) are hashed, and the two key sets are compared (one row per side for
integer keys) to find rows head office deleted or inserted with an old modified value. A full
comparison (jobs/diff.py) still runs at least daily, and
whenever there is no state yet: marks are trusted only as far as clocks and commit order are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pymysql

from centrale.core.codec import dumps_compact, loads
from centrale.core.db import quote_ident
from jobs.diff import TableDiff, fetch_hashes, fetch_rows, row_hash_of

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
) -> dict[tuple[Any, ...], str]:
    """Keys of rows modified at or after ``mark`` minus the window, with their modified value."""
    keys = ", ".join(quote_ident(k) for k in key)
    m = quote_ident(modified)
    with conn.cursor() as cur:  # the modified value as text: no datetime parsing per row
        if mark is None:
            cur.execute(f"SELECT {keys}, CAST({m} AS CHAR) FROM {quote_ident(table)}")
        else:
            cur.execute(
                f"SELECT {keys}, CAST({m} AS CHAR) FROM {quote_ident(table)} WHERE {m} >= %s - INTERVAL %s SECOND",
                (mark, WINDOW_S),
            )
        return {tuple(r[:-1]): modified_text(r[-1]) for r in cur.fetchall()}


def modified_text(value: Any) -> str:
    """One spelling for a modified value, from the server's text or from a fetched datetime."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    text = str(value)
    return text if "." in text or len(text) != 19 else text + ".000000"


def recent(seen: dict[tuple[Any, ...], str], mark: str | None) -> dict[tuple[Any, ...], str]:
    """The entries the next pull's window will list again: only those are worth remembering."""
    if mark is None:
        return {}
    cutoff = modified_text(dt.datetime.fromisoformat(mark) - dt.timedelta(seconds=WINDOW_S))
    return {k: m for k, m in seen.items() if m >= cutoff}


def encode_seen(hq: dict[tuple[Any, ...], str], store: dict[tuple[Any, ...], str]) -> str:
    return dumps_compact({"hq": [[*k, m] for k, m in hq.items()], "store": [[*k, m] for k, m in store.items()]})


def decode_seen(text: str | None) -> tuple[dict[tuple[Any, ...], str], dict[tuple[Any, ...], str]]:
    if not text:
        return {}, {}
    raw = loads(text)
    return ({tuple(e[:-1]): e[-1] for e in raw["hq"]}, {tuple(e[:-1]): e[-1] for e in raw["store"]})


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


TOMBSTONE_OVERLAP = 200  # re-read this many tombstone ids before the mark: late-committing deletes


def tombstone_mark(hq: pymysql.connections.Connection, table: str) -> int | None:
    """The newest tombstone id, or None when head office logs no deletions for this table.
    ``centrale_logged_tables`` says which are logged: a store account can read it, whereas
    information_schema shows triggers only to accounts that may change them."""
    with hq.cursor() as cur:
        try:
            cur.execute("SELECT COUNT(*) FROM centrale_logged_tables WHERE tbl=%s", (table,))
        except pymysql.err.ProgrammingError:
            return None  # head office from before the list: compare key sets
        row = cur.fetchone()
        if not row or not row[0]:
            return None
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM centrale_tombstones")
        found = cur.fetchone()
    return int(found[0]) if found else 0


def deleted_keys(
    hq: pymysql.connections.Connection, table: str, key: Sequence[str], after: int, up_to: int
) -> set[tuple[Any, ...]]:
    """Keys head office deleted (or re-keyed away) with tombstone ids in (after, up_to]."""
    with hq.cursor() as cur:
        cur.execute(
            "SELECT pk FROM centrale_tombstones WHERE tbl=%s AND id > %s AND id <= %s",
            (table, max(0, after - TOMBSTONE_OVERLAP), up_to),
        )
        return {tuple(loads(r[0])) for r in cur.fetchall()}


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
    tombstones: tuple[int, int] | None = None,
    seen: tuple[dict[tuple[Any, ...], str], dict[tuple[Any, ...], str]] = ({}, {}),
) -> TableDiff:
    """The same answer as ``diff_table`` when the marks hold, touching only what changed: the
    candidate rows are read whole from both sides (at the same time) and compared here on the
    ``compared`` columns; head office's rows are kept for the upsert."""
    a, b = both(
        lambda: changed_keys(hq, table, key, modified, marks[0]),
        lambda: changed_keys(store, table, key, modified, marks[1]),
    )
    diff_seen = (a, b)
    # Rows examined by the last pull with the same modified value need no second look; a row
    # that committed late (inside the window, unseen) or changed again does.
    keys = sorted({k for k, m in a.items() if seen[0].get(k) != m} | {k for k, m in b.items() if seen[1].get(k) != m})
    # Compared as the full comparison compares (row hashes computed by each server): head
    # office's rows come whole, for the upsert; the store's as hashes only.
    function = row_hash_of(hq, store)
    theirs_rows, ours = both(
        lambda: fetch_rows(hq, table, key, columns, keys, hash_of=compared, hash_function=function),
        lambda: fetch_hashes(store, table, key, compared, keys, hash_function=function),
    )
    ki = [columns.index(k) for k in key]
    theirs = {tuple(r[i] for i in ki): r for r in theirs_rows}
    diff = TableDiff()
    for k, row in theirs.items():
        if ours.get(k) != str(row[-1]):
            diff.to_upsert.append(k)
            diff.rows[k] = row[:-1]
    diff.existing = {k for k in diff.to_upsert if k in ours}
    diff.to_delete = [k for k in ours if k not in theirs]
    if tombstones is not None:
        # Deletions come from head office's delete log: no key-set comparison needed. A key
        # logged as deleted but present again at head office (re-inserted) is not deleted.
        logged = deleted_keys(hq, table, key, tombstones[0], tombstones[1])
        gone = sorted(k for k in logged if k not in theirs)
        present = fetch_rows(store, table, key, key, gone) if gone else []
        only_hq: set[tuple[Any, ...]] = set()
        only_store = {tuple(r) for r in present}
    else:
        only_hq, only_store = key_differences(hq, store, table, key, integer_key)
    seen_up, seen_del = set(diff.to_upsert), set(diff.to_delete)
    diff.to_upsert.extend(k for k in sorted(only_hq) if k not in seen_up)
    diff.to_delete.extend(k for k in sorted(only_store) if k not in seen_del)
    diff.chunks = len(keys)
    diff.seen = diff_seen
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
