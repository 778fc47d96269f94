"""How head office holds a store's tables, and the SQL that creates them there.

Two layouts:
- aggregate: the store's columns plus ``origin_store`` first in the primary key: each store's
  rows side by side;
- shared (customers): one chain-wide row per ``key`` (e.g. the card number), the stores' own
  ids left out, ``origin_store`` telling which store changed it last.

The applier creates a missing table on first use when its account may; with per-store accounts
(``hq add-store``) it may not, and ``hq init --tables-from URL`` creates them from any store's
database instead. Both go through ``create_missing_tables``. A table head office already has in
another layout (its own POS's, without ``origin_store``) is converted by ``hq init --adopt``
(centrale.hq.adopt), never here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pymysql

from centrale.core.catalog import TableSpec
from centrale.core.collations import equivalent_collation, read_collations
from centrale.core.db import error_code, quote_ident
from centrale.core.errors import PreflightError
from centrale.core.i18n import Msg
from centrale.core.log import get_logger
from centrale.core.schema import ColumnDef, TableDef, read_tables

log = get_logger("hqtables")

# Head office refused the store's definition itself: unknown collation or character set, a type
# or syntax it lacks, a key too long, a row too large.
DEFINITION_REFUSED = frozenset({1064, 1071, 1074, 1101, 1115, 1118, 1170, 1273, 1286, 3161})


@dataclass(frozen=True)
class Layout:
    table: str
    shared: bool
    key: tuple[str, ...]
    local: frozenset[str] = frozenset()  # store-only columns (a shared table's own ids)
    modified: str | None = None
    enums: frozenset[str] = frozenset()  # ENUM columns (their '' error value needs a lenient statement)


def layout_for(table: str, spec: TableSpec, tdef: TableDef | None) -> Layout:
    """The layout of a captured table; ``tdef`` (the store's definition) gives the key when the
    catalog names none, and a shared table's store-only ids."""
    pk: tuple[str, ...] = tdef.primary_key if tdef else ()
    key = spec.key or pk
    shared = spec.kind == "shared"
    local = frozenset(set(pk) - set(key)) if shared else frozenset()
    enums = frozenset(c.name for c in tdef.columns if c.data_type == "enum") if tdef else frozenset()
    return Layout(table, shared, key, local, spec.modified_column if shared else None, enums)


def column_sql(c: ColumnDef, collation: str | None = None) -> str:
    """A store column's definition as head office declares it (no defaults but timestamps'),
    with ``collation`` in place of the store's where the two servers differ (``HeadOffice``)."""
    col = f"{quote_ident(c.name)} {c.column_type}"
    if c.charset and c.collation:
        col += f" CHARACTER SET {c.charset} COLLATE {collation or c.collation}"
    if c.data_type == "timestamp":
        return col + (" NULL DEFAULT NULL" if c.nullable else " NOT NULL DEFAULT CURRENT_TIMESTAMP")
    return col + (" NULL" if c.nullable else " NOT NULL")


def _kept(tdef: TableDef, layout: Layout) -> list[ColumnDef]:
    return [c for c in tdef.columns if not c.generated and c.name not in layout.local]


def create_table_sql(
    tdef: TableDef, layout: Layout, origin_column: str, collations: Mapping[str, str] | None = None
) -> str:
    """Head office's copy of a store table, from the store's own definition (``collations``:
    the store's collation -> head office's, where they differ: ``equivalent_collation``)."""
    origin = quote_ident(origin_column)
    parts = [f"{origin} INT NULL" if layout.shared else f"{origin} INT NOT NULL"]
    parts += [column_sql(c, _at_hq(tdef.name, c, collations)) for c in _kept(tdef, layout)]
    key = layout.key if layout.shared else (origin_column, *layout.key)
    parts.append(f"PRIMARY KEY ({', '.join(quote_ident(k) for k in key)})")
    body = ",\n  ".join(parts)
    return f"CREATE TABLE IF NOT EXISTS {quote_ident(tdef.name)} (\n  {body}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"


def add_missing_columns(
    hq: pymysql.connections.Connection,
    database: str,
    wanted: dict[str, TableSpec],
    store_defs: Callable[[list[str]], dict[str, TableDef]],
) -> list[str]:
    """Schema drift (a POS upgrade added a column at the store): add to head office's tables the
    store columns they lack, with the store's type. Never drops or changes a column.
    Returns the ``table.column`` names added."""
    present = read_tables(hq, database, wanted)
    tables = [t for t in wanted if t in present]
    defs = store_defs(tables) if tables else {}
    added = []
    known = read_collations(hq) if defs else {}
    with hq.cursor() as cur:
        for table in tables:
            if table not in defs:
                continue
            have = set(present[table].column_names)
            for c in _kept(defs[table], layout_for(table, wanted[table], defs[table])):
                if c.name not in have:
                    collation = _at_hq(table, c, _translations(defs[table], known))
                    cur.execute(f"ALTER TABLE {quote_ident(table)} ADD COLUMN {column_sql(c, collation)}")
                    added.append(f"{table}.{c.name}")
    return added


def create_missing_tables(
    hq: pymysql.connections.Connection,
    database: str,
    wanted: dict[str, TableSpec],
    store_defs: Callable[[list[str]], dict[str, TableDef]],
    origin_column: str,
) -> list[str]:
    """Create at head office the ``wanted`` captured tables it lacks, from the store's
    definitions (read only when something is missing; tables the store lacks too are left
    out). Returns the tables created."""
    present = read_tables(hq, database, wanted)
    missing = [t for t in wanted if t not in present]
    if not missing:
        return []
    defs = store_defs(missing)
    known = read_collations(hq)
    created = []
    with hq.cursor() as cur:
        for table in missing:
            if table not in defs:
                continue
            collations = _translations(defs[table], known)
            for store_collation, hq_collation in sorted(collations.items()):
                if store_collation != hq_collation:
                    log.info("%s: head office has no %s, its columns take %s", table, store_collation, hq_collation)
            layout = layout_for(table, wanted[table], defs[table])
            try:
                cur.execute(create_table_sql(defs[table], layout, origin_column, collations))
            except pymysql.err.MySQLError as exc:
                if error_code(exc) in DEFINITION_REFUSED:  # not the link's fault: no retry will do
                    raise PreflightError(
                        Msg("err.hq.create_refused", table=table, error=exc.args[-1]),
                        hint=Msg("err.hq.create_refused.hint", table=table),
                    ) from None
                raise
            created.append(table)
    return created


def _translations(tdef: TableDef, known: Mapping[str, str]) -> dict[str, str]:
    """The table's collations -> head office's equivalents (missing: none known there)."""
    out = {}
    for c in tdef.columns:
        if c.collation and c.collation not in out:
            found = equivalent_collation(c.collation, known)
            if found is not None:
                out[c.collation] = found
    return out


def _at_hq(table: str, c: ColumnDef, collations: Mapping[str, str] | None) -> str | None:
    if collations is None or not c.collation:
        return None
    found = collations.get(c.collation)
    if found is None:
        raise PreflightError(
            Msg("err.hq.no_collation", table=table, column=c.name, collation=c.collation),
            hint=Msg("err.hq.no_collation.hint", table=table),
        )
    return found
