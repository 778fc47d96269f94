"""Server checks before capture: binlog settings, privileges, server ids, catalog tables."""

from __future__ import annotations

import re

import pymysql

from centrale.core.catalog import Catalog
from centrale.core.checks import Check, blamed, fail, ok, warn
from centrale.core.errors import SourceError
from centrale.core.i18n import Msg
from centrale.core.outbox import Checkpoint
from centrale.core.schema import read_tables
from centrale.core.server import server_of

REQUIRED = {
    "log_bin": "ON",
    "binlog_format": "ROW",
    "binlog_row_image": "FULL",
    "binlog_row_metadata": "FULL",
}


def _variables(cur: pymysql.cursors.Cursor) -> dict[str, str]:
    cur.execute(
        "SHOW GLOBAL VARIABLES WHERE Variable_name IN "
        "('log_bin','binlog_format','binlog_row_image','binlog_row_metadata','server_id')"
    )
    return {str(k).lower(): str(v) for k, v in cur.fetchall()}


def _setting_checks(conn: pymysql.connections.Connection, v: dict[str, str]) -> list[Check]:
    """A failure per binlog setting capture needs that the server does not have."""
    server = server_of(conn)
    cnf_hint = Msg("chk.binlog.cnf.hint", section=server.config_section, server=server.name)
    out: list[Check] = []
    for name, want in REQUIRED.items():
        got = v.get(name, "absent")
        if got.upper() != want:
            out.append(fail(f"binlog {name}", Msg("chk.binlog.setting", name=name, got=got, want=want), cnf_hint))
    return out


def require_capture_binlog(conn: pymysql.connections.Connection) -> None:
    """Refuse what only makes sense with capture following (a snapshot, a push): rows loaded
    at a binlog position that is not there, or that capture cannot read on from, would be
    followed by nothing, or by a stop."""
    with conn.cursor() as cur:
        problems = _setting_checks(conn, _variables(cur))
    if problems:
        raise SourceError(problems[0].message, hint=problems[0].hint)


def binlog_checks(conn: pymysql.connections.Connection, reader_server_id: int) -> list[Check]:
    server = server_of(conn)
    with conn.cursor() as cur:
        v = _variables(cur)
        out = _setting_checks(conn, v)
        if not any(c.failed for c in out):
            out.append(ok("binlog", Msg("chk.binlog.ok")))
        server_id = int(v.get("server_id", "0") or 0)
        if server_id == 0:
            out.append(fail("server id", Msg("chk.server_id.zero"), Msg("chk.server_id.zero.hint")))
        elif server_id == reader_server_id:
            out.append(
                fail(
                    "server id",
                    Msg("chk.server_id.same", reader=reader_server_id),
                    Msg("chk.server_id.same.hint"),
                )
            )
        else:
            taken, error = _replica_ids(cur)
            if error is not None:
                out.append(
                    warn(
                        "server id",
                        Msg("chk.server_id.unchecked", reader=reader_server_id, error=error),
                        Msg(
                            "chk.server_id.unchecked.hint",
                            statement=server.replicas_sql,
                            privilege=server.replicas_privilege,
                            reader=reader_server_id,
                        ),
                    )
                )
            elif reader_server_id in taken:
                out.append(
                    warn(
                        "server id",
                        Msg("chk.server_id.taken", reader=reader_server_id),
                        Msg("chk.server_id.taken.hint"),
                    )
                )
            else:
                out.append(ok("server id", Msg("chk.server_id.ok", server=server_id, reader=reader_server_id)))
        out.append(_grant_check(cur))
    return blamed(out, SourceError)


def _replica_ids(cur: pymysql.cursors.Cursor) -> tuple[set[int], str | None]:
    """The server ids of the replicas connected now, or why the server would not list them."""
    try:
        cur.execute(server_of(cur.connection).replicas_sql)
        return {int(r[0]) for r in cur.fetchall()}, None
    except pymysql.err.MySQLError as exc:
        return set(), str(exc.args[-1])


