"""`centrale run` as a store PC runs it: killed, restarted, cut off from head office, its own
database restarted under it. Whatever happens, head office ends up equal to each store, row for
row (per-row hashes, not counts), while the stores' tills keep selling through the fault."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sandbox.chain import Chain, Site
from sandbox.compare import wait_equal
from sandbox.polling import wait_until
from sandbox.processes import CentraleProcess, run_process, status_json
from sandbox.tills import Till
from sandbox.workload import StoreActivity
from tests.conftest import SERVER_MIXES
from tests.faults.conftest import HoldBatches, Spawn

KILLS_PER_STORE = 12


@pytest.mark.parametrize("chain", SERVER_MIXES, indirect=True)
def test_kill_9_at_random_moments_loses_and_doubles_nothing(
    chain: Chain, stores: list[Site], spawn: Spawn, rng: random.Random
) -> None:
    """`centrale run` on stores 12 and 13 is killed with SIGKILL 12 times each (24 kills) at
    seeded random moments while both tills sell: some kills land during start-up, the others
    after capture has started, while it captures and ships. Started again after every kill, each
    store ends with head office equal to it row for row, stops cleanly on SIGTERM, and has no
    backlog left."""
    procs = {site.number: spawn(site) for site in stores}
    kills: Counter[int] = Counter()
    stop_killing = threading.Event()
    seeds = {site.number: rng.random() for site in stores}

    def keep_killing(site: Site) -> None:
        moments = random.Random(seeds[site.number])
        proc = procs[site.number]
        for _ in range(KILLS_PER_STORE):
            if stop_killing.is_set():
                return
            if moments.random() < 0.5:
                proc.wait_capturing(timeout_s=60)  # capturing and shipping by now
                time.sleep(moments.uniform(0.0, 1.5))
            else:
                time.sleep(moments.uniform(0.05, 1.5))  # anywhere from start-up on
            proc.kill()
            kills[site.number] += 1
            proc.start()

    with (
        Till(stores[0].connect, seed=5) as till12,
        Till(stores[1].connect, seed=6) as till13,
        ThreadPoolExecutor(max_workers=len(stores)) as killers,
    ):
        try:
            for job in [killers.submit(keep_killing, site) for site in stores]:
                job.result()
        finally:
            stop_killing.set()
        time.sleep(1.0)
    assert till12.sold > 50 and till13.sold > 50
    wait_equal(chain, *stores)
    for site in stores:
        proc = procs[site.number]
        assert proc.terminate() == 0, proc.log_text()[-3000:]
    assert kills == {12: KILLS_PER_STORE, 13: KILLS_PER_STORE}
    for site in stores:
        st = status_json(chain, site)
        assert st["backlog"] == 0 and not st["running"]


@pytest.mark.local_servers
@pytest.mark.parametrize("chain", SERVER_MIXES, indirect=True)
def test_head_office_outage_grows_the_backlog_and_loses_nothing(chain: Chain, tmp_path: Path) -> None:
    """Head office is down for a while, and the store PC reboots meanwhile: Centrale starts
    anyway, captures everything into the outbox, says head office is unreachable, and a replay
    once it is back ships the whole backlog."""
    site = chain.seeded(chain.store(12))
    with site.connect() as conn:
        activity = StoreActivity(conn, seed=7)
        proc = run_process(site, tmp_path)
        try:
            activity.sell()
            wait_equal(chain, site)
            chain.hq.server.stop()  # head office goes away
            for _ in range(40):
                activity.sell()
            # The store PC reboots during the outage: Centrale starts anyway and captures.
            proc.kill()
            proc = run_process(site, tmp_path)
            for _ in range(40):
                activity.sell()
            deadline = time.monotonic() + 30
            # Wait until everything sold is captured (checkpoint at the binlog end) and the
            # outage has been noticed.
            while (st := status_json(chain, site))["capture_behind_bytes"] != 0 or not st["last_error"]:
                assert time.monotonic() < deadline, st
                time.sleep(0.3)
            assert st["backlog"] >= 80 * 3
            assert st["last_error"] and "unreachable" in st["last_error"]
            assert proc.alive
            proc.terminate()
            chain.hq.server.start()  # head office is back
            res = chain.centrale(site, "outbox", "replay")
            assert "rows waiting 0" in res.stdout, res.stdout
        finally:
            proc.terminate()
    wait_equal(chain, site, timeout_s=10)
    assert status_json(chain, site)["last_error"] is None


@pytest.mark.local_servers
def test_head_office_goes_down_mid_batch_while_two_stores_sell(
    chain: Chain, stores: list[Site], spawn: Spawn, hold_batches: HoldBatches, rng: random.Random
) -> None:
    """Head office's server goes down three times (a clean stop, a kill -9, a clean stop) while
    a batch from each store is half-applied there, with both tills selling throughout. Head
    office rolls the half-applied batches back; the stores keep capturing, keep running, and
    ship everything again once it is back: head office ends equal to each store row for row."""
    procs = [spawn(site).wait_capturing() for site in stores]
    wait_equal(chain, *stores)  # every store's rows are at head office: its batches can be held
    hq = chain.hq.server
    with Till(stores[0].connect, seed=8) as till12, Till(stores[1].connect, seed=9) as till13:
        for how in ("stop", "kill", "stop"):
            time.sleep(rng.uniform(0.2, 1.0))
            with hold_batches(stores):
                if how == "stop":
                    hq.stop()
                else:
                    hq.kill()
            sold = till12.sold, till13.sold
            time.sleep(rng.uniform(1.0, 2.0))  # the stores sell on during the outage
            hq.start()
            assert till12.sold > sold[0] and till13.sold > sold[1]
            assert all(p.alive for p in procs), [p.log_text()[-2000:] for p in procs]
        time.sleep(1.0)  # and after it
    wait_equal(chain, *stores)
    for proc in procs:
        assert proc.terminate() == 0, proc.log_text()[-3000:]
        assert "unreachable" in proc.log_text()
    for site in stores:
        assert status_json(chain, site)["backlog"] == 0


def test_sigterm_stops_cleanly_and_a_second_run_is_refused(chain: Chain, tmp_path: Path) -> None:
    """SIGTERM stops `centrale run` within seconds with exit code 0; a second `run` for the same
    site while one runs is refused."""
    site = chain.store(12)
    proc = run_process(site, tmp_path)
    try:
        deadline = time.monotonic() + 30
        while not status_json(chain, site)["running"]:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        second = chain.centrale(site, "run", check=False)
        assert second.returncode == 3
        assert "already serves this site" in second.stderr
    finally:
        started = time.monotonic()
        assert proc.terminate() == 0
    assert time.monotonic() - started < 5
    assert "Centrale stopped" in (tmp_path / "run-12.log").read_text()


@pytest.mark.local_servers
def test_store_mariadb_restarts_and_binlog_rotations_during_capture(
    chain: Chain, stores: list[Site], spawn: Spawn, rng: random.Random
) -> None:
    """Store 12's own server rotates its binlog (FLUSH BINARY LOGS) and restarts three times
    under `centrale run` while its till sells (and reconnects), and store 13 sells on
    undisturbed: capture reconnects from its checkpoint, and head office ends equal to each
    store row for row."""
    site, other = stores
    procs: dict[int, CentraleProcess] = {s.number: spawn(s).wait_capturing() for s in stores}
    with Till(site.connect, seed=10) as till, Till(other.connect, seed=11) as other_till:
        for _ in range(3):
            for _ in range(3):
                time.sleep(rng.uniform(0.2, 0.6))
                site.sql("FLUSH BINARY LOGS")
            sold = till.sold
            site.server.restart()  # the store PC's database restarts under Centrale and the till
            wait_until(lambda sold=sold: till.sold > sold, what="store 12's till sells again")
        time.sleep(1.0)
    assert till.reconnects >= 3 and till.sold > 50 and other_till.sold > 50
    assert all(p.alive for p in procs.values())
    wait_equal(chain, *stores)
    for proc in procs.values():
        assert proc.terminate() == 0, proc.log_text()[-3000:]
    assert "capture interrupted" in procs[site.number].log_text()
