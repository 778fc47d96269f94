"""Pulls racing the store's own writes, on real servers: a sale that changes an article while a
pull writes it keeps its change (stock) and gets head office's (price), whichever transaction
holds the row first, and is never the victim of a deadlock with the pull. (A pulled delete the
store's foreign keys refuse: test_pull_refused_deletes.py.)

The interleavings are forced, not hoped for: the sale's transaction holds the row while the
pull runs, or a trigger holds the pull inside its transaction (after it wrote the row) while
the sale runs; the tests wait for the server to show each side where it should be.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pymysql
import pytest

import jobs.pull
from centrale.app.actions import store_actions
from centrale.core.catalog import schema_dir
from centrale.core.config import load
from centrale.core.db import hq_params
from jobs import pull_apply
from jobs.pull import PullResult, pull_group
from jobs.queue import add_jobs, list_jobs
from jobs.runner import JobsRunner
from sandbox.chain import Chain, Site
from sandbox.inprocess import InProcessStore
from sandbox.polling import wait_until

HOLD = "centrale_pull_races_hold"  # the user lock the trigger waits for


def with_stock_column(chain: Chain) -> Site:
    """Lyon's articles carry its own stock (a local column); head office's copy has one too.
    Three articles pulled, then Lyon sold some: stock 93, 50, 100."""
    lyon = chain.store(12)
    for site in (lyon, chain.hq):
        site.sql("ALTER TABLE articles ADD COLUMN stock INT NOT NULL DEFAULT 0")
    catalog = (schema_dir() / "catalog.toml").read_text(encoding="utf-8")
    catalog = catalog.replace("[tables.articles]\n", '[tables.articles]\nlocal_columns = ["stock"]\n')
    with open(lyon.config, "a", encoding="utf-8") as fh:
        fh.write("\n" + catalog)
    chain.hq.sql(
        "INSERT INTO articles (id, code, label, price, stock) VALUES "
        "(1, 'CR', 'Croissant', 1.10, 100), (2, 'PC', 'Pain', 1.20, 100), (3, 'BR', 'Brioche', 2.00, 100)"
    )
    pull_group(load(lyon.config), "articles")
    lyon.sql("UPDATE articles SET stock = CASE id WHEN 1 THEN 93 WHEN 2 THEN 50 ELSE stock END")
    return lyon


def stock_and_price(site: Site) -> dict[int, tuple[int, Decimal]]:
    return {r[0]: (r[1], r[2]) for r in site.sql("SELECT id, stock, price FROM articles")}


class Sale:
    """A till's ticket: its own transaction at the store, as the POS writes it (the ticket, and
    the sold articles' stock decremented)."""

    def __init__(self, site: Site, ticket: int) -> None:
        self.conn = site.connect(autocommit=False)
        self.ticket = ticket
        self.thread_id = self.conn.thread_id()

    def open(self) -> Sale:
        with self.conn.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute(
                "INSERT INTO sales (ticket_no, business_day, opened_at, total, status) "
                "VALUES (%s, UTC_DATE(), UTC_TIMESTAMP(6), 1.10, 'paid')",
                (self.ticket,),
            )
        return self

    def sell(self, article: int) -> None:
        with self.conn.cursor() as cur:
            cur.execute("UPDATE articles SET stock = stock - 1 WHERE id = %s", (article,))

    def commit(self) -> None:
        self.conn.commit()
        self.conn.close()

    def close(self) -> None:
        """Roll back a ticket left open (a failed test), so the chain's databases can go."""
        if self.conn.open:
            self.conn.close()


@pytest.fixture
def tills() -> Iterator[Callable[[Site, int], Sale]]:
    """Open a sale at a site; any still open at the end is rolled back."""
    opened: list[Sale] = []

    def open_sale(site: Site, ticket: int) -> Sale:
        opened.append(Sale(site, ticket).open())
        return opened[-1]

    yield open_sale
    for sale in opened:
        sale.close()


class Background:
    """``fn`` in a thread; ``result()`` joins it and returns its value or raises its error."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.value: Any = None
        self.error: BaseException | None = None

        def run() -> None:
            try:
                self.value = fn()
            except BaseException as exc:
                self.error = exc

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def result(self, timeout_s: float = 60) -> Any:
        self.thread.join(timeout_s)
        assert not self.thread.is_alive(), "still running"
        if self.error is not None:
            raise self.error
        return self.value


def lock_waits(site: Site) -> list[tuple[int, int]]:
    """(waiting connection, connection holding the row) pairs in the site's database."""
    return [
        (int(r[0]), int(r[1]))
        for r in site.server.sql(
            "SELECT r.trx_mysql_thread_id, b.trx_mysql_thread_id FROM information_schema.INNODB_LOCK_WAITS w "
            "JOIN information_schema.INNODB_TRX r ON r.trx_id = w.requesting_trx_id "
            "JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id "
            "JOIN information_schema.PROCESSLIST p ON p.ID = r.trx_mysql_thread_id WHERE p.DB = %s",
            site.database,
            (site.database,),
        )
    ]


