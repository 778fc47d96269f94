"""Row-by-row comparison of a store with head office's copy of it (per-row hashes, not counts)."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pymysql

from centrale.core.catalog import Catalog
from centrale.core.db import quote_ident

if TYPE_CHECKING:
    from sandbox.chain import Chain, Site


@dataclass
class TableDiff:
    table: str
    store_rows: int
    hq_rows: int
    missing_at_hq: list[tuple[Any, ...]] = field(default_factory=list)
    extra_at_hq: list[tuple[Any, ...]] = field(default_factory=list)
    different: list[tuple[Any, ...]] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return not (self.missing_at_hq or self.extra_at_hq or self.different)


def _row_hashes(
    conn: pymysql.connections.Connection,
    table: str,
    columns: list[str],
    key: list[str],
    where: str,
    args: tuple[Any, ...],
) -> dict[tuple[Any, ...], str]:
    cols = ", ".join(quote_ident(c) for c in columns)
    with conn.cursor() as cur:
        cur.execute("SET time_zone = '+00:00'")
        cur.execute(f"SELECT {cols} FROM {quote_ident(table)} {where}", args)
        out = {}
        key_idx = [columns.index(k) for k in key]
        for row in cur.fetchall():
            out[tuple(row[i] for i in key_idx)] = hashlib.sha256(repr(tuple(row)).encode()).hexdigest()
    return out


def compare_table(
    store: pymysql.connections.Connection,
    hq: pymysql.connections.Connection,
    table: str,
    origin: int,
    *,
    origin_column: str = "origin_store",
    store_db: str,
    shared_key: tuple[str, ...] | None = None,
) -> TableDiff:
    """Aggregate tables: the store's rows equal head office's rows of that store, exactly.
    Shared tables (``shared_key``): each store row is at head office under its chain-wide key
    with the same values (the store's own ids left out); other stores' rows are not extra."""
    with store.cursor() as cur:
        cur.execute(
            "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA=%s AND TABLE_NAME=%s "
            "ORDER BY ORDINAL_POSITION",
            (store_db, table),
        )
        columns = [r[0] for r in cur.fetchall()]
        cur.execute(
            "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA=%s AND TABLE_NAME=%s "
            "AND CONSTRAINT_NAME='PRIMARY' ORDER BY ORDINAL_POSITION",
            (store_db, table),
        )
        key = [r[0] for r in cur.fetchall()]
    where = f"WHERE {quote_ident(origin_column)} = %s"
    args: tuple[Any, ...] = (origin,)
    if shared_key:
        columns = [c for c in columns if c not in set(key) - set(shared_key)]
        key, where, args = list(shared_key), "", ()
    s = _row_hashes(store, table, columns, key, "", ())
    try:
        h = _row_hashes(hq, table, columns, key, where, args)
    except pymysql.err.ProgrammingError:
        h = {}
    diff = TableDiff(table, len(s), len(h))
    diff.missing_at_hq = sorted(k for k in s if k not in h)
    diff.extra_at_hq = [] if shared_key else sorted(k for k in h if k not in s)
    diff.different = sorted(k for k in s if k in h and s[k] != h[k])
    return diff


def compare_store(
    store: pymysql.connections.Connection,
    hq: pymysql.connections.Connection,
    catalog: Catalog,
    origin: int,
    store_db: str,
) -> list[TableDiff]:
    """Every captured table of the catalog, compared per row hash."""
    out = []
    for t in catalog.captured:
        spec = catalog.spec(t)
        shared_key = spec.key if spec.kind == "shared" else None
        out.append(compare_table(store, hq, t, origin, store_db=store_db, shared_key=shared_key))
    return out


def describe(diffs: list[TableDiff]) -> str:
    lines = []
    for d in diffs:
        if not d.equal:
            lines.append(
                f"{d.table}: store {d.store_rows} rows, hq {d.hq_rows}; missing {d.missing_at_hq[:5]} "
                f"extra {d.extra_at_hq[:5]} different {d.different[:5]}"
            )
    return "\n".join(lines) or "equal"


def site_differences(chain: Chain, site: Site) -> str:
    """'equal', or what differs between a store and head office's copy of it."""
    from centrale.core.config import load

    with site.connect() as s, chain.hq.connect() as h:
        return describe(compare_store(s, h, load(site.config).catalog, site.number, site.database))


def wait_equal(chain: Chain, *sites: Site, timeout_s: float = 90, poll_s: float = 0.5) -> None:
    """Poll until head office equals every given store row for row (per-row hashes), all in the
    same pass; on the deadline, fail naming what still differs, store by store."""
    deadline = time.monotonic() + timeout_s
    while True:
        report = {site.number: site_differences(chain, site) for site in sites}
        differing = {n: r for n, r in report.items() if r != "equal"}
        if not differing:
            return
        if time.monotonic() >= deadline:
            raise AssertionError(
                "\n".join(f"store {n} differs from head office after {timeout_s}s:\n{r}" for n, r in differing.items())
            )
        time.sleep(poll_s)
