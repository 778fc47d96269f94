"""The jobs table at head office: add, list, retry, and the stores' atomic claim.

Statuses: pending -> running -> done | failed, or back to pending when a link went away
mid-job (every action is safe to run again whole); a pending job can also end superseded (a newer
job with the same action for the same store was added) or expired (past its ``expires_at``).
A store runs its jobs one at a time in creation order: the claim locks the store's oldest
unfinished job, so a second runner for the same store finds it running and waits its turn.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pymysql

from centrale.core.actions import ACTIONS
from centrale.core.codec import dumps_compact, loads
from centrale.core.db import error_code
from centrale.core.errors import JobError, UsageError
from centrale.core.hqidentity import registered_stores
from centrale.core.i18n import Msg

STATUSES = ("pending", "running", "done", "failed", "superseded", "expired")
LEASE_S = 3600  # a job "running" longer than this lost its runner (crash, power cut)

_COLUMNS = (
    "id, store, action, params, requested_by, created_at, expires_at, started_at, finished_at, "
    "status, runner, rows_moved, message"
)


@dataclass(frozen=True)
class Job:
    id: int
    store: int
    action: str
    params: dict[str, Any]
    requested_by: str
    created_at: dt.datetime
    expires_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    status: str
    runner: str
    rows_moved: int
    message: str

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Job:
        r = list(row)
        r[3] = loads(r[3]) if r[3] else {}
        return cls(*r)

    def as_dict(self) -> dict[str, Any]:
        return {k: (v.isoformat(sep=" ") if isinstance(v, dt.datetime) else v) for k, v in self.__dict__.items()}


def _check_table(exc: pymysql.err.MySQLError) -> JobError:
    if exc.args and exc.args[0] == 1146:
        return JobError(Msg("err.jobs.no_table"), hint=Msg("err.hq.remote_not_initialised.hint"))
    return JobError(Msg("err.jobs.table", error=exc.args[-1]))


def add_jobs(
    conn: pymysql.connections.Connection,
    action: str,
    stores: list[int],
    *,
    params: dict[str, Any] | None = None,
    requested_by: str = "",
    ttl_h: float = 72.0,
) -> list[int]:
    """One pending job per store; each supersedes that store's older pending job of the action."""
    if action not in ACTIONS:
        choose = Msg("err.choose", among=", ".join(ACTIONS))
        raise UsageError(Msg("err.jobs.unknown_action", action=action), hint=choose)
    if not stores:
        raise UsageError(Msg("err.jobs.no_store"), hint=Msg("err.jobs.no_store.hint"))
    known = set(known_stores(conn, hq_store=0))
    unknown = [s for s in stores if s not in known]
    if unknown:  # a job no store will ever run would expire in silence
        raise UsageError(
            Msg("err.jobs.unknown_store", stores=", ".join(map(str, unknown))),
            hint=Msg("err.jobs.unknown_store.hint", store=unknown[0]),
        )
    ids = []
    try:
        with conn.cursor() as cur:
            for store in stores:
                cur.execute(
                    "INSERT INTO centrale_jobs (store, action, params, requested_by, created_at, expires_at, status, "
                    "runner, rows_moved, message) VALUES (%s, %s, %s, %s, UTC_TIMESTAMP(6), "
                    "UTC_TIMESTAMP(6) + INTERVAL %s SECOND, 'pending', '', 0, '')",
                    (store, action, dumps_compact(params or {}), requested_by[:100], int(ttl_h * 3600)),
                )
                new_id = int(cur.lastrowid)
                cur.execute(
                    "UPDATE centrale_jobs SET status='superseded', finished_at=UTC_TIMESTAMP(6), message=%s "
                    "WHERE store=%s AND action=%s AND status='pending' AND id < %s",
                    (f"superseded by job {new_id}", store, action, new_id),
                )
                ids.append(new_id)
        conn.commit()
    except pymysql.err.MySQLError as exc:
        conn.rollback()
        raise _check_table(exc) from None
    return ids


def list_jobs(
    conn: pymysql.connections.Connection, *, store: int | None = None, status: str | None = None, limit: int = 100
) -> list[Job]:
    if status is not None and status not in STATUSES:
        choose = Msg("err.choose", among=", ".join(STATUSES))
        raise UsageError(Msg("err.jobs.unknown_status", status=status), hint=choose)
    where: list[str] = ["1=1"]
    args: list[Any] = []
    if store is not None:
        where.append("store = %s")
        args.append(store)
    if status is not None:
        where.append("status = %s")
        args.append(status)
    try:
        _expire(conn)
        with conn.cursor() as cur:
            cur.execute(
                f"SELECT {_COLUMNS} FROM centrale_jobs WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT %s",
                [*args, limit],
            )
            rows = cur.fetchall()
        conn.commit()
    except pymysql.err.MySQLError as exc:
        conn.rollback()
        raise _check_table(exc) from None
    return [Job.from_row(r) for r in rows]


