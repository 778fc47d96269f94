"""Reconciliation per business day: a day head office is short of is found and re-sent; a day
the store purged is reported, not "repaired"."""

from __future__ import annotations

import datetime as dt
import threading

from centrale.app.actions import reconcile_days, store_actions
from centrale.core.config import load
from centrale.core.db import hq_params
from jobs.reconcile import reconcile
from jobs.runner import JobsRunner
from sandbox.chain import Chain
from sandbox.inprocess import InProcessStore

D1, D2 = dt.date(2026, 11, 20), dt.date(2026, 11, 21)
RANGE = (dt.date(2026, 11, 1), dt.date(2026, 12, 1))


def sell(site, day: dt.date, n: int, total: str = "10.00") -> None:
    for i in range(n):
        site.sql(
            "INSERT INTO sales (ticket_no, business_day, opened_at, total, status) VALUES (%s, %s, %s, %s, 'paid')",
            (i, day, dt.datetime.combine(day, dt.time(10, i)), total),
        )


def test_a_short_day_is_found_and_resent_and_a_purged_day_only_reported(chain: Chain) -> None:
    site = chain.store(12)
    cfg = load(site.config)
    with InProcessStore(cfg) as run:
        sell(site, D1, 3)
        sell(site, D2, 2, "5.50")
        run.sync()
        assert reconcile(cfg, *RANGE) == []  # all equal
        chain.hq.sql("DELETE FROM sales WHERE origin_store = 12 AND business_day = %s LIMIT 1", (D1,))  # lost
        site.sql("DELETE FROM sales WHERE business_day = %s", (D2,))  # purged at the store (not shipped)
        run.wait_caught_up()
        diffs = {d.day: d for d in reconcile(cfg, *RANGE) if d.table == "sales"}
        assert diffs[D1].short_at_hq and diffs[D1].store == (3, 30) and diffs[D1].hq == (2, 20)
        assert not diffs[D2].short_at_hq
        rows, report = reconcile_days(cfg, *RANGE)
        assert "re-sent 1 day(s)" in report and "store purged rows" in report
        assert rows == 3  # only that day's sales rows (tables with a day column)
        run.ship()
    assert [d.day for d in reconcile(cfg, *RANGE) if d.short_at_hq] == []
    assert chain.hq.sql("SELECT COUNT(*) FROM sales WHERE origin_store = 12 AND business_day = %s", (D1,)) == [(3,)]


def test_reconcile_from_the_command_line_and_as_a_job(chain: Chain) -> None:
    site = chain.store(12)
    res = chain.centrale(site, "reconcile", "--day", "2026-11-20", "--no-resend")
    assert "0 days differ" in res.stdout
    bad = chain.centrale(site, "reconcile", "--day", "20/11/2026", check=False)
    assert bad.returncode == 64 and "is not a date" in bad.stderr
    out = chain.centrale(chain.hq, "jobs", "add", "reconcile", "--store", "12", "--since", "2026-11-01").stdout
    assert "reconcile for store 12 (pending)" in out
    cfg = load(site.config)
    (outcome,) = JobsRunner(hq_params(cfg.hq), 12, store_actions(cfg), threading.Event()).tick()
    assert outcome.status == "done" and outcome.message.startswith("reconcile 2026-11-01..")