def held_in_trigger(site: Site) -> int | None:
    """The connection waiting for HOLD inside the trigger: the pull, mid-transaction."""
    rows = site.server.sql(
        "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = %s AND STATE = 'User lock'",
        site.database,
        (site.database,),
    )
    return int(rows[0][0]) if rows else None


@pytest.fixture
def gave_way() -> Iterator[threading.Event]:
    """Set when a pull gives way to a store transaction holding a row it writes (its log says so)."""
    event = threading.Event()

    class Seen(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.msg == pull_apply.YIELDING:
                event.set()

    handler, level = Seen(logging.INFO), pull_apply.log.level
    pull_apply.log.addHandler(handler)
    pull_apply.log.setLevel(logging.INFO)
    yield event
    pull_apply.log.removeHandler(handler)
    pull_apply.log.setLevel(level)


def test_a_sale_holding_the_article_keeps_its_stock_and_the_pull_brings_the_price(
    chain: Chain, gave_way: threading.Event, tills: Callable[[Site, int], Sale]
) -> None:
    """The sale locks article 1 first; the pull meets the lock, gives way, and writes once the
    sale has committed: stock 93 -> 92 (the sale), price 1.10 -> 1.35 (head office)."""
    lyon = with_stock_column(chain)
    chain.hq.sql("UPDATE articles SET price = 1.35, stock = 100 WHERE id = 1")
    with InProcessStore(lyon.config) as run:
        sale = tills(lyon, 501)
        sale.sell(1)
        pulling = Background(lambda: pull_group(load(lyon.config), "articles"))
        wait_until(lambda: gave_way.is_set() or lock_waits(lyon), "the pull meets the sale's lock on article 1")
        sale.commit()
        result: PullResult = pulling.result()
        assert result.gave_way >= 1
        assert stock_and_price(lyon)[1] == (92, Decimal("1.35"))
        run.sync()  # the sale is captured and shipped as any other; the pull is not
    assert chain.hq.sql("SELECT ticket_no FROM sales WHERE origin_store = 12") == [(501,)]
    assert chain.hq.sql("SELECT stock FROM articles WHERE id = 1") == [(100,)]  # head office's own figure


def test_a_pull_holding_the_article_keeps_the_sale_waiting_and_both_changes_stay(
    chain: Chain, tills: Callable[[Site, int], Sale]
) -> None:
    """The pull writes article 1 first and is held inside its transaction (a trigger waits for
    a lock the test holds); the sale's stock update waits for the pull's row lock, then applies
    to the row the pull wrote: stock 93 -> 92, price 1.35."""
    lyon = with_stock_column(chain)
    chain.hq.sql("UPDATE articles SET price = 1.35, stock = 100 WHERE id = 1")
    hold = f"SET @held = GET_LOCK('{HOLD}', 60); SET @held = RELEASE_LOCK('{HOLD}');"
    # Whichever way the pull writes the new price (an update, or a delete and an insert), it
    # waits here with article 1's row written and locked; the sale changes no price.
    lyon.sql(
        f"CREATE TRIGGER hold_updated AFTER UPDATE ON articles FOR EACH ROW IF NEW.price = 1.35 THEN {hold} END IF"
    )
    lyon.sql(
        f"CREATE TRIGGER hold_inserted AFTER INSERT ON articles FOR EACH ROW IF NEW.price = 1.35 THEN {hold} END IF"
    )
    with InProcessStore(lyon.config) as run, lyon.connect() as ctl, ctl.cursor() as cur:
        cur.execute("SELECT GET_LOCK(%s, 0)", (HOLD,))
        pulling = Background(lambda: pull_group(load(lyon.config), "articles"))
        pull_id = wait_until(lambda: held_in_trigger(lyon), "the pull holds article 1, inside its transaction")
        sale = tills(lyon, 502)
        selling = Background(lambda: (sale.sell(1), sale.commit()))
        wait_until(lambda: (sale.thread_id, pull_id) in lock_waits(lyon), "the sale waits for the pull's row lock")
        cur.execute("SELECT RELEASE_LOCK(%s)", (HOLD,))
        result: PullResult = pulling.result()
        selling.result()
        assert result.gave_way == 0  # the sale waited, not the pull
        assert stock_and_price(lyon)[1] == (92, Decimal("1.35"))
        run.sync()
    assert chain.hq.sql("SELECT ticket_no FROM sales WHERE origin_store = 12") == [(502,)]


def test_a_sale_over_two_articles_the_pull_writes_is_never_a_deadlock_victim(
    chain: Chain, gave_way: threading.Event, tills: Callable[[Site, int], Sale]
) -> None:
    """The sale holds article 2 and then wants article 1, which the pull writes before 2. A pull
    that waited for article 2 while holding 1 would close a deadlock, and InnoDB would roll back
    the smaller transaction: the sale, ticket and all. The pull gives way instead."""
    lyon = with_stock_column(chain)
    chain.hq.sql("UPDATE articles SET price = price + 1 WHERE id IN (1, 2)")
    sale = tills(lyon, 503)
    sale.sell(2)
    pulling = Background(lambda: pull_group(load(lyon.config), "articles"))
    wait_until(lambda: gave_way.is_set() or lock_waits(lyon), "the pull meets the sale's lock on article 2")
    sale.sell(1)  # no "Deadlock found": the pull holds nothing while it gives way
    sale.commit()
    pulling.result()
    assert stock_and_price(lyon) == {1: (92, Decimal("2.10")), 2: (49, Decimal("2.20")), 3: (100, Decimal("2.00"))}
    assert lyon.sql("SELECT ticket_no FROM sales") == [(503,)]


def test_a_store_change_made_after_the_pull_compared_is_not_reverted(
    chain: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pull compares, then the store sells article 1 (committed) before the pull writes:
    the pull writes head office's columns onto the row as it is then, never values it read."""
    lyon = with_stock_column(chain)
    chain.hq.sql("UPDATE articles SET price = 1.35, label = 'Croissant beurre', stock = 100 WHERE id = 1")
    write = jobs.pull.apply_plans

    def sale_then_write(*args: Any, **kw: Any) -> int:
        lyon.sql("UPDATE articles SET stock = stock - 3 WHERE id = 1")  # between the comparison and the write
        return write(*args, **kw)

    monkeypatch.setattr(jobs.pull, "apply_plans", sale_then_write)
    pull_group(load(lyon.config), "articles")
    assert lyon.sql("SELECT stock, price, label FROM articles WHERE id = 1") == [
        (90, Decimal("1.35"), "Croissant beurre")
    ]


def runner_for(site: Site) -> JobsRunner:
    cfg = load(site.config)
    return JobsRunner(hq_params(cfg.hq), site.number, store_actions(cfg), threading.Event())


def job(chain: Chain, job_id: int) -> Any:
    with chain.hq.connect(autocommit=False) as conn:
        return next(j for j in list_jobs(conn) if j.id == job_id)


def test_rows_held_longer_than_a_pull_gives_way_interrupt_it_whole_and_it_runs_again(
    chain: Chain, monkeypatch: pytest.MonkeyPatch, tills: Callable[[Site, int], Sale]
) -> None:
    """A transaction left open at the store holds article 1: the pull gives up after
    YIELD_FOR_S, wrote nothing (article 2's new price neither), and the job stays pending; the
    next tick, after the transaction ends, pulls both."""
    lyon = with_stock_column(chain)
    chain.hq.sql("UPDATE articles SET price = price + 1 WHERE id IN (1, 2)")
    monkeypatch.setattr(pull_apply, "YIELD_FOR_S", 0.5)
    with chain.hq.connect(autocommit=False) as conn:
        job_id = add_jobs(conn, "pull-articles", [12])[0]
    sale = tills(lyon, 504)
    sale.sell(1)
    [outcome] = runner_for(lyon).tick()
    assert outcome.status == "pending" and outcome.message.startswith("interrupted, will run again: pull articles")
    assert "locked by the store's own transactions" in outcome.message
    assert job(chain, job_id).status == "pending"
    assert stock_and_price(lyon) == {1: (93, Decimal("1.10")), 2: (50, Decimal("1.20")), 3: (100, Decimal("2.00"))}
    sale.commit()
    assert [o.status for o in runner_for(lyon).tick()] == ["done"]
    assert stock_and_price(lyon) == {1: (92, Decimal("2.10")), 2: (50, Decimal("2.20")), 3: (100, Decimal("2.00"))}


def test_a_pull_leaves_the_stores_session_as_it_found_it(chain: Chain, monkeypatch: pytest.MonkeyPatch) -> None:
    """After the write (which turns foreign key checks off for upserts and lock waits off), the
    connection is back to checks on and the server's lock wait timeout."""
    lyon = with_stock_column(chain)
    chain.hq.sql("UPDATE articles SET price = 9 WHERE id = 1")
    seen: list[tuple[Any, ...]] = []
    write = jobs.pull.apply_plans

    def then_look(store: pymysql.connections.Connection, *args: Any) -> int:
        gave = write(store, *args)
        with store.cursor() as cur:
            cur.execute(
                "SELECT @@session.foreign_key_checks, "
                "@@session.innodb_lock_wait_timeout = @@global.innodb_lock_wait_timeout"
            )
            seen.append(cur.fetchone())
        return gave

    monkeypatch.setattr(jobs.pull, "apply_plans", then_look)
    pull_group(load(lyon.config), "articles")
    assert seen == [(1, 1)]
