"""`pull GROUP`: the store's copy of head office's reference data, exactly, in one transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cdc.binlog import end_position
from centrale.core.changes import BinlogPosition
from centrale.core.config import Config, load
from centrale.core.errors import JobError
from jobs.pull import pull_group
from sandbox.chain import Chain, Site
from tests.conftest import SERVER_MIXES

# The same scenarios on MariaDB, on a MySQL store and on a MySQL head office (tests/conftest.py).
pytestmark = pytest.mark.parametrize("chain", SERVER_MIXES, indirect=True)


def seed_hq_articles(chain: Chain, n: int = 30) -> None:
    with chain.hq.connect() as conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO articles (id, code, label, price, price_takeaway, printer) VALUES (%s,%s,%s,%s,%s,%s)",
            [(i, f"A{i:05d}", f"Article {i} é", Decimal(i) / 4, Decimal(i) / 5, "kitchen") for i in range(1, n + 1)],
        )
        cur.execute("UPDATE articles SET updated_at = UTC_TIMESTAMP(6) - INTERVAL 30 DAY + INTERVAL id SECOND")  # old


def pulled_articles(chain: Chain, n: int = 30) -> tuple[Site, Config]:
    """Store 12 (and its configuration) once it pulled head office's ``n`` articles."""
    site = chain.store(12)
    cfg = load(site.config)
    seed_hq_articles(chain, n)
    pull_group(cfg, "articles")
    return site, cfg


def articles(site: Site) -> dict[int, tuple]:
    return {r[0]: r[1:] for r in site.sql("SELECT id, code, label, price, price_takeaway, printer FROM articles")}


def binlog_end(site: Site) -> BinlogPosition:
    with site.connect() as conn:
        return end_position(conn)


def test_pull_articles_copies_updates_and_mirrors_deletes(chain: Chain) -> None:
    site = chain.store(12)
    cfg = load(site.config)
    seed_hq_articles(chain)
    site.sql("INSERT INTO articles (id, code, label) VALUES (999, 'LOCAL', 'only at the store')")
    first = pull_group(cfg, "articles")
    assert first.tables[0].inserted == 30 and first.tables[0].deleted == 1
    assert articles(site) == articles(chain.hq)
    chain.hq.sql("UPDATE articles SET label = 'renamed' WHERE id = 3")
    chain.hq.sql("DELETE FROM articles WHERE id = 4")
    chain.hq.sql("INSERT INTO articles (id, code, label) VALUES (31, 'NEW', 'new one')")
    second = pull_group(cfg, "articles")
    t = second.tables[0]
    assert (t.inserted, t.updated, t.deleted) == (1, 1, 1)
    got = articles(site)
    assert got[3][1] == "renamed" and 4 not in got and got[31][1] == "new one"


def test_a_pull_that_changes_nothing_writes_nothing(chain: Chain) -> None:
    site, cfg = pulled_articles(chain)
    before = binlog_end(site)
    again = pull_group(cfg, "articles")
    assert again.rows_moved == 0
    assert binlog_end(site) == before


def test_prices_and_printers_stay_local_when_the_store_says_so(chain: Chain) -> None:
    lyon, lille = chain.store(12), chain.store(13)
    seed_hq_articles(chain)
    for site in (lyon, lille):
        pull_group(load(site.config), "articles")
    chain.centrale(lyon, "config", "set", "options.receive_prices", "false")
    chain.centrale(lyon, "config", "set", "options.receive_printers", "false")
    lyon.sql("UPDATE articles SET price = 9.99, printer = 'bar' WHERE id = 1")  # Lyon's own price
    chain.hq.sql("UPDATE articles SET price = 2.50, printer = 'oven', label = 'Croissant XL' WHERE id = 1")
    chain.hq.sql("INSERT INTO articles (id, code, label, price, printer) VALUES (50, 'NEW', 'Brioche', 3.10, 'oven')")
    for site in (lyon, lille):
        pull_group(load(site.config), "articles")
    l1, m1 = articles(lyon)[1], articles(lille)[1]
    assert l1[1] == "Croissant XL" and l1[2] == Decimal("9.99") and l1[4] == "bar"  # label yes, price/printer kept
    assert m1[2] == Decimal("2.50") and m1[4] == "oven"  # Lille receives prices
    assert articles(lyon)[50][2] == Decimal("3.10") and articles(lyon)[50][4] == "oven"  # new item arrives whole


