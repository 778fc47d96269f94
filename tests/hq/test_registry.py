"""Head office knows its stores: `hq add-store` registers each one, head office's status and
/metrics list every registered store (those that never reported too), and a job is only asked
of a store head office knows, since one asked of no store would expire in silence."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import orjson

from centrale.app.console.metrics import hq_metrics
from centrale.core.config import load
from sandbox.chain import Chain
from sandbox.processes import run_centrale


def centrale(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_centrale(config, *args, env={**os.environ, "LANG": "C.UTF-8", "COLUMNS": "200"})


def test_a_registered_store_that_never_reported_is_listed_and_can_be_asked_for_jobs(chain: Chain) -> None:
    hq = chain.hq.config
    added = centrale(hq, "hq", "add-store", "99", "--no-account", "--name", "Nantes")
    assert added.returncode == 0 and "registered store 99" in added.stdout, added.stderr
    status = centrale(hq, "status")
    assert status.returncode == 0, status.stderr
    assert "3 stores known to this head office" in status.stdout, status.stdout
    assert re.search(r"^ +99 Nantes +registered, never reported$", status.stdout, re.M), status.stdout
    assert re.search(r"^ +12 Lyon +registered, never reported$", status.stdout, re.M), status.stdout
    assert 'centrale_store_backlog_rows{store="99"} NaN' in hq_metrics(load(hq))
    jobs = centrale(hq, "jobs", "add", "pull-articles", "--all")
    assert jobs.returncode == 0, jobs.stderr
    assert {int(n) for n in re.findall(r"for store (\d+)", jobs.stdout)} == {12, 13, 99}, jobs.stdout
    scripted = centrale(hq, "jobs", "add", "pull-keyboards", "--store", "99", "--json")
    (asked,) = orjson.loads(scripted.stdout)
    assert (asked["store"], asked["action"]) == (99, "pull-keyboards") and asked["id"] > 0, scripted.stderr


def test_a_job_for_a_store_head_office_does_not_know_is_refused(chain: Chain) -> None:
    refused = centrale(chain.hq.config, "jobs", "add", "pull-articles", "--store", "12", "--store", "98")
    assert refused.returncode == 64, refused.stdout + refused.stderr
    assert "error: head office knows no store 98" in refused.stderr
    assert "hint: register it first at head office: `centrale hq add-store 98`" in refused.stderr
    assert chain.hq.sql("SELECT COUNT(*) FROM centrale_jobs") == [(0,)]  # not even store 12's


def test_head_office_cannot_register_its_own_number_or_a_bad_one(chain: Chain) -> None:
    own = centrale(chain.hq.config, "hq", "add-store", "1", "--no-account")
    assert own.returncode == 3 and "hint:" in own.stderr, own.stderr
    assert chain.hq.sql("SELECT store FROM centrale_stores ORDER BY store") == [(12,), (13,)]


def test_add_store_registers_the_store_with_its_account(chain: Chain) -> None:
    hq = chain.hq.config
    lyon = chain.store(12)
    assert centrale(hq, "hq", "init", "--tables-from", lyon.server.url(lyon.database)).returncode == 0
    added = centrale(hq, "hq", "add-store", "14", "--name", "Rennes")
    assert added.returncode == 0, added.stderr
    assert chain.hq.sql("SELECT name FROM centrale_stores WHERE store = 14") == [("Rennes",)]
    renamed = centrale(hq, "hq", "add-store", "14", "--rotate")  # a name left out keeps the one recorded
    assert renamed.returncode == 0, renamed.stderr
    assert chain.hq.sql("SELECT name FROM centrale_stores WHERE store = 14") == [("Rennes",)]
