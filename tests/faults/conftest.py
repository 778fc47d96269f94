"""Fixtures of the fault-injection suite: two selling stores, their `centrale run` processes, and a
way to catch their batches half-applied at head office.

The helpers the scenarios share live in ``sandbox``: `Till` (sandbox/tills.py), `wait_equal`
(sandbox/compare.py, per-row hashes), `run_process` and `status_json` (sandbox/processes.py)."""

from __future__ import annotations

import contextlib
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

import pymysql
import pytest

from sandbox.chain import Chain, Site
from sandbox.processes import CentraleProcess, run_process

Spawn = Callable[[Site], CentraleProcess]

FAULT_RUN = os.environ.get("CENTRALE_FAULT_RUN", "0")  # set by `python -m sandbox.faultruns`


class HoldBatches(Protocol):
    def __call__(
        self, sites: list[Site], *, then: Callable[[], object] | None = None
    ) -> AbstractContextManager[None]: ...


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> random.Random:
    """The scenario's random moments, seeded by the test's name and the run number
    (CENTRALE_FAULT_RUN, 0 by default): a failing run replays with the same moments."""
    return random.Random(f"{request.node.name}:{FAULT_RUN}")


@pytest.fixture
def stores(chain: Chain) -> list[Site]:
    """Stores 12 and 13 with their articles and salespeople, snapshotted into their outboxes."""
    return [chain.seeded(chain.store(12)), chain.seeded(chain.store(13))]


@pytest.fixture
def spawn(chain: Chain, tmp_path: Path) -> Iterator[Spawn]:
    """Starts `centrale run` for a store (log in ``tmp_path/run-<store>.log``); whatever is still
    running when the test ends, passed or failed, is killed (before the chain's databases go)."""
    started: list[CentraleProcess] = []

    def start(site: Site) -> CentraleProcess:
        proc = run_process(site, tmp_path)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.kill()


@pytest.fixture
def hold_batches(chain: Chain) -> HoldBatches:
    """A context manager that catches the stores' next batches half-applied at head office.

    It locks head office's copy of the stores' `stock_levels` rows (every ticket updates one),
    calls ``then`` (to start a shipping tick, when no `centrale run` ticks by itself), and waits
    until one shipping transaction per store is blocked on that lock after writing some of its
    rows (the progress row, the ticket header, its lines): a batch in flight, open at head
    office. The body injects the fault; on leaving, the lock is released (if head office is
    still up to release it). Needs the stores' stock levels at head office already."""

    @contextlib.contextmanager
    def hold(sites: list[Site], *, then: Callable[[], object] | None = None) -> Iterator[None]:
        holder = chain.hq.connect(autocommit=False)
        try:
            numbers = ",".join(str(s.number) for s in sites)
            with holder.cursor() as cur:
                cur.execute(f"SELECT * FROM stock_levels WHERE origin_store IN ({numbers}) FOR UPDATE")
                assert cur.rowcount > 0, "the stores' stock levels are not at head office yet"
            if then is not None:
                then()
            _wait_for_blocked_batches(chain, len(sites))
            yield
        finally:
            with contextlib.suppress(pymysql.err.MySQLError):
                holder.rollback()
            with contextlib.suppress(pymysql.err.MySQLError):
                holder.close()

    return hold


def _wait_for_blocked_batches(chain: Chain, count: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    waiting: list[tuple[object, ...]] = []
    while time.monotonic() < deadline:
        waiting = chain.hq.server.sql(
            "SELECT trx_mysql_thread_id, trx_rows_modified FROM information_schema.INNODB_TRX "
            "WHERE trx_state = 'LOCK WAIT' AND trx_rows_modified > 1"
        )
        if len(waiting) >= count:
            return
        # Not faster: InnoDB refreshes what INNODB_TRX shows only after 0.1 s without a read.
        time.sleep(0.25)
    trx = chain.hq.server.sql(
        "SELECT trx_mysql_thread_id, trx_state, trx_rows_modified, LEFT(trx_query, 300) "
        "FROM information_schema.INNODB_TRX"
    )
    processes = chain.hq.server.sql(
        "SELECT ID, COMMAND, TIME, STATE, LEFT(INFO, 200) FROM information_schema.PROCESSLIST"
    )
    raise AssertionError(
        f"expected {count} batches blocked half-applied at head office, saw {waiting}; "
        f"transactions: {trx}; connections: {processes}"
    )
