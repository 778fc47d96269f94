"""What the store page shows, gathered in one blocking call (run in a worker thread): the
pipeline's state from ``site_status``, this store's jobs at head office, and a traffic light per
part (green / amber / red, with the reason as a translation key and its values)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

import pymysql

from centrale.app.status import site_status
from centrale.core.config import Config
from centrale.core.db import connect, connection_hint, hq_params
from centrale.core.errors import CentraleError
from jobs.queue import Job, list_jobs

PAGE_CONNECT_TIMEOUT_S = 3.0  # a page waits this long at most for head office
LAG_AMBER_S = 60.0


@dataclass(frozen=True)
class Light:
    """One part's state: ``color`` in green/amber/red; ``reason`` a message key + values."""

    color: str
    reason: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StoreView:
    status: dict[str, Any]
    capture: Light
    shipping: Light
    jobs: Light
    hq_jobs: list[Job]


def store_view(cfg: Config) -> StoreView:
    st = site_status(cfg)
    jobs, jobs_light = _hq_jobs(cfg)
    return StoreView(st, capture_light(st), shipping_light(st, cfg.ship.interval_s), jobs_light, jobs)


def capture_light(st: dict[str, Any]) -> Light:
    if st.get("outbox_error"):
        return Light("red", "light.outbox_error", {"error": st["outbox_error"]})
    if st.get("local_error"):
        return Light("red", "light.local_error", {"error": st["local_error"]})
    if st.get("capture_stopped"):
        return Light("red", "light.capture_stopped", {"error": st["capture_stopped"]})
    if not st.get("running"):
        return Light("red", "light.not_running")
    if st.get("capture_behind_bytes") == -1:
        return Light("amber", "light.file_behind")
    lag = st.get("capture_lag_s")
    if lag is not None and lag > LAG_AMBER_S:
        return Light("amber", "light.lagging", {"lag": lag})
    return Light("green", "light.capturing", {"lag": lag if lag is not None else 0})


def shipping_light(st: dict[str, Any], interval_s: float) -> Light:
    if st.get("last_error"):
        return Light("red", "light.ship_error", {"error": st["last_error"]})
    age = st.get("backlog_age_s") or 0.0
    if st.get("backlog") and age > max(3 * interval_s, 60.0):
        return Light("amber", "light.backlog_old", {"n": st["backlog"], "age": round(age)})
    if not st.get("last_shipped_at"):
        return Light("green", "light.nothing_shipped")
    when = dt.datetime.fromtimestamp(st["last_shipped_at"]).strftime("%Y-%m-%d %H:%M:%S")
    return Light("green", "light.shipped", {"when": when})


def _hq_jobs(cfg: Config) -> tuple[list[Job], Light]:
    """This store's latest jobs at head office (its own account sees only its own)."""
    try:
        params = replace(hq_params(cfg.hq), connect_timeout_s=PAGE_CONNECT_TIMEOUT_S)
        with connect(params, autocommit=False) as conn:
            jobs = list_jobs(conn, store=cfg.site.store, limit=10)
    except CentraleError as exc:
        return [], Light("red", "light.jobs_error", {"error": exc.message})
    except pymysql.err.MySQLError as exc:
        return [], Light("red", "light.hq_unreachable", {"error": exc.args[-1], "hint": connection_hint(exc)})
    return jobs, jobs_light(jobs)


def jobs_light(jobs: list[Job]) -> Light:
    running = [j for j in jobs if j.status == "running"]
    if running:
        return Light("green", "light.job_running", {"id": running[0].id, "action": running[0].action})
    finished = [j for j in jobs if j.status in ("done", "failed", "expired")]
    if finished and finished[0].status != "done":
        last = finished[0]
        return Light("amber", "light.job_failed", {"id": last.id, "action": last.action, "message": last.message})
    pending = sum(1 for j in jobs if j.status == "pending")
    return Light("green", "light.jobs_waiting", {"n": pending})


def test_hq(cfg: Config, values: dict[str, Any]) -> tuple[bool, str, dict[str, Any]]:
    """Try head office with the form's values (not saved): ok + its store number, or the error
    and its likely fix. Returns (ok, message key, values)."""
    from pydantic import ValidationError

    from centrale.core.hqidentity import read_hq_store

    try:
        hq = cfg.hq.model_validate({**cfg.hq.model_dump(), **values})
        params = replace(hq_params(hq), connect_timeout_s=min(hq.connect_timeout_s, 5.0))
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        return False, "hq.invalid", {"key": f"hq.{key}", "error": err["msg"]}
    except CentraleError as exc:
        return False, "hq.invalid", {"key": "hq", "error": exc.message}
    try:
        with connect(params) as conn:
            number = read_hq_store(conn)
    except pymysql.err.MySQLError as exc:
        return (
            False,
            "hq.test_failed",
            {"where": params.describe(), "error": exc.args[-1], "hint": connection_hint(exc)},
        )
    if number is None:
        return False, "hq.test_not_hq", {"where": params.describe()}
    if number != cfg.site.hq_store:
        return False, "hq.test_other_hq", {"where": params.describe(), "number": number, "want": cfg.site.hq_store}
    return True, "hq.test_ok", {"where": params.describe(), "number": number}
