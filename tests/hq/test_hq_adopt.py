"""A head office that runs the POS itself already holds `sales`, `sale_lines` ... in the store's
shape, without `origin_store` (issue 12): `hq init` names those tables and the fix instead of
creating nothing, `hq init --adopt` converts them (head office's own rows stay, as its store
number's), stores' rows then sit beside head office's own, and what cannot be converted is
refused with the reason, nothing changed."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pymysql
import pytest

from centrale.core.config import load
from sandbox.chain import Chain, Site, store_schema_sql
from sandbox.compare import site_differences
from sandbox.inprocess import InProcessStore
from sandbox.writes import script

STORE = 12
HQ_STORE = 1  # sandbox.chain's head office number


def create_pos_tables(site: Site, *names: str) -> None:
    """The sample POS's own definitions of these tables (foreign keys included), as head
    office's POS would have created them."""
    found = {
        name: sql
        for sql, name in re.findall(r"(CREATE TABLE (\w+) \(.*?\) ENGINE=InnoDB[^;]*);", store_schema_sql(), re.S)
    }
    with site.connect() as conn, conn.cursor() as cur:
        for name in names:
            cur.execute(found[name])


def head_office_sells(chain: Chain) -> None:
    """Head office's own POS: salesperson A and two tickets (ids 1 and 2), without origin_store."""
    script(
        chain.hq,
        "INSERT INTO salespeople (code, first_name) VALUES ('A', 'Alice');"
        "INSERT INTO sales (ticket_no, business_day, opened_at, total, status) VALUES "
        "(901, '2024-05-02', '2024-05-02 09:00:00', 12.50, 'paid'), "
        "(902, '2024-05-02', '2024-05-02 09:30:00', 3.20, 'paid');"
        "INSERT INTO sale_lines (sale_id, line_no, article_id, label, quantity, unit_price, amount, vat_rate) "
        "VALUES (1, 1, 7, 'Menu', 1, 12.50, 12.50, 10), (2, 1, 8, 'Espresso', 2, 1.60, 3.20, 10)",
    )


def store_sells(site: Site) -> None:
    """The store's salesperson A and tickets 1 and 2: the same codes and ids as head office's own."""
    script(
        site,
        "INSERT INTO salespeople (code, first_name) VALUES ('A', 'Bruno');"
        "INSERT INTO sales (ticket_no, business_day, opened_at, total, status) VALUES "
        "(1, '2024-05-02', '2024-05-02 10:00:00', 4.00, 'paid'), (2, '2024-05-02', '2024-05-02 10:05:00', 9, 'paid');"
        "INSERT INTO sale_lines (sale_id, line_no, article_id, label, quantity, unit_price, amount, vat_rate) "
        "VALUES (1, 1, 8, 'Espresso', 2, 2, 4, 10), (2, 1, 9, 'Salad', 1, 9, 9, 10);"
        "INSERT INTO sale_payments (sale_id, method, amount, paid_at) VALUES (1, 'cash', 4, '2024-05-02 10:01:00')",
    )


def table_sql(site: Site, table: str) -> str:
    return str(site.sql(f"SHOW CREATE TABLE `{table}`")[0][1])


def columns(site: Site, table: str) -> list[str]:
    return [str(r[0]) for r in site.sql(f"SHOW COLUMNS FROM `{table}`")]


def drop_accounts(chain: Chain) -> None:
    for user, host in chain.hq.sql("SELECT account, host FROM centrale_accounts"):
        chain.hq.server.sql(f"DROP USER IF EXISTS '{user}'@'{host}'")
    chain.hq.server.sql(f"DROP DATABASE IF EXISTS `{chain.hq.database}_stores`")


@pytest.fixture
def pos_hq(chain: Chain) -> Iterator[Chain]:
    """Head office with its own POS's sales tables (the store's definitions, foreign keys
    included) and two tickets of its own; per-store accounts dropped afterwards."""
    create_pos_tables(chain.hq, "salespeople", "sales", "sale_lines", "sale_payments")
    head_office_sells(chain)
    try:
        yield chain
    finally:
        drop_accounts(chain)


