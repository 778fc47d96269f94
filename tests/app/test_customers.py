"""Customers both ways: one chain-wide base merged on the card number, newer change wins
(head office on a tie), and nothing a store receives is sent back."""

from __future__ import annotations

import datetime as dt

from cdc.snapshot import push_group
from centrale.core.config import load
from jobs.pull import pull_group
from sandbox.chain import Chain, Site
from sandbox.inprocess import InProcessStore
from sandbox.workload import StoreActivity, seed_store

T0 = dt.datetime(2026, 11, 1, 10, 0, 0)


def add_customer(site: Site, card: str, name: str, at: dt.datetime, points: int = 0) -> None:
    site.sql(
        "INSERT INTO customers (card_number, first_name, points, created_store, updated_at) VALUES (%s,%s,%s,%s,%s)",
        (card, name, points, site.number, at),
    )


def customer(site: Site, card: str) -> tuple | None:
    rows = site.sql("SELECT first_name, points, updated_at FROM customers WHERE card_number = %s", (card,))
    return rows[0] if rows else None


def test_a_customer_created_in_store_a_reaches_store_b(chain: Chain) -> None:
    lyon, lille = chain.store(12), chain.store(13)
    lille.sql("INSERT INTO customers (card_number, first_name, created_store) VALUES ('L-1', 'local', 13)")
    with InProcessStore(lyon.config) as run:
        add_customer(lyon, "C-100", "Zoé", T0, points=12)
        run.sync()
    # head office keeps one row per card, without the stores' own ids, marked with its store
    assert chain.hq.sql("SELECT card_number, first_name, origin_store FROM customers") == [("C-100", "Zoé", 12)]
    result = pull_group(load(lille.config), "customers")
    assert result.tables[0].inserted == 1
    assert customer(lille, "C-100") == ("Zoé", 12, T0)
    # Lille numbers it with its own id, after its local customer
    assert lille.sql("SELECT id FROM customers WHERE card_number='C-100'")[0][0] > 1
    assert customer(lille, "L-1") is not None  # a pull never deletes customers


def test_no_echo_a_pulled_customer_produces_no_outbox_row(chain: Chain) -> None:
    lyon, lille = chain.store(12), chain.store(13)
    with InProcessStore(lyon.config) as run:  # creates head office's customers table if needed
        add_customer(lyon, "C-7", "Ana", T0, 3)
        run.sync()
    with InProcessStore(lille.config) as run:
        pull_group(load(lille.config), "customers")
        run.wait_caught_up()
        assert run.capture_box.stats().backlog == 0, run.capture_box.rows()
        assert run.captured() == 0
        # A change made at Lille afterwards is captured as usual.
        lille.sql(
            "UPDATE customers SET points = 4, updated_at = %s WHERE card_number = 'C-7'", (T0 + dt.timedelta(hours=1),)
        )
        run.wait_caught_up()
        assert run.capture_box.stats().backlog == 1


