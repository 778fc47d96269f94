"""The head-office page on real servers: every store with what it reported, stale stores
flagged, today's sales per store and per hour, the jobs table, its filters and its form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from starlette.testclient import TestClient

import centrale
from centrale.app.report import StatusReporter
from centrale.core.config import load
from centrale.hq.schema import init_hq, progress
from sandbox.chain import Chain
from sandbox.inprocess import InProcessStore
from sandbox.workload import StoreActivity, seed_store, totals
from tests.app.console.conftest import add_console_keys, console_client, csrf_of


@pytest.fixture
def shipped(chain: Chain) -> Iterator[Chain]:
    """Both stores sold a few tickets, shipped them and reported their state."""
    for site in chain.stores:
        with InProcessStore(site.config) as run, site.connect() as conn:
            seed_store(conn)
            activity = StoreActivity(conn, seed=site.number)
            for _ in range(4 if site.number == 12 else 2):
                activity.sell()
            run.sync()
        assert StatusReporter(load(site.config)).tick()
    yield chain


def row_of(page: str, store: int) -> str:
    found = re.search(rf'<tr data-store="{store}".*?</tr>', page, re.S)
    assert found, f"store {store} is not in the table"
    return found.group(0)


def test_every_store_is_listed_with_what_it_reported(shipped: Chain, hq_client: TestClient) -> None:
    page = hq_client.get("/").text
    for number, name in ((12, "Lyon"), (13, "Lille")):
        row = row_of(page, number)
        assert f"{number} {name}" in row and centrale.__version__ in row and 'data-color="green"' in row
        assert re.search(r"<td>0</td>", row)  # backlog 0 after shipping everything
        assert "UTC" in row  # last contact


def test_a_store_that_stopped_reporting_is_flagged(shipped: Chain) -> None:
    shipped.hq.sql(
        "UPDATE centrale_progress SET last_at = last_at - INTERVAL 2 HOUR, reported_at = reported_at - INTERVAL 2 HOUR "
        "WHERE store = 13"
    )
    add_console_keys(shipped.hq.config, "stale_after_s = 3600")
    with console_client(shipped.hq.config) as client:
        page = client.get("/").text
    assert 'data-color="red"' in row_of(page, 13) and "no news for 120 min (limit 60 min)" in row_of(page, 13)
    assert 'data-color="green"' in row_of(page, 12) and "no news" not in row_of(page, 12)


def test_a_reported_error_shows_in_the_stores_row(shipped: Chain, hq_client: TestClient) -> None:
    shipped.hq.sql(
        "UPDATE centrale_progress SET last_error = 'Data too long for column label', backlog = 7 WHERE store = 12"
    )
    row = row_of(hq_client.get("/").text, 12)
    assert 'data-color="amber"' in row and "Data too long for column label" in row and "<td>7</td>" in row


def test_todays_sales_per_store_match_the_stores_and_the_chart_has_a_line_each(
    shipped: Chain, hq_client: TestClient
) -> None:
    page = hq_client.get("/").text
    for site in shipped.stores:
        with site.connect() as conn:
            tickets, total = totals(conn)
        row = re.search(rf'<tr data-sales-store="{site.number}">.*?</tr>', page, re.S)
        assert row is not None
        cells = re.findall(r"<td[^>]*>([^<]*)</td>", row.group(0))
        assert int(cells[1]) == tickets and Decimal(cells[2]) == total
        assert f'<polyline data-store="{site.number}"' in page
    assert "sale_payments.amount per store per hour" in page


def test_posting_jobs_to_some_or_all_stores_and_filtering_them(shipped: Chain, hq_client: TestClient) -> None:
    token = csrf_of(hq_client)
    res = hq_client.post("/jobs", data={"csrf": token, "action": "pull-articles", "store": ["12", "13"]})
    assert res.status_code == 303 and res.headers["location"] == "/?posted=2#jobs"
    assert "2 jobs posted." in hq_client.get(res.headers["location"]).text
    res = hq_client.post("/jobs", data={"csrf": token, "action": "reconcile", "all": "on", "since": "2026-01-01"})
    assert res.status_code == 303
    jobs = shipped.hq.sql("SELECT store, action, status, params, requested_by FROM centrale_jobs ORDER BY id")
    assert [(s, a) for s, a, *_ in jobs] == [
        (12, "pull-articles"),
        (13, "pull-articles"),
        (12, "reconcile"),
        (13, "reconcile"),
    ]
    assert all(r[4] == "console" for r in jobs) and '"since":"2026-01-01"' in jobs[2][3]
    only_12 = hq_client.get("/?store=12").text
    assert set(re.findall(r'<tr data-job="\d+" data-status="pending"><td>\d+</td><td>(\d+)</td>', only_12)) == {"12"}
    none_done = hq_client.get("/?status=done").text
    assert "No job." in none_done


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"action": "format-disk", "store": "12"}, "unknown action `format-disk`"),
        ({"action": "pull-articles"}, "no store given"),
        ({"action": "pull-articles", "store": "douze"}, "must be a number"),
        ({"action": "reconcile", "store": "12", "since": "yesterday"}, "is not a date"),
    ],
)
def test_a_bad_job_form_is_refused_and_nothing_is_posted(
    chain: Chain, hq_client: TestClient, form: dict[str, str], message: str
) -> None:
    res = hq_client.post("/jobs", data={"csrf": csrf_of(hq_client), **form})
    assert res.status_code == 400 and message in res.text
    assert chain.hq.sql("SELECT COUNT(*) FROM centrale_jobs") == [(0,)]


def test_a_bad_status_filter_says_so(hq_client: TestClient) -> None:
    res = hq_client.get("/?status=lost")
    assert res.status_code == 400 and "unknown status `lost`" in res.text


def test_hq_init_adds_the_report_columns_to_an_older_head_office_idempotently(chain: Chain) -> None:
    added = [
        "reported_at",
        "backlog",
        "backlog_age_s",
        "capture_lag_s",
        "last_error",
        "clock_offset_s",
        "store_position",
        "store_gtid",
        "store_commit",
    ]
    chain.hq.sql("ALTER TABLE centrale_progress " + ", ".join(f"DROP COLUMN {c}" for c in added))
    params = load(chain.hq.config).local.params
    for _ in range(2):
        init_hq(params, 1, "Siège")
        columns = [
            r[0]
            for r in chain.hq.sql(
                "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE "
                "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'centrale_progress' "
                "ORDER BY ORDINAL_POSITION"
            )
        ]
        assert columns == [c.name for c in progress.columns]
