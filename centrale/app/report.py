"""A store tells head office how it is doing: backlog, its age, capture lag, last error, and
how far its clock is from head office's (``centrale.core.clock``), and where in its binlog head office
holds everything before (``centrale.core.outbox.positions``: a new outbox resumes capture there).

Head office only ever sees rows that arrived; a store whose backlog grows behind a rejected row,
or whose capture stopped, looks merely quiet. So `centrale run` writes its own state into its
``centrale_progress`` row every ``jobs.interval_s`` (the head-office console's stores table and
``/metrics`` read it). Only the columns added for this are touched, never ``last_seq``.
"""

from __future__ import annotations

from typing import Any

import pymysql

from centrale.app.status import site_status
from centrale.core.changes import BinlogPosition, CommitMark, Recorded
from centrale.core.config import Config
from centrale.core.db import ConnParams, connect, error_code, hq_params
from centrale.core.errors import CentraleError, TransientShipError
from centrale.core.i18n import Msg
from centrale.core.log import get_logger

log = get_logger("report")


class StatusReporter:
    """The `run` tick that reports; quiet when head office is away (shipping already says so)."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.params: ConnParams = hq_params(cfg.hq)
        self._warned_columns = False

    def tick(self) -> bool:
        """Report once; True when head office recorded it."""
        try:
            st = site_status(self.cfg)
        except CentraleError as exc:
            log.debug("status for the report unavailable: %s", exc.message)
            return False
        try:
            return report(self.params, self.cfg.site.store, st)
        except pymysql.err.MySQLError as exc:
            if error_code(exc) == 1054 and not self._warned_columns:
                self._warned_columns = True
                log.warning(
                    "head office cannot record this store's state yet (hint: run `centrale hq init` at head office)"
                )
            return False


def report(params: ConnParams, store: int, st: dict[str, Any]) -> bool:
    """Write one status (from ``site_status``) into the store's progress row for its outbox
    generation. A store that never shipped has no row yet: nothing to write, head office shows
    it as never seen."""
    error = st.get("last_error") or st.get("outbox_error") or st.get("local_error")
    with connect(params) as conn, conn.cursor() as cur:
        cur.execute(
            "UPDATE centrale_progress SET reported_at = UTC_TIMESTAMP(6), backlog = %s, backlog_age_s = %s, "
            "capture_lag_s = %s, last_error = %s, clock_offset_s = %s, store_position = %s, store_gtid = %s, "
            "store_commit = %s WHERE store = %s AND generation = %s",
            (
                st["backlog"],
                st["backlog_age_s"],
                st.get("capture_lag_s"),
                str(error)[:1000] if error else None,
                st.get("clock_offset_s"),
                st.get("shipped_position"),
                st.get("shipped_gtid"),
                st.get("shipped_mark"),
                store,
                st["generation"],
            ),
        )
        return bool(cur.rowcount)


def recorded_position(params: ConnParams, store: int) -> Recorded | None:
    """Where head office holds this store's binlog up to, as the store last reported it (the
    newest of its outbox generations), with the event that ends there; None when it never did.
    Raises TransientShipError when head office cannot be asked now: a new outbox must not guess
    (``cdc.service`` waits)."""
    row = None
    for commit in ("store_commit", "NULL"):  # a head office whose table predates store_commit: no mark
        try:
            with connect(params) as conn, conn.cursor() as cur:
                cur.execute(
                    f"SELECT store_position, {commit} FROM centrale_progress WHERE store = %s "
                    "AND store_position IS NOT NULL ORDER BY reported_at DESC LIMIT 1",
                    (store,),
                )
                row = cur.fetchone()
            break
        except pymysql.err.MySQLError as exc:
            code = error_code(exc)
            if code == 1054 and commit != "NULL":
                continue
            if code in (1054, 1146):  # a head office older than the report: nothing recorded
                return None
            raise TransientShipError(Msg("err.ship.unreachable", where=params.describe(), error=exc.args[-1])) from None
    if not row:
        return None
    return Recorded(BinlogPosition.parse(str(row[0])), CommitMark.parse(str(row[1])) if row[1] else None)
