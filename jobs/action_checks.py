"""What the store's account will need for each action head office can ask, checked before it is
asked: a pull that would be refused at its first write is named now, with the GRANT that lets
it, rather than failing as a job later. `doctor` fails on it; `run` warns and starts (capture
and shipping do not need it: sales must not wait for a pull's privilege).

Reading is checked by the catalog's checks (capture, snapshots, pushes, `verify` and `reconcile`
all read the captured tables); what only pulls need is checked here: writing each pulled table
(an upsert, and a DELETE where the pull mirrors head office's deletes), and the marker table
that tags their transactions, created by the first pull when it does not exist.
"""

from __future__ import annotations

import pymysql

from centrale.core.actions import PULL_GROUPS
from centrale.core.catalog import MARKER_TABLE, Catalog
from centrale.core.checks import Check, fail, ok
from centrale.core.db import quote_ident
from centrale.core.i18n import Msg
from centrale.core.privileges import Refusal, account, may_create, may_read, may_write
from centrale.core.schema import read_tables

MARKER_COLUMNS = ("id", "applied_at", "what")
PULL_WRITES = "SELECT, INSERT, UPDATE, DELETE"
MARKER_WRITES = "CREATE, INSERT, UPDATE"


def action_checks(conn: pymysql.connections.Connection, database: str, catalog: Catalog) -> list[Check]:
    """One failure per action a privilege or a table would stop, or one line saying all may run."""
    who = account(conn)
    defs = read_tables(conn, database, [t for g in PULL_GROUPS for t in catalog.pulled(g)] + [MARKER_TABLE])
    marker = _marker_refusal(conn, MARKER_TABLE in defs)
    failures: list[Check] = []
    written: list[str] = []
    for group in PULL_GROUPS:
        tables = catalog.pulled(group)
        if not tables:
            continue
        action = f"pull-{group}"
        without_key = [t for t in tables if t in defs and not (catalog.spec(t).key or defs[t].primary_key)]
        if without_key:
            failures.append(keyless(action, without_key[0]))
            continue
        refused = None
        for table in tables:
            spec = catalog.spec(table)
            if table not in defs:
                refused = may_read(conn, table) or Refusal("SELECT", table, "", missing_table=True)
            else:
                columns = [c.name for c in defs[table].columns if not c.generated]
                deletes = spec.kind == "reference" and spec.pull == "mirror"
                refused = may_read(conn, table) or may_write(conn, table, columns, deletes=deletes)
            if refused is not None:
                break
        refused = refused or marker
        if refused is None:
            written += tables
            continue
        failures.append(_failure(action, refused, who, database))
    if failures:
        return failures
    return [ok("actions", Msg("chk.actions.ok", account=who, tables=", ".join(written) or "-"))]


def keyless(action: str, table: str) -> Check:
    """A pulled table without a key: the pull cannot tell which store row is head office's."""
    return fail(
        f"action {action}", Msg("err.pull.no_key", table=table), Msg("err.pull.no_key.hint", table=table), remote=True
    )


def _marker_refusal(conn: pymysql.connections.Connection, exists: bool) -> Refusal | None:
    if exists:
        return may_write(conn, MARKER_TABLE, MARKER_COLUMNS, deletes=False)
    return may_create(conn, MARKER_TABLE)


def _failure(action: str, refused: Refusal, who: str, database: str) -> Check:
    name = f"action {action}"
    if refused.missing_table:
        return fail(
            name,
            Msg("chk.action.missing", table=refused.table, database=database),
            Msg("chk.action.missing.hint", table=refused.table),
            remote=True,
        )
    privileges = MARKER_WRITES if refused.table == MARKER_TABLE else PULL_WRITES
    target = f"{quote_ident(database)}.{quote_ident(refused.table)}"
    return fail(
        name,
        Msg("chk.action.denied", account=who, privilege=refused.privilege, table=refused.table),
        Msg("chk.action.denied.hint", privileges=privileges, target=target, account=who),
        remote=True,
    )
