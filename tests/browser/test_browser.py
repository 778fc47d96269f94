"""The console in a real browser: Debian's headless Chromium driven by Playwright, against
`centrale run` on two stores and `centrale console` at head office, all on real servers.

A button click runs the action and the page shows it done; a job posted from head office's
form is run by the stores and shows done there. With ``CENTRALE_SCREENSHOTS=DIR`` the two pages
are saved as DIR/console-store.png and DIR/console-hq.png (the README's pictures: docs/).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from sandbox.chain import Chain
from sandbox.processes import CentraleProcess, centrale_command, quiet_env, run_process, stop_process
from sandbox.server import free_port
from sandbox.workload import StoreActivity, seed_store
from tests.app.console.conftest import add_console_keys, wait_for

CHROMIUM = "/usr/bin/chromium"
SHOTS = os.environ.get("CENTRALE_SCREENSHOTS", "")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "chromium is missing: run ./scripts/ensure-system"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def running(chain: Chain) -> Iterator[dict[int, str]]:
    """`centrale run` (jobs every second) for both stores and `centrale console` at head office;
    site number -> console URL."""
    urls: dict[int, str] = {}
    procs: list[CentraleProcess] = []
    for site in chain.stores:
        port = free_port()
        site.config.write_text(site.config.read_text() + "\n[jobs]\ninterval_s = 1\n")
        add_console_keys(site.config, f"port = {port}")
        procs.append(run_process(site, chain.root).wait_capturing())
        urls[site.number] = f"http://127.0.0.1:{port}/"
    hq_port = free_port()
    hq = subprocess.Popen(
        centrale_command(chain.hq.config, "console", "--port", str(hq_port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=quiet_env(LANG="fr_FR.UTF-8"),
    )
    assert hq.stdout is not None
    assert "console sur http://127.0.0.1:" in hq.stdout.readline()  # French: the locale says so
    urls[chain.hq.number] = f"http://127.0.0.1:{hq_port}/"
    try:
        yield urls
    finally:
        assert stop_process(hq, 30) == 0
        hq.stdout.close()
        for proc in procs:
            assert proc.terminate() == 0


def sell_through_the_day(chain: Chain) -> None:
    """A few tickets per store, paid at different hours of today (for the hourly chart)."""
    for site in chain.stores:
        with site.connect() as conn:
            seed_store(conn)
            activity = StoreActivity(conn, seed=site.number)
            for _ in range(12 if site.number == 12 else 8):
                activity.sell()
        site.sql(
            "UPDATE sale_payments SET paid_at = TIMESTAMP(DATE(paid_at), MAKETIME(8 + (id * %s) %% 12, 10, 0))",
            (site.number % 5 + 2,),
        )


def test_a_button_click_runs_the_action_and_a_posted_job_completes(
    chain: Chain, running: dict[int, str], browser: Browser
) -> None:
    chain.hq.sql(
        "INSERT INTO articles (id, code, label, price, price_takeaway) VALUES "
        "(1, 'CAF', 'Café', 1.80, 1.80), (2, 'CRO', 'Croissant', 1.20, 1.10), (3, 'THE', 'Thé vert', 2.10, 2.10)"
    )
    chain.hq.sql("INSERT INTO keyboards (id, name) VALUES (1, 'Comptoir')")
    chain.hq.sql("INSERT INTO stores (id, name, is_hq) VALUES (1, 'Siège', 1), (12, 'Lyon', 0), (13, 'Lille', 0)")
    sell_through_the_day(chain)
    page: Page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-US")

    # The store: click "Get articles from head office", see the task done, the store has them.
    page.goto(running[12] + "?lang=en")
    page.click('button[data-action="pull-articles"]')
    expect(page.locator('tr[data-action="pull-articles"]').first).to_have_attribute(
        "data-status", "done", timeout=60_000
    )
    expect(page.locator("#logtail")).to_contain_text("console: pull-articles done", timeout=30_000)
    assert chain.store(12).sql("SELECT label FROM articles WHERE id <= 3 ORDER BY id") == [
        ("Café",),
        ("Croissant",),
        ("Thé vert",),
    ]

    # Head office: every sale arrived; post a job to all stores from the form; both run it.
    wait_for(lambda: chain.hq.sql("SELECT COUNT(DISTINCT origin_store) FROM sale_payments") == [(2,)], "sales at HQ")
    hq = browser.new_page(viewport={"width": 1280, "height": 900})
    hq.goto(running[1])
    expect(hq.locator("html")).to_have_attribute("lang", "fr")  # the head office's locale is French
    hq.select_option('select[name="action"]', "pull-keyboards")
    hq.check('input[name="all"]')
    hq.click("#post-job")
    expect(hq.get_by_text("2 travaux demandés.")).to_be_visible()

    def both_done() -> bool:
        hq.reload()
        return hq.locator('tr[data-job][data-status="done"]').count() == 2

    wait_for(both_done, "the posted job done by both stores")
    for site in chain.stores:
        assert site.sql("SELECT name FROM keyboards") == [("Comptoir",)]
    expect(hq.locator('polyline[data-store="12"]')).to_have_count(1)
    expect(hq.locator('polyline[data-store="13"]')).to_have_count(1)

    if SHOTS:
        page.goto(running[12] + "?lang=fr")
        page.click('button[data-action="push-staff"]')
        expect(page.locator('tr[data-action="push-staff"]').first).to_have_attribute(
            "data-status", "done", timeout=60_000
        )
        page.wait_for_timeout(2500)  # let the log tail refresh once more: a picture, not an assertion
        page.screenshot(path=str(Path(SHOTS) / "console-store.png"), full_page=True)
        hq.reload()
        hq.screenshot(path=str(Path(SHOTS) / "console-hq.png"), full_page=True)
