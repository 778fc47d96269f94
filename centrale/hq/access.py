"""Per-store head-office accounts: least privilege, enforced by head office's own database.

Head office is reached over the internet, so a store's credentials must not open the chain's
data. ``centrale hq add-store N`` creates an account that sees head office only through a
second database, ``<hq database>_stores``, made of views (MariaDB has no row-level security;
views with ``WITH CHECK OPTION`` are how it is done):

- every aggregate table, and head office's progress and jobs rows, filtered on the store number
  mapped to the connected account in ``centrale_accounts``: the store reads and writes its own
  rows only, and MariaDB refuses (error 1369) a row of any other store number;
- reference tables, the delete log, head office's number: read-only views;
- customers, chain-wide by design: readable whole; a row written by a store must carry its own
  number in ``origin_store`` (a trigger on the base table refuses anything else).

The account has no privilege at all on head office's own database. The filter is an
uncorrelated subquery on ``USER()`` (the connected account, not the views' definer), which
MariaDB evaluates once per statement and turns into an index lookup.

Views list their columns when created: after changing a table at head office (a new column),
re-run ``centrale hq init``, which refreshes the views and every account's grants.
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass, field

import pymysql

from centrale.core.catalog import Catalog
from centrale.core.db import error_code, quote_ident
from centrale.core.errors import PreflightError
from centrale.core.i18n import Msg
from centrale.core.schema import read_tables

ACCOUNT_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")
HOST_PATTERN = re.compile(r"^[A-Za-z0-9_.%:/-]{1,255}$")
SCOPE_TRIGGER_PREFIX = "centrale_scope_"
USER_OPERATION_FAILED = 1396  # CREATE USER of an account that exists, ALTER USER of one that does not

# Bookkeeping tables a store account sees, with what it may do and how rows are filtered.
BOOKKEEPING: dict[str, tuple[str, str | None]] = {
    "centrale_hq": ("SELECT", None),
    "centrale_tombstones": ("SELECT", None),
    "centrale_logged_tables": ("SELECT", None),
    "centrale_progress": ("SELECT, INSERT, UPDATE", "store"),
    "centrale_jobs": ("SELECT, UPDATE", "store"),
    "centrale_leases": ("SELECT, INSERT, UPDATE, DELETE", "store"),
    "centrale_stores": ("SELECT", None),
}


def scoped_database(database: str) -> str:
    """The database of views that store accounts connect to."""
    name = f"{database}_stores"
    if len(name) > 64:
        raise PreflightError(
            Msg("err.hq.name_too_long", database=database, name=name), hint=Msg("err.hq.name_too_long.hint")
        )
    return name


def _own_store(database: str) -> str:
    """The connected account's store number (NULL for accounts that are not a store's)."""
    return (
        f"(SELECT `store` FROM {quote_ident(database)}.`centrale_accounts` "
        "WHERE `account` = SUBSTRING_INDEX(USER(), '@', 1))"
    )


@dataclass
class Scoping:
    """What ``install_scoping`` built: views per kind, and catalog tables head office lacks."""

    database: str
    views: dict[str, str] = field(default_factory=dict)  # view -> privileges
    missing: list[str] = field(default_factory=list)


def install_scoping(conn: pymysql.connections.Connection, database: str, catalog: Catalog, origin: str) -> Scoping:
    """(Re)create the store views, the customers' write check and grants of existing accounts.
    Idempotent; needs an administrator (CREATE VIEW, TRIGGER, GRANT OPTION)."""
    scoped = Scoping(scoped_database(database))
    own = _own_store(database)
    defs = read_tables(conn, database, [*catalog.tables, *BOOKKEEPING])
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE IF NOT EXISTS {quote_ident(scoped.database)} DEFAULT CHARACTER SET utf8mb4")
        for table, spec in catalog.tables.items():
            tdef = defs.get(table)
            if tdef is None:
                scoped.missing.append(table)
                continue
            cols = ", ".join(quote_ident(c) for c in tdef.column_names)
            where, privileges = "", "SELECT"
            if spec.kind == "aggregate":
                where = f" WHERE {quote_ident(origin)} = {own} WITH CASCADED CHECK OPTION"
            if spec.kind in ("aggregate", "shared"):
                privileges = "SELECT, INSERT, UPDATE" + (", DELETE" if spec.on_delete == "delete" else "")
            _create_view(cur, database, scoped.database, table, cols, where)
            scoped.views[table] = privileges
            if spec.kind == "shared":
                _install_shared_check(cur, table, tdef.column_names, origin, own, spec.on_delete == "delete")
        for table, (privileges, column) in BOOKKEEPING.items():
            tdef = defs.get(table)
            if tdef is None:
                raise PreflightError(Msg("err.hq.lacks", table=table), hint=Msg("err.hq.run_init_first.hint"))
            cols = ", ".join(quote_ident(c) for c in tdef.column_names)
            where = f" WHERE {quote_ident(column)} = {own} WITH CASCADED CHECK OPTION" if column else ""
            _create_view(cur, database, scoped.database, table, cols, where)
            scoped.views[table] = privileges
        cur.execute(
            f"CREATE OR REPLACE SQL SECURITY DEFINER VIEW {quote_ident(scoped.database)}.`centrale_whoami` "
            f"AS SELECT {own} AS `store`"
        )
        scoped.views["centrale_whoami"] = "SELECT"
        cur.execute(f"SELECT `account`, `host` FROM {quote_ident(database)}.`centrale_accounts`")
        for account, host in cur.fetchall():
            _grant(cur, scoped, account, host)
    return scoped


def _create_view(cur: pymysql.cursors.Cursor, database: str, scoped: str, table: str, cols: str, where: str) -> None:
    cur.execute(
        f"CREATE OR REPLACE SQL SECURITY DEFINER VIEW {quote_ident(scoped)}.{quote_ident(table)} AS "
        f"SELECT {cols} FROM {quote_ident(database)}.{quote_ident(table)}{where}"
    )


def _install_shared_check(
    cur: pymysql.cursors.Cursor, table: str, columns: tuple[str, ...], origin: str, own: str, deletes: bool
) -> None:
    """A store account may write a chain-wide row only as itself: origin_store = its number.
    An upsert that head office's newer-wins rule turns into a no-op (every column unchanged)
    stays allowed, so a store's older copy of a customer never fails its batch."""
    o = quote_ident(origin)
    refuse = (
        "SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 1644, MESSAGE_TEXT = "
        f"'Centrale: a store account writes {table[:40]} rows as its own store only'"
    )
    unchanged = " AND ".join(f"NEW.{quote_ident(c)} <=> OLD.{quote_ident(c)}" for c in columns)
    bodies = {
        "bi": ("BEFORE INSERT", f"IF {own} IS NOT NULL AND NOT (NEW.{o} <=> {own}) THEN {refuse}; END IF"),
        "bu": (
            "BEFORE UPDATE",
            f"IF {own} IS NOT NULL AND NOT (NEW.{o} <=> {own}) AND NOT ({unchanged}) THEN {refuse}; END IF",
        ),
    }
    if deletes:
        bodies["bd"] = ("BEFORE DELETE", f"IF {own} IS NOT NULL AND NOT (OLD.{o} <=> {own}) THEN {refuse}; END IF")
    for suffix, (timing, body) in bodies.items():
        name = quote_ident(f"{SCOPE_TRIGGER_PREFIX}{suffix}_{table}"[:64])
        cur.execute(f"DROP TRIGGER IF EXISTS {name}")
        cur.execute(f"CREATE TRIGGER {name} {timing} ON {quote_ident(table)} FOR EACH ROW {body}")


