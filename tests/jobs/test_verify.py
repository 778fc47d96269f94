"""`centrale verify`: after any incident, the store compared with head office row by row; the
differing keys named, and the rows head office lacks or holds differently sent again."""

from __future__ import annotations

import orjson

from centrale.core.config import load
from sandbox.chain import Chain
from sandbox.compare import site_differences
from sandbox.inprocess import InProcessStore
from sandbox.workload import StoreActivity, seed_store


def test_verify_names_what_head_office_lacks_or_holds_differently_and_resend_mends_it(chain: Chain) -> None:
    lyon, lille = chain.store(12), chain.store(13)
    for site in (lyon, lille):
        with site.connect() as conn:
            seed_store(conn)
            activity = StoreActivity(conn, seed=site.number)
            for _ in range(6):
                activity.sell()
        chain.centrale(site, "snapshot")
        with InProcessStore(site.config) as run:
            run.sync()
    assert chain.centrale(lyon, "verify").returncode == 0
    # An incident: head office lost one of Lyon's tickets, holds another one's total wrongly, and
    # keeps a stock level Lyon deleted; Lille's rows with the same ids are left alone.
    chain.hq.sql("DELETE FROM sales WHERE origin_store = 12 AND id = 2")
    chain.hq.sql("UPDATE sales SET total = total + 1 WHERE origin_store = 12 AND id = 3")
    chain.hq.sql(
        "INSERT INTO stock_levels SELECT origin_store, 999, quantity, updated_at FROM stock_levels "
        "WHERE origin_store = 12 LIMIT 1"
    )
    found = chain.centrale(lyon, "verify", check=False)
    assert found.returncode == 10 and "verify --resend" in found.stderr
    assert (
        "sales: rows missing at head office 1, held differently 1, at head office only 0; keys: id=2; id=3"
        in found.stdout
    )
    assert "stock_levels: rows missing at head office 0, held differently 0, at head office only 1" in found.stdout
    assert "stock_levels mirrors the store's deletes: `centrale verify --resend` deletes" in found.stdout
    as_json = chain.centrale(lyon, "verify", "--json", check=False)
    assert as_json.returncode == 10
    *progress, result = as_json.stdout.splitlines()  # progress lines first, then the result
    assert all("progress" in orjson.loads(line) for line in progress)
    tables = {t["table"]: t for t in orjson.loads(result)["tables"]}
    assert (tables["sales"]["missing"], tables["sales"]["different"]) == ([{"id": 2}], [{"id": 3}])
    assert len(tables["stock_levels"]["extra"]) == 1 and tables["stock_levels"]["extra_is_difference"]
    assert chain.centrale(lille, "verify").returncode == 0  # head office's rows of Lille are intact
    mended = chain.centrale(lyon, "verify", "--resend")
    assert "3 rows queued again" in mended.stdout and mended.returncode == 0  # two tickets, one delete
    with InProcessStore(load(lyon.config)) as run:
        run.wait_caught_up()
        run.drain()
    assert site_differences(chain, lyon) == "equal"
    assert chain.centrale(lyon, "verify").returncode == 0
