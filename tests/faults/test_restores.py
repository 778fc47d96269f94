"""Either side put back from a backup (issue 13): head office's database restored from last
night's copy while both stores sell. Its progress for each store goes back; the stores had
forgotten the rows shipped since. They keep shipped rows for a retention window
(``outbox.keep_shipped_h``) and re-send exactly the gap: head office ends equal to every store,
row for row."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from centrale.app.report import StatusReporter
from centrale.core.config import Config, load
from sandbox.chain import Chain, Site
from sandbox.compare import compare_store, site_differences, wait_equal
from sandbox.inprocess import InProcessStore
from sandbox.polling import wait_until
from sandbox.workload import StoreActivity
from tests.faults.conftest import Spawn

BACKUP = "nightly_copy"


def _copy_database(chain: Chain, source: str, target: str) -> None:
    """A logical copy of every table (what a nightly dump holds), rows and all."""
    hq = chain.hq.server
    hq.sql(f"DROP DATABASE IF EXISTS `{target}`")
    hq.sql(f"CREATE DATABASE `{target}`")
    tables = [r[0] for r in hq.sql(f"SHOW FULL TABLES FROM `{source}` WHERE Table_type = 'BASE TABLE'")]
    for t in tables:
        hq.sql(f"CREATE TABLE `{target}`.`{t}` LIKE `{source}`.`{t}`")
        hq.sql(f"INSERT INTO `{target}`.`{t}` SELECT * FROM `{source}`.`{t}`")


def _restore_database(chain: Chain, backup: str, database: str) -> None:
    """Head office put back from the copy: every table's rows as they were."""
    hq = chain.hq.server
    tables = [r[0] for r in hq.sql(f"SHOW FULL TABLES FROM `{backup}` WHERE Table_type = 'BASE TABLE'")]
    with hq.connect(database) as conn, conn.cursor() as cur:
        cur.execute("SET foreign_key_checks = 0")
        for t in tables:
            cur.execute(f"DELETE FROM `{database}`.`{t}`")
            cur.execute(f"INSERT INTO `{database}`.`{t}` SELECT * FROM `{backup}`.`{t}`")
        cur.execute("COMMIT")


def _outbox_files(cfg: Config) -> list[Path]:
    """The outbox file and SQLite's own beside it (``-wal``, ``-shm``)."""
    return sorted(cfg.outbox.path.parent.glob(cfg.outbox.path.name + "*"))


def _delete_outbox(cfg: Config) -> None:
    for f in _outbox_files(cfg):
        f.unlink()


def _store_12(chain: Chain) -> tuple[Site, Config]:
    """Store 12, seeded and snapshotted, and its configuration."""
    site = chain.seeded(chain.store(12))
    return site, load(site.config)


def _refused_run(chain: Chain, site: Site) -> subprocess.CompletedProcess[str]:
    """`centrale run` refused at start with exit code 5: capture cannot resume where head office
    says the store's rows end."""
    refused = chain.centrale(site, "run", check=False, timeout=60)
    assert refused.returncode == 5, refused.stderr
    return refused


def _shipped_and_reported(cfg: Config, till: StoreActivity) -> None:
    """A sale captured and shipped, and the store's binlog position reported to head office (what
    `run` does every minute)."""
    with InProcessStore(cfg) as run:
        till.sell()
        assert run.sync().error is None
        assert StatusReporter(cfg).tick()


def test_head_office_restored_from_a_backup_gets_the_gap_again_from_the_stores(chain: Chain) -> None:
    stores = chain.stores
    for site in stores:
        chain.seeded(site)
    runs = {site.number: InProcessStore(site.config).start() for site in stores}
    conns = {site.number: site.connect() for site in stores}
    tills = {n: StoreActivity(conns[n], seed=n) for n in runs}
    try:
        for n, run in runs.items():
            for _ in range(5):
                tills[n].sell()
            assert run.sync().error is None
        _copy_database(chain, chain.hq.database, BACKUP)  # last night's copy
        for n, run in runs.items():  # the day's sales, shipped and forgotten by the stores
            for _ in range(12):
                tills[n].sell()
            assert run.sync().error is None
        _restore_database(chain, BACKUP, chain.hq.database)  # head office put back from the copy
        for n, run in runs.items():  # the stores go on selling
            for _ in range(4):
                tills[n].sell()
            run.wait_caught_up()
            run.drain()
        for site in stores:
            assert site_differences(chain, site) == "equal"
    finally:
        for n, run in runs.items():
            run.stop()
            conns[n].close()
        chain.hq.server.sql(f"DROP DATABASE IF EXISTS `{BACKUP}`")


