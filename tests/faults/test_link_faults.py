"""A link to head office that drops or stalls: timeouts fire, nothing hangs, nothing is lost or
doubled, shipping resumes when the link is back, with the stores' tills selling throughout."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from sandbox.chain import Chain, Site
from sandbox.compare import site_differences, wait_equal
from sandbox.inprocess import InProcessStore
from sandbox.processes import status_json
from sandbox.proxy import TcpProxy
from sandbox.tills import Till
from sandbox.workload import StoreActivity
from tests.faults.conftest import HoldBatches, Spawn

# Head office on MariaDB and on MySQL: a cut or stalled link reads as the server's own errors.
pytestmark = pytest.mark.parametrize("chain", ["mariadb", "mysql-hq"], indirect=True)


def _through_proxy(chain: Chain, site: Site, proxy: TcpProxy) -> None:
    """Point the store's head-office link at the proxy, with short timeouts."""
    chain.centrale(
        site, "config", "set", "hq.port", str(proxy.port), "hq.read_timeout_s", "2", "hq.connect_timeout_s", "2"
    )


@pytest.fixture
def proxied(chain: Chain) -> Iterator[tuple[Site, TcpProxy]]:
    """Store 12 seeded and snapshotted, reaching head office through a proxy the test breaks."""
    proxy = TcpProxy(chain.hq.server.port)
    site = chain.store(12)
    _through_proxy(chain, site, proxy)
    yield chain.seeded(site), proxy
    proxy.close()


def test_a_stalled_link_times_out_instead_of_hanging(chain: Chain, proxied: tuple[Site, TcpProxy]) -> None:
    """A link that stalls (sockets open, no bytes) makes shipping fail on its read timeout instead
    of hanging; once it flows again the outbox drains and head office equals the store."""
    site, proxy = proxied
    with InProcessStore(site.config) as run, site.connect() as conn:
        till = StoreActivity(conn, seed=3)
        till.sell()
        assert run.sync().error is None
        proxy.set_mode("stall")  # bytes stop, sockets stay open
        for _ in range(10):
            till.sell()
        started = time.monotonic()
        report = run.sync()
        assert report.error and time.monotonic() - started < 20  # the read timeout fired
        proxy.set_mode("pass")
        run.drain()
    assert site_differences(chain, site) == "equal"


def test_links_cut_mid_batch_lose_and_double_nothing(chain: Chain, proxied: tuple[Site, TcpProxy]) -> None:
    """Shipping ticks run with the link cut every other time: nothing is lost and no sale line
    arrives twice."""
    site, proxy = proxied
    with InProcessStore(site.config) as run, site.connect() as conn:
        till = StoreActivity(conn, seed=4)
        for round_ in range(5):
            for _ in range(8):
                till.sell()
            run.wait_caught_up()
            proxy.set_mode("drop" if round_ % 2 == 0 else "pass")
            run.ship()  # fails while dropped
            proxy.set_mode("pass")
        run.drain()
    assert site_differences(chain, site) == "equal"
    dup = chain.hq.sql("SELECT COUNT(*) - COUNT(DISTINCT id) FROM sale_lines WHERE origin_store = 12")
    assert dup == [(0,)]


def test_a_tick_cut_off_after_shipping_part_of_the_backlog_leaves_its_error_in_status(
    chain: Chain, proxied: tuple[Site, TcpProxy], hold_batches: HoldBatches
) -> None:
    """A shipping tick that ships some batches and then loses the link ends with shipping
    paused: the outbox's last error (what `status` shows) names it until a later tick succeeds,
    not only after the next failing tick (with the default 30 s interval, half a minute of a
    falsely clean status)."""
    site, proxy = proxied
    with InProcessStore(site.config) as run, site.connect() as conn:
        till = StoreActivity(conn, seed=12)
        till.sell()
        assert run.sync().error is None  # the store's stock levels are at head office
        for _ in range(25):  # a first batch of punches alone, which head office takes...
            till.punch()
        till.sell()  # ...then a batch with a ticket, which updates a stock level: held there
        run.wait_caught_up()
        with ThreadPoolExecutor(max_workers=1) as pool:
            ticks = []
            with hold_batches([site], then=lambda: ticks.append(pool.submit(run.ship))):
                proxy.set_mode("drop")  # the link goes while that batch is half-applied
            report = ticks[0].result()
        assert report.batches >= 1 and report.error, report
        assert run.ship_box.stats().last_error, "status shows no error while shipping is paused"
        proxy.set_mode("pass")
        run.drain()
        assert run.ship_box.stats().last_error is None
    assert site_differences(chain, site) == "equal"


