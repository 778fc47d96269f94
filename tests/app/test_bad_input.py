"""Wrong settings and wrong data: one clear line naming the fix, a non-zero exit, no traceback,
and nothing lost or doubled."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from centrale.core.config import load
from centrale.core.errors import PositionLostError
from sandbox.chain import Chain, Site, write_store_config
from sandbox.inprocess import InProcessStore
from sandbox.mariadb import MariaDBServer
from sandbox.processes import run_centrale
from tests.conftest import Servers


def cli(site: Site | Path, *args: str) -> subprocess.CompletedProcess[str]:
    config = site.config if isinstance(site, Site) else site
    return run_centrale(config, *args)


def assert_clean_failure(res: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert res.returncode != 0, res.stdout + res.stderr
    out = res.stdout + res.stderr
    assert "Traceback" not in out, out
    for n in needles:
        assert n in out, out


def test_doctor_passes_on_a_correct_site(chain: Chain) -> None:
    res = cli(chain.store(12), "doctor")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "all checks passed" in res.stdout


def test_a_config_error_is_one_line_with_exit_code_2(chain: Chain) -> None:
    site = chain.store(12)
    site.config.write_text(site.config.read_text().replace("batch_rows = 20", "batch_rows = 'many'"))
    res = cli(site, "status")
    assert res.returncode == 2
    assert res.stderr.startswith("error: ") and "`ship.batch_rows`" in res.stderr
    # the error and its hint, once: no log line repeats them (logging starts with the config)
    assert [line.split(":")[0] for line in res.stderr.splitlines()] == ["error", "hint"], res.stderr


def test_no_config_at_all_names_the_flag_and_the_variable(tmp_path: Path) -> None:
    res = run_centrale(None, "status", timeout=None, env={"PATH": "/usr/bin:/bin"})
    assert_clean_failure(res, "--config", "CENTRALE_CONFIG")


def test_another_chains_head_office_is_refused(chain: Chain) -> None:
    site = chain.store(12)
    assert cli(site, "config", "set", "site.hq_store", "99").returncode == 0
    res = cli(site, "doctor")
    assert_clean_failure(res, "head office has store number 1, this store expects 99")
    # Shipping refuses too: the batch stays in the outbox and the reason is recorded.
    with InProcessStore(site.config) as run:
        site.sql("INSERT INTO salespeople (code, first_name) VALUES ('A', 'Ann')")
        report = run.sync()
        assert report.error and "store number 1" in report.error
        assert run.ship_box.stats().backlog == 1
    assert "store number 1" in cli(site, "status").stdout


def test_a_wrong_head_office_password_is_named_without_showing_it(chain: Chain, servers: Servers) -> None:
    servers.hq.sql("CREATE OR REPLACE USER 'store12'@'127.0.0.1' IDENTIFIED BY 'right-pass-Zq9'")
    site = chain.store(12)
    cli(site, "config", "set", "hq.user", "store12")
    cli(site, "config", "set", "hq.password", "wrong-pass-Xk7")
    res = cli(site, "doctor")
    assert_clean_failure(res, "check hq.user and hq.password")
    assert "wrong-pass-Xk7" not in res.stdout + res.stderr


def test_a_missing_catalog_table_stops_run(chain: Chain) -> None:
    site = chain.store(12)
    site.sql("DROP TABLE time_clock_punches")
    res = cli(site, "run")
    assert_clean_failure(res, "catalog table `time_clock_punches` does not exist", "hint: ")
    assert res.returncode == 3


@pytest.fixture
def store_server(servers: Servers) -> Iterator[MariaDBServer]:
    server = servers.stores[12]
    yield server
    for var, value in (("binlog_format", "ROW"), ("binlog_row_image", "FULL"), ("binlog_row_metadata", "FULL")):
        server.sql(f"SET GLOBAL {var} = '{value}'")


@pytest.mark.parametrize(
    ("var", "value", "message"),
    [
        ("binlog_format", "STATEMENT", "binlog_format is STATEMENT, capture needs ROW"),
        ("binlog_format", "MIXED", "binlog_format is MIXED, capture needs ROW"),
        ("binlog_row_image", "MINIMAL", "binlog_row_image is MINIMAL, capture needs FULL"),
        ("binlog_row_metadata", "MINIMAL", "binlog_row_metadata is MINIMAL, capture needs FULL"),
    ],
)
def test_wrong_binlog_settings_stop_run_with_the_fix(
    chain: Chain, store_server: MariaDBServer, var: str, value: str, message: str
) -> None:
    store_server.sql(f"SET GLOBAL {var} = '{value}'")
    res = cli(chain.store(12), "run")
    assert_clean_failure(res, message, "my.cnf")
    assert res.returncode == 4  # the store's server


@pytest.mark.local_servers
def test_binlog_off_is_refused_by_every_command_that_needs_it_and_said_by_status(
    servers: Servers, tmp_path: Path
) -> None:
    """A store server writing no binlog: `snapshot` loads nothing (it would stand at position
    ":0", which capture cannot read on from), `run` refuses to start, `doctor` fails, each
    naming log_bin and my.cnf; `status` says what is not known in words, and why."""
    server = MariaDBServer("nobinlog", servers.root, server_id=77, extra_options={"skip-log-bin": ""}).start()
    try:
        server.sql("CREATE DATABASE pos")
        from sandbox.chain import load_sql, store_schema_sql

        with server.connect("pos") as conn:
            load_sql(conn, store_schema_sql())
        server.sql("INSERT INTO salespeople (code, first_name) VALUES ('A', 'Ann')", "pos")
        cfg = write_store_config(tmp_path / "s.toml", number=20, name="NoLog", store=server, hq=servers.hq)
        for command, code in (("snapshot", 4), ("run", 4), ("doctor", 3)):
            res = cli(cfg, command)
            assert_clean_failure(res, "log_bin is OFF, capture needs ON", "my.cnf")
            assert res.returncode == code, (command, res.stderr)
        outbox = load(cfg).outbox.path
        if outbox.exists():
            from centrale.core.outbox import OutboxStore

            with OutboxStore(outbox) as box:
                assert box.checkpoint() is None and box.stats().backlog == 0
        st = cli(cfg, "status")
        assert st.returncode == 0, st.stderr
        assert "None" not in st.stdout and "?" not in st.stdout, st.stdout
        assert "binlog end unknown" in st.stdout and "lag unknown" in st.stdout, st.stdout
        assert "does not write a binary log" in st.stdout, st.stdout
    finally:
        server.destroy()


def test_an_unreachable_local_database_is_named(chain: Chain, tmp_path: Path) -> None:
    site = chain.store(12)
    text = site.config.read_text()
    port = str(site.server.port)
    site.config.write_text(text.replace(f"127.0.0.1:{port}/", "127.0.0.1:1/"))
    res = cli(site, "doctor")
    assert_clean_failure(res, "cannot connect to the local database", "check [local] url")


def test_hq_init_refuses_to_renumber_and_run_refuses_at_head_office(chain: Chain) -> None:
    hq = chain.hq
    hq.config.write_text(
        hq.config.read_text().replace("store = 1\n", "store = 5\n").replace("hq_store = 1", "hq_store = 5")
    )
    res = cli(hq, "hq", "init")
    assert_clean_failure(res, "already the head office of store number 1", "--force")
    assert_clean_failure(cli(hq, "run"), "head office has nothing to capture")
    assert_clean_failure(cli(chain.store(12), "hq", "init"), "is a store's configuration")


def test_a_purged_checkpoint_is_a_clear_error_and_snapshot_resyncs(chain: Chain) -> None:
    site = chain.store(12)
    cfg = load(site.config)
    with InProcessStore(cfg) as run:
        site.sql("INSERT INTO salespeople (code, first_name) VALUES ('A', 'Ann')")
        run.sync()
    # While Centrale is down: more sales, then the binlog holding the checkpoint is purged.
    site.sql("INSERT INTO salespeople (code, first_name) VALUES ('B', 'Bob')")
    site.server.purge_binlogs()
    res = cli(site, "run")
    assert_clean_failure(res, "purged", "centrale snapshot")
    with pytest.raises(PositionLostError):
        InProcessStore(cfg).start()
    partial = cli(site, "snapshot", "sales")
    assert_clean_failure(partial, "partial snapshot cannot close the gap")
    assert cli(site, "snapshot").returncode == 0
    with InProcessStore(cfg) as run:
        site.sql("INSERT INTO salespeople (code, first_name) VALUES ('C', 'Cid')")
        run.sync()
    codes = [r[0] for r in chain.hq.sql("SELECT code FROM salespeople WHERE origin_store=12 ORDER BY code")]
    assert codes == ["A", "B", "C"]


def test_a_row_head_office_rejects_holds_shipping_until_fixed_or_skipped(chain: Chain) -> None:
    site = chain.store(12)
    with InProcessStore(site.config) as run:
        site.sql("INSERT INTO salespeople (code, first_name) VALUES ('A', 'Al')")
        run.sync()
        chain.hq.sql("ALTER TABLE salespeople MODIFY first_name VARCHAR(3) NOT NULL")
        site.sql("INSERT INTO salespeople (code, first_name) VALUES ('B', 'Bartholomew')")
        site.sql("INSERT INTO salespeople (code, first_name) VALUES ('C', 'Cy')")
        report = run.sync()
        assert report.held and "Data too long for column 'first_name'" in (report.error or "")
        assert run.ship_box.stats().backlog == 2  # nothing skipped silently, order kept
        status = cli(site, "status", "--json").stdout
        assert "Data too long" in status and "outbox skip" in status
        # The operator decides to drop the poison row; the rest flows.
        seq = run.ship_box.rows()[0].seq
        res = cli(site, "outbox", "skip", str(seq), "--reason", "name too long for HQ")
        assert res.returncode == 0, res.stderr
        assert run.ship().rows == 1
    codes = [r[0] for r in chain.hq.sql("SELECT code FROM salespeople WHERE origin_store=12 ORDER BY code")]
    assert codes == ["A", "C"]
    log_dir = load(site.config).log.dir
    assert any("operator skipped outbox row seq" in p.read_text() for p in log_dir.glob("CentraleSrv_*.txt"))


def test_a_column_added_at_the_store_reaches_head_office(chain: Chain) -> None:
    """Schema drift (a POS upgrade) while running: head office gets the column, with the
    store's type, and the rows that use it; nothing is dropped."""
    site = chain.store(12)
    with InProcessStore(site.config) as run:
        site.sql("INSERT INTO salespeople (code, first_name) VALUES ('A', 'Ann')")
        run.sync()
        site.sql("ALTER TABLE salespeople ADD COLUMN badge VARCHAR(20) NULL")
        site.sql("INSERT INTO salespeople (code, first_name, badge) VALUES ('B', 'Bob', 'B-001')")
        report = run.sync()
        assert report.error is None and report.rows == 1
    assert chain.hq.sql("SELECT code, badge FROM salespeople WHERE origin_store=12 ORDER BY code") == [
        ("A", None),
        ("B", "B-001"),
    ]
    assert chain.hq.sql(
        "SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA=%s AND TABLE_NAME='salespeople' "
        "AND COLUMN_NAME='badge'",
        (chain.hq.database,),
    ) == [("varchar(20)",)]