def test_hq_init_names_head_offices_own_tables_and_the_adopt_fix(pos_hq: Chain) -> None:
    chain = pos_hq
    before = table_sql(chain.hq, "sales")
    res = chain.centrale(chain.hq, "hq", "init", check=False)
    assert res.returncode != 0 and "Traceback" not in res.stderr
    for table in ("sales", "sale_lines", "sale_payments"):
        assert f"{table} has no origin_store column" in res.stderr
    assert "hq init --adopt" in res.stderr and "store 1's" in res.stderr
    lyon = chain.store(STORE)
    from_store = chain.centrale(chain.hq, "hq", "init", "--tables-from", lyon.server.url(lyon.database), check=False)
    assert from_store.returncode != 0 and "sales has no origin_store column" in from_store.stderr
    assert "tables created: none" not in from_store.stdout
    assert table_sql(chain.hq, "sales") == before  # nothing converted behind the operator's back


def test_add_store_before_adoption_names_the_table_and_the_fix(pos_hq: Chain) -> None:
    chain = pos_hq
    user = f"early_{chain.hq.database}"
    res = chain.centrale(chain.hq, "hq", "add-store", str(STORE), "--user", user, check=False)
    assert res.returncode != 0 and "Traceback" not in res.stderr
    assert "Unknown column" not in res.stderr
    assert "sales has no origin_store column" in res.stderr and "hq init --adopt" in res.stderr
    assert chain.hq.server.sql("SELECT COUNT(*) FROM mysql.user WHERE User = %s", args=(user,)) == [(0,)]


def test_adopted_tables_hold_head_offices_rows_beside_the_stores(pos_hq: Chain) -> None:
    chain = pos_hq
    articles = table_sql(chain.hq, "articles")
    out = chain.centrale(chain.hq, "hq", "init", "--adopt").stdout
    assert "tables adopted (origin_store added to the key, head office's own rows as store 1's): " in out
    assert "sales, sale_lines, sale_payments, salespeople" in out
    assert re.search(r"reference tables left as they are \(.*\): stores, articles, keyboards", out)
    assert table_sql(chain.hq, "articles") == articles  # head office's own reference table: untouched
    assert chain.hq.sql("SELECT origin_store, id, ticket_no FROM sales ORDER BY id") == [
        (HQ_STORE, 1, 901),
        (HQ_STORE, 2, 902),
    ]
    assert columns(chain.hq, "sale_lines")[0] == "origin_store"
    # head office's POS goes on writing without knowing of origin_store
    chain.hq.sql("INSERT INTO sales (ticket_no, business_day, opened_at) VALUES (903, '2024-05-03', NOW())")
    lyon = chain.store(STORE)
    with InProcessStore(load(lyon.config)) as run:
        store_sells(lyon)
        report = run.sync()
        assert report.error is None, report.error
    assert site_differences(chain, lyon) == "equal"
    assert chain.hq.sql("SELECT origin_store, id, ticket_no FROM sales ORDER BY origin_store, id") == [
        (HQ_STORE, 1, 901),
        (HQ_STORE, 2, 902),
        (HQ_STORE, 3, 903),
        (STORE, 1, 1),
        (STORE, 2, 2),
    ]
    assert chain.hq.sql("SELECT origin_store, sale_id, label FROM sale_lines ORDER BY origin_store, sale_id") == [
        (HQ_STORE, 1, "Menu"),
        (HQ_STORE, 2, "Espresso"),
        (STORE, 1, "Espresso"),
        (STORE, 2, "Salad"),
    ]
    # a code unique at head office's POS is unique per store now: both A's are there
    assert chain.hq.sql("SELECT origin_store, first_name FROM salespeople WHERE code = 'A' ORDER BY 1") == [
        (HQ_STORE, "Alice"),
        (STORE, "Bruno"),
    ]
    # a line of head office's own refers to head office's own ticket, never to a store's
    chain.hq.sql(
        "INSERT INTO sales (origin_store, id, ticket_no, business_day, opened_at) VALUES (12, 50, 3, NOW(), NOW())"
    )
    with pytest.raises(pymysql.err.IntegrityError):
        chain.hq.sql(
            "INSERT INTO sale_lines (sale_id, line_no, article_id, label, quantity, unit_price, amount, vat_rate) "
            "VALUES (50, 1, 8, 'Not mine', 1, 1, 1, 10)"
        )
    again = chain.centrale(chain.hq, "hq", "init").stdout
    assert "tables adopted" not in again
    assert re.search(r"already in head office's layout, left as they are: sales, sale_lines, sale_payments, ", again)