def test_keyboards_pull_in_foreign_key_order_in_one_transaction(chain: Chain) -> None:
    site = chain.store(12)
    cfg = load(site.config)
    seed_hq_articles(chain, 5)
    chain.hq.sql("INSERT INTO keyboards (id, name) VALUES (1, 'Main'), (2, 'Bar')")
    chain.hq.sql(
        "INSERT INTO keyboard_keys (keyboard_id, position, article_id, caption) VALUES "
        "(1, 1, 1, 'Café'), (1, 2, 2, 'Croissant'), (2, 1, 3, 'Bière')"
    )
    pull_group(cfg, "articles")
    result = pull_group(cfg, "keyboards")
    assert [t.table for t in result.tables] == ["keyboards", "keyboard_keys"]
    assert site.sql("SELECT COUNT(*) FROM keyboard_keys") == [(3,)]
    # Removing a keyboard at head office removes its keys first, then the keyboard.
    chain.hq.sql("DELETE FROM keyboard_keys WHERE keyboard_id = 2")
    chain.hq.sql("DELETE FROM keyboards WHERE id = 2")
    pull_group(cfg, "keyboards")
    assert site.sql("SELECT id FROM keyboards") == [(1,)]


def test_stores_and_products_groups_pull(chain: Chain) -> None:
    site = chain.store(12)
    cfg = load(site.config)
    chain.hq.sql("INSERT INTO stores (id, name, is_hq) VALUES (1, 'Siège', 1), (12, 'Lyon', 0), (13, 'Lille', 0)")
    chain.hq.sql("INSERT INTO articles (id, code, label) VALUES (1, 'PIZ', 'Pizza')")
    chain.hq.sql("INSERT INTO products (id, code, label, unit, cost) VALUES (1, 'FAR', 'Farine', 'kg', 0.8)")
    chain.hq.sql("INSERT INTO technical_sheets (article_id, product_id, quantity) VALUES (1, 1, 0.25)")
    assert pull_group(cfg, "stores").rows_moved == 3
    assert pull_group(cfg, "products").rows_moved == 2
    assert site.sql("SELECT quantity FROM technical_sheets") == [(Decimal("0.2500"),)]


def test_a_missing_table_at_the_store_is_a_clear_job_error(chain: Chain) -> None:
    site = chain.store(12)
    site.sql("DROP TABLE technical_sheets")
    with pytest.raises(JobError, match="table `technical_sheets` does not exist at the store"):
        pull_group(load(site.config), "products")
    res = chain.centrale(site, "pull", "products", check=False)
    assert res.returncode == 8 and "does not exist at the store" in res.stderr and "Traceback" not in res.stderr
    assert "cannot be pulled" in chain.centrale(site, "pull", "sales", check=False).stderr


def test_pulled_rows_are_not_captured(chain: Chain) -> None:
    """Reference tables are not captured, and the marker keeps any pulled transaction home."""
    from sandbox.inprocess import InProcessStore

    site = chain.store(12)
    seed_hq_articles(chain, 10)
    with InProcessStore(site.config) as run:
        pull_group(load(site.config), "articles")
        run.wait_caught_up()
        assert run.capture_box.stats().backlog == 0


def test_later_pulls_compare_only_what_changed_and_still_find_everything(chain: Chain) -> None:
    site = chain.store(12)
    cfg = load(site.config)
    seed_hq_articles(chain, 3000)
    first = pull_group(cfg, "articles")
    assert not first.tables[0].incremental and first.tables[0].inserted == 3000
    chain.hq.sql("UPDATE articles SET label = 'changed at HQ' WHERE id IN (10, 2000)")
    chain.hq.sql("DELETE FROM articles WHERE id IN (5, 2999)")  # deletes leave no modified time
    chain.hq.sql("INSERT INTO articles (id, code, label) VALUES (5000, 'NEW', 'new')")
    site.sql("UPDATE articles SET label = 'local edit' WHERE id = 7")  # the store drifted
    site.sql("INSERT INTO articles (id, code, label) VALUES (6000, 'LOC', 'store only')")
    t = pull_group(cfg, "articles").tables[0]
    assert t.incremental and t.chunks < 100  # the changed rows and those near the mark, not 3000
    assert (t.inserted, t.updated, t.deleted) == (1, 3, 3)
    assert articles(site) == articles(chain.hq)


def test_a_full_comparison_still_runs_when_asked_and_catches_what_marks_miss(chain: Chain) -> None:
    site, cfg = pulled_articles(chain, 200)
    # A change that does not move the modified column (set by hand to an old time).
    chain.hq.sql("UPDATE articles SET label = 'sneaky', updated_at = '2020-01-01' WHERE id = 20")
    assert pull_group(cfg, "articles").rows_moved == 0  # trusted marks miss it...
    res = chain.centrale(site, "pull", "articles", "--full")
    assert "1 row changed" in res.stdout  # ...the full comparison (also run daily) does not
    assert articles(site)[20][1] == "sneaky"


