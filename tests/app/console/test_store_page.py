"""The store page on real servers: what it shows, its buttons running the store's actions, the
options and the head-office connection written to the configuration file, the log tail."""

from __future__ import annotations

import re
from decimal import Decimal

from starlette.testclient import TestClient

import centrale
from centrale.core.config import load
from sandbox.chain import Chain
from tests.app.console.conftest import console_client, csrf_of, finished_status


def seed_hq_articles(chain: Chain) -> None:
    chain.hq.sql(
        "INSERT INTO articles (id, code, label, price, price_takeaway, printer) VALUES "
        "(1, 'CAF', 'Café', 1.80, 1.80, 'bar'), (2, 'CRO', 'Croissant', 1.20, 1.10, 'bar')"
    )


def test_the_page_shows_the_tray_menu_and_the_pipelines_state(store_client: TestClient) -> None:
    page = store_client.get("/").text
    assert (
        f"<dd>{centrale.__version__}</dd>" in page
        and "<dd>12 Lyon</dd>" in page
        and "no (head office is store 1)" in page
    )
    # `centrale run` is not running in this test: capture is red, with the reason.
    assert re.search(r'data-part="capture" data-color="red"', page)
    assert "`centrale run` is not running" in page
    assert re.search(r'data-part="shipping" data-color="green"', page)
    assert re.search(r'data-part="jobs" data-color="green"', page)  # head office reachable, nothing waiting
    for action in ("pull-articles", "pull-keyboards", "pull-stores", "pull-products", "sync-customers"):
        assert f'action="/actions/{action}"' in page
    assert 'action="/actions/push-stock"' in page and 'action="/actions/push-staff"' in page


def test_a_button_runs_the_action_and_shows_its_result(chain: Chain, store_client: TestClient) -> None:
    seed_hq_articles(chain)
    token = csrf_of(store_client)
    res = store_client.post("/actions/pull-articles", data={"csrf": token})
    assert res.status_code == 303
    assert finished_status(store_client, "pull-articles") == "done"
    fragment = store_client.get("/fragments/tasks").text
    assert "pull articles" in fragment  # the action's own summary line
    assert chain.store(12).sql("SELECT id, label FROM articles ORDER BY id") == [(1, "Café"), (2, "Croissant")]
    log = store_client.get("/log").text
    assert "console: pull-articles started" in log and "console: pull-articles done" in log


def test_an_unknown_action_is_refused(store_client: TestClient) -> None:
    token = csrf_of(store_client)
    res = store_client.post("/actions/format-disk", data={"csrf": token})
    assert res.status_code == 400 and "unknown action `format-disk`" in res.text
    assert "format-disk" not in store_client.get("/fragments/tasks").text


def test_the_price_switch_is_written_to_the_file_and_honoured_by_the_next_pull(
    chain: Chain, store_client: TestClient
) -> None:
    site = chain.store(12)
    seed_hq_articles(chain)
    token = csrf_of(store_client)
    store_client.post("/actions/pull-articles", data={"csrf": token})
    assert finished_status(store_client, "pull-articles") == "done"
    site.sql("UPDATE articles SET price = 2.00 WHERE id = 1")  # this store's own price
    # Prices off, printers on (an unchecked box is absent from the form).
    res = store_client.post("/options", data={"csrf": token, "receive_printers": "on"})
    assert res.status_code == 303
    text = site.config.read_text()
    assert "receive_prices = false" in text and "receive_printers = true" in text
    assert load(site.config).options.receive_prices is False
    page = store_client.get("/").text
    assert re.search(r'name="receive_prices"\s*>', page) and re.search(r'name="receive_printers" checked', page)
    chain.hq.sql("UPDATE articles SET price = 1.90, printer = 'kitchen', updated_at = UTC_TIMESTAMP(6) WHERE id = 1")
    store_client.post("/actions/pull-articles", data={"csrf": token})
    assert finished_status(store_client, "pull-articles") == "done"
    assert site.sql("SELECT price, printer FROM articles WHERE id = 1") == [(Decimal("2.00"), "kitchen")]


def hq_form(chain: Chain, token: str, **changes: str) -> dict[str, str]:
    cfg = load(chain.store(12).config)
    form = {"csrf": token, "host": cfg.hq.host or "", "port": str(cfg.hq.port), "database": cfg.hq.database or ""}
    form["user"] = cfg.hq.user or ""
    return {**form, **changes}


def test_head_office_connection_test_and_save(chain: Chain, store_client: TestClient) -> None:
    site = chain.store(12)
    before = site.config.read_text()
    token = csrf_of(store_client)
    ok = store_client.post("/hq", data={**hq_form(chain, token), "do": "test"})
    assert ok.status_code == 200 and "head office number 1" in ok.text
    wrong = store_client.post("/hq", data={**hq_form(chain, token, password="nope"), "do": "test"})
    assert wrong.status_code == 200 and "Cannot connect" in wrong.text and "check hq.user and hq.password" in wrong.text
    for bad in ("70000", "abc", ""):
        tested = store_client.post("/hq", data={**hq_form(chain, token, port=bad), "do": "test"})
        assert tested.status_code == 400 and "hq.port" in tested.text
        saved = store_client.post("/hq", data={**hq_form(chain, token, port=bad), "do": "save"})
        assert saved.status_code == 400 and "hq.port" in saved.text and "file left unchanged" in saved.text
    assert site.config.read_text() == before
    # Saving a new database and password: written, the password never shown back.
    res = store_client.post(
        "/hq", data={**hq_form(chain, token, database="elsewhere", password='pa:ss"w'), "do": "save"}
    )
    assert res.status_code == 303
    cfg = load(site.config)
    assert cfg.hq.database == "elsewhere" and cfg.hq_password() == 'pa:ss"w'
    page = store_client.get("/").text
    assert 'value="elsewhere"' in page and "pa:ss" not in page
    # The store's own local.url password is not echoed either.
    local_password = cfg.local.params.password
    assert not local_password or local_password not in page


def test_a_failed_action_shows_why(chain: Chain) -> None:
    site = chain.store(12)
    text = site.config.read_text()
    site.config.write_text(re.sub(r"(?m)^database = .*$", 'database = "no_such_head_office"', text, count=1))
    with console_client(site.config) as client:
        token = csrf_of(client)
        client.post("/actions/pull-articles", data={"csrf": token})
        assert finished_status(client, "pull-articles") == "failed"
        fragment = client.get("/fragments/tasks").text
        assert "no_such_head_office" in fragment
        page = client.get("/").text
        assert re.search(r'data-part="jobs" data-color="red"', page)


def test_jobs_asked_by_head_office_are_listed(chain: Chain, store_client: TestClient, hq_client: TestClient) -> None:
    token = csrf_of(hq_client)
    assert hq_client.post("/jobs", data={"csrf": token, "action": "pull-stores", "store": "12"}).status_code == 303
    page = store_client.get("/").text
    assert "Jobs asked by head office" in page and "pull-stores" in page and "1 job waiting" in page
