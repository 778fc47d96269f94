"""The head-office page: every store in one table (stale ones flagged), today's sales per store
and per hour, the jobs table with its filters, and the form that asks stores to do a job."""

from __future__ import annotations

import datetime as dt

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from centrale.app.console.chart import hourly_svg
from centrale.app.console.hqview import hq_view
from centrale.app.console.web import checked_form, error_context, render, state_of, translator
from centrale.core.actions import ACTIONS
from centrale.core.clock import parse_day
from centrale.core.config import Config
from centrale.core.db import connect_store
from centrale.core.errors import CentraleError, JobError
from centrale.core.i18n import Msg
from jobs.queue import STATUSES, add_jobs, known_stores


def routes() -> list[BaseRoute]:
    return [Route("/", page, methods=["GET"]), Route("/jobs", post_jobs, methods=["POST"])]


def _filters(request: Request) -> tuple[int | None, str | None]:
    raw_store = request.query_params.get("store", "")
    status = request.query_params.get("status") or None
    if raw_store and not raw_store.isdigit():
        raise JobError(Msg("err.console.bad_store", value=raw_store))
    return (int(raw_store) if raw_store else None), status


async def page(request: Request, status_code: int = 200, **extra: object) -> Response:
    cfg = state_of(request).cfg
    t = translator(request)
    try:
        store, status = _filters(request)
        view = await run_in_threadpool(hq_view, cfg, store=store, status=status, day=dt.date.today())
    except CentraleError as exc:
        store, status = None, None
        view = await run_in_threadpool(hq_view, cfg, store=None, status=None, day=dt.date.today())
        for name, value in error_context(request, exc).items():
            extra.setdefault(name, value)
        status_code = 400
    names = {s["store"]: s["name"] or "" for s in view.stores}
    chart = None
    if view.hourly_table is not None:
        title = t("hq.chart_title", table=view.hourly_table.table, column=view.hourly_table.sum_column)
        chart = hourly_svg(view.hourly, names, title)
    context = {
        "view": view,
        "chart": chart,
        "actions": ACTIONS,
        "statuses": STATUSES,
        "filter_store": store,
        "filter_status": status,
        "stale_after_s": cfg.console.stale_after_s,
        "posted": int(posted) if (posted := request.query_params.get("posted", "")).isdigit() else None,
        **extra,
    }
    return render(request, "hq.html", context, status_code)


async def post_jobs(request: Request) -> Response:
    form = await checked_form(request)
    cfg = state_of(request).cfg
    action = str(form.get("action", ""))
    since = str(form.get("since", "")).strip()
    try:
        if since:
            parse_day(since)
        wanted = [str(v) for v in form.getlist("store")]
        if any(not v.isdigit() for v in wanted):
            raise JobError(Msg("err.console.store_not_number"))
        ids = await run_in_threadpool(_post, cfg, action, [int(v) for v in wanted], form.get("all") == "on", since)
    except CentraleError as exc:
        return await page(request, 400, **error_context(request, exc))
    return RedirectResponse(f"/?posted={len(ids)}#jobs", 303)


def _post(cfg: Config, action: str, stores: list[int], everyone: bool, since: str) -> list[int]:
    with connect_store(cfg.local.params) as conn:
        conn.autocommit(False)
        targets = known_stores(conn, cfg.site.store) if everyone else stores
        return add_jobs(
            conn,
            action,
            targets,
            params={"since": since} if since else None,
            requested_by="console",
            ttl_h=cfg.jobs.ttl_h,
        )
