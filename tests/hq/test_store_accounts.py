"""Least privilege at head office: `centrale hq add-store N` gives each store an account that
ships, pulls, syncs customers, runs its jobs and reconciles, and can do nothing else: it cannot
read another store's rows, write rows under another store's number, or change reference data.
Head office's database enforces it, whatever a store's client sends."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pymysql
import pytest

from centrale.app.actions import store_actions
from centrale.app.lease import Holder, release, take
from centrale.core.config import load
from centrale.core.db import hq_params
from jobs.queue import add_jobs, list_jobs
from jobs.reconcile import reconcile
from jobs.runner import JobsRunner
from sandbox.chain import Chain, Site
from sandbox.compare import site_differences
from sandbox.inprocess import InProcessStore
from sandbox.workload import StoreActivity


@dataclass
class Account:
    user: str
    password: str
    database: str


def add_store(chain: Chain, number: int, *extra: str) -> Account:
    user = f"acc{number}_{chain.hq.database}"[:80]
    out = chain.centrale(chain.hq, "hq", "add-store", str(number), "--user", user, *extra).stdout
    fields = dict(re.findall(r'^(\w+) = "(.*)"$', out, re.M))
    assert fields["user"] == user and len(fields["password"]) >= 24
    return Account(user, fields["password"], fields["database"])


def use_account(chain: Chain, site: Site, acc: Account) -> None:
    chain.centrale(site, "config", "set", "hq.database", acc.database, "hq.user", acc.user, "hq.password", acc.password)


def login(chain: Chain, acc: Account, **kw: object) -> pymysql.connections.Connection:
    server = chain.hq.server
    return pymysql.connect(
        host=server.host, port=server.port, user=acc.user, password=acc.password, database=acc.database, **kw
    )


def refused(conn: pymysql.connections.Connection, sql: str, args: object = None) -> int:
    """The MariaDB error number a statement gets (0 if it went through)."""
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args)
        conn.commit()
    except pymysql.err.MySQLError as exc:
        conn.rollback()
        return int(exc.args[0])
    return 0


def drop_accounts(chain: Chain) -> None:
    for user, host in chain.hq.sql(f"SELECT account, host FROM `{chain.hq.database}`.centrale_accounts"):
        chain.hq.server.sql(f"DROP USER IF EXISTS '{user}'@'{host}'")
    chain.hq.server.sql(f"DROP DATABASE IF EXISTS `{chain.hq.database}_stores`")


@pytest.fixture
def scoped(chain: Chain) -> Iterator[tuple[Chain, Account, Account]]:
    """Head office's tables created from store 12's definitions, then one account per store,
    each store configured with its own."""
    lyon, lille = chain.store(12), chain.store(13)
    chain.centrale(chain.hq, "hq", "init", "--tables-from", lyon.server.url(lyon.database))
    accounts = add_store(chain, 12), add_store(chain, 13)
    for site, acc in zip((lyon, lille), accounts, strict=True):
        use_account(chain, site, acc)
        chain.seeded(site)
    try:
        yield chain, *accounts
    finally:
        drop_accounts(chain)


def sell(site: Site, n: int, seed: int) -> None:
    with site.connect() as conn:
        activity = StoreActivity(conn, seed=seed)
        for _ in range(n):
            activity.sell()
        activity.punch()


def ship(site: Site) -> None:
    """Everything the store's binlog holds, captured and shipped (in this process)."""
    with InProcessStore(site.config) as store:
        store.sync()
        store.drain()


def sold_and_shipped(chain: Chain, tickets: tuple[int, int], seeds: tuple[int, int]) -> tuple[Site, Site]:
    """Lyon and Lille, having sold ``tickets`` (their tills seeded with ``seeds``) and shipped them."""
    lyon, lille = chain.store(12), chain.store(13)
    for site, n, seed in zip((lyon, lille), tickets, seeds, strict=True):
        sell(site, n, seed=seed)
    for site in (lyon, lille):
        ship(site)
    return lyon, lille


