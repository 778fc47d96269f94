"""`centrale doctor`: every start-up check of the seed, each failure with the fix."""

from __future__ import annotations

import time

import pymysql

from cdc.binlog import binlog_files
from cdc.capture_checks import capture_checks
from cdc.preflight import binlog_checks, catalog_checks, retention_check
from centrale.core.actions import PULL_GROUPS
from centrale.core.checks import Check, fail, ok, warn
from centrale.core.clock import FLAG_S, is_skewed, server_offset
from centrale.core.config import Config
from centrale.core.db import LOOPBACK, connect, connect_store, connection_hint, hq_params
from centrale.core.errors import CentraleError, OutboxError, PositionLostError
from centrale.core.hqidentity import read_account_store, read_hq_store
from centrale.core.i18n import Msg
from centrale.core.outbox import OutboxStore
from centrale.core.outbox.disk import probe
from centrale.core.privileges import may_read
from centrale.hq.checks import head_office_server_checks
from jobs.action_checks import action_checks


def run_checks(cfg: Config) -> list[Check]:
    checks: list[Check] = [warn("config", w, None) for w in cfg.warnings]
    n = len(cfg.catalog.tables)
    valid = (
        Msg("chk.config.ok_sample", path=cfg.source, n=n)
        if cfg.catalog.sample
        else Msg("chk.config.ok", path=cfg.source, n=n)
    )
    checks.append(ok("config", valid))
    try:
        conn = connect_store(cfg.local.params)
    except CentraleError as exc:
        return [*checks, fail("local database", exc.text, exc.hint_text, error=type(exc))]
    with conn:
        checks.append(ok("local database", Msg("chk.local.ok", where=cfg.local.params.describe())))
        if cfg.is_hq:
            checks.append(_hq_self_check(cfg, conn))
            checks.extend(head_office_server_checks(conn))
            return checks
        checks.extend(binlog_checks(conn, cfg.reader_server_id))
        checks.extend(catalog_checks(conn, cfg.local.params.database, cfg.catalog))
        checks.extend(capture_checks(conn, cfg.local.params.database, cfg.catalog))
        checks.extend(action_checks(conn, cfg.local.params.database, cfg.catalog))
        checks.extend(_outbox_check(cfg, conn))
    checks.extend(_head_office_checks(cfg))
    return checks


def _hq_self_check(cfg: Config, conn: pymysql.connections.Connection) -> Check:
    number = read_hq_store(conn)
    if number is None:
        return fail("head office", Msg("err.hq.not_initialised"), Msg("err.hq.run_init.hint"))
    if number != cfg.site.store:
        return fail(
            "head office",
            Msg("chk.hq_self.other_number", number=number, store=cfg.site.store),
            Msg("chk.hq_self.other_number.hint"),
        )
    return ok("head office", Msg("chk.hq_self.ok", number=number))


def _outbox_check(cfg: Config, conn: pymysql.connections.Connection) -> list[Check]:
    problem = probe(cfg.outbox.path)
    if problem is not None:
        return [fail("outbox", problem.text, problem.hint_text, error=OutboxError)]
    try:
        with OutboxStore(cfg.outbox.path) as outbox:
            cp = outbox.checkpoint()
            backlog = outbox.stats().backlog
            stopped = outbox.noted("capture_stopped")
    except OutboxError as exc:
        return [fail("outbox", exc.text, exc.hint_text, error=OutboxError)]
    if cp is not None and cp.position.file not in binlog_files(conn):
        return [
            fail(
                "checkpoint",
                Msg("chk.checkpoint.purged", position=cp.position),
                Msg("err.snapshot.reload.hint"),
                error=PositionLostError,
            )
        ]
    where = Msg("chk.outbox.checkpoint", position=cp.position) if cp else Msg("chk.outbox.no_checkpoint")
    checks = [
        ok("outbox", Msg("chk.outbox.ok", path=cfg.outbox.path, n=backlog, where=where)),
        retention_check(conn, cp, time.time()),
    ]
    if stopped:  # a warning: `run` must start to go on past the event once the fix is made
        checks.append(warn("capture", Msg("chk.capture.stopped", error=stopped), Msg("chk.capture.stopped.hint")))
    return checks


