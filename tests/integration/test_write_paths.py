"""Head office holds what the store holds whichever way a batch is written: 20-row statements,
catch-up literals, or ``LOAD DATA`` uploads (issue 12)."""

from __future__ import annotations

from centrale.config import load
from sandbox.chain import Chain
from sandbox.inprocess import InProcessStore
from sandbox.writes import script

STORE = 12


def test_bit_columns_arrive_as_the_store_holds_them_on_the_upload_path(chain: Chain) -> None:
    """A transaction of 300 rows goes to head office as an upload (LOAD DATA): BIT values must
    land as bits, not as the text of their number (1 is 0x01, not 0x31)."""
    site = chain.store(STORE)
    site.sql("CREATE TABLE flags (id INT PRIMARY KEY, b1 BIT(1), b8 BIT(8), b64 BIT(64) NULL)")
    with open(site.config, "a", encoding="utf-8") as fh:
        fh.write('\n[tables.flags]\nkind = "aggregate"\ngroup = "sales"\n')
    cfg = load(site.config)
    loads_before = int(chain.hq.sql("SHOW GLOBAL STATUS LIKE 'Com_load'")[0][1])
    with InProcessStore(cfg) as run:
        script(
            site,
            "INSERT INTO flags SELECT seq, seq % 2, seq % 256, IF(seq % 3 = 0, NULL, seq * 1000003) FROM seq_1_to_300",
        )
        run.sync()
    assert int(chain.hq.sql("SHOW GLOBAL STATUS LIKE 'Com_load'")[0][1]) > loads_before  # the upload path
    sql = "SELECT id, HEX(b1), HEX(b8), HEX(b64) FROM flags ORDER BY id"
    assert chain.hq.sql(sql) == site.sql(sql)
