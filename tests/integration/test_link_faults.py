"""A link to head office that drops or stalls: timeouts fire, nothing hangs, nothing is lost or
doubled, shipping resumes when the link is back."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from sandbox.chain import Chain, Site
from sandbox.compare import site_differences
from sandbox.inprocess import InProcessStore
from sandbox.proxy import TcpProxy
from sandbox.workload import StoreActivity, seed_store


@pytest.fixture
def proxied(chain: Chain) -> Iterator[tuple[Site, TcpProxy]]:
    """Store 12 seeded and snapshotted, reaching head office through a proxy the test breaks."""
    proxy = TcpProxy(chain.hq.server.port)
    site = chain.store(12)
    chain.centrale(
        site, "config", "set", "hq.port", str(proxy.port), "hq.read_timeout_s", "2", "hq.connect_timeout_s", "2"
    )
    with site.connect() as conn:
        seed_store(conn)
    chain.centrale(site, "snapshot")
    yield site, proxy
    proxy.close()


def test_a_stalled_link_times_out_instead_of_hanging(chain: Chain, proxied: tuple[Site, TcpProxy]) -> None:
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