@pytest.fixture
def links(chain: Chain, stores: list[Site]) -> Iterator[dict[int, TcpProxy]]:
    """Stores 12 and 13 each reach head office through their own link (a proxy the test breaks)."""
    proxies = {site.number: TcpProxy(chain.hq.server.port) for site in stores}
    for site in stores:
        _through_proxy(chain, site, proxies[site.number])
    yield proxies
    for proxy in proxies.values():
        proxy.close()


def test_two_stores_selling_while_their_links_are_cut_and_restored(
    chain: Chain,
    stores: list[Site],
    links: dict[int, TcpProxy],
    spawn: Spawn,
    hold_batches: HoldBatches,
    rng: random.Random,
) -> None:
    """While both tills sell, the stores' links are cut (open connections dropped, new ones
    refused) and restored eight times, one store's or both (seeded random): at random moments,
    and every other time while a batch from each store is half-applied at head office. Whether
    head office then rolls such a batch back or finishes it, each store ends with head office
    equal to it row for row, and `centrale run` stops cleanly."""
    procs = [spawn(site).wait_capturing() for site in stores]
    wait_equal(chain, *stores)  # every store's rows are at head office: its batches can be held
    with Till(stores[0].connect, seed=21) as till12, Till(stores[1].connect, seed=22) as till13:
        for round_ in range(8):
            cut = [links[n] for n in rng.choice([(12,), (13,), (12, 13)])]
            time.sleep(rng.uniform(0.2, 0.8))
            if round_ % 2:
                with hold_batches(stores):
                    for proxy in cut:
                        proxy.set_mode("drop")
            else:
                for proxy in cut:
                    proxy.set_mode("drop")
            time.sleep(rng.uniform(0.3, 1.2))
            for proxy in cut:
                proxy.set_mode("pass")
        time.sleep(1.0)
    assert till12.sold > 50 and till13.sold > 50
    wait_equal(chain, *stores)
    for proc in procs:
        assert proc.terminate() == 0, proc.log_text()[-3000:]
        assert "unreachable" in proc.log_text()


def test_two_stores_selling_while_their_links_stall(
    chain: Chain, stores: list[Site], links: dict[int, TcpProxy], spawn: Spawn
) -> None:
    """While both tills sell, store 12's link stalls (bytes stop, sockets stay open), then store
    13's, then both. Each stalled store's shipping times out instead of hanging, and its
    `status` says so; once the links flow again each store ends with head office equal to it
    row for row, and `centrale run` stops cleanly."""
    procs = [spawn(site).wait_capturing() for site in stores]
    with Till(stores[0].connect, seed=31) as till12, Till(stores[1].connect, seed=32) as till13:
        for stalled in ((12,), (13,), (12, 13)):
            time.sleep(0.5)
            stalled_at = time.time()
            for n in stalled:
                links[n].set_mode("stall")
            for n in stalled:
                _wait_for_shipping_error_since(chain, chain.store(n), stalled_at)
            for n in stalled:
                links[n].set_mode("pass")
        time.sleep(1.0)
    assert till12.sold > 50 and till13.sold > 50
    wait_equal(chain, *stores)
    for proc in procs:
        assert proc.terminate() == 0, proc.log_text()[-3000:]


def _wait_for_shipping_error_since(chain: Chain, site: Site, since: float, timeout_s: float = 60) -> None:
    """Poll `status` until it shows a shipping error recorded after ``since``: a timeout."""
    deadline = time.monotonic() + timeout_s
    st: dict[str, Any] = {}
    while time.monotonic() < deadline:
        st = status_json(chain, site)
        if st["last_error"] and (st["last_error_at"] or 0) >= since:
            assert "timed out" in st["last_error"], st
            return
        time.sleep(0.3)
    raise AssertionError(f"store {site.number}: no shipping error while its link stalled: {st}")