def test_add_store_after_adoption_gives_the_store_its_own_rows(pos_hq: Chain) -> None:
    """Adopted with the other tables created from a store's definitions (a store account may not
    create them): the store's account sees its own rows only and ships through its views."""
    chain = pos_hq
    lyon = chain.store(STORE)
    out = chain.centrale(chain.hq, "hq", "init", "--adopt", "--tables-from", lyon.server.url(lyon.database)).stdout
    assert "sales, sale_lines, sale_payments" in out and "tables created: sale_" not in out
    user = f"acc{STORE}_{chain.hq.database}"[:80]
    out = chain.centrale(chain.hq, "hq", "add-store", str(STORE), "--user", user).stdout
    fields = dict(re.findall(r'^(\w+) = "(.*)"$', out, re.M))
    server = chain.hq.server
    login = {"host": server.host, "port": server.port, "user": user, "password": fields["password"]}
    with pymysql.connect(**login, database=fields["database"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM sales")
        assert cur.fetchone() == (0,)  # head office's own tickets are not the store's
        with pytest.raises(pymysql.err.MySQLError):
            cur.execute(
                "INSERT INTO sales (origin_store, id, ticket_no, business_day, opened_at) "
                "VALUES (1, 50, 1, '2024-05-02', NOW())"
            )
    chain.centrale(
        lyon, "config", "set", "hq.database", fields["database"], "hq.user", user, "hq.password", fields["password"]
    )
    with InProcessStore(load(lyon.config)) as run:
        store_sells(lyon)
        report = run.sync()
        assert report.error is None, report.error
    assert chain.hq.sql("SELECT origin_store, COUNT(*) FROM sales GROUP BY origin_store") == [(HQ_STORE, 2), (STORE, 2)]
    assert site_differences(chain, lyon) == "equal"


def test_shipping_into_an_unadopted_table_holds_naming_adopt(pos_hq: Chain) -> None:
    chain = pos_hq
    lyon = chain.store(STORE)
    with InProcessStore(load(lyon.config)) as run:
        store_sells(lyon)
        report = run.sync()
        assert report.held and "Unknown column 'origin_store'" in (report.error or "")
        assert "hq init --adopt" in str(report.hint)
        chain.centrale(chain.hq, "hq", "init", "--adopt")
        assert run.ship().error is None
    assert site_differences(chain, lyon) == "equal"
    assert chain.hq.sql("SELECT COUNT(*) FROM sales WHERE origin_store = %s", args=(HQ_STORE,)) == [(2,)]


def test_what_cannot_be_converted_is_refused_with_the_reason_and_nothing_changes(chain: Chain) -> None:
    """A legacy sales table without a primary key holding ticket 7 twice, a customers table
    without a unique card number holding C-1 twice, a stock table keyed by another column and a
    punches table with a column stores do not send: not adoptable; sale_lines, which could be,
    is left unconverted too."""
    hq = chain.hq
    create_pos_tables(hq, "sales", "sale_lines")
    hq.sql("ALTER TABLE sale_lines DROP FOREIGN KEY fk_line_sale")
    hq.sql("ALTER TABLE sales MODIFY id BIGINT NOT NULL, DROP PRIMARY KEY")
    hq.sql(
        "INSERT INTO sales (id, ticket_no, business_day, opened_at) VALUES "
        "(7, 1, '2024-05-02', NOW()), (7, 2, '2024-05-02', NOW()), (8, 3, '2024-05-02', NOW())"
    )
    hq.sql(
        "CREATE TABLE customers (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, card_number VARCHAR(32) NOT NULL, "
        "first_name VARCHAR(60) NOT NULL DEFAULT '', created_store INT NOT NULL DEFAULT 1)"
    )
    hq.sql("INSERT INTO customers (card_number) VALUES ('C-1'), ('C-1'), ('C-2')")
    hq.sql("CREATE TABLE stock_levels (sku VARCHAR(20) NOT NULL PRIMARY KEY, quantity DECIMAL(12,3) NOT NULL)")
    hq.sql(
        "CREATE TABLE time_clock_punches (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, salesperson_id INT NOT NULL, "
        "punched_at DATETIME(6) NOT NULL, kind ENUM('in','out','break_start','break_end') NOT NULL, "
        "badge VARCHAR(8) NOT NULL)"
    )
    lines = table_sql(hq, "sale_lines")
    no_key = chain.centrale(hq, "hq", "init", "--adopt", check=False)
    assert no_key.returncode != 0 and "Traceback" not in no_key.stderr
    assert "sales has no primary key and the catalog names none (tables.sales.key)" in no_key.stderr
    assert "customers has 1 key value held by more than one row on (card_number): C-1" in no_key.stderr
    assert "nothing was changed" in no_key.stderr
    lyon = chain.store(STORE)
    from_store = chain.centrale(
        hq, "hq", "init", "--adopt", "--tables-from", lyon.server.url(lyon.database), check=False
    )
    assert from_store.returncode != 0
    assert "sales has 1 key value held by more than one row on (id): 7" in from_store.stderr
    assert "stock_levels lacks its key column(s) article_id" in from_store.stderr
    assert "time_clock_punches has NOT NULL column(s) without a default that stores' rows do not carry: badge" in (
        from_store.stderr
    )
    assert table_sql(hq, "sale_lines") == lines and "origin_store" not in columns(hq, "customers")
    assert hq.sql("SHOW TABLES LIKE 'sale_payments'") == []  # nothing created either


def test_a_shared_table_is_adopted_with_a_nullable_origin_and_its_key_kept(chain: Chain) -> None:
    """Head office's own customers (its ids, the card number unique): origin_store added NULL,
    its ids kept; a store's customer then arrives under its card number."""
    hq = chain.hq
    create_pos_tables(hq, "customers")
    hq.sql("INSERT INTO customers (card_number, first_name, created_store) VALUES ('HQ-1', 'Eve', 1)")
    out = chain.centrale(hq, "hq", "init", "--adopt").stdout
    assert "tables adopted" in out and ": customers" in out
    assert hq.sql("SELECT origin_store, id, card_number FROM customers") == [(None, 1, "HQ-1")]
    lyon = chain.store(STORE)
    with InProcessStore(load(lyon.config)) as run:
        lyon.sql("INSERT INTO customers (card_number, first_name, created_store) VALUES ('C-9', 'Ana', 12)")
        report = run.sync()
        assert report.error is None, report.error
    assert hq.sql("SELECT origin_store, card_number, first_name FROM customers ORDER BY card_number") == [
        (STORE, "C-9", "Ana"),
        (None, "HQ-1", "Eve"),
    ]


def test_a_foreign_key_of_a_table_to_itself_becomes_per_store(chain: Chain) -> None:
    """Head office's salespeople name their manager (a key to the same table): once adopted a
    store's salesperson can only report to one of that store's (not to head office's Bob, 2)."""
    hq = chain.hq
    create_pos_tables(hq, "salespeople")
    hq.sql(
        "ALTER TABLE salespeople ADD boss INT NULL, "
        "ADD CONSTRAINT fk_boss FOREIGN KEY (boss) REFERENCES salespeople (id)"
    )
    hq.sql("INSERT INTO salespeople (code, first_name, boss) VALUES ('A', 'Alice', NULL), ('B', 'Bob', 1)")
    chain.centrale(hq, "hq", "init", "--adopt")
    assert "FOREIGN KEY (`origin_store`, `boss`) REFERENCES `salespeople` (`origin_store`, `id`)" in table_sql(
        hq, "salespeople"
    )
    assert hq.sql("SELECT origin_store, code, boss FROM salespeople ORDER BY id") == [
        (HQ_STORE, "A", None),
        (HQ_STORE, "B", 1),
    ]
    with pytest.raises(pymysql.err.IntegrityError):
        hq.sql("INSERT INTO salespeople (origin_store, id, code, first_name, boss) VALUES (12, 1, 'Z', 'Zoe', 2)")
