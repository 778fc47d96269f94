"""Snapshot: existing rows join the stream at a binlog-aligned point, nothing missed or doubled."""

from __future__ import annotations

import threading

from cdc.snapshot import take_snapshot
from centrale.core.config import load
from centrale.core.outbox import OutboxStore
from sandbox.chain import Chain
from sandbox.compare import compare_store, describe
from sandbox.inprocess import InProcessStore
from sandbox.workload import StoreActivity, seed_store


def test_snapshot_before_the_first_run_loads_existing_rows_and_sets_the_start(chain: Chain) -> None:
    site = chain.store(12)
    cfg = load(site.config)
    with site.connect() as conn:
        seed_store(conn)
        activity = StoreActivity(conn)
        for _ in range(20):
            activity.sell()
    with OutboxStore(cfg.outbox.path) as box:
        results = take_snapshot(cfg, box, ["sales"])
        assert results[0].rows == 20
        cp = box.checkpoint()
        assert cp is not None and cp.position == results[0].position
    with InProcessStore(cfg) as run, site.connect() as conn:
        StoreActivity(conn).sell()
        run.sync()
    assert chain.hq.sql("SELECT COUNT(*) FROM sales WHERE origin_store=12") == [(21,)]


def test_snapshot_while_streaming_and_writing_is_exact(chain: Chain) -> None:
    """Rows exist, capture runs, the till keeps selling during the snapshot: HQ equals the store."""
    site = chain.store(12)
    cfg = load(site.config)
    with site.connect() as conn:
        seed_store(conn)
        activity = StoreActivity(conn, seed=1)
        for _ in range(300):
            activity.sell()
    stop = threading.Event()

    def keep_selling() -> None:
        with site.connect() as conn2:
            a = StoreActivity(conn2, seed=2)
            while not stop.is_set():
                a.sell()
                with conn2.cursor() as cur:  # updates of old rows too, racing the snapshot
                    cur.execute("UPDATE stock_levels SET quantity = quantity + 1 WHERE article_id = 1")
                conn2.commit()

    with InProcessStore(cfg) as run:
        writer = threading.Thread(target=keep_selling)
        writer.start()
        try:
            with OutboxStore(cfg.outbox.path) as box:
                results = take_snapshot(cfg, box)  # every captured table
        finally:
            stop.set()
            writer.join()
        assert {r.table for r in results} == set(cfg.catalog.captured)
        run.sync()
        run.ship()
    with site.connect() as s, chain.hq.connect() as h:
        diffs = compare_store(s, h, cfg.catalog, 12, site.database)
    assert all(d.equal for d in diffs), describe(diffs)
    # no duplicates: one row per key at head office
    dup = chain.hq.sql("SELECT COUNT(*) - COUNT(DISTINCT id) FROM sales WHERE origin_store=12")
    assert dup == [(0,)]


def test_snapshot_of_an_unknown_table_or_group_names_the_choices(chain: Chain) -> None:
    site = chain.store(12)
    res = chain.centrale(site, "snapshot", "nosuchtable", check=False)
    assert res.returncode != 0
    assert "`nosuchtable` is neither a captured table nor a group" in res.stderr
    assert "hint: choose among: sales" in res.stderr
    assert "Traceback" not in res.stderr
    ok = chain.centrale(site, "snapshot", "staff")
    assert "salespeople: 0 rows" in ok.stdout and "time_clock_punches: 0 rows" in ok.stdout
