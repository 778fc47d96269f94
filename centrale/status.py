"""`centrale status`: the seed's tray menu (version, store, head office or not) plus the pipeline."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pymysql

from cdc.binlog import end_position
from cdc.preflight import retention_headroom
from centrale import __version__
from centrale.config import Config
from centrale.errors import CentraleError
from centrale.outbox import OutboxStore
from centrale.outbox.disk import probe
from centrale.site import SiteLock, connect_local, lock_path


def site_status(cfg: Config) -> dict[str, Any]:
    now = time.time()
    out: dict[str, Any] = {
        "version": __version__,
        "store": cfg.site.store,
        "name": cfg.site.name,
        "is_hq": cfg.is_hq,
        "hq_store": cfg.site.hq_store,
    }
    if cfg.is_hq:
        out["stores"] = _stores_seen(cfg)
        return out
    holder = SiteLock(lock_path(cfg)).holder()
    out["running"] = holder is not None
    out["pid"] = holder
    # Looked at here, not read from the outbox: a process cannot record that its disk is full.
    problem = probe(cfg.outbox.path)
    out["outbox_error"] = f"{problem.message}: {problem.hint}" if problem else None
    with OutboxStore(cfg.outbox.path) as outbox:
        st = outbox.stats()
    out.update(
        {
            "generation": st.generation,
            "backlog": st.backlog,
            "backlog_age_s": round(now - st.oldest_captured_at, 1) if st.oldest_captured_at else 0.0,
            "last_captured_seq": st.last_seq,
            "last_shipped_seq": st.last_shipped_seq,
            "last_shipped_at": st.last_shipped_at,
            "rows_shipped": st.rows_shipped,
            "skipped_rows": st.skipped,
            "last_error": st.last_error,
            "last_error_at": st.last_error_at,
            "checkpoint": str(st.checkpoint.position) if st.checkpoint else None,
        }
    )
    lag: dict[str, Any] = {"capture_behind_bytes": None, "capture_lag_s": None}
    try:
        with connect_local(cfg) as conn:
            end = end_position(conn)
            keep, left = retention_headroom(conn, st.checkpoint, now)
        lag["binlog_keep_s"] = keep
        lag["retention_headroom_s"] = None if left is None else round(left)
        cp = st.checkpoint
        if cp is not None:
            # -1: at least one whole binlog file behind
            behind = max(0, end.pos - cp.position.pos) if cp.position.file == end.file else -1
            lag["capture_behind_bytes"] = behind
            lag["capture_lag_s"] = 0.0 if behind == 0 else (round(now - cp.source_ts, 1) if cp.source_ts else None)
        lag["binlog_end"] = str(end)
    except CentraleError as exc:
        lag["local_error"] = exc.message
    out.update(lag)
    return out


def _stores_seen(cfg: Config) -> list[dict[str, Any]]:
    """What head office has received from each store (from its bookkeeping table)."""
    with connect_local(cfg) as conn, conn.cursor() as cur:
        try:
            cur.execute(
                "SELECT store, MAX(store_name), MAX(last_at), SUM(rows_applied), SUM(batches), "
                "SUBSTRING_INDEX(GROUP_CONCAT(version ORDER BY last_at DESC), ',', 1) "
                "FROM centrale_progress GROUP BY store ORDER BY store"
            )
        except pymysql.err.ProgrammingError:
            raise CentraleError(
                "this database is not initialised as head office", hint="run `centrale hq init`"
            ) from None
        rows = cur.fetchall()
    return [
        {
            "store": int(r[0]),
            "name": r[1],
            "last_batch_at": r[2].isoformat(sep=" ") + " UTC" if r[2] else None,
            "rows_applied": int(r[3] or 0),
            "batches": int(r[4] or 0),
            "version": r[5],
        }
        for r in rows
    ]


def _when(ts: Any) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S") if ts else "never"


def status_lines(st: dict[str, Any]) -> list[str]:
    """`centrale status` as a person reads it."""
    lines = [
        f"Centrale {st['version']}",
        f"store      {st['store']} {st['name']}".rstrip(),
        f"head office {'yes' if st['is_hq'] else 'no (head office is store ' + str(st['hq_store']) + ')'}",
    ]
    if st["is_hq"]:
        lines.append(f"stores     {len(st['stores'])} shipping to this head office")
        for s in st["stores"]:
            lines.append(
                f"  {s['store']:>5} {s['name'] or '':<16} last batch {s['last_batch_at'] or 'never'}, "
                f"{s['rows_applied']} rows in {s['batches']} batches (version {s['version']})"
            )
        return lines
    lines += [
        f"process    {'running (pid ' + str(st['pid']) + ')' if st['running'] else 'not running'}",
        f"backlog    {st['backlog']} rows (oldest {st['backlog_age_s']}s)",
        f"shipped    up to seq {st['last_shipped_seq']} at {_when(st['last_shipped_at'])} "
        f"({st['rows_shipped']} rows in all)",
        f"capture    checkpoint {st['checkpoint']}, binlog end {st.get('binlog_end', '?')}, "
        f"lag {st.get('capture_lag_s')}s",
    ]
    if st.get("retention_headroom_s") is not None:
        lines.append(
            f"retention  {st['retention_headroom_s'] / 3600:.1f} h before the checkpoint's binlog may expire "
            f"(kept {st['binlog_keep_s'] / 86400:g} days)"
        )
    if st.get("skipped_rows"):
        lines.append(f"skipped    {st['skipped_rows']} rows dropped by an operator")
    if st.get("outbox_error"):
        lines.append(f"outbox     {st['outbox_error']}")
    lines.append(f"last error {st['last_error'] or 'none'}")
    if st.get("local_error"):
        lines.append(f"local db   {st['local_error']}")
    return lines