def _grant(cur: pymysql.cursors.Cursor, scoped: Scoping, account: str, host: str) -> None:
    who = f"{cur.connection.escape(account)}@{cur.connection.escape(host)}"
    for view, privileges in scoped.views.items():
        cur.execute(f"GRANT {privileges} ON {quote_ident(scoped.database)}.{quote_ident(view)} TO {who}")


PASSWORD_ALPHABET = string.ascii_letters + string.digits


def new_password(length: int = 32) -> str:
    """About 190 random bits in letters and digits: nothing a shell, a TOML file or a command
    line treats specially (a leading '-' would read as an option to `config set`)."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


@dataclass(frozen=True)
class StoreAccount:
    store: int
    account: str
    host: str
    password: str
    database: str
    created: bool  # False: an existing account got a new password (--rotate)


def add_store(
    conn: pymysql.connections.Connection,
    database: str,
    catalog: Catalog,
    origin: str,
    store: int,
    *,
    account: str | None = None,
    host: str = "%",
    rotate: bool = False,
    require_tls: bool = False,
    hq_store: int | None = None,
    name: str = "",
) -> StoreAccount:
    """Create (or, with ``rotate``, re-key) store ``store``'s head-office account, and register
    the store (``register_store``). The password is returned once and stored nowhere but in the
    server's hash."""
    account = account or f"centrale_store_{store}"
    check_store_number(store, hq_store)
    if not ACCOUNT_NAME.match(account):
        raise PreflightError(Msg("err.hq.bad_account", account=account), hint=Msg("err.hq.bad_account.hint"))
    if not HOST_PATTERN.match(host):
        raise PreflightError(Msg("err.hq.bad_host", host=host), hint=Msg("err.hq.bad_host.hint"))
    with conn.cursor() as cur:
        cur.execute(f"SELECT `store` FROM {quote_ident(database)}.`centrale_accounts` WHERE `account`=%s", (account,))
        row = cur.fetchone()
        if row is not None and int(row[0]) != store:
            raise PreflightError(
                Msg("err.hq.account_taken", account=account, owner=row[0]),
                hint=Msg("err.hq.account_taken.hint", store=store),
            )
    present = read_tables(conn, database, catalog.captured)
    missing = [t for t in catalog.captured if t not in present]
    if missing:
        raise PreflightError(
            Msg("err.hq.no_tables", tables=", ".join(missing)), hint=Msg("err.hq.tables_from_url.hint")
        )
    scoped = install_scoping(conn, database, catalog, origin)
    password = new_password()
    who = f"{conn.escape(account)}@{conn.escape(host)}"
    with conn.cursor() as cur:
        created = _set_password(cur, who, password, rotate=rotate)
        if created is None:
            raise PreflightError(
                Msg("err.hq.account_exists", account=account, host=host),
                hint=Msg("err.hq.account_exists.hint", store=store),
            )
        cur.execute(f"ALTER USER {who} REQUIRE {'SSL' if require_tls else 'NONE'}")
        cur.execute(
            f"INSERT INTO {quote_ident(database)}.`centrale_accounts` (`account`, `store`, `host`, `created_at`) "
            "VALUES (%s, %s, %s, UTC_TIMESTAMP(6)) ON DUPLICATE KEY UPDATE `host`=VALUES(`host`)",
            (account, store, host),
        )
        _grant(cur, scoped, account, host)
    register_store(conn, database, store, name)
    conn.commit()
    return StoreAccount(store, account, host, password, scoped.database, created=created)


