"""What a store reads of head office's identity: head office's own store number (``centrale_hq``,
written by ``hq init``) and which store a per-store account belongs to (``centrale_whoami``, a
view ``hq add-store`` installs). Shipping, doctor and the console all ask these two questions.
Head office's own face and jobs ask a third: which stores ``hq add-store`` registered."""

from __future__ import annotations

import pymysql

from centrale.core.db import error_code


def read_hq_store(conn: pymysql.connections.Connection) -> int | None:
    """Head office's store number, or None when ``hq init`` has not been run there."""
    with conn.cursor() as cur:
        try:
            cur.execute("SELECT hq_store FROM centrale_hq WHERE id = 1")
        except pymysql.err.ProgrammingError:
            return None
        row = cur.fetchone()
    return int(row[0]) if row else None


def read_account_store(conn: pymysql.connections.Connection) -> int | None:
    """The store number a per-store account belongs to; None for any other account."""
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT `store` FROM `centrale_whoami`")
            row = cur.fetchone()
    except pymysql.err.MySQLError as exc:
        if error_code(exc) in (1146, 1142, 1356):
            return None
        raise
    return int(row[0]) if row and row[0] is not None else None


def registered_stores(conn: pymysql.connections.Connection) -> dict[int, str]:
    """The stores ``hq add-store`` registered (``centrale_stores``), with their names; none at a
    head office that has not run ``hq init`` since the registry came, or to an account that may
    not read it."""
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT `store`, `name` FROM `centrale_stores`")
            return {int(r[0]): str(r[1] or "") for r in cur.fetchall()}
    except pymysql.err.MySQLError as exc:
        if error_code(exc) in (1146, 1142):
            return {}
        raise
