"""What capture depends on beyond the binlog settings, checked before the first row (doctor, and
`run` at start-up): compression, partial JSON rows, foreign keys whose cascades
never reach the binlog, character sets carried as bytes, tables that cannot roll back.

A failure here is an action that would lose or change rows at head office without a word once
capture runs; each says which table or setting, and the fix.
"""

from __future__ import annotations

import pymysql

from centrale.core.catalog import Catalog
from centrale.core.checks import Check, fail, ok, warn
from centrale.core.errors import SourceError
from centrale.core.i18n import Msg

_UNICODE = ("utf8", "utf8mb3", "utf8mb4", "ucs2", "utf16", "utf16le", "utf32")
_CHANGING_RULES = ("CASCADE", "SET NULL", "SET DEFAULT")


def _global(cur: pymysql.cursors.Cursor, name: str) -> str | None:
    cur.execute("SHOW GLOBAL VARIABLES LIKE %s", (name,))
    row = cur.fetchone()
    return str(row[1]) if row else None


def compression_check(conn: pymysql.connections.Connection) -> list[Check]:
    """Compressed binlogs are read (MariaDB's compressed events, MySQL's zstd transaction
    payloads); partial JSON updates carry no whole row."""
    out: list[Check] = []
    with conn.cursor() as cur:
        payload = _global(cur, "binlog_transaction_compression")
        partial = _global(cur, "binlog_row_value_options")
        mariadb_compress = _global(cur, "log_bin_compress")
    if partial and "PARTIAL_JSON" in partial.upper():
        hint = Msg("chk.capture.partial_json.hint")
        out.append(fail("binlog row values", Msg("chk.capture.partial_json"), hint, error=SourceError))
    if (mariadb_compress or "").upper() == "ON":
        out.append(ok("binlog compression", Msg("chk.capture.compressed")))
    elif (payload or "").upper() == "ON":
        out.append(ok("binlog compression", Msg("chk.capture.payloads")))
    else:
        out.append(ok("binlog compression", Msg("chk.capture.plain")))
    return out


def foreign_key_checks(conn: pymysql.connections.Connection, database: str, catalog: Catalog) -> list[Check]:
    """Cascades InnoDB performs are not in the binlog: a captured child table whose rows a
    foreign key deletes or changes would keep, at head office, what the store no longer has.
    A cascading delete is harmless on a table whose deletes head office ignores anyway."""
    captured = set(catalog.captured)
    with conn.cursor() as cur:
        cur.execute(
            "SELECT TABLE_NAME, CONSTRAINT_NAME, REFERENCED_TABLE_NAME, DELETE_RULE, UPDATE_RULE "
            "FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA=%s "
            "ORDER BY TABLE_NAME, CONSTRAINT_NAME",
            (database,),
        )
        rows = cur.fetchall()
    problems: list[Check] = []
    for child, name, parent, on_delete, on_update in rows:
        if child not in captured:
            continue
        rules = []
        if on_delete in _CHANGING_RULES and (on_delete != "CASCADE" or catalog.spec(child).on_delete == "delete"):
            rules.append(f"ON DELETE {on_delete}")
        if on_update in _CHANGING_RULES:
            rules.append(f"ON UPDATE {on_update}")
        if rules:
            problems.append(
                fail(
                    f"table {child}",
                    Msg("chk.capture.cascade", table=child, name=name, parent=parent, rules=", ".join(rules)),
                    Msg("chk.capture.cascade.hint", table=child, name=name),
                )
            )
    return problems or [ok("foreign keys", Msg("chk.capture.cascade.ok"))]


def table_checks(conn: pymysql.connections.Connection, database: str, catalog: Catalog) -> list[Check]:
    """Columns whose character set crosses as bytes, and tables that cannot roll back."""
    names = catalog.captured
    if not names:
        return []
    marks = ",".join(["%s"] * len(names))
    with conn.cursor() as cur:
        cur.execute(
            "SELECT c.TABLE_NAME, c.COLUMN_NAME, c.CHARACTER_SET_NAME FROM information_schema.COLUMNS c "
            "JOIN information_schema.CHARACTER_SETS s ON s.CHARACTER_SET_NAME = c.CHARACTER_SET_NAME "
            f"WHERE c.TABLE_SCHEMA=%s AND c.TABLE_NAME IN ({marks}) AND s.MAXLEN > 1 "
            "ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION",
            [database, *names],
        )
        as_bytes = [(t, c, cs) for t, c, cs in cur.fetchall() if str(cs) not in _UNICODE]
        cur.execute(
            "SELECT t.TABLE_NAME, t.ENGINE FROM information_schema.TABLES t JOIN information_schema.ENGINES e "
            f"ON e.ENGINE = t.ENGINE WHERE t.TABLE_SCHEMA=%s AND t.TABLE_NAME IN ({marks}) AND e.TRANSACTIONS <> 'YES'",
            [database, *names],
        )
        plain = [(str(t), str(e)) for t, e in cur.fetchall()]
        cur.execute(
            "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS "
            f"WHERE TABLE_SCHEMA=%s AND TABLE_NAME IN ({marks}) AND COALESCE(GENERATION_EXPRESSION, '') <> '' "
            "ORDER BY TABLE_NAME, ORDINAL_POSITION",
            [database, *names],
        )
        generated = [f"{t}.{c}" for t, c in cur.fetchall()]
    out: list[Check] = []
    if as_bytes:
        columns = ", ".join(f"{t}.{c} ({cs})" for t, c, cs in as_bytes)
        out.append(warn("character sets", Msg("chk.capture.bytes", columns=columns), Msg("chk.capture.bytes.hint")))
    else:
        out.append(ok("character sets", Msg("chk.capture.charsets.ok")))
    if generated:
        out.append(ok("generated columns", Msg("chk.capture.generated", columns=", ".join(generated))))
    if plain:
        tables = ", ".join(f"{t} ({e})" for t, e in plain)
        out.append(warn("engines", Msg("chk.capture.engines", tables=tables), Msg("chk.capture.engines.hint")))
    return out


def capture_checks(conn: pymysql.connections.Connection, database: str, catalog: Catalog) -> list[Check]:
    return [
        *compression_check(conn),
        *foreign_key_checks(conn, database, catalog),
        *table_checks(conn, database, catalog),
    ]
