"""Names and values crafted to break SQL go through as data: catalog identifiers are quoted,
values are escaped, on capture, shipping, snapshot and pull."""

from __future__ import annotations

from centrale.core.config import load
from sandbox.chain import Chain
from sandbox.inprocess import InProcessStore

TABLE = "we`ird %s-table"
NASTY = ["'; DROP TABLE sales; --", "back\\\\slash \\\\' quote", '"double"', "%(x)s %s %%", "`tick`", "é" * 500]


def q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def qf(name: str) -> str:
    """``q`` for statements with %s parameters (the test's own SQL)."""
    return q(name).replace("%", "%%")


def test_weird_identifiers_and_values_round_trip(chain: Chain) -> None:
    site = chain.store(12)
    site.sql(f"CREATE TABLE {q(TABLE)} ({q('id`x')} INT PRIMARY KEY, {q('sp ace')} TEXT, {q('per%cent')} VARCHAR(20))")
    site.config.write_text(
        site.config.read_text() + f'\n[tables."{TABLE}"]\nkind = "aggregate"\ngroup = "sales"\non_delete = "delete"\n'
    )
    cfg = load(site.config)
    assert TABLE in cfg.catalog.captured
    site.sql(f"INSERT INTO {q(TABLE)} VALUES (0, 'before capture', 'x')")
    with InProcessStore(cfg) as run:
        chain.centrale(site, "snapshot", TABLE)
        for i, v in enumerate(NASTY, start=1):
            site.sql(f"INSERT INTO {qf(TABLE)} VALUES (%s, %s, %s)", (i, v, v[:20]))
        site.sql(f"UPDATE {qf(TABLE)} SET {qf('sp ace')} = %s WHERE {qf('id`x')} = 2", (NASTY[0],))
        site.sql(f"DELETE FROM {q(TABLE)} WHERE {q('id`x')} = 3")
        run.sync()
    got = chain.hq.sql(f"SELECT {q('id`x')}, {q('sp ace')}, {q('per%cent')} FROM {q(TABLE)} ORDER BY 1")
    want = site.sql(f"SELECT {q('id`x')}, {q('sp ace')}, {q('per%cent')} FROM {q(TABLE)} ORDER BY 1")
    assert got == want and len(got) == len(NASTY)  # 0..6 minus the deleted 3