def test_the_newer_change_wins_and_head_office_wins_a_tie(chain: Chain) -> None:
    lyon, lille = chain.store(12), chain.store(13)
    with InProcessStore(lyon.config) as a, InProcessStore(lille.config) as b:
        add_customer(lyon, "C-1", "Lyon first", T0)
        a.sync()
        pull_group(load(lille.config), "customers")
        # Lille changes it later than Lyon does, but Lille's change is shipped first.
        lyon.sql(
            "UPDATE customers SET first_name='Lyon at 11h', updated_at=%s WHERE card_number='C-1'",
            (T0 + dt.timedelta(hours=1),),
        )
        lille.sql(
            "UPDATE customers SET first_name='Lille at 12h', updated_at=%s WHERE card_number='C-1'",
            (T0 + dt.timedelta(hours=2),),
        )
        b.sync()
        a.sync()  # older: refused by head office
        assert chain.hq.sql("SELECT first_name, origin_store FROM customers WHERE card_number='C-1'") == [
            ("Lille at 12h", 13)
        ]
        # A tie: head office keeps what it has.
        lyon.sql(
            "UPDATE customers SET first_name='Lyon tie', updated_at=%s WHERE card_number='C-1'",
            (T0 + dt.timedelta(hours=2),),
        )
        a.sync()
        assert chain.hq.sql("SELECT first_name FROM customers WHERE card_number='C-1'") == [("Lille at 12h",)]
    # Pulls apply the same rule: Lyon receives the winner, Lille's newer local change stays.
    pull_group(load(lyon.config), "customers")
    assert customer(lyon, "C-1")[0] == "Lille at 12h"
    lille.sql(
        "UPDATE customers SET first_name='Lille at 13h', updated_at=%s WHERE card_number='C-1'",
        (T0 + dt.timedelta(hours=3),),
    )
    result = pull_group(load(lille.config), "customers")
    assert result.tables[0].kept_newer == 1 and customer(lille, "C-1")[0] == "Lille at 13h"


def test_push_customers_resends_existing_rows_idempotently(chain: Chain) -> None:
    lyon = chain.store(12)
    for i in range(5):
        add_customer(lyon, f"P-{i}", f"Client {i}", T0)  # written before any capture
    cfg = load(lyon.config)
    with InProcessStore(cfg) as run:
        assert sum(r.rows for r in push_group(cfg, "customers")) == 5
        assert sum(r.rows for r in push_group(cfg, "customers")) == 5  # twice
        run.sync()
    assert chain.hq.sql("SELECT COUNT(*) FROM customers") == [(5,)]


def test_push_stock_since_a_date_resends_only_recent_rows(chain: Chain) -> None:
    lyon = chain.store(12)
    lyon.sql(
        "INSERT INTO stock_movements (article_id, quantity, kind, moved_at) VALUES "
        "(1, 1, 'sale', '2026-10-01'), (2, 1, 'sale', '2026-11-20'), (3, 1, 'loss', '2026-11-21')"
    )
    cfg = load(lyon.config)
    results = {r.table: r.rows for r in push_group(cfg, "stock", since="2026-11-15")}
    assert results["stock_movements"] == 2
    res = chain.centrale(lyon, "push", "stock", "--since", "15/11/2026", check=False)
    assert res.returncode != 0 and "is not a date" in res.stderr and "YYYY-MM-DD" in res.stderr


def test_push_sales_resends_every_table_of_the_group_not_only_the_table_named_sales(chain: Chain) -> None:
    """ "sales" names a group and one of its tables: `push sales` is the group (headers, lines,
    payments), as the jobs table's push-sales means it."""
    lyon = chain.store(12)
    with lyon.connect() as conn:
        seed_store(conn)
        StoreActivity(conn, seed=1).sell()
    results = {r.table: r.rows for r in push_group(load(lyon.config), "sales")}
    assert set(results) == {"sales", "sale_lines", "sale_payments"} and all(results.values())


def test_a_change_that_reaches_head_office_late_is_still_pulled(chain: Chain) -> None:
    """Customers are compared in full: a store back from an outage ships changes whose modified
    times are older than what other stores already pulled."""
    lyon, lille = chain.store(12), chain.store(13)
    with InProcessStore(lyon.config) as run:
        add_customer(lyon, "C-9", "first", T0)
        add_customer(lyon, "C-10", "newer one", T0 + dt.timedelta(days=1))
        run.sync()
    pull_group(load(lille.config), "customers")  # Lille has seen changes up to T0 + 1 day
    # Another store's change made at T0 + 1 minute arrives at head office only now.
    chain.hq.sql(
        "UPDATE customers SET first_name = 'shipped late', updated_at = %s WHERE card_number = 'C-9'",
        (T0 + dt.timedelta(minutes=1),),
    )
    pull_group(load(lille.config), "customers")
    assert customer(lille, "C-9")[0] == "shipped late"
