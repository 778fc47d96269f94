"""Server checks before capture: binlog settings, privileges, server ids, catalog tables."""

from __future__ import annotations

import re

import pymysql

from centrale.catalog import Catalog
from centrale.checks import Check, fail, ok, warn
from centrale.outbox import Checkpoint
from centrale.schema import read_tables

REQUIRED = {
    "log_bin": "ON",
    "binlog_format": "ROW",
    "binlog_row_image": "FULL",
    "binlog_row_metadata": "FULL",
}
_CNF_HINT = (
    "in the store's my.cnf [mariadbd] section set log_bin, binlog_format=ROW, "
    "binlog_row_image=FULL, binlog_row_metadata=FULL, then restart MariaDB"
)


def _variables(cur: pymysql.cursors.Cursor) -> dict[str, str]:
    cur.execute(
        "SHOW GLOBAL VARIABLES WHERE Variable_name IN "
        "('log_bin','binlog_format','binlog_row_image','binlog_row_metadata','server_id')"
    )
    return {str(k).lower(): str(v) for k, v in cur.fetchall()}


def binlog_checks(conn: pymysql.connections.Connection, reader_server_id: int) -> list[Check]:
    out: list[Check] = []
    with conn.cursor() as cur:
        v = _variables(cur)
        for name, want in REQUIRED.items():
            got = v.get(name, "absent")
            if got.upper() != want:
                out.append(fail(f"binlog {name}", f"{name} is {got}, capture needs {want}", _CNF_HINT))
        if not any(c.failed for c in out):
            out.append(ok("binlog", "binary log on, ROW format, FULL row image and FULL row metadata"))
        server_id = int(v.get("server_id", "0") or 0)
        if server_id == 0:
            out.append(
                fail("server id", "the store server's server_id is 0", "set server_id=1 (any non-zero) in my.cnf")
            )
        elif server_id == reader_server_id:
            out.append(
                fail(
                    "server id",
                    f"the reader's server id {reader_server_id} equals the server's own server_id",
                    "set local.reader_server_id to another number",
                )
            )
        else:
            taken = _replica_ids(cur)
            if reader_server_id in taken:
                out.append(
                    warn(
                        "server id",
                        f"a replica with server id {reader_server_id} is connected (another Centrale?)",
                        "two readers with one id disconnect each other: set local.reader_server_id",
                    )
                )
            else:
                out.append(ok("server id", f"server_id {server_id}, reader id {reader_server_id}"))
        out.append(_grant_check(cur))
    return out


def _replica_ids(cur: pymysql.cursors.Cursor) -> set[int]:
    try:
        cur.execute("SHOW SLAVE HOSTS")
        return {int(r[0]) for r in cur.fetchall()}
    except pymysql.err.MySQLError:
        return set()


def _grant_check(cur: pymysql.cursors.Cursor) -> Check:
    cur.execute("SHOW GRANTS")
    grants = " ".join(str(r[0]).upper() for r in cur.fetchall())
    if re.search(r"GRANT ALL PRIVILEGES ON \*\.\*", grants):
        return ok("privileges", "all privileges")
    missing = [p for p in ("REPLICATION SLAVE", "BINLOG MONITOR") if p not in grants and "SUPER" not in grants]
    if "REPLICATION SLAVE" in missing:
        return fail(
            "privileges",
            f"the local user lacks {', '.join(missing)}",
            "GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO the user of local.url",
        )
    if missing:
        return fail(
            "privileges", "the local user lacks BINLOG MONITOR", "GRANT BINLOG MONITOR ON *.* TO the user of local.url"
        )
    return ok("privileges", "replication privileges present")


def catalog_checks(conn: pymysql.connections.Connection, database: str, catalog: Catalog) -> list[Check]:
    """Every captured table exists and has a key (its primary key or the catalog's ``key``)."""
    names = catalog.captured
    defs = read_tables(conn, database, names)
    problems: list[Check] = []
    for t in names:
        if t not in defs:
            problems.append(
                fail(
                    f"table {t}",
                    f"catalog table `{t}` does not exist in database {database}",
                    f"create it or remove [tables.{t}] from the configuration",
                )
            )
            continue
        key = catalog.spec(t).key or defs[t].primary_key
        if not key:
            problems.append(
                fail(f"table {t}", f"table `{t}` has no primary key", f'add one, or set tables.{t}.key = ["col", ...]')
            )
            continue
        unknown = [k for k in key if defs[t].column(k) is None]
        if unknown:
            problems.append(
                fail(
                    f"table {t}", f"tables.{t}.key names unknown column(s) {', '.join(unknown)}", f"fix tables.{t}.key"
                )
            )
    return problems or [ok("catalog", f"{len(names)} captured tables present with keys")]


def retention_headroom(
    conn: pymysql.connections.Connection, checkpoint: Checkpoint | None, now: float
) -> tuple[float | None, float | None]:
    """(seconds the server keeps binlogs, seconds left before the checkpoint's file may go);
    (None, None) when binlogs never expire. The file's age is at least the age of the last
    event captured from it (or of the checkpoint itself when no event was)."""
    with conn.cursor() as cur:
        cur.execute("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('binlog_expire_logs_seconds', 'expire_logs_days')")
        v = {str(k).lower(): float(x or 0) for k, x in cur.fetchall()}
    keep = v.get("binlog_expire_logs_seconds") or v.get("expire_logs_days", 0) * 86_400
    if not keep:
        return None, None
    if checkpoint is None:
        return keep, keep
    since = checkpoint.source_ts or checkpoint.updated_at
    return keep, keep - max(0.0, now - since)


def retention_check(conn: pymysql.connections.Connection, checkpoint: Checkpoint | None, now: float) -> Check:
    keep, left = retention_headroom(conn, checkpoint, now)
    if keep is None or left is None:
        return ok("binlog retention", "binlogs never expire on this server (watch its disk)")
    days = keep / 86_400
    if left <= keep * 0.25 or left < 86_400:
        when = "may already be purged" if left <= 0 else f"may be purged in {left / 3600:.1f} h"
        return warn(
            "binlog retention",
            f"the binlog holding the capture checkpoint {when} (the server keeps {days:g} days)",
            "start `centrale run` so capture catches up, or raise binlog_expire_logs_seconds on the store",
        )
    return ok(
        "binlog retention", f"{left / 86_400:.1f} of {days:g} days of headroom before the checkpoint's binlog expires"
    )
