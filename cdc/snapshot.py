"""Consistent initial load of existing rows into the outbox, aligned with the binlog.

For each table: take the outbox write lock (the stream cannot commit meanwhile), open a
``START TRANSACTION WITH CONSISTENT SNAPSHOT`` on the store, read where it stands in the binlog
(MariaDB says it lock-free, ``binlog_snapshot_file/position``; MySQL's binlog end is read while a
global read lock holds commits for that moment: ``_open_snapshot``), copy the rows, and leave a *fence* at that
position. The stream then drops that table's changes from transactions that ended at or before
the fence (the snapshot holds them) and keeps everything after. Nothing missed, nothing doubled,
whether ``run`` is streaming or not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pymysql
import pymysql.cursors

from cdc.binlog import binlog_files, end_position
from cdc.preflight import require_capture_binlog
from centrale.core.actions import PUSH_GROUPS
from centrale.core.changes import BinlogPosition
from centrale.core.clock import parse_day
from centrale.core.config import Config
from centrale.core.db import connect, connect_store, error_code, quote_ident
from centrale.core.errors import PositionLostError, SourceError, UsageError
from centrale.core.i18n import Msg
from centrale.core.keyed import select_by_keys
from centrale.core.log import get_logger
from centrale.core.outbox import OutboxStore
from centrale.core.outbox.notes import BINLOG_REPLACED
from centrale.core.progress import Report, Step, quiet
from centrale.core.schema import read_tables, row_estimates
from centrale.core.server import server_of

log = get_logger("snapshot")

CHUNK_ROWS = 5000
SNAPSHOT_LOCK_WAIT_S = 30  # MySQL: how long the read lock may wait for a running statement


@dataclass(frozen=True)
class SnapshotResult:
    table: str
    rows: int
    position: BinlogPosition


def _open_snapshot(cur: pymysql.cursors.Cursor) -> BinlogPosition:
    """Open the consistent-snapshot transaction and say where in the binlog it stands: every
    transaction that ends at or before that position is in the snapshot, none after it."""
    server = server_of(cur.connection)
    if server.snapshot_reports_position:
        cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
        cur.execute("SHOW STATUS LIKE 'binlog_snapshot_%'")
        status = {str(k).lower(): v for k, v in cur.fetchall()}
        try:
            position = BinlogPosition(str(status["binlog_snapshot_file"]), int(status["binlog_snapshot_position"]))
            if not position.file:  # a server writing no binlog reports an empty file at 0
                raise ValueError(position)
            return position
        except (KeyError, ValueError):
            raise SourceError(Msg("err.snapshot.no_position"), hint=Msg("err.snapshot.no_position.hint")) from None
    # MySQL: commits are held (a global read lock) for the moment the read view opens and the
    # binlog's end is read, as mysqldump --single-transaction --source-data and Debezium do. The
    # lock is released before a single row is read: the store's sales wait milliseconds.
    cur.execute("SET SESSION lock_wait_timeout = %s", (SNAPSHOT_LOCK_WAIT_S,))
    try:
        cur.execute("FLUSH TABLES WITH READ LOCK")
    except pymysql.err.OperationalError as exc:
        code = error_code(exc)
        if code in (1227, 1044, 1045):
            raise SourceError(
                Msg("err.snapshot.no_read_lock", error=exc.args[-1]), hint=Msg("err.snapshot.no_read_lock.hint")
            ) from None
        if code == 1205:
            raise SourceError(
                Msg("err.snapshot.read_lock_wait", seconds=SNAPSHOT_LOCK_WAIT_S),
                hint=Msg("err.snapshot.read_lock_wait.hint"),
            ) from None
        raise
    try:
        cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
        return end_position(cur.connection)
    finally:
        cur.execute("UNLOCK TABLES")


def _select_expr(name: str, data_type: str) -> str:
    """FLOAT prints with 6 significant digits as text: read it as DOUBLE to keep every bit."""
    col = quote_ident(name)
    return f"CAST({col} AS DOUBLE)" if data_type == "float" else col


def take_snapshot(
    cfg: Config,
    outbox: OutboxStore,
    names: list[str] | None = None,
    *,
    resend: bool = False,
    since: dt.date | None = None,
    until: dt.date | None = None,
    progress: Report = quiet,
) -> list[SnapshotResult]:
    """Snapshot the named tables or groups (all captured tables when empty).

    ``resend`` (the `push GROUP` actions) queues current rows again without fences and leaves
    the checkpoint alone: the stream then replays what it had not captured yet on top, so head
    office ends at the store's state whatever the timing. ``since`` keeps, in tables with a
    ``since_column``, only rows from that date on (and before ``until``, when given).
    """
    catalog = cfg.catalog
    try:
        tables = catalog.select(names) if names else catalog.captured
    except KeyError as exc:
        raise SourceError(
            Msg("err.snapshot.unknown", name=exc.args[0]),
            hint=Msg("err.snapshot.unknown.hint", among=", ".join(catalog.captured)),
        ) from None
    full = set(tables) == set(catalog.captured)
    params = cfg.local.params
    conn = connect_store(params, autocommit=False, cursorclass=pymysql.cursors.SSCursor)
    results: list[SnapshotResult] = []
    with conn:
        require_capture_binlog(conn)
        defs = read_tables(conn, params.database, tables)
        missing = [t for t in tables if t not in defs]
        if missing:
            raise SourceError(
                Msg("err.snapshot.missing", tables=", ".join(missing), database=params.database),
                hint=Msg("err.snapshot.missing.hint"),
            )
        cp = outbox.checkpoint()
        # The checkpoint's file purged, or its binlog found holding other transactions there (the
        # store's database put back from a backup: cdc.service): capture starts at this snapshot.
        replaced = outbox.noted(BINLOG_REPLACED) is not None
        lost = cp is not None and (replaced or cp.position.file not in binlog_files(conn))
        if lost and not full and not resend:
            raise PositionLostError(Msg("err.snapshot.partial"), hint=Msg("err.snapshot.partial.hint"))
        first = True
        estimates = row_estimates(conn, params.database, tables)
        for table in tables:
            columns = [c for c in defs[table].columns if not c.generated]
            cols = tuple(c.name for c in columns)
            spec = cfg.catalog.spec(table)
            with outbox.snapshot_writer() as writer:
                if not resend and not since and spec.on_delete == "delete" and spec.kind == "aggregate":
                    # Head office mirrors this table's deletes: what the store no longer has goes
                    # there too (rows deleted while capture could not see them: a lost position,
                    # a rename), before the snapshot's rows.
                    writer.empty_first(table)
                cur = conn.cursor()
                cur.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cur.execute("SET time_zone = '+00:00'")  # TIMESTAMPs as UTC, like the binlog
                pos = _open_snapshot(cur)
                col_sql = ", ".join(_select_expr(c.name, c.data_type) for c in columns)
                since_col = cfg.catalog.spec(table).since_column if since else None
                if since_col and until:
                    cur.execute(
                        f"SELECT {col_sql} FROM {quote_ident(table)} WHERE {quote_ident(since_col)} >= %s "
                        f"AND {quote_ident(since_col)} < %s",
                        (since, until),
                    )
                elif since_col:
                    cur.execute(
                        f"SELECT {col_sql} FROM {quote_ident(table)} WHERE {quote_ident(since_col)} >= %s", (since,)
                    )
                else:
                    cur.execute(f"SELECT {col_sql} FROM {quote_ident(table)}")
                n = 0
                task, estimate = f"{'push' if resend else 'snapshot'} {table}", estimates[table]
                while True:
                    chunk = cur.fetchmany(CHUNK_ROWS)
                    if not chunk:
                        break
                    writer.add_rows(table, cols, chunk)
                    n += len(chunk)
                    progress(Step(task, n, max(estimate, n) if estimate else None))
                progress(Step(task, n, n, finished=True))
                cur.close()
                conn.rollback()
                if not resend:
                    writer.fence(table, pos)
                    current = writer.checkpoint()
                    if current is None or (lost and first):
                        # Nothing streamed yet (or the old position is gone): stream from here on.
                        writer.set_checkpoint(pos)
                        if replaced:
                            writer.note(BINLOG_REPLACED, None)  # the next shipping tick compares first
                first = False
            log.info("snapshot of %s: %d rows at binlog position %s", table, n, pos)
            results.append(SnapshotResult(table, n, pos))
    return results


def push_group(
    cfg: Config, group: str, since: str | None = None, *, day: bool = False, progress: Report = quiet
) -> list[SnapshotResult]:
    """`push GROUP [--since DATE | --day DATE]`: queue the group's current rows again (upserts:
    idempotent); ``day`` keeps only that date's rows in tables with a ``since_column``."""
    if group not in PUSH_GROUPS:
        raise UsageError(Msg("err.push.unknown", group=group), hint=Msg("err.choose", among=", ".join(PUSH_GROUPS)))
    when = parse_day(since) if since else None
    until = when + dt.timedelta(days=1) if (day and when) else None
    # The group's tables by name: "sales" is also a table's name, and `select` takes a table first
    # (`push sales` sent the headers without their lines and payments).
    tables = [t for t in cfg.catalog.captured if cfg.catalog.spec(t).group == group]
    if not tables:
        raise SourceError(Msg("err.push.unknown", group=group), hint=Msg("err.choose", among=", ".join(PUSH_GROUPS)))
    with OutboxStore(cfg.outbox.path) as outbox:
        return take_snapshot(cfg, outbox, tables, resend=True, since=when, until=until, progress=progress)