def test_a_gap_older_than_the_kept_rows_is_named_and_push_since_refills_it(chain: Chain) -> None:
    """With shipped rows no longer kept (``keep_shipped_h = 0`` here; a backup older than the
    window in life), the gap cannot come back by itself: `status` names it and the commands that
    refill it, and they do."""
    site = chain.store(12)
    chain.centrale(site, "config", "set", "outbox.keep_shipped_h", "0")
    chain.seeded(site)
    with InProcessStore(site.config) as run, site.connect() as conn:
        till = StoreActivity(conn, seed=7)
        till.sell()
        assert run.sync().error is None
        _copy_database(chain, chain.hq.database, BACKUP)
        for _ in range(6):
            till.sell()
        assert run.sync().error is None
        _restore_database(chain, BACKUP, chain.hq.database)
        till.sell()
        run.wait_caught_up()
        run.drain()
    try:
        assert site_differences(chain, site) != "equal"  # the gap is real
        shown = chain.centrale(site, "status").stdout
        assert "head office GAP" in shown and "push sales --since" in shown
        for group in ("sales", "stock"):
            chain.centrale(site, "push", group, "--since", "2000-01-01")
        with InProcessStore(site.config) as run:
            run.wait_caught_up()
            run.drain()
        assert site_differences(chain, site) == "equal"
    finally:
        chain.hq.server.sql(f"DROP DATABASE IF EXISTS `{BACKUP}`")


def test_an_outbox_deleted_while_stopped_loses_nothing(chain: Chain) -> None:
    """Someone deletes the outbox file to "fix" an error while `run` is stopped, with sales in it
    not shipped yet and sales made since. The new outbox resumes capture where head office holds
    everything before (the store reported it), not at the binlog's end: nothing is lost."""
    site, cfg = _store_12(chain)
    with site.connect() as conn:
        till = StoreActivity(conn, seed=11)
        with InProcessStore(cfg) as run:
            for _ in range(4):
                till.sell()
            assert run.sync().error is None
            assert StatusReporter(cfg).tick()  # `run` reports where head office stands, every minute
            for _ in range(3):  # captured, not shipped yet
                till.sell()
            run.wait_caught_up()
        for _ in range(3):  # sold while `run` is stopped
            till.sell()
        _delete_outbox(cfg)
        with InProcessStore(cfg) as run:
            for _ in range(2):
                till.sell()
            run.wait_caught_up()
            run.drain()
    assert site_differences(chain, site) == "equal"


def test_an_outbox_lost_beyond_the_binlog_stops_capture_naming_snapshot(chain: Chain) -> None:
    site, cfg = _store_12(chain)
    with site.connect() as conn:
        till = StoreActivity(conn, seed=12)
        _shipped_and_reported(cfg, till)
        till.sell()
        site.server.purge_binlogs()  # the store kept its binlog for less time than it was stopped
    _delete_outbox(cfg)
    refused = _refused_run(chain, site)
    assert (
        "head office holds its rows up to binlog position" in refused.stderr and "centrale snapshot" in refused.stderr
    )


def test_an_outbox_put_back_from_an_earlier_copy_loses_nothing(chain: Chain) -> None:
    """The store PC's outbox folder is put back from last night's copy (the database is intact):
    capture goes back to the copy's checkpoint and numbers rows again from the copy's last seq;
    with rows that were not from the binlog (a `push` during the day), those numbers name other
    rows at head office. Head office holding rows this outbox never
    issued, the outbox takes a new generation, and every row goes: nothing is taken for done."""
    site, cfg = _store_12(chain)
    with site.connect() as conn:
        till = StoreActivity(conn, seed=13)
        with InProcessStore(cfg) as run:
            till.sell()
            assert run.sync().error is None
        copy = {f.name: f.read_bytes() for f in _outbox_files(cfg)}  # last night's copy, `run` stopped
        with InProcessStore(cfg) as run:
            for _ in range(10):  # the day's sales, shipped
                till.sell()
            run.wait_caught_up()
            chain.centrale(site, "push", "stock")  # and the day's stock sent again: rows the binlog does not hold
            assert run.sync().error is None
        _delete_outbox(cfg)
        for name, data in copy.items():
            (cfg.outbox.path.parent / name).write_bytes(data)
        with InProcessStore(cfg) as run:
            for _ in range(15):
                till.sell()
            run.wait_caught_up()  # captured before shipping looks: the copy issued as many seqs as head office holds
            assert run.ship_box.seqs().issued > int(run.shipper.last_applied(run.ship_box.generation))
            run.drain()
    assert site_differences(chain, site) == "equal"


