"""`centrale run` as a store PC runs it: killed, restarted, cut off from head office.
Whatever happens, head office ends up equal to the store, row for row."""

from __future__ import annotations

import json
import random
import threading
import time
from pathlib import Path

import pytest

from centrale.config import load
from sandbox.chain import Chain, Site
from sandbox.compare import compare_store, describe
from sandbox.processes import CentraleProcess
from sandbox.workload import StoreActivity, seed_store


class Till:
    """Sells continuously in a background thread until stopped."""

    def __init__(self, site: Site, seed: int) -> None:
        self.site = site
        self.seed = seed
        self.stop_event = threading.Event()
        self.sold = 0
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        with self.site.connect() as conn:
            activity = StoreActivity(conn, seed=self.seed)
            while not self.stop_event.is_set():
                activity.sell()
                self.sold += 1
                if self.sold % 10 == 0:
                    activity.punch()
                time.sleep(0.005)

    def __enter__(self) -> Till:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_event.set()
        self.thread.join()


def status(chain: Chain, site: Site) -> dict:
    res = chain.centrale(site, "status", "--json")
    return json.loads(res.stdout)


def wait_equal(chain: Chain, site: Site, timeout_s: float = 90) -> None:
    cfg = load(site.config)
    deadline = time.monotonic() + timeout_s
    diffs = []
    while time.monotonic() < deadline:
        with site.connect() as s, chain.hq.connect() as h:
            diffs = compare_store(s, h, cfg.catalog, site.number, site.database)
        if all(d.equal for d in diffs):
            return
        time.sleep(0.5)
    raise AssertionError(describe(diffs))


def run_process(site: Site, tmp: Path) -> CentraleProcess:
    return CentraleProcess(site.config, tmp / f"run-{site.number}.log").start()


def test_kill_9_at_random_moments_loses_and_doubles_nothing(chain: Chain, tmp_path: Path) -> None:
    site = chain.store(12)
    with site.connect() as conn:
        seed_store(conn)
    assert chain.centrale(site, "snapshot").returncode == 0
    rng = random.Random(2618)
    proc = run_process(site, tmp_path)
    kills = 0
    with Till(site, seed=5) as till:
        for _ in range(10):
            time.sleep(rng.uniform(0.3, 1.6))
            proc.kill()
            kills += 1
            proc = run_process(site, tmp_path)
        time.sleep(1.0)
    assert till.sold > 50
    wait_equal(chain, site)
    assert proc.terminate() == 0, (tmp_path / "run-12.log").read_text()[-3000:]
    assert kills == 10
    st = status(chain, site)
    assert st["backlog"] == 0 and not st["running"]


@pytest.mark.local_servers
def test_head_office_outage_grows_the_backlog_and_loses_nothing(chain: Chain, tmp_path: Path) -> None:
    site = chain.store(12)
    with site.connect() as conn:
        seed_store(conn)
        chain.centrale(site, "snapshot")
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
            while (st := status(chain, site))["capture_behind_bytes"] != 0 or not st["last_error"]:
                assert time.monotonic() < deadline, st
                time.sleep(0.3)
            assert st["backlog"] >= 80 * 3
            assert st["last_error"] and "unreachable" in st["last_error"]
            assert proc.alive
            proc.terminate()
            chain.hq.server.start()  # head office is back
            res = chain.centrale(site, "outbox", "replay")
            assert "0 rows waiting" in res.stdout, res.stdout
        finally:
            proc.terminate()
    wait_equal(chain, site, timeout_s=10)
    assert status(chain, site)["last_error"] is None


def test_sigterm_stops_cleanly_and_a_second_run_is_refused(chain: Chain, tmp_path: Path) -> None:
    site = chain.store(12)
    proc = run_process(site, tmp_path)
    try:
        deadline = time.monotonic() + 30
        while not status(chain, site)["running"]:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        second = chain.centrale(site, "run", check=False)
        assert second.returncode != 0
        assert "already serves this site" in second.stderr
    finally:
        started = time.monotonic()
        assert proc.terminate() == 0
    assert time.monotonic() - started < 5
    assert "Centrale stopped" in (tmp_path / "run-12.log").read_text()


@pytest.mark.local_servers
def test_store_mariadb_restarts_and_binlog_rotations_during_capture(chain: Chain, tmp_path: Path) -> None:
    """The store's own server restarts and rotates its binlog while the till sells: capture
    reconnects from its checkpoint and head office ends equal."""
    site = chain.store(12)
    with site.connect() as conn:
        seed_store(conn)
    chain.centrale(site, "snapshot")
    proc = run_process(site, tmp_path).wait_capturing()
    try:
        for round_ in range(3):
            with site.connect() as conn:
                activity = StoreActivity(conn, seed=10 + round_)
                for i in range(15):
                    activity.sell()
                    if i % 5 == 0:
                        site.sql("FLUSH BINARY LOGS")
            site.server.restart()  # the store PC's database restarts under Centrale
        assert proc.alive
        wait_equal(chain, site)
    finally:
        proc.terminate()
    assert "capture interrupted" in (tmp_path / "run-12.log").read_text()
