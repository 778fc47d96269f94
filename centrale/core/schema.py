"""Table definitions read from information_schema, for capture (value conversion, keys) and for
creating head-office tables from the store's own definitions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pymysql

from centrale.core.server import server_of

BINARY_TYPES = frozenset({"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"})


@dataclass(frozen=True, slots=True)
class ColumnDef:
    name: str
    data_type: str
    column_type: str
    nullable: bool
    charset: str | None
    collation: str | None
    generated: bool = False


@dataclass(frozen=True, slots=True)
class TableDef:
    name: str
    columns: tuple[ColumnDef, ...]
    primary_key: tuple[str, ...]
    # False for MyISAM, Aria, MEMORY ...: their changes stay when a transaction rolls back
    transactional: bool = True

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> ColumnDef | None:
        for c in self.columns:
            if c.name == name:
                return c
        return None


def read_tables(conn: pymysql.connections.Connection, database: str, names: Iterable[str]) -> dict[str, TableDef]:
    """Definitions of the named tables that exist in ``database`` (missing ones are absent)."""
    wanted = list(dict.fromkeys(names))
    if not wanted:
        return {}
    marks = ",".join(["%s"] * len(wanted))
    generated = server_of(conn).is_generated_sql.replace("%", "%%")
    with conn.cursor() as cur:
        cur.execute(
            "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, CHARACTER_SET_NAME, "
            f"COLLATION_NAME, {generated} FROM information_schema.COLUMNS "
            f"WHERE TABLE_SCHEMA=%s AND TABLE_NAME IN ({marks}) ORDER BY TABLE_NAME, ORDINAL_POSITION",
            [database, *wanted],
        )
        cols: dict[str, list[ColumnDef]] = {}
        for t, c, dtype, ctype, nullable, cs, coll, gen in cur.fetchall():
            cols.setdefault(t, []).append(
                ColumnDef(
                    name=c,
                    data_type=str(dtype).lower(),
                    column_type=str(ctype),
                    nullable=nullable == "YES",
                    charset=cs,
                    collation=coll,
                    generated=str(gen or "NEVER").upper() != "NEVER",
                )
            )
        cur.execute(
            "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE "
            f"WHERE TABLE_SCHEMA=%s AND CONSTRAINT_NAME='PRIMARY' AND TABLE_NAME IN ({marks}) "
            "ORDER BY TABLE_NAME, ORDINAL_POSITION",
            [database, *wanted],
        )
        pks: dict[str, list[str]] = {}
        for t, c in cur.fetchall():
            pks.setdefault(t, []).append(c)
        cur.execute(
            "SELECT t.TABLE_NAME FROM information_schema.TABLES t JOIN information_schema.ENGINES e "
            f"ON e.ENGINE = t.ENGINE WHERE t.TABLE_SCHEMA=%s AND t.TABLE_NAME IN ({marks}) AND e.TRANSACTIONS <> 'YES'",
            [database, *wanted],
        )
        plain = {str(r[0]) for r in cur.fetchall()}
    return {
        t: TableDef(name=t, columns=tuple(cols[t]), primary_key=tuple(pks.get(t, ())), transactional=t not in plain)
        for t in wanted
        if t in cols
    }


def row_estimates(conn: pymysql.connections.Connection, database: str, names: Iterable[str]) -> dict[str, int]:
    """The server's estimate of each named table's rows (information_schema, no scan): a
    progress bar's total, which the count read may pass; 0 for a table not found."""
    wanted = list(dict.fromkeys(names))
    if not wanted:
        return {}
    marks = ",".join(["%s"] * len(wanted))
    with conn.cursor() as cur:
        cur.execute(
            "SELECT TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES "
            f"WHERE TABLE_SCHEMA = %s AND TABLE_NAME IN ({marks})",
            [database, *wanted],
        )
        found = {str(t): int(n or 0) for t, n in cur.fetchall()}
    return {t: found.get(t, 0) for t in wanted}


def list_tables(conn: pymysql.connections.Connection, database: str) -> dict[str, str]:
    """Every table and view of ``database`` -> its type (``BASE TABLE``, ``VIEW``, ...)."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s ORDER BY TABLE_NAME",
            (database,),
        )
        return {str(t): str(kind) for t, kind in cur.fetchall()}


def unique_keys(conn: pymysql.connections.Connection, database: str) -> dict[str, list[tuple[str, ...]]]:
    """Each table's unique keys, the primary key included, as column tuples in index order."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT TABLE_NAME, INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS "
            "WHERE TABLE_SCHEMA = %s AND NON_UNIQUE = 0 ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
            (database,),
        )
        found: dict[tuple[str, str], list[str]] = {}
        for t, index, column in cur.fetchall():
            found.setdefault((str(t), str(index)), []).append(str(column))
    out: dict[str, list[tuple[str, ...]]] = {}
    for (table, _index), columns in found.items():
        out.setdefault(table, []).append(tuple(columns))
    return out