def _set_password(cur: pymysql.cursors.Cursor, who: str, password: str, *, rotate: bool) -> bool | None:
    """Create the account (True), or with ``rotate`` give it a new password (False; created if
    it did not exist); None when it exists and ``rotate`` is off. The server says whether it
    exists (1396): reading mysql.user would need a privilege the README's administrator lacks."""
    verbs = ("ALTER", "CREATE") if rotate else ("CREATE",)
    for verb in verbs:
        try:
            cur.execute(f"{verb} USER {who} IDENTIFIED BY {cur.connection.escape(password)}")
        except pymysql.err.OperationalError as exc:
            if error_code(exc) != USER_OPERATION_FAILED:
                raise
            continue
        return verb == "CREATE"
    return None


def register_store(conn: pymysql.connections.Connection, database: str, store: int, name: str = "") -> None:
    """Record ``store`` as one of the chain's (``centrale_stores``); a name given replaces the
    one recorded. Idempotent; committed by the caller."""
    with conn.cursor() as cur:
        cur.execute(
            f"INSERT INTO {quote_ident(database)}.`centrale_stores` (`store`, `name`, `registered_at`) "
            "VALUES (%s, %s, UTC_TIMESTAMP(6)) ON DUPLICATE KEY UPDATE "
            "`name` = IF(VALUES(`name`) = '', `name`, VALUES(`name`))",
            (store, name[:100]),
        )


def check_store_number(store: int, hq_store: int | None) -> None:
    """A store number head office can register: positive, and not head office's own."""
    if store <= 0:
        raise PreflightError(Msg("err.hq.bad_store", store=store), hint=Msg("err.hq.bad_store.hint"))
    if hq_store is not None and store == hq_store:
        raise PreflightError(Msg("err.hq.own_number", store=store), hint=Msg("err.hq.own_number.hint"))