def test_each_store_ships_pulls_runs_jobs_and_reconciles_with_its_own_account(
    scoped: tuple[Chain, Account, Account],
) -> None:
    chain, _, _ = scoped
    lyon, lille = sold_and_shipped(chain, (30, 20), seeds=(1, 2))
    for site in (lyon, lille):
        assert site_differences(chain, site) == "equal"
    chain.hq.sql("INSERT INTO articles (id, code, label, price) VALUES (1, 'CAF', 'Espresso', 1.8)")
    lyon.sql("INSERT INTO customers (card_number, first_name, created_store) VALUES ('C-1', 'Ana', 12)")
    ship(lyon)
    with chain.hq.connect(autocommit=False) as conn:
        add_jobs(conn, "pull-articles", [12])
        add_jobs(conn, "pull-customers", [13])
    for site in (lyon, lille):
        cfg = load(site.config)
        outcomes = JobsRunner(hq_params(cfg.hq), site.number, store_actions(cfg), threading.Event()).tick()
        assert [o.status for o in outcomes] == ["done"], [o.message for o in outcomes]
    assert lyon.sql("SELECT label FROM articles WHERE id = 1") == [("Espresso",)]
    assert lille.sql("SELECT first_name FROM customers WHERE card_number = 'C-1'") == [("Ana",)]
    with chain.hq.connect() as conn:
        assert {j.status for j in list_jobs(conn)} == {"done"}
    today = dt.date.today()
    assert reconcile(load(lyon.config), today - dt.timedelta(days=1), today + dt.timedelta(days=1)) == []


def test_a_store_account_sees_and_writes_only_its_own_rows(scoped: tuple[Chain, Account, Account]) -> None:
    chain, lyon_acc, _ = scoped
    _, lille = sold_and_shipped(chain, (5, 7), seeds=(3, 4))
    with chain.hq.connect(autocommit=False) as conn:
        lille_job = add_jobs(conn, "pull-articles", [13])[0]
    base = chain.hq.database
    with login(chain, lyon_acc) as conn:
        with conn.cursor() as cur:
            cur.execute("SELECT DISTINCT origin_store FROM sales")
            assert cur.fetchall() == ((12,),)  # Lille's sales are not there to read
            cur.execute("SELECT COUNT(*) FROM centrale_jobs")
            assert cur.fetchone() == (0,)
            cur.execute("SELECT DISTINCT store FROM centrale_progress")
            assert cur.fetchall() == ((12,),)
        # nothing of head office's own database, not even reading
        assert refused(conn, f"SELECT COUNT(*) FROM `{base}`.sales") == 1142
        assert refused(conn, f"SELECT COUNT(*) FROM `{base}`.centrale_accounts") == 1142
        # rows under another store's number: refused by head office's database
        assert (
            refused(
                conn,
                "INSERT INTO sales (origin_store, id, ticket_no, business_day, opened_at, total, status) "
                "VALUES (13, 999999, 1, CURDATE(), NOW(), 1, 'paid')",
            )
            == 1369
        )
        assert refused(conn, "UPDATE sales SET total = 0 WHERE origin_store = 13") == 0
        assert refused(conn, "UPDATE centrale_progress SET last_seq = 0 WHERE store = 13") == 0
        assert refused(conn, "UPDATE centrale_jobs SET status = 'done' WHERE id = %s", (lille_job,)) == 0
        # reference data and the jobs queue are head office's to change
        assert refused(conn, "UPDATE articles SET price = 0") == 1142
        assert refused(conn, "DELETE FROM articles") == 1142
        assert refused(conn, "INSERT INTO centrale_jobs (store, action) VALUES (12, 'pull-articles')") == 1142
        assert refused(conn, "CREATE TABLE sneaky (id INT)") == 1142
        # customers are chain-wide: readable, but written only as this store
        assert (
            refused(
                conn,
                "INSERT INTO customers (origin_store, card_number, created_store, updated_at) "
                "VALUES (13, 'FAKE', 13, NOW(6))",
            )
            == 1644
        )
    # what those updates would have changed is untouched
    assert chain.hq.sql("SELECT status FROM centrale_jobs WHERE id = %s", (lille_job,)) == [("pending",)]
    assert site_differences(chain, lille) == "equal"
    assert chain.hq.sql("SELECT COUNT(*) FROM customers WHERE card_number = 'FAKE'") == [(0,)]


def test_a_store_with_another_stores_account_is_stopped_before_shipping(
    scoped: tuple[Chain, Account, Account],
) -> None:
    chain, _, lille_acc = scoped
    lyon = chain.store(12)
    use_account(chain, lyon, lille_acc)
    sell(lyon, 2, seed=5)
    res = chain.centrale(lyon, "outbox", "replay", check=False)
    assert res.returncode != 0
    assert f"account {lille_acc.user!r} belongs to store 13, but this is store 12" in res.stderr
    assert "hint: fix site.store" in res.stderr and "Traceback" not in res.stderr
    doctor = chain.centrale(lyon, "doctor", check=False)
    assert doctor.returncode != 0 and "belongs to store 13" in doctor.stdout + doctor.stderr
    assert chain.hq.sql("SELECT COUNT(*) FROM sales WHERE origin_store = 13") == [(0,)]


