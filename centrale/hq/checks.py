"""What head office's own server must allow before `hq init` and `hq add-store` run, checked by
head office's `doctor` and by `centrale init hq`: triggers (the delete log, the customers'
checks) that a binlogging server refuses to an account without SUPER unless
``log_bin_trust_function_creators`` is on (error 1419 halfway through `hq init`), and the
account's right to create the stores' accounts and grant them their views."""

from __future__ import annotations

import re

import pymysql

from centrale.core.checks import Check, fail, ok, warn
from centrale.core.i18n import Msg

_ALL_GLOBAL = re.compile(r"^GRANT ALL PRIVILEGES ON \*\.\* TO ", re.I)


def _grants(conn: pymysql.connections.Connection) -> list[str]:
    with conn.cursor() as cur:
        cur.execute("SHOW GRANTS")
        return [str(r[0]) for r in cur.fetchall()]


def _global_privileges(grants: list[str]) -> set[str]:
    """The privileges granted ``ON *.*`` to the account itself (roles are not followed: a
    warning then says what to check, never a failure)."""
    found: set[str] = set()
    for g in grants:
        if _ALL_GLOBAL.match(g):
            found.add("ALL")
        m = re.match(r"^GRANT (.+?) ON \*\.\* TO ", g, re.I)
        if m:
            found.update(p.strip().upper() for p in m.group(1).split(","))
        if re.search(r"\bWITH GRANT OPTION\b", g, re.I) and " ON *.* " in g:
            found.add("GRANT OPTION")
    return found


def trigger_check(conn: pymysql.connections.Connection) -> Check:
    with conn.cursor() as cur:
        cur.execute("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('log_bin', 'log_bin_trust_function_creators')")
        v = {str(k).lower(): str(x).upper() for k, x in cur.fetchall()}
    log_bin = v.get("log_bin") in ("ON", "1")
    trusted = v.get("log_bin_trust_function_creators") in ("ON", "1")
    privileges = _global_privileges(_grants(conn))
    if not log_bin or trusted or privileges & {"ALL", "SUPER"}:
        return ok("triggers", Msg("chk.hq.triggers.ok"))
    return fail("triggers", Msg("chk.hq.triggers"), Msg("err.db.triggers_need_super.hint"))


def accounts_check(conn: pymysql.connections.Connection) -> Check:
    """`hq add-store` creates an account per store and grants it its views: CREATE USER and
    GRANT OPTION (on head office's databases, as the README grants it)."""
    grants = _grants(conn)
    privileges = _global_privileges(grants)
    creates = bool(privileges & {"ALL", "CREATE USER"})
    grants_on = any(re.search(r"\bWITH GRANT OPTION\b", g, re.I) for g in grants)
    if creates and grants_on:
        return ok("store accounts", Msg("chk.hq.accounts.ok"))
    return warn("store accounts", Msg("chk.hq.accounts"), Msg("chk.hq.accounts.hint"))


def head_office_server_checks(conn: pymysql.connections.Connection) -> list[Check]:
    return [trigger_check(conn), accounts_check(conn)]
