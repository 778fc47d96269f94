"""What every page handler shares: the console's state, rendering a template in the request's
language, and reading a form only after its CSRF token checked out."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from centrale.app.console.security import Guard
from centrale.app.console.state import ConsoleState
from centrale.core import __version__
from centrale.core.errors import CentraleError
from centrale.core.i18n import Translator


def state_of(request: Request) -> ConsoleState:
    state: ConsoleState = request.app.state.console
    return state


def guard_of(request: Request) -> Guard:
    guard: Guard = request.app.state.guard
    return guard


def translator(request: Request) -> Translator:
    return Translator(request.state.lang)


def error_context(request: Request, exc: CentraleError) -> dict[str, object]:
    """A refused form's error and fix, in the page's language."""
    error, hint = exc.render(request.state.lang)
    return {"error": error, "error_hint": hint}


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> Response:
    state = state_of(request)
    templates: Jinja2Templates = request.app.state.templates
    base = {
        "t": translator(request),
        "lang": request.state.lang,
        "csrf": guard_of(request).csrf_token(request.state.sid),
        "password_required": guard_of(request).password_required,
        "version": __version__,
        "site": state.cfg.site,
        "is_hq": state.cfg.is_hq,
        "error": None,
        "error_hint": None,
    }
    return templates.TemplateResponse(request, template, {**base, **context}, status_code=status_code)


async def checked_form(request: Request) -> FormData:
    """The POSTed form, or 403 when its CSRF token is missing or not this session's."""
    form = await request.form()
    if not guard_of(request).csrf_ok(request.state.sid, form.get("csrf")):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")
    return form