def test_add_store_refuses_what_it_cannot_do_safely(scoped: tuple[Chain, Account, Account]) -> None:
    chain, lyon_acc, _ = scoped
    again = chain.centrale(chain.hq, "hq", "add-store", "12", "--user", lyon_acc.user, check=False)
    assert again.returncode != 0 and "already exists" in again.stderr and "--rotate" in again.stderr
    taken = chain.centrale(chain.hq, "hq", "add-store", "14", "--user", lyon_acc.user, check=False)
    assert taken.returncode != 0 and "already belongs to store 12" in taken.stderr
    hq_number = chain.centrale(chain.hq, "hq", "add-store", "1", check=False)
    assert hq_number.returncode != 0 and "head office's own number" in hq_number.stderr
    from_store = chain.centrale(chain.store(12), "hq", "add-store", "14", check=False)
    assert from_store.returncode != 0 and "store's configuration" in from_store.stderr
    rotated = add_store(chain, 12, "--rotate")
    assert rotated.password != lyon_acc.password
    with pytest.raises(pymysql.err.OperationalError):
        login(chain, lyon_acc).close()  # the old password no longer opens anything
    login(chain, rotated).close()


def test_add_store_before_head_office_has_the_tables_names_the_fix(chain: Chain) -> None:
    try:
        res = chain.centrale(chain.hq, "hq", "add-store", "12", "--user", f"early_{chain.hq.database}", check=False)
        assert res.returncode != 0
        assert "head office has no table sales" in res.stderr and "--tables-from" in res.stderr
        assert chain.hq.server.sql("SELECT COUNT(*) FROM mysql.user WHERE User LIKE 'early\\_%'") == [(0,)]
    finally:
        drop_accounts(chain)


def test_a_column_added_at_the_store_holds_until_head_office_adds_it(scoped: tuple[Chain, Account, Account]) -> None:
    """A per-store account may not change head office's tables: schema drift holds the batch
    with the command that fixes it, and nothing is lost."""
    chain, _, _ = scoped
    lyon = chain.store(12)
    with InProcessStore(lyon.config) as run:
        run.sync()
        lyon.sql("ALTER TABLE salespeople ADD COLUMN badge VARCHAR(20) NULL")
        lyon.sql("INSERT INTO salespeople (code, first_name, badge) VALUES ('B', 'Bob', 'B-001')")
        report = run.sync()
        assert report.held and "Unknown column 'badge'" in (report.error or "")
        assert "hq init --tables-from" in (report.hint or "")
        status = chain.centrale(lyon, "status", "--json").stdout
        assert "hq init --tables-from" in status
        out = chain.centrale(chain.hq, "hq", "init", "--tables-from", lyon.server.url(lyon.database)).stdout
        assert "columns added: salespeople.badge" in out and "store views" in out
        assert run.ship().rows == 1
    assert chain.hq.sql("SELECT badge FROM salespeople WHERE origin_store=12 AND code='B'") == [("B-001",)]
    assert site_differences(chain, lyon) == "equal"


def test_a_store_account_holds_its_own_stores_lease_only(scoped: tuple[Chain, Account, Account]) -> None:
    """The one-capture-per-store lease (``centrale.app.lease``) works through a store's account, and
    that account cannot take or clear another store's."""
    chain, _, _ = scoped
    lyon = chain.store(12)
    params = hq_params(load(lyon.config).hq)
    me, copy = Holder.this_process(lyon.config.parent), Holder.this_process(lyon.config.parent / "copy")
    assert take(params, 12, me) is None
    assert take(params, 12, me) is None  # renewed
    other = take(params, 12, copy)
    assert other is not None and other.folder == me.folder
    with pytest.raises(pymysql.err.MySQLError):
        take(params, 13, me)  # not its store
    release(params, 12, copy)  # not the holder: nothing happens
    assert chain.hq.sql("SELECT store FROM centrale_leases") == [(12,)]
    release(params, 12, me)
    assert chain.hq.sql("SELECT store FROM centrale_leases") == []