def _head_office_checks(cfg: Config) -> list[Check]:
    params = hq_params(cfg.hq)
    try:
        conn = connect(params)
    except pymysql.err.MySQLError as exc:
        hint = connection_hint(exc)
        return [
            fail(
                "head office", Msg("chk.hq.unreachable", where=params.describe(), error=exc.args[-1]), hint, remote=True
            )
        ]
    with conn:
        tls = _session_cipher(conn)
        number = read_hq_store(conn)
        owner = read_account_store(conn)
        hq_clock = server_offset(conn)
        tables = _hq_table_checks(cfg, conn, per_store=owner is not None) if number is not None else []
    if number is None:
        return [
            fail(
                "head office",
                Msg("err.hq.remote_not_initialised", where=params.describe()),
                Msg("err.hq.remote_not_initialised.hint"),
                remote=True,
            )
        ]
    if number != cfg.site.hq_store:
        return [
            fail(
                "head office",
                Msg("chk.hq.other_number", number=number, expected=cfg.site.hq_store),
                Msg("err.hq.wrong_hq.hint"),
                remote=True,
            )
        ]
    if owner is not None and owner != cfg.site.store:
        return [
            fail(
                "head office account",
                Msg("err.hq.account_of_other", user=params.user, owner=owner, store=cfg.site.store),
                Msg("err.hq.account_of_other.hint", store=cfg.site.store),
                remote=True,
            )
        ]
    link = (
        Msg("chk.hq.tls_verified" if params.ssl_ca else "chk.hq.tls_unverified", cipher=tls)
        if tls
        else Msg("chk.hq.plaintext")
    )
    checks = [ok("head office", Msg("chk.hq.ok", where=params.describe(), number=number, link=link), remote=True)]
    if owner is None:
        checks.append(
            warn(
                "head office account",
                Msg("chk.account.shared", user=params.user),
                Msg("chk.account.shared.hint", store=cfg.site.store),
                remote=True,
            )
        )
    else:
        checks.append(ok("head office account", Msg("chk.account.ok", user=params.user, owner=owner), remote=True))
    if not tls and not params.host.startswith(LOOPBACK):
        checks.append(warn("head office link", Msg("chk.link.plaintext"), Msg("chk.link.plaintext.hint"), remote=True))
    checks += tables
    checks += _clock_check(cfg, hq_clock)
    return checks


def _hq_table_checks(cfg: Config, conn: pymysql.connections.Connection, *, per_store: bool) -> list[Check]:
    """Head office's side of each action, read with this store's account: the tables only pulls
    read (head office's own), and with a per-store account the views shipping writes through
    (made by `hq init` and `hq add-store`); a shared account creates the tables stores send
    (customers' too) when it first ships."""
    captured = cfg.catalog.captured
    wanted = [t for g in PULL_GROUPS for t in cfg.catalog.pulled(g) if t not in captured]
    if per_store:
        wanted += captured
    problems = []
    for table in wanted:
        refused = may_read(conn, table)
        if refused is None:
            continue
        message, hint = (
            (Msg("chk.hq_table.missing", table=table, database=cfg.hq.database), Msg("chk.hq_table.missing.hint"))
            if refused.missing_table
            else (Msg("chk.hq_table.denied", table=table, database=cfg.hq.database), Msg("chk.hq_table.denied.hint"))
        )
        problems.append(fail(f"head office table {table}", message, hint, remote=True))
    return problems or [ok("head office tables", Msg("chk.hq_tables.ok", n=len(wanted)), remote=True)]


def _clock_check(cfg: Config, hq_clock: float) -> list[Check]:
    """The store server's clock against head office's (``centrale.core.clock``): shipping corrects
    shared rows' times for it, but a clock off by more than a minute also dates every sale wrong."""
    try:
        with connect_store(cfg.local.params) as local:
            offset = server_offset(local) - hq_clock
    except (CentraleError, pymysql.err.MySQLError):
        return []  # the store's database check says why
    if is_skewed(offset):
        return [warn("clock", Msg("chk.clock.skewed", offset=offset, limit=FLAG_S), Msg("chk.clock.skewed.hint"))]
    return [ok("clock", Msg("chk.clock.ok", offset=offset))]


def _session_cipher(conn: pymysql.connections.Connection) -> str | None:
    with conn.cursor() as cur:
        cur.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
        row = cur.fetchone()
    return str(row[1]) if row and row[1] else None
