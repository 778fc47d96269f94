"""Console fixtures: the app of a store or of head office over the `chain` fixture's real
servers, driven by Starlette's TestClient (requests go through the whole ASGI app)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from centrale.app.console.app import build_app
from centrale.app.console.state import ConsoleState, LiveConfig
from centrale.core.config import load
from centrale.core.i18n import Lang
from centrale.core.log import setup_logging
from sandbox.chain import Chain
from sandbox.polling import wait_until

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')

ClientFactory = Callable[..., "contextmanager[TestClient]"]


@contextmanager
def console_client(config: Path, lang: Lang = "en") -> Iterator[TestClient]:
    """The console of one site, logging to its day's file as `centrale` would."""
    cfg = load(config)
    setup_logging(cfg.log.dir, cfg.log.level, stderr=None)
    state = ConsoleState(LiveConfig(cfg), lang)
    try:
        with TestClient(build_app(state), base_url="http://127.0.0.1", follow_redirects=False) as client:
            yield client
    finally:
        state.close()
        setup_logging(None, stderr=None)


def csrf_of(client: TestClient, path: str = "/") -> str:
    """The page's CSRF token (the session cookie is set by the same GET)."""
    found = CSRF.search(client.get(path).text)
    assert found, "no CSRF token on the page"
    return found.group(1)


def add_console_keys(config: Path, text: str) -> None:
    config.write_text(config.read_text() + "\n[console]\n" + text + "\n")


@pytest.fixture
def store_client(chain: Chain) -> Iterator[TestClient]:
    with console_client(chain.store(12).config) as client:
        yield client


@pytest.fixture
def hq_client(chain: Chain) -> Iterator[TestClient]:
    with console_client(chain.hq.config) as client:
        yield client


wait_for = wait_until  # the console tests' name for it


TASK_ROW = re.compile(r'<tr data-task="(\d+)" data-action="([a-z-]+)" data-status="([a-z]+)"')


def task_status(client: TestClient, action: str) -> str | None:
    """The newest console task of ``action``, as the page's progress fragment shows it."""
    rows = [m for m in TASK_ROW.finditer(client.get("/fragments/tasks").text) if m.group(2) == action]
    return rows[0].group(3) if rows else None


def finished_status(client: TestClient, action: str) -> str:
    status = wait_for(
        lambda: (task_status(client, action) or "") in ("done", "failed") and task_status(client, action), action
    )
    return str(status)
