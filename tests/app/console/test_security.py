"""Loopback by default, a password for anything else, CSRF on every POST, basic auth on
/metrics when a password is set."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from centrale.core.config import load, with_console
from centrale.core.errors import ConfigError
from sandbox.chain import Chain
from tests.app.console.conftest import add_console_keys, console_client, csrf_of

STORE_POSTS = ["/actions/pull-articles", "/options", "/hq", "/logout"]


def test_the_console_binds_loopback_and_refuses_a_public_bind_without_password(chain: Chain) -> None:
    cfg = load(chain.hq.config)
    assert (cfg.console.host, cfg.console.port, cfg.console.enabled) == ("127.0.0.1", 8618, True)
    with pytest.raises(ConfigError) as refused:
        with_console(cfg, host="0.0.0.0")
    assert "console.password" in refused.value.message and refused.value.hint
    add_console_keys(chain.hq.config, 'host = "0.0.0.0"')
    with pytest.raises(ConfigError) as refused:
        load(chain.hq.config)
    assert "`console.host` = '0.0.0.0'" in refused.value.message and "\n" not in refused.value.message
    assert load(chain.hq.config, env={"CENTRALE_CONSOLE_PASSWORD": "s3cret"}).console.host == "0.0.0.0"


@pytest.mark.parametrize("path", STORE_POSTS)
def test_a_post_without_or_with_a_wrong_csrf_token_is_refused(store_client: TestClient, path: str) -> None:
    token = csrf_of(store_client)
    assert store_client.post(path, data={}).status_code == 403
    assert store_client.post(path, data={"csrf": "0" * 64}).status_code == 403
    assert store_client.post(path, data={"csrf": token[:-1]}).status_code == 403
    # Another browser's token (another session) is no good here either.
    other = TestClient(store_client.app, base_url="http://127.0.0.1")
    assert other.post(path, data={"csrf": token}).status_code == 403


def test_head_office_job_form_needs_its_token(hq_client: TestClient) -> None:
    assert hq_client.post("/jobs", data={"action": "pull-articles", "all": "on"}).status_code == 403
    token = csrf_of(hq_client)
    assert hq_client.post("/jobs", data={"action": "pull-articles", "csrf": "bad"}).status_code == 403
    assert hq_client.post("/jobs", data={"action": "pull-articles", "store": "12", "csrf": token}).status_code == 303


def test_pages_carry_protective_headers(hq_client: TestClient) -> None:
    res = hq_client.get("/")
    assert res.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in res.headers["content-security-policy"]
    cookie = res.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def with_password(config: Path) -> None:
    add_console_keys(config, 'password = "tiroir-caisse"')


def test_with_a_password_every_page_asks_for_it(chain: Chain) -> None:
    with_password(chain.store(12).config)
    with console_client(chain.store(12).config) as client:
        assert client.get("/").headers["location"] == "/login"
        assert client.get("/log").status_code == 303
        assert client.get("/static/console.css").status_code == 200  # assets stay open
        token = csrf_of(client, "/login")
        assert client.post("/actions/pull-articles", data={"csrf": token}).status_code == 403
        wrong = client.post("/login", data={"csrf": token, "password": "caisse"})
        assert wrong.status_code == 401 and "Wrong password" in wrong.text
        assert client.post("/login", data={"password": "tiroir-caisse"}).status_code == 403  # no token
        ok = client.post("/login", data={"csrf": token, "password": "tiroir-caisse"})
        assert ok.status_code == 303 and ok.headers["location"] == "/"
        page = client.get("/")
        assert page.status_code == 200 and "Lyon" in page.text
        assert "tiroir-caisse" not in page.text
        # The session changed at login: the token of before is worth nothing now.
        assert client.post("/options", data={"csrf": token}).status_code == 403


def basic(password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"prometheus:{password}".encode()).decode()}


def test_metrics_take_basic_auth_when_a_password_is_set(chain: Chain) -> None:
    with_password(chain.hq.config)
    with console_client(chain.hq.config) as client:
        refused = client.get("/metrics")
        assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Basic")
        assert client.get("/metrics", headers=basic("wrong")).status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Basic !!!"}).status_code == 401
        ok = client.get("/metrics", headers=basic("tiroir-caisse"))
        assert ok.status_code == 200 and "centrale_jobs{" in ok.text
