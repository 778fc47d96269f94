"""The console's ASGI app: one Starlette app per site, built from its configuration.

A store gets the store page (state, actions, options, head-office connection, log tail); head
office gets the head-office page (stores, jobs, today's sales). Both get ``/login`` (when
``console.password`` is set), ``/metrics`` and ``/static``. Every request passes ``_Gate``: a
session cookie, the page language, and the password when one is set.
"""

from __future__ import annotations

import datetime as dt

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from centrale.app.actions import LiveActions
from centrale.app.console import hq_page, store_page
from centrale.app.console.metrics import CONTENT_TYPE, hq_metrics, store_metrics
from centrale.app.console.security import LANG_COOKIE, SESSION_COOKIE, Guard, set_cookie
from centrale.app.console.state import ConsoleState
from centrale.app.console.tasks import ActionRunner
from centrale.app.console.web import checked_form, guard_of, render, state_of
from centrale.core.i18n import as_lang

OPEN_PATHS = ("/login", "/static/")
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def build_app(state: ConsoleState) -> Starlette:
    cfg = state.cfg
    routes: list[BaseRoute] = [
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/metrics", metrics, methods=["GET"]),
        Mount("/static", StaticFiles(packages=[("centrale.app.console", "static")]), name="static"),
        *(hq_page.routes() if cfg.is_hq else store_page.routes()),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(_Gate)])
    app.state.console = state
    app.state.guard = Guard(state.secret, cfg.console.password.get_secret_value() if cfg.console.password else None)
    env = Environment(
        loader=PackageLoader("centrale.app.console", "templates"),
        autoescape=select_autoescape(),
        undefined=StrictUndefined,
    )
    env.filters["when"] = _when
    app.state.templates = Jinja2Templates(env=env)
    if not cfg.is_hq and state.runner is None:
        state.runner = ActionRunner(cfg.site.store, LiveActions(lambda: state.cfg))
    return app


def _when(ts: float) -> str:
    """A Unix time as the site's local time, as `centrale status` prints it."""
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


class _Gate(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        state, guard = state_of(request), guard_of(request)
        sid = request.cookies.get(SESSION_COOKIE)
        fresh = not sid
        request.state.sid = sid = sid or guard.new_session()
        asked = as_lang(request.query_params.get("lang"))
        configured = as_lang(state.cfg.console.language) or state.locale_lang
        request.state.lang = asked or as_lang(request.cookies.get(LANG_COOKIE)) or configured
        path = request.url.path
        response: Response
        if path.startswith(OPEN_PATHS) or guard.authenticated(request, sid):
            response = await call_next(request)
        elif path == "/metrics":
            response = PlainTextResponse("password required\n", 401, {"WWW-Authenticate": 'Basic realm="centrale"'})
        elif request.method == "GET":
            response = RedirectResponse("/login", 303)
        else:
            response = PlainTextResponse("log in first\n", 403)
        if fresh:
            set_cookie(response, SESSION_COOKIE, sid)
        if asked:
            set_cookie(response, LANG_COOKIE, asked)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response


async def login_form(request: Request) -> Response:
    if not guard_of(request).password_required:
        return RedirectResponse("/", 303)
    return render(request, "login.html", {"failed": False})


async def login(request: Request) -> Response:
    form = await checked_form(request)
    guard = guard_of(request)
    if not guard.password_ok(form.get("password")):
        return render(request, "login.html", {"failed": True}, status_code=401)
    response = RedirectResponse("/", 303)
    guard.log_in(response)
    return response


async def logout(request: Request) -> Response:
    await checked_form(request)
    response = RedirectResponse("/login", 303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def metrics(request: Request) -> Response:
    cfg = state_of(request).cfg
    text = await run_in_threadpool(hq_metrics if cfg.is_hq else store_metrics, cfg)
    return PlainTextResponse(text, media_type=CONTENT_TYPE)
