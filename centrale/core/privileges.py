"""Whether this account may run a statement, asked of the server without running it.

Reading SHOW GRANTS would have to redo the server's own rules (roles, `pos\\_%` patterns, column
grants, partial revokes); the server applies them itself when it checks a statement. So a probe
sends a statement that is checked and then does nothing: ``EXPLAIN`` of an INSERT, UPDATE or
DELETE (checked like the statement, never executed), ``SELECT ... LIMIT 0``, and for CREATE a
``CREATE TABLE`` that names one column twice: the privilege is checked first, then the definition
is refused (1060), and nothing is created or logged to the binlog.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pymysql

from centrale.core.db import DENIED_CODES, NO_SUCH_TABLE, error_code, quote_ident

TABLE_EXISTS = 1050
DUPLICATE_COLUMN = 1060


@dataclass(frozen=True, slots=True)
class Refusal:
    """What the server said no to: the privilege (``SELECT``, ``CREATE`` ...), the table, and
    the server's own words."""

    privilege: str
    table: str
    error: str
    missing_table: bool = False  # the table does not exist (the account could see it)


def account(conn: pymysql.connections.Connection) -> str:
    """This session's account as GRANT names it: ``'user'@'host'``."""
    with conn.cursor() as cur:
        cur.execute("SELECT CURRENT_USER()")
        row = cur.fetchone()
    user, _, host = str(row[0] if row else "").rpartition("@")
    return f"'{user}'@'{host}'"


def _probe(conn: pymysql.connections.Connection, privilege: str, table: str, statement: str) -> Refusal | None:
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
            cur.fetchall()
    except pymysql.err.MySQLError as exc:
        code = error_code(exc)
        if code in DENIED_CODES:
            return Refusal(privilege, table, str(exc.args[-1]))
        if code == NO_SUCH_TABLE:
            return Refusal(privilege, table, str(exc.args[-1]), missing_table=True)
        raise
    return None


def may_read(conn: pymysql.connections.Connection, table: str) -> Refusal | None:
    """SELECT on every column of ``table`` (a snapshot reads them all)."""
    return _probe(conn, "SELECT", table, f"SELECT * FROM {quote_ident(table)} LIMIT 0")


def may_write(
    conn: pymysql.connections.Connection, table: str, columns: Sequence[str], *, deletes: bool
) -> Refusal | None:
    """What a pull writes into ``table``: an upsert of ``columns`` (INSERT ... ON DUPLICATE KEY
    UPDATE) and, with ``deletes``, a DELETE."""
    q = quote_ident(table)
    cols = ", ".join(quote_ident(c) for c in columns)
    values = ", ".join("NULL" for _ in columns)
    updates = ", ".join(f"{quote_ident(c)} = VALUES({quote_ident(c)})" for c in columns)
    probes = [
        ("INSERT", f"EXPLAIN INSERT INTO {q} ({cols}) VALUES ({values})"),
        ("UPDATE", f"EXPLAIN INSERT INTO {q} ({cols}) VALUES ({values}) ON DUPLICATE KEY UPDATE {updates}"),
    ]
    if deletes:
        probes.append(("DELETE", f"EXPLAIN DELETE FROM {q} WHERE 0"))
    for privilege, statement in probes:
        refused = _probe(conn, privilege, table, statement)
        if refused is not None:
            return refused
    return None


def may_create(conn: pymysql.connections.Connection, table: str) -> Refusal | None:
    """CREATE of ``table``, which does not exist yet (a table that exists answers None)."""
    statement = f"CREATE TABLE {quote_ident(table)} (probe INT, probe INT)"
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
    except pymysql.err.MySQLError as exc:
        code = error_code(exc)
        if code in (DUPLICATE_COLUMN, TABLE_EXISTS):
            return None
        if code in DENIED_CODES:
            return Refusal("CREATE", table, str(exc.args[-1]))
        raise
    # Not reached on any server: the definition is invalid. Should one accept it, drop what it made.
    with conn.cursor() as cur:
        cur.execute(f"DROP TABLE {quote_ident(table)}")
    return None