def _grant_check(cur: pymysql.cursors.Cursor) -> Check:
    """What capture and snapshots need: read the binlog (REPLICATION SLAVE), its status (the
    server's monitor privilege), and on MySQL hold commits for the instant a snapshot opens."""
    server = server_of(cur.connection)
    needed = ["REPLICATION SLAVE", server.monitor_privilege, *server.snapshot_privileges]
    cur.execute("SHOW GRANTS")
    grants = " ".join(str(r[0]).upper() for r in cur.fetchall())
    if re.search(r"GRANT ALL PRIVILEGES ON \*\.\*", grants):
        return ok("privileges", Msg("chk.privileges.all"))
    missing = [p for p in needed if p not in grants and "SUPER" not in grants]
    if missing:
        return fail(
            "privileges",
            Msg("chk.privileges.lacks", privileges=", ".join(missing)),
            Msg("chk.privileges.grant.hint", privileges=", ".join(needed)),
        )
    return ok("privileges", Msg("chk.privileges.ok"))


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
                    Msg("chk.table.missing", table=t, database=database),
                    Msg("chk.table.missing_sample.hint") if catalog.sample else Msg("chk.table.missing.hint", table=t),
                )
            )
            continue
        key = catalog.spec(t).key or defs[t].primary_key
        if not key:
            problems.append(fail(f"table {t}", Msg("chk.table.no_key", table=t), Msg("chk.table.no_key.hint", table=t)))
            continue
        unknown = [k for k in key if defs[t].column(k) is None]
        if unknown:
            problems.append(
                fail(
                    f"table {t}",
                    Msg("chk.table.unknown_key", table=t, columns=", ".join(unknown)),
                    Msg("chk.table.unknown_key.hint", table=t),
                )
            )
            continue
        nullable = [k for k in key if (c := defs[t].column(k)) is not None and c.nullable]
        if nullable:  # head office makes key columns NOT NULL: the first NULL would hold shipping
            problems.append(
                fail(
                    f"table {t}",
                    Msg("chk.table.nullable_key", table=t, columns=", ".join(nullable)),
                    Msg("chk.table.nullable_key.hint", table=t, columns=", ".join(nullable)),
                )
            )
    problems += _named_columns(conn, database, catalog)
    return problems or [ok("catalog", Msg("chk.catalog.ok", n=len(names)))]


def _named_columns(conn: pymysql.connections.Connection, database: str, catalog: Catalog) -> list[Check]:
    """Columns the catalog names (``since_column``, ``sum_column``, ``modified_column``,
    ``price_columns``, ``printer_columns``) exist in the store's tables; a shared table's own
    local id (its primary key outside the chain-wide key) fills itself for rows pulled in."""
    defs = read_tables(conn, database, list(catalog.tables))
    out: list[Check] = []
    for t, spec in catalog.tables.items():
        tdef = defs.get(t)
        if tdef is None:
            continue
        named = [
            spec.since_column,
            spec.sum_column,
            spec.modified_column,
            *spec.price_columns,
            *spec.printer_columns,
            *spec.local_columns,
        ]
        missing = [c for c in named if c is not None and tdef.column(c) is None]
        if missing:
            out.append(
                fail(
                    f"table {t}",
                    Msg("chk.table.unknown_columns", table=t, columns=", ".join(missing)),
                    Msg("chk.table.unknown_columns.hint", table=t),
                )
            )
        if spec.kind == "shared" and spec.key:
            local = [k for k in tdef.primary_key if k not in spec.key]
            unfilled = [k for k in local if not _fills_itself(conn, database, t, k)]
            if unfilled:
                out.append(
                    fail(
                        f"table {t}",
                        Msg("chk.table.local_id", table=t, columns=", ".join(unfilled)),
                        Msg("chk.table.local_id.hint", table=t),
                    )
                )
    return out


def _fills_itself(conn: pymysql.connections.Connection, database: str, table: str, column: str) -> bool:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT COLUMN_DEFAULT, EXTRA, IS_NULLABLE FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA=%s AND TABLE_NAME=%s AND COLUMN_NAME=%s",
            (database, table, column),
        )
        row = cur.fetchone()
    if row is None:
        return False
    default, extra = row[0], str(row[1] or "").lower()
    return "auto_increment" in extra or (default is not None and str(default).upper() != "NULL")


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
        return ok("binlog retention", Msg("chk.retention.never"))
    days = keep / 86_400
    if left <= keep * 0.25 or left < 86_400:
        when = Msg("chk.retention.purged") if left <= 0 else Msg("chk.retention.purged_in", hours=left / 3600)
        return warn(
            "binlog retention",
            Msg("chk.retention.short", when=when, days=days),
            Msg("chk.retention.short.hint"),
        )
    return ok("binlog retention", Msg("chk.retention.ok", left=left / 86_400, days=days))
