"""A store database written the way POS software, ORMs and DBAs write one: the tables the
capture scenarios use (tests/cdc/test_capture_writes.py, tests/faults/test_capture_kills.py)
and a client that sends a script the way it is written."""

from __future__ import annotations

from centrale.core.config import Config, load
from sandbox.chain import Site

SCHEMA = [
    "CREATE TABLE tickets (id INT PRIMARY KEY, label VARCHAR(60) CHARSET utf8mb4, "
    "note VARCHAR(300) CHARSET latin1 NULL, legacy VARCHAR(300) CHARSET cp1250 NULL, total DECIMAL(10,2)) "
    "ENGINE=InnoDB",
    "CREATE TABLE ticket_lines (id INT PRIMARY KEY, ticket_id INT NOT NULL, qty INT NOT NULL) ENGINE=InnoDB",
    "CREATE TABLE journal (id INT PRIMARY KEY, msg VARCHAR(60)) ENGINE=MyISAM",
    "CREATE TABLE counters (id INT PRIMARY KEY, n INT) ENGINE=InnoDB",
]
TABLES = ["tickets", "ticket_lines", "journal", "counters"]
CATALOG = """
[tables.tickets]
kind = "aggregate"
group = "sales"
on_delete = "delete"

[tables.ticket_lines]
kind = "aggregate"
group = "sales"
on_delete = "delete"

[tables.journal]
kind = "aggregate"
group = "sales"
on_delete = "delete"

[tables.counters]
kind = "aggregate"
group = "stock"
on_delete = "ignore"
"""


def use_write_tables(site: Site) -> Config:
    """Create the tables above at the store and make them its whole catalog."""
    for ddl in SCHEMA:
        site.sql(ddl)
    with open(site.config, "a", encoding="utf-8") as fh:
        fh.write(CATALOG)
    cfg = load(site.config)
    assert cfg.catalog.captured == TABLES
    return cfg


def capture_table(site: Site, ddl: str, table: str, *, on_delete: str | None = None) -> Config:
    """Create ``table`` at the store with ``ddl`` and make it the store's whole catalog (an
    aggregate table of the sales group); returns the store's configuration."""
    site.sql(ddl)
    extra = f'on_delete = "{on_delete}"\n' if on_delete else ""
    with open(site.config, "a", encoding="utf-8") as fh:
        fh.write(f'\n[tables.{table}]\nkind = "aggregate"\ngroup = "sales"\n{extra}')
    return load(site.config)


def script(site: Site, statements: str) -> None:
    """Run ``;``-separated statements in one autocommit session, as a client would send them."""
    with site.connect() as conn, conn.cursor() as cur:
        for st in (s.strip() for s in statements.split(";")):
            if st:
                cur.execute(st)


def rollback_prepared_xa(site: Site) -> None:
    """End every XA transaction a scenario left prepared (they hold their locks otherwise)."""
    for fmt, glen, blen, data in site.server.sql("XA RECOVER"):
        raw = data.encode() if isinstance(data, str) else bytes(data)  # MySQL says it as text
        gtrid, bqual = raw[: int(glen)], raw[int(glen) : int(glen) + int(blen)]
        site.server.sql(f"XA ROLLBACK X'{gtrid.hex()}', X'{bqual.hex()}', {int(fmt)}")