def test_an_outbox_lost_with_head_office_ahead_of_the_stores_binlog_stops_naming_snapshot(chain: Chain) -> None:
    """Head office's record of the store's binlog names a file the store still has, past that
    file's end (the store's database put back from a backup, or its binlog reset): the position
    is not in the binlog, and capture says so instead of reading from a place that is not there."""
    site, cfg = _store_12(chain)
    with site.connect() as conn:
        _shipped_and_reported(cfg, StoreActivity(conn, seed=14))
    ((recorded,),) = chain.hq.sql("SELECT store_position FROM centrale_progress WHERE store = 12")
    file, _, pos = str(recorded).rpartition(":")
    chain.hq.sql("UPDATE centrale_progress SET store_position = %s WHERE store = 12", (f"{file}:{int(pos) + 10**9}",))
    _delete_outbox(cfg)
    refused = _refused_run(chain, site)
    assert (
        "head office holds its rows up to binlog position" in refused.stderr and "centrale snapshot" in refused.stderr
    )


def _put_back(cfg: Config, copy: dict[str, bytes]) -> None:
    _delete_outbox(cfg)
    for name, data in copy.items():
        (cfg.outbox.path.parent / name).write_bytes(data)


@pytest.mark.local_servers
def test_a_store_put_back_from_last_nights_image_saves_the_lost_future_before_its_numbers_come_back(
    chain: Chain, tmp_path: Path
) -> None:
    """The store PC is put back from last night's image: its database, binlog and outbox as they
    were. Head office holds the day's sales, which the store no longer has, and the store sells
    again under the same ticket ids. Before the copy's rows ship, head office's rows that differ
    are saved in a file beside the outbox, then replaced by the store's; tables that mirror deletes
    end equal to the store; the lost sales head office holds alone stay there, and are in the file."""
    site, cfg = _store_12(chain)
    with site.connect() as conn, InProcessStore(cfg) as run:
        till = StoreActivity(conn, seed=21)
        for _ in range(3):
            till.sell()
        assert run.sync().error is None
    site.server.take_image(tmp_path / "image")  # last night, `run` stopped
    copy = {f.name: f.read_bytes() for f in _outbox_files(cfg)}
    with site.connect() as conn, InProcessStore(cfg) as run:  # the day: sold, shipped, then lost
        till = StoreActivity(conn, seed=22)
        for _ in range(9):
            till.sell()
        assert run.sync().error is None
    lost = dict(chain.hq.sql("SELECT id, total FROM sales WHERE origin_store = 12 AND id > 3"))
    assert len(lost) == 9
    site.server.put_back_image(tmp_path / "image")
    _put_back(cfg, copy)
    with site.connect() as conn:
        till = StoreActivity(conn, seed=23)  # the same ticket ids again, other sales
        for _ in range(4):
            till.sell()
        with InProcessStore(cfg) as run:
            for _ in range(2):
                till.sell()
            run.wait_caught_up()
            run.drain()
    (archive,) = cfg.outbox.path.parent.glob("displaced-12-*.jsonl")
    saved = [json.loads(line) for line in archive.read_text(encoding="utf-8").splitlines()]
    saved_sales = {r["row"]["id"]: (r["action"], r["row"]["total"]) for r in saved if r["table"] == "sales"}
    assert {i: Decimal(t) for i, (_, t) in saved_sales.items()} == lost  # every lost sale, as head office had it
    assert {a for i, (a, _) in saved_sales.items() if i <= 9} == {"replaced"}  # ids sold again
    assert {a for i, (a, _) in saved_sales.items() if i > 9} == {"alone"}  # still at head office
    kept = Counter(r["table"] for r in saved if r["action"] == "alone")
    with site.connect() as s, chain.hq.connect() as h:
        differs = compare_store(s, h, cfg.catalog, site.number, site.database)
    for d in differs:  # head office equal to the store, but for the rows the file names as kept there
        assert not d.missing_at_hq and not d.different and len(d.extra_at_hq) == kept[d.table], d
    assert "earlier copy of the outbox" in chain.centrale(site, "status").stdout
    assert chain.centrale(site, "verify").returncode == 0  # the kept rows are history to verify
    assert "earlier copy of the outbox" not in chain.centrale(site, "status").stdout


