"""Two faults that come from the store's own database, with both stores selling throughout: a POS
upgrade adding a column to a busy table while `centrale run` captures it, and a binlog position
lost while Centrale was stopped. Head office ends equal to each store, row for row."""

from __future__ import annotations

import time

from sandbox.chain import Chain, Site
from sandbox.compare import wait_equal
from sandbox.processes import status_json
from sandbox.tills import Till
from tests.faults.conftest import Spawn

POSITION_LOST_EXIT = 5


def test_a_column_added_to_a_busy_table_while_two_stores_sell(chain: Chain, stores: list[Site], spawn: Spawn) -> None:
    """Store 12's POS upgrade adds a column to `sale_lines` between two tickets; its tills go on
    selling and fill the new column. Head office gets the column (with the store's type) and
    every row; store 13, not upgraded, is not disturbed."""
    lyon, lille = stores
    procs = [spawn(site).wait_capturing() for site in stores]
    with Till(lyon.connect, seed=21) as till12, Till(lille.connect, seed=22) as till13:
        time.sleep(1.5)
        lyon.sql("ALTER TABLE sale_lines ADD COLUMN promo_code VARCHAR(12) NULL")
        time.sleep(0.5)
        lyon.sql("UPDATE sale_lines SET promo_code = 'NOEL' WHERE id % 3 = 0")
        time.sleep(1.5)
    assert till12.sold > 10 and till13.sold > 10
    wait_equal(chain, *stores)
    assert chain.hq.sql(
        "SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA=%s AND TABLE_NAME='sale_lines' "
        "AND COLUMN_NAME='promo_code'",
        (chain.hq.database,),
    ) == [("varchar(12)",)]
    assert chain.hq.sql("SELECT COUNT(*) FROM sale_lines WHERE origin_store=12 AND promo_code='NOEL'")[0][0] > 0
    for proc in procs:
        assert proc.terminate() == 0, proc.log_text()[-3000:]
    assert "added column sale_lines.promo_code at head office" in procs[0].log_text()


def test_a_lost_binlog_position_stops_clearly_and_snapshot_resyncs_while_two_stores_sell(
    chain: Chain, stores: list[Site], spawn: Spawn
) -> None:
    """Store 12's Centrale is stopped while both stores sell, and store 12's binlog holding its
    checkpoint is purged. Started again, it stops with exit code 5 naming `centrale snapshot`;
    after the snapshot it resumes, and head office equals both stores (store 13 never stopped)."""
    lyon, lille = stores
    lyon_run, lille_run = spawn(lyon).wait_capturing(), spawn(lille).wait_capturing()
    with Till(lyon.connect, seed=31) as till12, Till(lille.connect, seed=32) as till13:
        time.sleep(1.0)
        assert lyon_run.terminate() == 0
        time.sleep(1.0)  # sales Centrale is not there to capture
        lyon.server.purge_binlogs()
        refused = spawn(lyon)
        assert refused.wait_until(lambda: not refused.alive, timeout_s=60)
        assert refused.terminate() == POSITION_LOST_EXIT
        assert "purged" in refused.log_text(since_start=True)
        assert "centrale snapshot" in refused.log_text(since_start=True)
        chain.centrale(lyon, "snapshot")  # while the till keeps selling
        lyon_run = spawn(lyon).wait_capturing()
        time.sleep(1.0)
    assert till12.sold > 10 and till13.sold > 10
    wait_equal(chain, *stores)
    for proc in (lyon_run, lille_run):
        assert proc.terminate() == 0, proc.log_text()[-3000:]
    assert status_json(chain, lyon)["backlog"] == 0
