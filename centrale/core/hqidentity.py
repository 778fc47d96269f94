"""What a store reads of head office's identity: head office's own store number (``centrale_hq``,
written by ``hq init``) and which store a per-store account belongs to (``centrale_whoami``, a
view ``hq add-store`` installs). Shipping, doctor and the console all ask these two questions."""

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