@pytest.mark.local_servers
def test_a_new_outbox_waits_for_head_office_to_say_where_capture_starts(chain: Chain, spawn: Spawn) -> None:
    """The outbox deleted while `run` was stopped, and head office unreachable when it starts
    again: capture does not start at the binlog's end (the sales in between would never be
    captured); it asks head office again until it answers, then resumes where head office holds
    everything before."""
    site, cfg = _store_12(chain)
    with site.connect() as conn:
        till = StoreActivity(conn, seed=31)
        _shipped_and_reported(cfg, till)
        for _ in range(3):  # sold while `run` is stopped
            till.sell()
        _delete_outbox(cfg)
        chain.hq.server.stop()
        try:
            proc = spawn(site)
            wait_until(lambda: "head office cannot say now" in proc.log_text(), "capture waiting for head office")
            till.sell()
        finally:
            chain.hq.server.start()
        proc.wait_capturing(timeout_s=90)
        till.sell()
        wait_equal(chain, site)
        assert proc.terminate() == 0, proc.log_text()[-3000:]


@pytest.mark.local_servers
def test_a_store_database_put_back_under_its_outbox_stops_capture_and_snapshot_repairs_it(
    chain: Chain, tmp_path: Path
) -> None:
    """The store's database (and binlog) put back from last night's image, its outbox kept: the
    binlog, written again since, reaches past the outbox's checkpoint with other transactions.
    Capture sees that the event it recorded there is gone and stops naming `snapshot`, instead of
    reading from a place that means something else now; the snapshot starts capture again, head
    office's rows that differ are saved first, and head office ends equal to the store."""
    site, cfg = _store_12(chain)
    with site.connect() as conn, InProcessStore(cfg) as run:
        till = StoreActivity(conn, seed=41)
        till.sell()
        assert run.sync().error is None
    site.server.take_image(tmp_path / "image")
    with site.connect() as conn, InProcessStore(cfg) as run:  # the lost day
        till = StoreActivity(conn, seed=42)
        for _ in range(6):
            till.sell()
        assert run.sync().error is None
    site.server.put_back_image(tmp_path / "image")
    with site.connect() as conn:
        # The same tickets sold again, at other times: transactions of the same sizes, so the
        # binlog has an event ending exactly at the outbox's checkpoint, the worst case.
        till = StoreActivity(conn, seed=42)
        for _ in range(10):
            till.sell()
    refused = _refused_run(chain, site)
    assert "holds other transactions than capture read" in refused.stderr and "centrale snapshot" in refused.stderr
    chain.centrale(site, "snapshot")
    with InProcessStore(cfg) as run:
        run.wait_caught_up()
        run.drain()
    (archive,) = cfg.outbox.path.parent.glob("displaced-12-*.jsonl")
    saved = [json.loads(line) for line in archive.read_text(encoding="utf-8").splitlines()]
    assert {r["row"]["id"] for r in saved if r["table"] == "sales"} == set(range(2, 8))  # the lost day
    assert site_differences(chain, site) == "equal"  # every lost ticket number was sold again


def test_an_outbox_lost_where_the_binlog_holds_another_event_stops_naming_snapshot(chain: Chain) -> None:
    """Head office's record of the store's binlog names a position the binlog still reaches, but the
    event recorded as ending there is not the one there (the store's database was put back, and
    written again since): a new outbox does not resume there."""
    site, cfg = _store_12(chain)
    with site.connect() as conn:
        _shipped_and_reported(cfg, StoreActivity(conn, seed=15))
    ((mark,),) = chain.hq.sql("SELECT store_commit FROM centrale_progress WHERE store = 12")
    start, ts, server = str(mark).split(":")
    chain.hq.sql(
        "UPDATE centrale_progress SET store_commit = %s WHERE store = 12", (f"{start}:{int(ts) - 60}:{server}",)
    )
    _delete_outbox(cfg)
    refused = _refused_run(chain, site)
    assert "head office holds its rows up to binlog position" in refused.stderr
