"""The store page: the seed's tray menu and action screen. State of capture, shipping and jobs;
the action buttons and their progress; the per-store options; head office's connection with a
test button; the day's log."""

from __future__ import annotations

import tomlkit
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from centrale.app.console.logtail import log_tail
from centrale.app.console.storeview import store_view, test_hq
from centrale.app.console.tasks import ActionRunner
from centrale.app.console.web import checked_form, error_context, render, state_of
from centrale.core.actions import SCREEN
from centrale.core.errors import CentraleError

# The seed's action screen, in its order: (action, message key of its button).
BUTTONS = tuple((name, f"action.{name}") for name in SCREEN)
OPTIONS = ("receive_prices", "receive_printers")
FLASHES = ("flash.options_saved", "flash.hq_saved", "flash.action_queued")


def routes() -> list[BaseRoute]:
    return [
        Route("/", page, methods=["GET"]),
        Route("/fragments/tasks", tasks_fragment, methods=["GET"]),
        Route("/log", log_text, methods=["GET"]),
        Route("/actions/{name}", start_action, methods=["POST"]),
        Route("/options", save_options, methods=["POST"]),
        Route("/hq", head_office, methods=["POST"]),
    ]


def _runner(request: Request) -> ActionRunner:
    runner = state_of(request).runner
    assert runner is not None  # build_app makes one for every store
    return runner


async def page(request: Request, status_code: int = 200, **extra: object) -> Response:
    cfg = state_of(request).cfg
    view = await run_in_threadpool(store_view, cfg)
    flash = request.query_params.get("done")
    context = {
        "view": view,
        "cfg": cfg,
        "buttons": BUTTONS,
        "tasks": _runner(request).tasks(),
        "flash": flash if flash in FLASHES else None,
        "hq_form": extra.pop("hq_form", None) or _hq_form(cfg.hq),
        "hq_test": None,
        **extra,
    }
    return render(request, "store.html", context, status_code)


def _hq_form(hq: object) -> dict[str, str]:
    return {k: "" if getattr(hq, k) is None else str(getattr(hq, k)) for k in ("host", "port", "database", "user")}


async def tasks_fragment(request: Request) -> Response:
    return render(request, "_tasks.html", {"tasks": _runner(request).tasks()})


async def log_text(request: Request) -> Response:
    text = await run_in_threadpool(log_tail, state_of(request).cfg.log.dir)
    return PlainTextResponse(text)


async def start_action(request: Request) -> Response:
    await checked_form(request)
    try:
        _runner(request).submit(request.path_params["name"])
    except CentraleError as exc:
        return await page(request, 400, **error_context(request, exc))
    return RedirectResponse("/?done=flash.action_queued#actions", 303)


async def save_options(request: Request) -> Response:
    form = await checked_form(request)
    pairs = [(f"options.{name}", "true" if form.get(name) == "on" else "false") for name in OPTIONS]
    try:
        await run_in_threadpool(state_of(request).live.set_values, pairs)
    except CentraleError as exc:
        return await page(request, 400, **error_context(request, exc))
    return RedirectResponse("/?done=flash.options_saved#options", 303)


async def head_office(request: Request) -> Response:
    """Test (``do=test``) or save the connection; the password is write-only: empty keeps it."""
    form = await checked_form(request)
    fields = {k: str(form.get(k, "")).strip() for k in ("host", "port", "database", "user")}
    password = str(form.get("password", ""))
    state = state_of(request)
    if form.get("do") == "test":
        values: dict[str, object] = {**fields, **({"password": password} if password else {})}
        ok, key, args = await run_in_threadpool(test_hq, state.cfg, values)
        status = 400 if key == "hq.invalid" else 200
        return await page(request, status, hq_form=fields, hq_test={"ok": ok, "key": key, "args": args})
    pairs = [(f"hq.{k}", v if k == "port" else tomlkit.string(v).as_string()) for k, v in fields.items()]
    if password:
        pairs.append(("hq.password", tomlkit.string(password).as_string()))
    try:
        await run_in_threadpool(state.live.set_values, pairs)
    except CentraleError as exc:
        return await page(request, 400, hq_form=fields, **error_context(request, exc))
    return RedirectResponse("/?done=flash.hq_saved#hq", 303)
