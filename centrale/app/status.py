"""`centrale status`: the seed's tray menu (version, store, head office or not) plus the pipeline."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pymysql

from cdc.binlog import end_position
from cdc.preflight import retention_headroom
from centrale.app.sitelock import SiteLock, lock_path
from centrale.core import __version__
from centrale.core.clock import is_skewed
from centrale.core.config import Config
from centrale.core.db import connect_store
from centrale.core.errors import CentraleError, PreflightError
from centrale.core.hqidentity import registered_stores
from centrale.core.i18n import Msg, Translator
from centrale.core.outbox import OutboxStore
from centrale.core.outbox.disk import probe
from centrale.core.outbox.notes import RESTORE_SETTLED


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
        out["capture_stopped"] = outbox.noted("capture_stopped")
        offset = outbox.noted("clock_offset")  # measured by shipping (centrale.core.clock)
        out["hq_gap"] = outbox.noted("hq_gap")  # head office restored past the kept rows (retention)
        out["restore_checked"] = outbox.noted(RESTORE_SETTLED)  # an earlier copy found (restorecheck)
        shipped = outbox.shipped_position()  # head office holds everything before it (positions)
        mark = outbox.mark_at(shipped[0]) if shipped else None
        prepared = outbox.prepared_xa()
    out["shipped_position"] = str(shipped[0]) if shipped else None
    out["shipped_mark"] = str(mark) if mark else None  # the event ending there (CommitMark)
    out["shipped_gtid"] = shipped[1] if shipped else None
    out["clock_offset_s"] = float(offset) if offset else None
    out["clock_skewed"] = is_skewed(out["clock_offset_s"])
    out["xa_prepared"] = len(prepared)
    out["xa_prepared_rows"] = sum(rows for _, rows in prepared.values())
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
        with connect_store(cfg.local.params) as conn:
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
    """What head office knows of each store: rows received (its bookkeeping table, summed over
    the store's outbox generations) and what the store last reported of itself (the newest
    generation's row: backlog, lag, last error; see centrale/app/report.py)."""
    with connect_store(cfg.local.params) as conn:
        return stores_seen(conn)


def stores_seen(conn: pymysql.connections.Connection) -> list[dict[str, Any]]:
    with conn.cursor() as cur:
        try:
            cur.execute(
                "SELECT store, store_name, version, rows_applied, batches, last_at, reported_at, backlog, "
                "backlog_age_s, capture_lag_s, last_error, clock_offset_s FROM centrale_progress ORDER BY store"
            )
        except pymysql.err.OperationalError as exc:
            if exc.args and exc.args[0] == 1054:  # a head office initialised by an older Centrale
                raise PreflightError(Msg("err.hq.old_tables"), hint=Msg("err.hq.run_init.hint")) from None
            raise
        except pymysql.err.ProgrammingError:
            raise PreflightError(Msg("err.hq.not_initialised"), hint=Msg("err.hq.run_init.hint")) from None
        rows = cur.fetchall()
    stores: dict[int, dict[str, Any]] = {}
    for r in rows:
        number = int(r[0])
        contact = max((t for t in (r[5], r[6]) if t is not None), default=None)
        seen = stores.get(number)
        total_rows = int(r[3] or 0) + (seen["rows_applied"] if seen else 0)
        total_batches = int(r[4] or 0) + (seen["batches"] if seen else 0)
        if seen is None or (contact is not None and (seen["_contact"] is None or contact > seen["_contact"])):
            seen = _store_seen(number, r[1], contact)
            seen.update(
                version=r[2],
                last_batch_at=_utc_text(r[5]),
                backlog=None if r[7] is None else int(r[7]),
                backlog_age_s=r[8],
                capture_lag_s=r[9],
                last_error=r[10],
                clock_offset_s=r[11],
                clock_skewed=is_skewed(r[11]),
            )
        seen["rows_applied"], seen["batches"] = total_rows, total_batches
        stores[number] = seen
    for number, name in registered_stores(conn).items():
        if number not in stores:  # registered, never reported: listed all the same
            stores[number] = _store_seen(number, name, None)
        elif name and not stores[number]["name"]:
            stores[number]["name"] = name
    out = []
    for number in sorted(stores):
        seen = stores[number]
        seen.pop("_contact")
        seen["reported"] = seen["last_contact_ts"] is not None
        out.append(seen)
    return out


def _store_seen(number: int, name: str | None, contact: dt.datetime | None) -> dict[str, Any]:
    """One store as head office's status lists it: what it reported is filled in by the caller;
    a store registered that never reported keeps these."""
    return {
        "store": number,
        "name": name,
        "version": None,
        "_contact": contact,
        "last_batch_at": None,
        "last_contact_at": _utc_text(contact),
        "last_contact_ts": contact.replace(tzinfo=dt.UTC).timestamp() if contact else None,
        "backlog": None,
        "backlog_age_s": None,
        "capture_lag_s": None,
        "last_error": None,
        "clock_offset_s": None,
        "clock_skewed": False,
        "rows_applied": 0,
        "batches": 0,
    }


def _utc_text(value: dt.datetime | None) -> str | None:
    return value.isoformat(sep=" ", timespec="seconds") + " UTC" if value else None


def _when(ts: Any, never: str = "never") -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S") if ts else never


def status_lines(st: dict[str, Any], t: Translator | None = None) -> list[str]:
    """`centrale status` as a person reads it, in the CLI's language."""
    t = t or Translator("en")
    never = t("status.never")
    lines = [
        t("status.version", version=st["version"]),
        t("status.store", store=st["store"], name=st["name"]).rstrip(),
        t("status.is_hq") if st["is_hq"] else t("status.not_hq", hq_store=st["hq_store"]),
    ]
    if st["is_hq"]:
        lines.append(t("status.stores", n=len(st["stores"])))
        for s in st["stores"]:
            if not s["reported"]:
                lines.append(t("status.store_silent", store=s["store"], name=s["name"] or "").rstrip())
                continue
            lines.append(
                t(
                    "status.store_line",
                    store=s["store"],
                    name=s["name"] or "",
                    last=s["last_batch_at"] or never,
                    rows=s["rows_applied"],
                    batches=s["batches"],
                    version=s["version"],
                )
            )
        return lines
    lines += [
        t("status.running", pid=st["pid"]) if st["running"] else t("status.not_running"),
        t("status.backlog", n=st["backlog"], age=st["backlog_age_s"]),
        t(
            "status.shipped",
            seq=st["last_shipped_seq"],
            when=_when(st["last_shipped_at"], never),
            n=st["rows_shipped"],
        ),
        _capture_line(st, t),
    ]
    if st.get("capture_stopped"):
        lines.append(t("status.capture_stopped", error=st["capture_stopped"]))
    if st.get("hq_gap"):
        lines.append(t("status.hq_gap", gap=st["hq_gap"]))
    if st.get("restore_checked"):
        lines.append(t("status.restore", summary=st["restore_checked"]))
    if st.get("clock_skewed"):
        lines.append(t("status.clock_skewed", offset=st["clock_offset_s"]))
    if st.get("xa_prepared"):
        lines.append(t("status.xa_prepared", n=st["xa_prepared"], rows=st["xa_prepared_rows"]))
    if st.get("retention_headroom_s") is not None:
        lines.append(t("status.retention", hours=st["retention_headroom_s"] / 3600, days=st["binlog_keep_s"] / 86400))
    if st.get("skipped_rows"):
        lines.append(t("status.skipped", n=st["skipped_rows"]))
    if st.get("outbox_error"):
        lines.append(t("status.outbox", error=st["outbox_error"]))
    lines.append(t("status.last_error", error=st["last_error"] or t("status.none")))
    if st.get("local_error"):
        lines.append(t("status.local_db", error=st["local_error"]))
    return lines


def _capture_line(st: dict[str, Any], t: Translator) -> str:
    """Checkpoint, binlog end and lag, each said in words when it is not known (no checkpoint
    yet, the local server unreadable or writing no binlog: the local database line says why)."""
    lag = st.get("capture_lag_s")
    return t(
        "status.capture",
        checkpoint=st["checkpoint"] or t("status.capture.no_checkpoint"),
        end=st.get("binlog_end") or t("status.capture.end_unknown"),
        lag=t("status.capture.lag", s=lag) if lag is not None else t("status.capture.lag_unknown"),
    )
