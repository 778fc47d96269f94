"""Reading rows by their keys, a few hundred keys per query: what a verify, a pull and a resend
do with the keys two copies of a table differ in."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from centrale.core.db import quote_ident

KEYS_PER_QUERY = 500


def key_tuple_sql(key: Sequence[str]) -> str:
    """``(a, b)`` for a composite key, ``a`` for a single column (an index still serves ``IN``)."""
    cols = ", ".join(quote_ident(k) for k in key)
    return f"({cols})" if len(key) > 1 else cols


def select_by_keys(
    cur: Any,
    table: str,
    select_sql: str,
    key: Sequence[str],
    keys: Sequence[Sequence[Any]],
    *,
    where: tuple[str, list[Any]] | None = None,
    batch: int = KEYS_PER_QUERY,
) -> list[tuple[Any, ...]]:
    """``SELECT select_sql FROM table WHERE key IN (keys)`` (and ``where``, e.g. one store's
    rows at head office), ``batch`` keys per query."""
    marks = "(" + ", ".join(["%s"] * len(key)) + ")" if len(key) > 1 else "%s"
    extra, extra_args = (f"{where[0]} AND ", list(where[1])) if where else ("", [])
    out: list[tuple[Any, ...]] = []
    for i in range(0, len(keys), batch):
        part = keys[i : i + batch]
        cur.execute(
            f"SELECT {select_sql} FROM {quote_ident(table)} WHERE {extra}{key_tuple_sql(key)} "
            f"IN ({', '.join([marks] * len(part))})",
            [*extra_args, *(v for k in part for v in k)],
        )
        out.extend(tuple(r) for r in cur.fetchall())
    return out
