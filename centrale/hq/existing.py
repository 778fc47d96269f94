"""What head office's own tables are, beyond their columns: indexes, foreign keys, and which
columns a row may leave out. ``hq init --adopt`` (centrale.hq.adopt) needs it to convert a table
head office's POS already holds without breaking that POS: its unique keys, its foreign keys
and its AUTO_INCREMENT column must still hold once ``origin_store`` leads the key."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pymysql

from centrale.core.schema import TableDef, read_tables
from centrale.core.server import server_of


@dataclass(frozen=True)
class Index:
    name: str
    columns: tuple[str, ...]
    unique: bool


@dataclass(frozen=True)
class ForeignKey:
    name: str
    columns: tuple[str, ...]
    parent_schema: str
    parent: str
    parent_columns: tuple[str, ...]
    on_delete: str
    on_update: str


@dataclass(frozen=True)
class Existing:
    """A head-office table as adoption sees it."""

    tdef: TableDef
    indexes: tuple[Index, ...]  # the primary key left out (``tdef.primary_key``)
    foreign_keys: tuple[ForeignKey, ...]
    optional: frozenset[str]  # columns a row may leave out: nullable, with a default, AUTO_INCREMENT, generated
    auto_increment: str | None

    @property
    def name(self) -> str:
        return self.tdef.name

    @property
    def unique_keys(self) -> list[tuple[str, ...]]:
        """Every column list the table keeps unique, its primary key first."""
        keys = [self.tdef.primary_key] if self.tdef.primary_key else []
        return keys + [i.columns for i in self.indexes if i.unique]

    def unique_on(self, columns: Iterable[str]) -> bool:
        """Whether a unique key (or the primary key) is on exactly these columns: what an upsert
        by them needs to find the row."""
        wanted = set(columns)
        return any(set(k) == wanted for k in self.unique_keys)

    def unique_within(self, columns: Iterable[str]) -> bool:
        """Whether rows are already unique on ``columns`` (a unique key on some of them)."""
        wanted = set(columns)
        return any(k and set(k) <= wanted for k in self.unique_keys)


def _marks(names: list[str]) -> str:
    return ",".join(["%s"] * len(names))


def _indexes(cur: pymysql.cursors.Cursor, database: str, names: list[str]) -> dict[str, list[Index]]:
    cur.execute(
        "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME FROM information_schema.STATISTICS "
        f"WHERE TABLE_SCHEMA=%s AND TABLE_NAME IN ({_marks(names)}) AND INDEX_NAME <> 'PRIMARY' "
        "ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
        [database, *names],
    )
    columns: dict[tuple[str, str], list[str]] = {}
    unique: dict[tuple[str, str], bool] = {}
    for table, index, non_unique, column in cur.fetchall():
        columns.setdefault((table, index), []).append(column)
        unique[(table, index)] = not int(non_unique)
    out: dict[str, list[Index]] = {}
    for (table, index), cols in columns.items():
        out.setdefault(table, []).append(Index(index, tuple(cols), unique[(table, index)]))
    return out


def _foreign_keys(cur: pymysql.cursors.Cursor, database: str, names: list[str]) -> dict[str, list[ForeignKey]]:
    cur.execute(
        "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_SCHEMA, k.REFERENCED_TABLE_NAME, "
        "k.REFERENCED_COLUMN_NAME, r.DELETE_RULE, r.UPDATE_RULE FROM information_schema.KEY_COLUMN_USAGE k "
        "JOIN information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA "
        "AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME "
        f"WHERE k.TABLE_SCHEMA=%s AND k.TABLE_NAME IN ({_marks(names)}) AND k.REFERENCED_TABLE_NAME IS NOT NULL "
        "ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
        [database, *names],
    )
    parts: dict[tuple[str, str], list[tuple[str, ...]]] = {}
    for row in cur.fetchall():
        parts.setdefault((row[0], row[1]), []).append(tuple(str(v) for v in row[2:]))
    out: dict[str, list[ForeignKey]] = {}
    for (table, name), rows in parts.items():
        first = rows[0]
        fk = ForeignKey(
            name=name,
            columns=tuple(r[0] for r in rows),
            parent_schema=first[1],
            parent=first[2],
            parent_columns=tuple(r[3] for r in rows),
            on_delete=first[4],
            on_update=first[5],
        )
        out.setdefault(table, []).append(fk)
    return out


def _optional_columns(
    cur: pymysql.cursors.Cursor, database: str, names: list[str]
) -> tuple[dict[str, set[str]], dict[str, str]]:
    generated_sql = server_of(cur.connection).is_generated_sql.replace("%", "%%")
    cur.execute(
        f"SELECT TABLE_NAME, COLUMN_NAME, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, {generated_sql} "
        f"FROM information_schema.COLUMNS WHERE TABLE_SCHEMA=%s AND TABLE_NAME IN ({_marks(names)})",
        [database, *names],
    )
    optional: dict[str, set[str]] = {}
    auto: dict[str, str] = {}
    for table, column, nullable, default, extra, generated in cur.fetchall():
        is_auto = "auto_increment" in str(extra or "").lower()
        if is_auto:
            auto[table] = column
        if nullable == "YES" or default is not None or is_auto or str(generated or "NEVER").upper() != "NEVER":
            optional.setdefault(table, set()).add(column)
    return optional, auto


def read_existing(conn: pymysql.connections.Connection, database: str, names: Iterable[str]) -> dict[str, Existing]:
    """The named tables of ``database`` that exist, with their indexes and foreign keys."""
    tdefs = read_tables(conn, database, names)
    present = list(tdefs)
    if not present:
        return {}
    with conn.cursor() as cur:
        indexes = _indexes(cur, database, present)
        fks = _foreign_keys(cur, database, present)
        optional, auto = _optional_columns(cur, database, present)
    return {
        t: Existing(
            tdef=tdefs[t],
            indexes=tuple(indexes.get(t, ())),
            foreign_keys=tuple(fks.get(t, ())),
            optional=frozenset(optional.get(t, ())),
            auto_increment=auto.get(t),
        )
        for t in present
    }
