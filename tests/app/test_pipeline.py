"""Store -> head office, end to end on real servers: what arrives, how, and in which batches."""

from __future__ import annotations

from pathlib import Path

import pytest

from applier.shipper import Shipper
from centrale.core.changes import Batch
from centrale.core.config import load
from centrale.core.outbox import OutboxStore
from sandbox.chain import Chain, Site
from sandbox.compare import site_differences
from sandbox.inprocess import InProcessStore
from sandbox.workload import StoreActivity, seed_store
from tests.conftest import SERVER_MIXES

# The same scenarios on MariaDB, on a MySQL store and on a MySQL head office (tests/conftest.py).
pytestmark = pytest.mark.parametrize("chain", SERVER_MIXES, indirect=True)


class RecordingShipper:
    """Wraps a real shipper and remembers the size of every batch it was given."""

    def __init__(self, inner: Shipper) -> None:
        self.inner = inner
        self.sizes: list[int] = []
        self.txns: list[list[int]] = []

    def prepare(self) -> None:
        self.inner.prepare()

    def last_applied(self, generation: str) -> int:
        return self.inner.last_applied(generation)

    def ship(self, batch: Batch) -> int:
        self.sizes.append(len(batch))
        self.txns.append([r.txn for r in batch.rows])
        return self.inner.ship(batch)

    def close(self) -> None:
        self.inner.close()


def assert_equal(chain: Chain, site: Site) -> None:
    assert site_differences(chain, site) == "equal"


def test_sales_of_two_stores_with_the_same_ids_both_reach_head_office(chain: Chain) -> None:
    stores = chain.stores
    runs = [InProcessStore(s.config).start() for s in stores]
    try:
        for site in stores:
            with site.connect() as conn:
                seed_store(conn)
                activity = StoreActivity(conn, seed=site.number)
                for _ in range(15):
                    activity.sell()
                activity.punch()
        for run in runs:
            run.sync()
    finally:
        for run in runs:
            run.stop()
    # Both stores used sales ids 1..15: head office keeps both, told apart by origin_store.
    rows = chain.hq.sql("SELECT origin_store, COUNT(*), MIN(id), MAX(id) FROM sales GROUP BY origin_store")
    assert sorted(rows) == [(12, 15, 1, 15), (13, 15, 1, 15)]
    for site in stores:
        assert_equal(chain, site)
    # Head office's own status lists what each store has sent.
    import json

    seen = json.loads(chain.centrale(chain.hq, "status", "--json").stdout)
    assert seen["is_hq"] and [s["store"] for s in seen["stores"]] == [12, 13]
    assert all(s["rows_applied"] > 0 and s["last_batch_at"] for s in seen["stores"])
    assert "Lyon" in chain.centrale(chain.hq, "status").stdout


def test_updates_arrive_and_deletes_follow_each_tables_policy(chain: Chain) -> None:
    site = chain.store(12)
    with InProcessStore(site.config) as run, site.connect() as conn:
        seed_store(conn)
        StoreActivity(conn).sell()
        run.sync()
        with conn.cursor() as cur:
            cur.execute("UPDATE stock_levels SET quantity = 7 WHERE article_id = 1")
            cur.execute("DELETE FROM stock_levels WHERE article_id = 2")  # on_delete = "delete"
            cur.execute("DELETE FROM sale_payments")  # on_delete = "ignore": HQ keeps history
        conn.commit()
        run.sync()
    hq = {r[0]: r[1] for r in chain.hq.sql("SELECT article_id, quantity FROM stock_levels WHERE origin_store=12")}
    assert hq[1] == 7 and 2 not in hq
    assert chain.hq.sql("SELECT COUNT(*) FROM sale_payments WHERE origin_store=12") == [(1,)]


def test_an_update_that_changes_the_key_moves_the_row(chain: Chain) -> None:
    site = chain.store(12)
    with InProcessStore(site.config) as run, site.connect() as conn:
        seed_store(conn)
        run.sync()
        with conn.cursor() as cur:
            cur.execute("UPDATE salespeople SET id = 40 WHERE id = 3")
        conn.commit()
        run.sync()
    ids = [r[0] for r in chain.hq.sql("SELECT id FROM salespeople WHERE origin_store=12 ORDER BY id")]
    assert ids == [1, 2, 40]


