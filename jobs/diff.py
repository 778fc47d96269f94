"""Where two copies of a table differ, found by hashing on each server and moving only hashes.

Like pt-table-checksum: split the key space into chunks of about CHUNK_ROWS head-office keys,
compare each chunk's row count and XOR of row hashes, and list per-row hashes only inside the
chunks that differ. A 50,000-row table with 1% changed moves about 50 chunk sums and the
differing chunks' row hashes, not 50,000 rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pymysql

from centrale.core.db import quote_ident
from centrale.core.keyed import key_tuple_sql, select_by_keys
from centrale.core.server import server_of, shared_row_hash

CHUNK_ROWS = 1000


@dataclass
class TableDiff:
    """Keys whose rows head office has and the store lacks or holds differently, and keys only
    the store has."""

    to_upsert: list[tuple[Any, ...]] = field(default_factory=list)
    to_delete: list[tuple[Any, ...]] = field(default_factory=list)
    existing: set[tuple[Any, ...]] = field(default_factory=set)  # to_upsert keys the store has
    rows: dict[tuple[Any, ...], tuple[Any, ...]] = field(default_factory=dict)  # head office's, when read
    # incremental pulls: the candidate keys and modified values looked at, head office / store
    seen: tuple[dict[tuple[Any, ...], str], dict[tuple[Any, ...], str]] = field(default_factory=lambda: ({}, {}))
    chunks: int = 0
    chunks_differing: int = 0


def row_hash_sql(columns: Sequence[str], function: str = "MD5") -> str:
    """A hash of the row's compared columns, 32 hex digits; QUOTE makes NULL, '' and separators
    unambiguous. ``function`` is the one both servers have (``shared_row_hash``): MD5, or the
    first half of SHA-256 where one of them is a MySQL without MD5."""
    text = "CONCAT_WS('|', " + ", ".join(f"QUOTE({quote_ident(c)})" for c in columns) + ")"
    return f"MD5({text})" if function == "MD5" else f"LEFT(SHA2({text}, 256), 32)"


def row_hash_of(*conns: pymysql.connections.Connection) -> str:
    """The row-hash function for comparing these servers' copies (``shared_row_hash``)."""
    return shared_row_hash(*(server_of(c) for c in conns))


Scope = tuple[str, list[Any]]  # an extra condition on one side's rows: ("origin_store = %s", [12])


def _range_sql(
    key: Sequence[str], lo: tuple[Any, ...] | None, hi: tuple[Any, ...] | None, scope: Scope | None = None
) -> tuple[str, list[Any]]:
    marks = "(" + ", ".join(["%s"] * len(key)) + ")" if len(key) > 1 else "%s"
    parts: list[str] = [scope[0]] if scope else []
    args: list[Any] = list(scope[1]) if scope else []
    if lo is not None:
        parts.append(f"{key_tuple_sql(key)} >= {marks}")
        args.extend(lo)
    if hi is not None:
        parts.append(f"{key_tuple_sql(key)} < {marks}")
        args.extend(hi)
    return (" WHERE " + " AND ".join(parts)) if parts else "", args


def _chunk_sums(
    conn: pymysql.connections.Connection,
    table: str,
    key: Sequence[str],
    columns: Sequence[str],
    bounds: list[tuple[Any, ...]],
    scope: Scope | None = None,
    function: str = "MD5",
) -> list[tuple[int, int]]:
    """(row count, XOR of row hashes) per chunk, in one query per chunk."""
    h = row_hash_sql(columns, function)
    out = []
    with conn.cursor() as cur:
        edges: list[tuple[Any, ...] | None] = [None, *bounds, None]
        for lo, hi in itertools.pairwise(edges):
            where, args = _range_sql(key, lo, hi, scope)
            cur.execute(
                f"SELECT COUNT(*), COALESCE(BIT_XOR(CAST(CONV(LEFT({h}, 16), 16, 10) AS UNSIGNED)), 0) "
                f"FROM {quote_ident(table)}{where}",
                args,
            )
            row = cur.fetchone()
            out.append((int(row[0]), int(row[1])) if row else (0, 0))
    return out