def _expire(conn: pymysql.connections.Connection) -> None:
    with conn.cursor() as cur:
        cur.execute(
            "UPDATE centrale_jobs SET status='expired', finished_at=UTC_TIMESTAMP(6), "
            "message='not run before it expired' WHERE status='pending' AND expires_at < UTC_TIMESTAMP(6)"
        )


def retry_job(conn: pymysql.connections.Connection, job_id: int, *, requested_by: str = "", ttl_h: float = 72.0) -> int:
    """A failed (or expired) job again, as a new pending job; the old one keeps its history."""
    jobs = [j for j in list_jobs(conn, limit=1_000_000) if j.id == job_id]
    if not jobs:
        raise JobError(Msg("err.jobs.no_job", id=job_id), hint=Msg("err.jobs.no_job.hint"))
    job = jobs[0]
    if job.status not in ("failed", "expired"):
        raise JobError(Msg("err.jobs.not_retryable", id=job_id, status=job.status))
    return add_jobs(
        conn, job.action, [job.store], params=job.params, requested_by=requested_by or f"retry of {job_id}", ttl_h=ttl_h
    )[0]


def claim_next(conn: pymysql.connections.Connection, store: int, runner: str) -> Job | None:
    """The store's oldest pending job, now running under ``runner``; None when there is none or
    another runner of the same store is busy with the oldest one. A job still running under
    ``runner`` itself was interrupted before it could be released (head office went away):
    it is this runner's to run again. A lock conflict (a Galera certification conflict
    included) rolls the claim back whole: it is tried again."""
    conflicts = 0
    while True:
        try:
            with conn.cursor() as cur:
                cur.execute(
                    f"SELECT {_COLUMNS} FROM centrale_jobs WHERE store=%s AND status IN ('pending', 'running') "
                    "ORDER BY id LIMIT 1 FOR UPDATE",
                    (store,),
                )
                row = cur.fetchone()
                if row is None:
                    conn.commit()
                    return None
                job = Job.from_row(row)
                now = _utcnow(cur)
                if job.status == "running" and job.runner != runner[:100]:
                    if job.started_at is not None and (now - job.started_at).total_seconds() < LEASE_S:
                        conn.commit()
                        return None
                    _finish(cur, job.id, "failed", 0, f"runner {job.runner} vanished while running it")
                    conn.commit()
                    continue
                if job.expires_at < now:
                    _finish(cur, job.id, "expired", 0, "not run before it expired")
                    conn.commit()
                    continue
                cur.execute(
                    "UPDATE centrale_jobs SET status='running', started_at=UTC_TIMESTAMP(6), runner=%s WHERE id=%s",
                    (runner[:100], job.id),
                )
            conn.commit()
            return job
        except pymysql.err.MySQLError as exc:
            conn.rollback()
            if error_code(exc) in (1205, 1213) and conflicts < 3:
                conflicts += 1
                continue
            raise _check_table(exc) from None


def release(conn: pymysql.connections.Connection, job_id: int, runner: str, message: str) -> None:
    """An interrupted job back to pending, to run again whole at the runner's next tick."""
    with conn.cursor() as cur:
        cur.execute(
            "UPDATE centrale_jobs SET status='pending', started_at=NULL, runner='', message=%s "
            "WHERE id=%s AND status='running' AND runner=%s",
            (message[:60000], job_id, runner[:100]),
        )
    conn.commit()


def finish(conn: pymysql.connections.Connection, job_id: int, status: str, rows: int, message: str) -> None:
    with conn.cursor() as cur:
        _finish(cur, job_id, status, rows, message)
    conn.commit()


def _finish(cur: Any, job_id: int, status: str, rows: int, message: str) -> None:
    cur.execute(
        "UPDATE centrale_jobs SET status=%s, finished_at=UTC_TIMESTAMP(6), rows_moved=%s, message=%s WHERE id=%s",
        (status, rows, message[:60000], job_id),
    )


def _utcnow(cur: Any) -> dt.datetime:
    cur.execute("SELECT UTC_TIMESTAMP(6)")
    value: dt.datetime = cur.fetchone()[0]
    return value


KNOWN_STORES_SQL = (
    "SELECT DISTINCT store FROM centrale_progress",  # every store that shipped or reported
    "SELECT id FROM stores",  # head office's own store list, in the sample schema
)


def known_stores(conn: pymysql.connections.Connection, hq_store: int) -> list[int]:
    """Stores head office knows: those registered, those that ever shipped or reported, and its
    `stores` reference table's. A table missing (an older head office, a schema without a store
    list) or that the account may not read adds none."""
    found = set(registered_stores(conn))  # registered by `hq add-store`
    with conn.cursor() as cur:
        for sql in KNOWN_STORES_SQL:
            try:
                cur.execute(sql)
                found.update(int(r[0]) for r in cur.fetchall())
            except pymysql.err.MySQLError:
                continue
    conn.commit()
    return sorted(found - {hq_store})