def test_a_25_row_transaction_arrives_whole_and_other_batches_stay_within_20_rows(chain: Chain) -> None:
    site = chain.store(12)
    cfg = load(site.config)
    from centrale.app.site import build_shipper

    recorder = RecordingShipper(build_shipper(cfg))
    with InProcessStore(cfg, shipper=recorder) as run, site.connect() as conn:
        with conn.cursor() as cur:
            for i in range(7):  # small single-row transactions
                cur.execute(
                    "INSERT INTO stock_movements (article_id, quantity, kind, moved_at) VALUES (%s, 1, 'sale', NOW())",
                    (i,),
                )
                conn.commit()
            cur.execute("BEGIN")
            for i in range(25):
                cur.execute(
                    "INSERT INTO stock_movements (article_id, quantity, kind, moved_at) "
                    "VALUES (%s, 2, 'receipt', NOW())",
                    (100 + i,),
                )
            cur.execute("COMMIT")
            for i in range(30):
                cur.execute(
                    "INSERT INTO stock_movements (article_id, quantity, kind, moved_at) VALUES (%s, 1, 'loss', NOW())",
                    (i,),
                )
                conn.commit()
        run.sync()
    assert 25 in recorder.sizes, recorder.sizes
    for sizes, txns in zip(recorder.sizes, recorder.txns, strict=True):
        if sizes > 20:
            assert len(set(txns)) == 1, "an over-size batch holds exactly one source transaction"
    assert sum(recorder.sizes) == 62
    assert chain.hq.sql("SELECT COUNT(*) FROM stock_movements WHERE origin_store=12") == [(62,)]


def test_the_checkpoint_advances_while_only_other_tables_change(chain: Chain) -> None:
    site = chain.store(12)
    with InProcessStore(site.config) as run:
        before = run.capture_box.checkpoint()
        for i in range(5):
            site.sql("INSERT INTO articles (code, label) VALUES (%s, 'not captured')", (f"X{i}",))
        run.wait_caught_up()
        after = run.capture_box.checkpoint()
        assert before is not None and after is not None
        assert after.position.sort_key > before.position.sort_key
        assert run.capture_box.stats().backlog == 0


def test_a_first_run_starts_at_the_binlog_end_and_says_so(chain: Chain, caplog: pytest.LogCaptureFixture) -> None:
    site = chain.store(12)
    site.sql("INSERT INTO salespeople (code, first_name) VALUES ('OLD', 'written before the first run')")
    import logging

    logger = logging.getLogger("centrale")
    logger.addHandler(caplog.handler)
    try:
        with InProcessStore(site.config) as run:
            site.sql("INSERT INTO salespeople (code, first_name) VALUES ('NEW', 'written after')")
            run.sync()
    finally:
        logger.removeHandler(caplog.handler)
    assert "starts at the current end of the binlog" in caplog.text
    assert chain.hq.sql("SELECT code FROM salespeople WHERE origin_store=12") == [("NEW",)]


def test_shipping_the_same_outbox_twice_applies_once(chain: Chain, tmp_path: Path) -> None:
    site = chain.store(12)
    cfg = load(site.config)
    with InProcessStore(cfg) as run, site.connect() as conn:
        seed_store(conn)
        run.wait_caught_up()
        # Ship from a copy of the outbox first, then from the original: the same rows twice.
        import shutil

        run.capture_box.sync()
        copy = tmp_path / "copy.db"
        shutil.copy(cfg.outbox.path, copy)
        for suffix in ("-wal", "-shm"):
            src = Path(str(cfg.outbox.path) + suffix)
            if src.exists():
                shutil.copy(src, str(copy) + suffix)
        import threading

        from applier.service import ApplierService
        from centrale.app.site import build_shipper

        shipper = build_shipper(cfg)
        with OutboxStore(copy) as dup:
            assert dup.generation == run.capture_box.generation
            first = ApplierService(dup, shipper, 20, threading.Event()).tick()
        second = run.ship()
        shipper.close()
    assert first.rows > 0 and second.rows == 0  # second shipment skipped by head office's last_seq
    assert_equal(chain, site)
