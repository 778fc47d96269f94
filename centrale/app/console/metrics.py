"""``/metrics`` in Prometheus' text exposition format (version 0.0.4), written by hand: a few
gauges and counters need no client library. A store exposes its own pipeline; head office its
jobs by status and what each store last reported."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from typing import Any

import pymysql

from centrale.app.status import site_status, stores_seen
from centrale.core.config import Config
from centrale.core.db import connect_store
from jobs.queue import STATUSES

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
Sample = tuple[dict[str, str], float | None]


class Exposition:
    def __init__(self) -> None:
        self._lines: list[str] = []

    def metric(self, name: str, kind: str, help_text: str, samples: Iterable[Sample]) -> None:
        self._lines.append(f"# HELP {name} {help_text}")
        self._lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            self._lines.append(f"{name}{_labels(labels)} {_number(value)}")

    def text(self) -> str:
        return "\n".join(self._lines) + "\n"


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items()) + "}"


def _escape(value: str) -> str:
    """Label values escape backslash, double quote and newline (the format's only escapes)."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "NaN"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


def store_metrics(cfg: Config) -> str:
    st = site_status(cfg)
    me = {"store": str(cfg.site.store)}
    out = Exposition()
    out.metric("centrale_up", "gauge", "1 when `centrale run` is running for this store.", [(me, st["running"])])
    out.metric("centrale_outbox_backlog_rows", "gauge", "Rows captured, not yet at head office.", [(me, st["backlog"])])
    out.metric(
        "centrale_outbox_backlog_age_seconds",
        "gauge",
        "Age of the oldest row waiting in the outbox (0 when empty).",
        [(me, st["backlog_age_s"])],
    )
    out.metric(
        "centrale_capture_lag_seconds",
        "gauge",
        "How far capture is behind the store's binlog (NaN when unknown).",
        [(me, st.get("capture_lag_s"))],
    )
    out.metric(
        "centrale_rows_shipped_total",
        "counter",
        "Rows shipped to head office by this outbox.",
        [(me, st["rows_shipped"])],
    )
    out.metric(
        "centrale_last_shipped_timestamp_seconds",
        "gauge",
        "Unix time of the last batch head office committed (0: never).",
        [(me, st["last_shipped_at"] or 0)],
    )
    out.metric(
        "centrale_shipping_error", "gauge", "1 while shipping holds on an error.", [(me, bool(st["last_error"]))]
    )
    return out.text()


def hq_metrics(cfg: Config) -> str:
    now = time.time()
    with connect_store(cfg.local.params) as conn:
        stores = stores_seen(conn)
        jobs = _jobs_by_status(conn)
    out = Exposition()
    out.metric(
        "centrale_jobs",
        "gauge",
        "Jobs in head office's jobs table, by status.",
        [({"status": s}, jobs.get(s, 0)) for s in STATUSES],
    )

    def per_store(key: str) -> list[Sample]:
        return [({"store": str(s["store"])}, s.get(key)) for s in stores]

    out.metric(
        "centrale_store_backlog_rows", "gauge", "Rows waiting at the store, as it last reported.", per_store("backlog")
    )
    out.metric(
        "centrale_store_backlog_age_seconds",
        "gauge",
        "Age of the store's oldest waiting row, as reported.",
        per_store("backlog_age_s"),
    )
    out.metric(
        "centrale_store_capture_lag_seconds",
        "gauge",
        "The store's capture lag, as reported.",
        per_store("capture_lag_s"),
    )
    out.metric(
        "centrale_store_rows_applied_total",
        "counter",
        "Rows head office applied from the store.",
        per_store("rows_applied"),
    )
    out.metric(
        "centrale_store_last_contact_timestamp_seconds",
        "gauge",
        "Unix time of the store's last batch or report.",
        per_store("last_contact_ts"),
    )
    out.metric(
        "centrale_store_stale",
        "gauge",
        "1 when the store has not reported for console.stale_after_s.",
        [
            (
                {"store": str(s["store"])},
                s["last_contact_ts"] is None or now - s["last_contact_ts"] > cfg.console.stale_after_s,
            )
            for s in stores
        ],
    )
    return out.text()


def _jobs_by_status(conn: pymysql.connections.Connection) -> dict[str, int]:
    with conn.cursor() as cur:
        cur.execute("SELECT status, COUNT(*) FROM centrale_jobs GROUP BY status")
        rows: Any = cur.fetchall()
    return {str(r[0]): int(r[1]) for r in rows}
