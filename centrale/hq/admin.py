"""Head-office administration: what ``centrale hq init`` and ``centrale hq add-store`` do,
as library functions (the CLI only prints their results)."""

from __future__ import annotations

from collections.abc import Callable

import pymysql

from centrale.core.config import Config
from centrale.core.db import connect, connect_store, explain, parse_url
from centrale.core.errors import ConfigError, PreflightError, UsageError
from centrale.core.hqtables import add_missing_columns, create_missing_tables
from centrale.core.i18n import Msg
from centrale.core.schema import TableDef, read_tables
from centrale.hq.access import StoreAccount, add_store, check_store_number, install_scoping, register_store
from centrale.hq.adopt import adopt_tables, layout_error, survey_tables
from centrale.hq.reference import copy_reference_tables
from centrale.hq.schema import init_hq
from centrale.hq.tombstones import install_triggers


def _head_office_only(cfg: Config, command: str) -> None:
    if not cfg.is_hq:
        raise ConfigError(
            Msg("err.hq.store_config", path=cfg.source), hint=Msg("err.hq.store_config.hint", command=command)
        )


def init_head_office(
    cfg: Config, *, force: bool = False, tables_from: str | None = None, adopt: bool = False, reference: bool = False
) -> list[Msg]:
    """Bookkeeping tables and head office's number; head office's own tables named like captured
    ones converted to head office's layout (``adopt``) or refused, naming them; with
    ``tables_from`` (any store's database URL) the captured tables and columns head office lacks;
    the delete-log triggers; and, once per-store accounts exist, their views and grants
    refreshed. With ``reference`` too, the reference tables head office lacks, created from that
    store's and filled with its rows (centrale.hq.reference). Idempotent. Returns what it did."""
    _head_office_only(cfg, "hq init")
    if reference and not tables_from:
        raise UsageError(Msg("err.hq.reference_needs_source"), hint=Msg("err.hq.reference_needs_source.hint"))
    params = cfg.local.params
    with connect_store(cfg.local.params) as conn:  # first: its errors name the fix (a database to create)
        done = [init_hq(params, cfg.site.store, cfg.site.name, force=force)]
        if tables_from:
            done += _tables_from(cfg, conn, params.database, tables_from, adopt, reference)
        else:
            done += _existing_tables(cfg, conn, params.database, None, adopt)
        logged = install_triggers(conn, params.database, cfg.catalog)
        done.append(
            Msg("out.hq_init.triggers", tables=", ".join(logged))
            if logged
            else Msg("out.hq_init.triggers", tables=Msg("out.hq_init.no_reference"))
        )
        with conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM centrale_accounts")
            found = cur.fetchone()
            accounts = int(found[0]) if found else 0
        if accounts:
            scoped = install_scoping(conn, params.database, cfg.catalog, cfg.hq.origin_column)
            done.append(Msg("out.hq_init.views", database=scoped.database, n=accounts))
    return done


StoreDefs = Callable[[list[str]], dict[str, TableDef]]


def _existing_tables(
    cfg: Config, hq: pymysql.connections.Connection, database: str, store_defs: StoreDefs | None, adopt: bool
) -> list[Msg]:
    """Head office's catalog tables that exist already: adopted (``adopt``) when they are not in
    head office's layout, else refused before anything is created; the rest left as they are."""
    origin = cfg.hq.origin_column
    survey = survey_tables(hq, database, cfg.catalog, origin, cfg.site.store, store_defs)
    if survey.conversions and not adopt:
        raise layout_error(survey, origin, cfg.site.store)
    adopted = adopt_tables(hq, survey)
    out = []
    if adopted:
        out.append(Msg("out.hq_init.adopted", column=origin, store=cfg.site.store, tables=", ".join(adopted)))
    if survey.reference:
        out.append(Msg("out.hq_init.kept_reference", tables=", ".join(survey.reference)))
    if survey.in_layout:
        out.append(Msg("out.hq_init.kept", tables=", ".join(survey.in_layout)))
    return out


def _tables_from(
    cfg: Config, hq: pymysql.connections.Connection, database: str, url: str, adopt: bool, reference: bool
) -> list[Msg]:
    source = parse_url(url, what="--tables-from")
    copied: list[tuple[str, int]] = []
    try:
        with connect(source) as store:
            wanted = {t: cfg.catalog.spec(t) for t in cfg.catalog.captured}
            defs = lambda names: read_tables(store, source.database, names)  # noqa: E731
            existing = _existing_tables(cfg, hq, database, defs, adopt)
            created = create_missing_tables(hq, database, wanted, defs, cfg.hq.origin_column)
            added = add_missing_columns(hq, database, wanted, defs)
            if reference:
                received = [t for t, s in cfg.catalog.tables.items() if s.kind == "reference"]
                copied = copy_reference_tables(hq, database, store, source.database, received)
    except pymysql.err.MySQLError as exc:
        raise PreflightError(
            Msg("err.hq.tables_from", where=source.describe(), error=exc.args[-1]),
            hint=Msg("err.hq.tables_from.hint"),
        ) from None
    none = Msg("out.none")
    return [
        Msg(
            "out.hq_init.tables_from",
            where=source.describe(),
            tables=", ".join(created) or none,
            columns=", ".join(added) or none,
        ),
        *existing,
        *(
            [Msg("out.hq_init.reference_copied", tables=", ".join(f"{t} ({n})" for t, n in copied) or none)]
            if reference
            else []
        ),
    ]


def add_store_account(
    cfg: Config,
    store: int,
    *,
    account: str | None = None,
    host: str = "%",
    rotate: bool = False,
    require_tls: bool = False,
    name: str = "",
) -> StoreAccount:
    """Register store ``store`` and create its least-privilege account at head office (see
    centrale.hq.access)."""
    _head_office_only(cfg, "hq add-store")
    params = cfg.local.params
    with connect_store(cfg.local.params) as conn:
        # Views and triggers name origin_store: a table head office's POS holds in the store's
        # layout must be adopted first, and saying so beats MariaDB's "Unknown column".
        survey = survey_tables(conn, params.database, cfg.catalog, cfg.hq.origin_column, cfg.site.store)
        if survey.conversions:
            raise layout_error(survey, cfg.hq.origin_column, cfg.site.store)
        try:
            return add_store(
                conn,
                params.database,
                cfg.catalog,
                cfg.hq.origin_column,
                store,
                account=account,
                host=host,
                rotate=rotate,
                require_tls=require_tls,
                hq_store=cfg.site.store,
                name=name,
            )
        except pymysql.err.MySQLError as exc:
            raise PreflightError(
                Msg("err.hq.add_store", store=store, error=exc.args[-1]), hint=Msg("err.hq.add_store.hint")
            ) from None


def register_only(cfg: Config, store: int, name: str = "") -> None:
    """Register store ``store`` without an account of its own (a chain whose stores share one
    head-office account)."""
    _head_office_only(cfg, "hq add-store")
    check_store_number(store, cfg.site.store)
    with connect_store(cfg.local.params) as conn:
        try:
            register_store(conn, cfg.local.params.database, store, name)
            conn.commit()
        except pymysql.err.MySQLError as exc:
            explained = explain(exc)
            raise explained or PreflightError(
                Msg("err.hq.add_store", store=store, error=exc.args[-1]), hint=Msg("err.hq.add_store.hint")
            ) from None
