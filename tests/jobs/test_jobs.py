"""Head office's jobs: asked at head office, claimed atomically by each store, run in order,
recorded (whether and when), superseded, expired, retried."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import orjson
import pymysql
import pytest

from centrale.app.actions import store_actions
from centrale.core.config import load
from centrale.core.db import hq_params, parse_url
from jobs.queue import add_jobs, claim_next, list_jobs
from jobs.runner import JobsRunner
from sandbox.chain import Chain, Site
from sandbox.processes import CentraleProcess
from tests.conftest import SERVER_MIXES

# The same scenarios on MariaDB, on a MySQL store and on a MySQL head office (tests/conftest.py).
pytestmark = pytest.mark.parametrize("chain", SERVER_MIXES, indirect=True)


def hq_conn(chain: Chain):
    return chain.hq.connect(autocommit=False)


def runner_for(site: Site, **kw) -> JobsRunner:
    cfg = load(site.config)
    return JobsRunner(
        hq_params(cfg.hq), site.number, kw.pop("actions", None) or store_actions(cfg), threading.Event(), **kw
    )


def jobs_by_id(chain: Chain) -> dict:
    with hq_conn(chain) as conn:
        return {j.id: j for j in list_jobs(conn)}


def test_jobs_add_list_and_a_store_runs_its_own_in_order(chain: Chain) -> None:
    chain.hq.sql("INSERT INTO articles (id, code, label, price) VALUES (1, 'CAF', 'Café', 1.8)")
    chain.hq.sql("INSERT INTO stores (id, name, is_hq) VALUES (1, 'Siège', 1), (12, 'Lyon', 0), (13, 'Lille', 0)")
    out = chain.centrale(chain.hq, "jobs", "add", "pull-articles", "--all").stdout
    assert "for store 12 (pending)" in out and "for store 13 (pending)" in out and "store 1 " not in out
    chain.centrale(chain.hq, "jobs", "add", "pull-stores", "--store", "12")
    outcomes = runner_for(chain.store(12)).tick()
    assert [o.job.action for o in outcomes] == ["pull-articles", "pull-stores"]  # creation order
    assert all(o.status == "done" for o in outcomes)
    listed = json.loads(chain.centrale(chain.hq, "jobs", "list", "--store", "12", "--json").stdout)
    assert {j["status"] for j in listed} == {"done"}
    assert all(j["started_at"] and j["finished_at"] and j["runner"] for j in listed)
    assert [j["rows_moved"] for j in listed if j["action"] == "pull-articles"] == [1]
    pending = json.loads(chain.centrale(chain.hq, "jobs", "list", "--status", "pending", "--json").stdout)
    assert [(j["store"], j["action"]) for j in pending] == [(13, "pull-articles")]
    assert chain.store(12).sql("SELECT label FROM articles") == [("Café",)]


def test_a_store_that_was_down_runs_its_jobs_when_back(chain: Chain) -> None:
    chain.hq.sql("INSERT INTO articles (id, code, label) VALUES (1, 'CAF', 'Café')")
    with hq_conn(chain) as conn:
        add_jobs(conn, "pull-articles", [12, 13])
    lille = chain.store(13)
    lille.server.stop()  # Lille is down: Lyon does its job anyway
    try:
        assert [o.status for o in runner_for(chain.store(12)).tick()] == ["done"]
        assert [j.status for j in jobs_by_id(chain).values() if j.store == 13] == ["pending"]
    finally:
        lille.server.start()
    assert [o.status for o in runner_for(lille).tick()] == ["done"]
    assert lille.sql("SELECT code FROM articles") == [("CAF",)]


def test_two_runners_for_one_store_never_run_a_job_twice(chain: Chain) -> None:
    ran: list[int] = []
    lock = threading.Lock()

    def slow(job):
        with lock:
            ran.append(job.id)
        time.sleep(0.2)
        return 0, "ok"

    actions = {"pull-stores": slow}
    with hq_conn(chain) as conn:
        for _ in range(3):
            add_jobs(conn, "pull-stores", [12])
            time.sleep(0.01)
        add_jobs(conn, "push-stock", [12])  # different actions do not supersede each other
        add_jobs(conn, "pull-articles", [12])
    # only the newest pull-stores survives (the two older ones are superseded)
    statuses = sorted(j.status for j in jobs_by_id(chain).values())
    assert statuses == ["pending", "pending", "pending", "superseded", "superseded"]
    both_actions = {**actions, "push-stock": slow, "pull-articles": slow}
    r1 = runner_for(chain.store(12), actions=both_actions, runner_id="till-1")
    r2 = runner_for(chain.store(12), actions=both_actions, runner_id="till-2")
    threads = [threading.Thread(target=r.tick) for r in (r1, r2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    while runner_for(chain.store(12), actions=both_actions).tick():
        pass
    assert len(ran) == len(set(ran)) == 3
    assert ran == sorted(ran)  # in creation order
    assert sorted(j.status for j in jobs_by_id(chain).values()) == ["done", "done", "done", "superseded", "superseded"]


def test_a_failing_job_is_recorded_the_next_still_run_and_it_can_be_retried(chain: Chain) -> None:
    site = chain.store(12)
    site.sql("ALTER TABLE technical_sheets RENAME TO technical_sheets_old")
    chain.hq.sql("INSERT INTO stores (id, name) VALUES (12, 'Lyon')")
    with hq_conn(chain) as conn:
        failing = add_jobs(conn, "pull-products", [12])[0]
        add_jobs(conn, "pull-stores", [12])
    outcomes = runner_for(site).tick()
    assert [o.status for o in outcomes] == ["failed", "done"]
    job = jobs_by_id(chain)[failing]
    assert job.status == "failed" and "table `technical_sheets` does not exist at the store" in job.message
    site.sql("ALTER TABLE technical_sheets_old RENAME TO technical_sheets")
    res = chain.centrale(chain.hq, "jobs", "retry", str(failing), "--json")
    retried = orjson.loads(res.stdout)["id"]
    assert orjson.loads(res.stdout) == {"id": retried, "retry_of": failing}
    assert [o.status for o in runner_for(site).tick()] == ["done"]
    assert jobs_by_id(chain)[retried].status == "done"
    bad = chain.centrale(chain.hq, "jobs", "retry", str(retried), check=False)
    assert bad.returncode == 8 and "only failed or expired jobs are retried" in bad.stderr


def test_a_job_cut_off_by_a_lost_link_runs_again_whole_at_the_next_tick(chain: Chain) -> None:
    calls: list[int] = []

    def flaky(job):
        calls.append(job.id)
        if len(calls) == 1:  # what PyMySQL raises when a head-office node dies mid-query
            raise pymysql.err.OperationalError(2013, "Lost connection to MySQL server during query")
        return 3, "pulled"

    with hq_conn(chain) as conn:
        first = add_jobs(conn, "pull-stores", [12])[0]
        add_jobs(conn, "pull-articles", [12])
    runner = runner_for(chain.store(12), actions={"pull-stores": flaky, "pull-articles": flaky})
    outcomes = runner.tick()
    assert [(o.job.id, o.status) for o in outcomes] == [(first, "pending")]  # and the tick stops there
    job = jobs_by_id(chain)[first]
    assert job.status == "pending" and job.runner == "" and job.started_at is None
    assert "interrupted, will run again: Lost connection" in job.message
    assert runner.last_error is not None and "Lost connection" in runner.last_error
    assert [o.status for o in runner.tick()] == ["done", "done"]
    assert calls == [first, first, first + 1]
    assert runner.last_error is None and jobs_by_id(chain)[first].rows_moved == 3


def test_a_job_left_running_by_this_runner_is_its_own_to_run_again(chain: Chain) -> None:
    """The release itself can fail (head office down): the job stays running under this runner,
    which takes it back at once instead of waiting for the lease to run out."""
    with hq_conn(chain) as conn:
        job_id = add_jobs(conn, "pull-stores", [12])[0]
        assert claim_next(conn, 12, "till-1") is not None
    assert runner_for(chain.store(12), runner_id="till-2").tick() == []  # another runner waits
    assert [o.status for o in runner_for(chain.store(12), runner_id="till-1").tick()] == ["done"]
    assert jobs_by_id(chain)[job_id].status == "done"


def test_a_pull_while_the_local_database_is_down_is_put_back_not_failed(chain: Chain) -> None:
    with hq_conn(chain) as conn:
        job_id = add_jobs(conn, "pull-stores", [12])[0]
    site = chain.store(12)
    runner = runner_for(site)
    site.server.stop()
    try:
        assert [o.status for o in runner.tick()] == ["pending"]
    finally:
        site.server.start()
    job = jobs_by_id(chain)[job_id]
    assert job.status == "pending" and "cannot connect to the local database" in job.message
    assert [o.status for o in runner.tick()] == ["done"]


def test_pending_jobs_expire(chain: Chain) -> None:
    with hq_conn(chain) as conn:
        add_jobs(conn, "pull-stores", [12], ttl_h=0.5 / 3600)
    time.sleep(0.8)
    assert runner_for(chain.store(12)).tick() == []
    (job,) = jobs_by_id(chain).values()
    assert job.status == "expired" and job.message == "not run before it expired"


def test_bad_job_requests_get_clear_errors(chain: Chain) -> None:
    res = chain.centrale(chain.hq, "jobs", "add", "pull-everything", "--store", "12", check=False)
    assert res.returncode == 64 and "unknown action `pull-everything`" in res.stderr and "pull-articles" in res.stderr
    res = chain.centrale(chain.hq, "jobs", "add", "push-sales", check=False)
    assert "no store given" in res.stderr and "--all" in res.stderr
    res = chain.centrale(chain.hq, "jobs", "list", "--status", "finished", check=False)
    assert "unknown status `finished`" in res.stderr
    res = chain.centrale(chain.hq, "jobs", "add", "push-sales", "--store", "12", "--since", "yesterday", check=False)
    assert "is not a date" in res.stderr


def test_centrale_run_picks_up_a_job_and_records_it(chain: Chain, tmp_path: Path) -> None:
    site = chain.store(12)
    chain.centrale(site, "config", "set", "jobs.interval_s", "0.5")
    chain.hq.sql("INSERT INTO articles (id, code, label) VALUES (7, 'THE', 'Thé')")
    proc = CentraleProcess(site.config, tmp_path / "run.log").start().wait_capturing()
    try:
        out = chain.centrale(site, "jobs", "add", "sync-customers", "--store", "12").stdout  # from the store too
        assert "pending" in out
        chain.centrale(chain.hq, "jobs", "add", "pull-articles", "--store", "12")
        deadline = time.monotonic() + 30
        while {j.status for j in jobs_by_id(chain).values()} != {"done"}:
            assert time.monotonic() < deadline, (tmp_path / "run.log").read_text()[-2000:]
            time.sleep(0.2)
    finally:
        proc.terminate()
    assert site.sql("SELECT label FROM articles WHERE id = 7") == [("Thé",)]
    assert parse_url(load(site.config).local.url.get_secret_value()).database == site.database
