"""One store number, one running capture, enforced by head office.

A copied install folder (a new till set up from an old one's folder, or the same folder started
twice from two paths) runs the same store number twice: the two binlog readers kick each other
off the store's server (same replica id), and two outbox generations ship the same rows. The
local lock beside the outbox (``centrale.app.site.SiteLock``) cannot see another folder or machine;
head office can. So `run` takes a lease on its store number in ``centrale_leases`` at start and
renews it every ``RENEW_S``: a second process finds the lease alive (renewed within ``TTL_S``) and
refuses to start, naming where the first runs. A process that finds its lease taken by another
(it was cut off from head office longer than ``TTL_S`` and a copy started meanwhile) stops.

Head office unreachable at start: the store runs (a store must sell and capture offline) and
takes the lease at its first contact.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

import pymysql

from centrale.core.db import ConnParams, connect

TTL_S = 180.0
RENEW_S = 30.0


@dataclass(frozen=True)
class Holder:
    """Who runs a store: a process on a host, from a folder."""

    token: str
    host: str
    folder: str
    pid: int
    age_s: float = 0.0  # since it last renewed

    @classmethod
    def this_process(cls, folder: Path) -> Holder:
        return cls(uuid.uuid4().hex, socket.gethostname(), str(folder.resolve()), os.getpid())


def take(params: ConnParams, store: int, me: Holder, ttl_s: float = TTL_S) -> Holder | None:
    """Take or renew the store's lease: None when this process holds it, else the live holder.
    Raises PyMySQL's errors (head office unreachable, or initialised by an older Centrale)."""
    with connect(params, autocommit=False) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT token, host, folder, pid, TIMESTAMPDIFF(MICROSECOND, renewed_at, UTC_TIMESTAMP(6)) / 1e6 "
            "FROM centrale_leases WHERE store = %s FOR UPDATE",
            (store,),
        )
        row = cur.fetchone()
        # The same folder on the same host is this process's predecessor (killed, or a power cut):
        # the folder's own lock (``SiteLock``) says it is gone, so its lease is ours at once.
        ours = row is not None and (row[0] == me.token or (row[1], row[2]) == (me.host, me.folder))
        if row is not None and not ours and float(row[4]) < ttl_s:
            conn.rollback()
            return Holder(str(row[0]), str(row[1]), str(row[2]), int(row[3]), float(row[4]))
        cur.execute(
            "INSERT INTO centrale_leases (store, token, host, folder, pid, taken_at, renewed_at) "
            "VALUES (%s, %s, %s, %s, %s, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)) ON DUPLICATE KEY UPDATE "
            "taken_at = IF(token = VALUES(token), taken_at, VALUES(taken_at)), token = VALUES(token), "
            "host = VALUES(host), folder = VALUES(folder), pid = VALUES(pid), renewed_at = VALUES(renewed_at)",
            (store, me.token, me.host[:255], me.folder[:1000], me.pid),
        )
        conn.commit()
    return None


def release(params: ConnParams, store: int, me: Holder) -> None:
    """At a clean stop: the next start (here or elsewhere) need not wait for the lease to expire."""
    try:
        with connect(params) as conn, conn.cursor() as cur:
            cur.execute("DELETE FROM centrale_leases WHERE store = %s AND token = %s", (store, me.token))
    except pymysql.err.MySQLError:
        pass  # it expires by itself