@pytest.fixture
def short_retention(servers: Servers) -> Iterator[MariaDBServer]:
    server = servers.stores[12]
    server.sql("SET GLOBAL binlog_expire_logs_seconds = 7 * 86400")
    yield server
    server.sql("SET GLOBAL binlog_expire_logs_seconds = 0")


def test_doctor_and_status_warn_before_the_binlog_purge_catches_up(
    chain: Chain, short_retention: MariaDBServer
) -> None:
    """Retention headroom: the checkpoint's file is warned about before it is purged."""
    import json

    from centrale.core.changes import BinlogPosition, SourceTransaction
    from centrale.core.outbox import OutboxStore

    site = chain.store(12)
    ok_now = cli(site, "doctor")
    assert "d of headroom" in ok_now.stdout  # no checkpoint yet: the whole period
    cfg = load(site.config)
    end = site.server.sql("SHOW MASTER STATUS")[0]
    six_days_ago = int(time.time()) - 6 * 86400
    with OutboxStore(cfg.outbox.path) as box:  # capture stopped six days ago
        box.append([], checkpoint=SourceTransaction((), BinlogPosition(end[0], int(end[1])), None, six_days_ago))
    res = cli(site, "doctor")
    assert "WARN binlog retention" in res.stdout and "may be purged in" in res.stdout and "centrale run" in res.stdout
    st = json.loads(cli(site, "status", "--json").stdout)
    assert st["binlog_keep_s"] == 7 * 86400 and 0 < st["retention_headroom_s"] < 86400 + 60


def test_doctor_fails_when_head_office_lacks_a_table_a_pull_reads(chain: Chain) -> None:
    chain.hq.sql("DROP TABLE keyboard_keys")
    res = cli(chain.store(12), "doctor")
    assert_clean_failure(res, "head office has no table keyboard_keys", "centrale hq init")
    assert res.returncode == 3