def _row_hashes(
    conn: pymysql.connections.Connection,
    table: str,
    key: Sequence[str],
    columns: Sequence[str],
    lo: tuple[Any, ...] | None,
    hi: tuple[Any, ...] | None,
    scope: Scope | None = None,
    function: str = "MD5",
) -> dict[tuple[Any, ...], str]:
    where, args = _range_sql(key, lo, hi, scope)
    keys = ", ".join(quote_ident(k) for k in key)
    with conn.cursor() as cur:
        cur.execute(f"SELECT {keys}, {row_hash_sql(columns, function)} FROM {quote_ident(table)}{where}", args)
        return {tuple(r[: len(key)]): str(r[-1]) for r in cur.fetchall()}


def chunk_bounds(
    conn: pymysql.connections.Connection, table: str, key: Sequence[str], scope: Scope | None = None
) -> list[tuple[Any, ...]]:
    """Every CHUNK_ROWS-th key of head office's copy, in key order: the chunk boundaries."""
    keys = ", ".join(quote_ident(k) for k in key)
    where, args = _range_sql(key, None, None, scope)
    with conn.cursor() as cur:
        cur.execute(f"SELECT {keys} FROM {quote_ident(table)}{where} ORDER BY {keys}", args)
        return [tuple(r) for i, r in enumerate(cur.fetchall()) if i and i % CHUNK_ROWS == 0]


def diff_table(
    hq: pymysql.connections.Connection,
    store: pymysql.connections.Connection,
    table: str,
    key: Sequence[str],
    columns: Sequence[str],
    hq_scope: Scope | None = None,
) -> TableDiff:
    """Compare head office's and the store's copies on ``columns`` (which include the key);
    ``hq_scope`` keeps head office's rows of one store (an aggregate table)."""
    function = row_hash_of(hq, store)
    bounds = chunk_bounds(hq, table, key, hq_scope)
    hq_sums = _chunk_sums(hq, table, key, columns, bounds, hq_scope, function)
    st_sums = _chunk_sums(store, table, key, columns, bounds, function=function)
    diff = TableDiff(chunks=len(hq_sums))
    edges: list[tuple[Any, ...] | None] = [None, *bounds, None]
    for i, (a, b) in enumerate(zip(hq_sums, st_sums, strict=True)):
        if a == b:
            continue
        diff.chunks_differing += 1
        lo, hi = edges[i], edges[i + 1]
        theirs = _row_hashes(hq, table, key, columns, lo, hi, hq_scope, function)
        ours = _row_hashes(store, table, key, columns, lo, hi, function=function)
        diff.to_upsert.extend(k for k, h in theirs.items() if ours.get(k) != h)
        diff.existing.update(k for k, h in theirs.items() if k in ours and ours[k] != h)
        diff.to_delete.extend(k for k in ours if k not in theirs)
    return diff


def fetch_rows(
    conn: pymysql.connections.Connection,
    table: str,
    key: Sequence[str],
    columns: Sequence[str],
    keys: list[tuple[Any, ...]],
    batch: int = 500,
    *,
    hash_of: Sequence[str] | None = None,
    hash_function: str = "MD5",
) -> list[tuple[Any, ...]]:
    """Full rows (``columns``) for the given keys, a few hundred keys per query; with
    ``hash_of``, each row ends with its row hash over those columns (``row_hash_sql``)."""
    cols = ", ".join(quote_ident(c) for c in columns)
    if hash_of is not None:
        cols += ", " + row_hash_sql(hash_of, hash_function)
    with conn.cursor() as cur:
        return select_by_keys(cur, table, cols, key, keys, batch=batch)


def fetch_hashes(
    conn: pymysql.connections.Connection,
    table: str,
    key: Sequence[str],
    columns: Sequence[str],
    keys: list[tuple[Any, ...]],
    batch: int = 500,
    *,
    hash_function: str = "MD5",
) -> dict[tuple[Any, ...], str]:
    """The row hashes (``row_hash_sql`` of ``columns``) of the given keys' rows: a comparison
    moves 32 characters a row instead of the row, and parses two values instead of many."""
    rows = fetch_rows(conn, table, key, key, keys, batch, hash_of=columns, hash_function=hash_function)
    return {tuple(r[:-1]): str(r[-1]) for r in rows}
