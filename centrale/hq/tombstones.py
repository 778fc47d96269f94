"""Head office's delete log for reference tables: triggers that write the key of every deleted
(or re-keyed) row into ``centrale_tombstones``. Pulls read it to find deletions in O(deletions)
instead of comparing whole key sets; without the triggers they fall back to that comparison.

Creating triggers on a server that writes a binlog needs SUPER (or
``log_bin_trust_function_creators = 1``): run ``hq init`` as an administrator.
"""

from __future__ import annotations

import pymysql

from centrale.core.catalog import Catalog
from centrale.core.db import quote_ident
from centrale.core.schema import read_tables


def trigger_names(table: str) -> tuple[str, str]:
    return (f"centrale_td_{table}"[:64], f"centrale_tu_{table}"[:64])


def install_triggers(conn: pymysql.connections.Connection, database: str, catalog: Catalog) -> list[str]:
    """(Re)create the delete and re-key triggers of every reference table present here."""
    names = [t for t, spec in catalog.tables.items() if spec.kind == "reference"]
    defs = read_tables(conn, database, names)
    done = []
    with conn.cursor() as cur:
        for table in names:
            if table not in defs:
                continue
            key = catalog.spec(table).key or defs[table].primary_key
            if not key:
                continue
            old = ", ".join(f"OLD.{quote_ident(k)}" for k in key)
            changed = " OR ".join(f"NOT (OLD.{quote_ident(k)} <=> NEW.{quote_ident(k)})" for k in key)
            insert = (
                "INSERT INTO centrale_tombstones (tbl, pk, deleted_at) "
                f"VALUES ({conn.escape(table)}, JSON_ARRAY({old}), UTC_TIMESTAMP(6))"
            )
            on_delete, on_update = trigger_names(table)
            cur.execute(f"DROP TRIGGER IF EXISTS {quote_ident(on_delete)}")
            cur.execute(
                f"CREATE TRIGGER {quote_ident(on_delete)} AFTER DELETE ON {quote_ident(table)} FOR EACH ROW {insert}"
            )
            cur.execute(f"DROP TRIGGER IF EXISTS {quote_ident(on_update)}")
            cur.execute(
                f"CREATE TRIGGER {quote_ident(on_update)} AFTER UPDATE ON {quote_ident(table)} FOR EACH ROW "
                f"IF {changed} THEN {insert}; END IF"
            )
            done.append(table)
        cur.execute("DELETE FROM centrale_logged_tables")
        for table in done:
            cur.execute(
                "INSERT INTO centrale_logged_tables (tbl, installed_at) VALUES (%s, UTC_TIMESTAMP(6))", (table,)
            )
    conn.commit()
    return done
