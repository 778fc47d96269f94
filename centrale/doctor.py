"""`centrale doctor`: every start-up check of the seed, each failure with the fix."""

from __future__ import annotations

import time

import pymysql

from cdc.binlog import binlog_files
from cdc.preflight import binlog_checks, catalog_checks, retention_check
from centrale.checks import Check, fail, ok, warn
from centrale.config import Config
from centrale.db import LOOPBACK, connect, connection_hint, hq_params
from centrale.errors import CentraleError, OutboxError, PositionLostError
from centrale.hqaccess import read_account_store
from centrale.hqschema import read_hq_store
from centrale.outbox import OutboxStore
from centrale.outbox.disk import probe
from centrale.site import connect_local, local_params


def run_checks(cfg: Config) -> list[Check]:
    checks: list[Check] = [warn("config", w, None) for w in cfg.warnings]
    checks.append(ok("config", f"{cfg.source} valid ({len(cfg.catalog.tables)} catalog tables)"))
    try:
        conn = connect_local(cfg)
    except CentraleError as exc:
        return [*checks, fail("local database", exc.message, exc.hint)]
    with conn:
        checks.append(ok("local database", f"reachable ({local_params(cfg).describe()})"))
        if cfg.is_hq:
            checks.append(_hq_self_check(cfg, conn))
            return checks
        checks.extend(binlog_checks(conn, cfg.reader_server_id))
        checks.extend(catalog_checks(conn, local_params(cfg).database, cfg.catalog))
        checks.extend(_outbox_check(cfg, conn))
    checks.extend(_head_office_checks(cfg))
    return checks


def _hq_self_check(cfg: Config, conn: pymysql.connections.Connection) -> Check:
    number = read_hq_store(conn)
    if number is None:
        return fail("head office", "this database is not initialised as head office", "run `centrale hq init`")
    if number != cfg.site.store:
        return fail(
            "head office",
            f"this head office records store number {number}, the config says {cfg.site.store}",
            "fix site.store / site.hq_store, or run `centrale hq init --force`",
        )
    return ok("head office", f"initialised, store number {number}")


def _outbox_check(cfg: Config, conn: pymysql.connections.Connection) -> list[Check]:
    problem = probe(cfg.outbox.path)
    if problem is not None:
        return [fail("outbox", problem.message, problem.hint)]
    try:
        with OutboxStore(cfg.outbox.path) as outbox:
            cp = outbox.checkpoint()
            backlog = outbox.stats().backlog
    except OutboxError as exc:
        return [fail("outbox", exc.message, exc.hint)]
    if cp is not None and cp.position.file not in binlog_files(conn):
        return [
            fail(
                "checkpoint",
                f"the checkpoint {cp.position} is in a purged binlog file",
                "run `centrale snapshot` to reload every captured table and resume from now",
                error=PositionLostError,
            )
        ]
    where = f"checkpoint {cp.position}" if cp else "no checkpoint yet (first run starts at the binlog end)"
    return [ok("outbox", f"{cfg.outbox.path}: {backlog} rows waiting, {where}"), retention_check(conn, cp, time.time())]


def _head_office_checks(cfg: Config) -> list[Check]:
    params = hq_params(cfg.hq)
    try:
        conn = connect(params)
    except pymysql.err.MySQLError as exc:
        hint = connection_hint(exc)
        return [fail("head office", f"cannot reach {params.describe()}: {exc.args[-1]}", hint, remote=True)]
    with conn:
        tls = _session_cipher(conn)
        number = read_hq_store(conn)
        owner = read_account_store(conn)
    if number is None:
        return [
            fail(
                "head office",
                f"{params.describe()} is not initialised as a head office",
                "run `centrale --config hq.toml hq init` at head office",
                remote=True,
            )
        ]
    if number != cfg.site.hq_store:
        return [
            fail(
                "head office",
                f"head office has store number {number}, this store expects {cfg.site.hq_store}",
                "point [hq] at your chain's head office, or fix site.hq_store",
                remote=True,
            )
        ]
    if owner is not None and owner != cfg.site.store:
        return [
            fail(
                "head office account",
                f"head-office account {params.user!r} belongs to store {owner}, but this is store {cfg.site.store}",
                f"fix site.store, or use store {cfg.site.store}'s account (`centrale hq add-store {cfg.site.store}`)",
                remote=True,
            )
        ]
    link = (
        f"TLS {tls}" + (", certificate verified" if params.ssl_ca else ", certificate NOT verified")
        if tls
        else "plaintext"
    )
    checks = [ok("head office", f"{params.describe()} reachable, store number {number}, {link}", remote=True)]
    if owner is None:
        checks.append(
            warn(
                "head office account",
                f"{params.user!r} is not a per-store account: it can read and change every store's data",
                f"at head office run `centrale hq add-store {cfg.site.store}` and use that account (README, Security)",
                remote=True,
            )
        )
    else:
        checks.append(ok("head office account", f"{params.user!r}: store {owner}'s own rows only", remote=True))
    if not tls and not params.host.startswith(LOOPBACK):
        checks.append(
            warn(
                "head office link",
                "the connection to head office is not encrypted",
                "set hq.ssl_ca to head office's CA certificate (see README, Security)",
                remote=True,
            )
        )
    return checks


def _session_cipher(conn: pymysql.connections.Connection) -> str | None:
    with conn.cursor() as cur:
        cur.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
        row = cur.fetchone()
    return str(row[1]) if row and row[1] else None