def test_head_office_logs_deletions_so_pulls_need_no_key_set_comparison(chain: Chain) -> None:
    site, cfg = pulled_articles(chain, 100)
    chain.hq.sql("DELETE FROM articles WHERE id IN (3, 77)")
    chain.hq.sql("UPDATE articles SET id = 500 WHERE id = 50")  # a re-keyed row leaves its old key
    logged = chain.hq.sql("SELECT tbl, pk FROM centrale_tombstones ORDER BY id")
    assert logged == [("articles", "[3]"), ("articles", "[77]"), ("articles", "[50]")]
    t = pull_group(cfg, "articles").tables[0]
    assert t.incremental and (t.inserted, t.deleted) == (1, 3)
    assert sorted(articles(site)) == sorted(r[0] for r in chain.hq.sql("SELECT id FROM articles"))
    # Deleted, then inserted again under the same key: the row stays.
    chain.hq.sql("DELETE FROM articles WHERE id = 10")
    chain.hq.sql("INSERT INTO articles (id, code, label) VALUES (10, 'BACK', 'back again')")
    pull_group(cfg, "articles")
    assert articles(site)[10][0] == "BACK"


def test_a_row_committed_late_with_an_older_modified_time_is_still_pulled(chain: Chain) -> None:
    """A head-office transaction that wrote a row at t0 but committed after a pull read its
    marks: the next pull looks back a window before the mark and finds it."""
    site, cfg = pulled_articles(chain, 100)
    chain.hq.sql("UPDATE articles SET label = 'changed now' WHERE id = 1")
    pull_group(cfg, "articles")  # the mark is now this change's time
    mark = chain.hq.sql("SELECT MAX(updated_at) FROM articles")[0][0]
    chain.hq.sql(
        "INSERT INTO articles (id, code, label, updated_at) VALUES (200, 'LATE', 'committed late', %s)",
        (mark - dt.timedelta(seconds=5),),
    )
    chain.hq.sql(
        "UPDATE articles SET label = 'late edit', updated_at = %s WHERE id = 2", (mark - dt.timedelta(seconds=3),)
    )
    t = pull_group(cfg, "articles").tables[0]
    assert t.incremental and (t.inserted, t.updated) == (1, 1)
    assert articles(site)[200][1] == "committed late" and articles(site)[2][1] == "late edit"
    # rows the previous pull already looked at, unchanged since, are not read again
    again = pull_group(cfg, "articles").tables[0]
    assert again.chunks == 0 and (again.inserted, again.updated, again.deleted) == (0, 0, 0)


def test_local_columns_stay_the_stores_at_every_pull(chain: Chain) -> None:
    """Articles that carry the store's own stock quantity: head office's copy of the column (its
    own figure) never overwrites the store's; new articles arrive with head office's value."""
    lyon = chain.store(12)
    for site in (lyon, chain.hq):
        site.sql("ALTER TABLE articles ADD COLUMN on_hand INT NOT NULL DEFAULT 0")
    with open(lyon.config, "a", encoding="utf-8") as fh:
        fh.write('\n[tables.articles]\nkind = "reference"\ngroup = "articles"\nlocal_columns = ["on_hand"]\n')
    add = "INSERT INTO articles (id, code, label, price, printer, on_hand) VALUES "
    chain.hq.sql(add + "(1, 'CR', 'Croissant', 1.1, 'oven', 100)")
    chain.centrale(lyon, "pull", "articles")
    lyon.sql("UPDATE articles SET on_hand = 93 WHERE id = 1")  # the store sold 7
    chain.hq.sql("UPDATE articles SET label = 'Croissant beurre', on_hand = 100 WHERE id = 1")
    chain.hq.sql(add + "(2, 'PC', 'Pain', 1.2, 'oven', 40)")
    chain.centrale(lyon, "pull", "articles")
    assert lyon.sql("SELECT id, label, on_hand FROM articles ORDER BY id") == [
        (1, "Croissant beurre", 93),
        (2, "Pain", 40),
    ]


def test_a_pulled_delete_runs_the_stores_own_cascades(chain: Chain) -> None:
    """A store-local table references articles with ON DELETE CASCADE: when head office deletes
    an article, the pull's delete takes the store's rows that reference it too (no orphans)."""
    lyon = chain.store(12)
    lyon.sql(
        "CREATE TABLE shelf_tags (id INT PRIMARY KEY, article_id INT NOT NULL, "
        "FOREIGN KEY (article_id) REFERENCES articles (id) ON DELETE CASCADE) ENGINE=InnoDB"
    )
    chain.hq.sql("INSERT INTO articles (id, code, label) VALUES (1, 'CR', 'Croissant'), (2, 'PC', 'Pain')")
    chain.centrale(lyon, "pull", "articles")
    lyon.sql("INSERT INTO shelf_tags VALUES (10, 1), (20, 2)")
    chain.hq.sql("DELETE FROM articles WHERE id = 1")
    chain.centrale(lyon, "pull", "articles")
    assert lyon.sql("SELECT id FROM articles") == [(2,)]
    assert lyon.sql("SELECT id, article_id FROM shelf_tags") == [(20, 2)]
