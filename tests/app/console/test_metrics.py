"""/metrics in Prometheus' text format, with the figures `status` and head office's tables hold."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from centrale.app.status import site_status
from centrale.core.config import load
from sandbox.chain import Chain
from sandbox.inprocess import InProcessStore
from sandbox.workload import StoreActivity, seed_store
from tests.app.console.conftest import csrf_of

SAMPLE = re.compile(r'^([a-z_]+)(\{(?:[a-z_]+="(?:[^"\\\n]|\\.)*",?)*\})? (-?[0-9.e+]+|NaN)$')


def parse(text: str) -> dict[str, float]:
    """Every line is a HELP, a TYPE (before its samples) or a well-formed sample."""
    assert text.endswith("\n")
    samples: dict[str, float] = {}
    typed: set[str] = set()
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            name, kind = line.split()[2:4]
            assert kind in ("gauge", "counter")
            typed.add(name)
            continue
        m = SAMPLE.match(line)
        assert m, f"not exposition format: {line!r}"
        assert m.group(1) in typed, f"{m.group(1)} has no TYPE line before it"
        samples[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return samples


def test_store_metrics_are_the_outbox_and_capture_figures(chain: Chain, store_client: TestClient) -> None:
    site = chain.store(12)
    with InProcessStore(site.config) as run, site.connect() as conn:
        seed_store(conn)
        StoreActivity(conn).sell()
        run.wait_caught_up()
        res = store_client.get("/metrics")
        assert res.headers["content-type"].startswith("text/plain; version=0.0.4")
        before = parse(res.text)
        run.ship()
        after = parse(store_client.get("/metrics").text)
    st = site_status(load(site.config))
    me = '{store="12"}'
    assert before[f"centrale_outbox_backlog_rows{me}"] > 0 and before[f"centrale_rows_shipped_total{me}"] == 0
    assert after[f"centrale_outbox_backlog_rows{me}"] == 0 == st["backlog"]
    assert (
        after[f"centrale_rows_shipped_total{me}"] == st["rows_shipped"] == before[f"centrale_outbox_backlog_rows{me}"]
    )
    assert after[f"centrale_last_shipped_timestamp_seconds{me}"] == st["last_shipped_at"]
    assert after[f"centrale_up{me}"] == 0  # no `centrale run` process here
    assert f"centrale_capture_lag_seconds{me}" in after and f"centrale_outbox_backlog_age_seconds{me}" in after


def test_head_office_metrics_count_jobs_by_status(chain: Chain, hq_client: TestClient) -> None:
    token = csrf_of(hq_client)
    hq_client.post("/jobs", data={"csrf": token, "action": "pull-stores", "store": ["12", "13"]})
    hq_client.post("/jobs", data={"csrf": token, "action": "pull-stores", "store": "12"})  # supersedes one
    samples = parse(hq_client.get("/metrics").text)
    assert samples['centrale_jobs{status="pending"}'] == 2
    assert samples['centrale_jobs{status="superseded"}'] == 1
    assert samples['centrale_jobs{status="done"}'] == 0