def resend_rows(
    cfg: Config, table: str, key: tuple[str, ...], keys: list[tuple[object, ...]], *, delete_absent: bool = False
) -> Resent:
    """Queue the store's current rows of ``keys`` again (upserts, as `push` does); with
    ``delete_absent``, a delete for each key the store no longer has (a table whose deletes head
    office mirrors). What `verify --resend` sends, and the check after a restore
    (``centrale.app.restorecheck``).

    The rows are read while the outbox write lock is held, as a resend snapshot reads them:
    capture cannot queue a change of one of them between the read and the queueing (it would
    ship before the older state read here, and head office would end with the older one)."""
    if not keys:
        return Resent(0, 0)
    params = cfg.local.params
    with connect(params) as conn, OutboxStore(cfg.outbox.path) as outbox:
        tdef = read_tables(conn, params.database, [table])[table]
        columns = [c for c in tdef.columns if not c.generated]
        names = tuple(c.name for c in columns)
        col_sql = ", ".join(_select_expr(c.name, c.data_type) for c in columns)
        plain = ", ".join(quote_ident(k) for k in key)
        with outbox.snapshot_writer() as writer, conn.cursor() as cur:
            cur.execute("SET time_zone = '+00:00'")
            read = select_by_keys(cur, table, f"{plain}, {col_sql}", key, keys)
            gone: list[tuple[object, ...]] = []
            if delete_absent:  # deletes first: a key told apart wrongly is put back by its upsert
                found = {r[: len(key)] for r in read}
                gone = [tuple(k) for k in keys if tuple(k) not in found]
                writer.add_deletes(table, key, gone)
            writer.add_rows(table, names, [r[len(key) :] for r in read])
    return Resent(len(read), len(gone))


@dataclass(frozen=True)
class Resent:
    """What ``resend_rows`` queued: the store's rows, and deletes of keys it no longer has."""

    rows: int
    deletes: int
