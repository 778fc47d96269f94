"""Capture carries every way a real store database writes, or stops on it by name.

Each scenario writes the way a POS framework, an ORM or a DBA does (savepoints, XA, a session's
own binlog_format, a compressed binlog, latin1 bytes, TRUNCATE, DDL while capture is behind),
then checks head office row for row against the store (per-row hashes, and HEX where bytes
matter), or checks the refusal: its message names the table, the binlog position and the fix,
and the fix (a snapshot) lets capture go on past the event.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from cdc.snapshot import take_snapshot
from centrale.core.config import Config, load
from centrale.core.errors import CaptureStoppedError
from centrale.core.outbox import OutboxStore
from sandbox.chain import Chain, Site
from sandbox.compare import site_differences
from sandbox.inprocess import InProcessStore
from sandbox.writes import rollback_prepared_xa, script, use_write_tables

STORE = 12


@pytest.fixture
def pos(chain: Chain) -> Iterator[tuple[Site, Config]]:
    """Store 12 with sandbox.writes' tables as its whole catalog."""
    site = chain.store(STORE)
    cfg = use_write_tables(site)
    yield site, cfg
    rollback_prepared_xa(site)


@pytest.fixture
def run(pos: tuple[Site, Config]) -> Iterator[InProcessStore]:
    store = InProcessStore(pos[1]).start()
    try:
        yield store
    finally:
        store.stop()


def assert_equal(chain: Chain, site: Site) -> None:
    assert site_differences(chain, site) == "equal"


def hq_rows(chain: Chain, sql: str) -> list[tuple[object, ...]]:
    return chain.hq.sql(sql)


# --- savepoints ---------------------------------------------------------------------------------


def test_a_ticket_written_with_savepoints_arrives_as_the_store_kept_it(
    chain: Chain, pos: tuple[Site, Config], run: InProcessStore
) -> None:
    """The header before the first savepoint, the lines kept after ROLLBACK TO, none rolled back."""
    site, _ = pos
    script(
        site,
        """BEGIN; INSERT INTO tickets (id, label, total) VALUES (1, 'header', 10);
        SAVEPOINT line1; INSERT INTO ticket_lines VALUES (1, 1, 5);
        ROLLBACK TO SAVEPOINT line1; INSERT INTO ticket_lines VALUES (2, 1, 6);
        SAVEPOINT `line 3`; INSERT INTO ticket_lines VALUES (3, 1, 7); RELEASE SAVEPOINT `line 3`;
        SAVEPOINT s4; UPDATE tickets SET total = 99 WHERE id = 1; ROLLBACK TO s4;
        COMMIT""",
    )
    run.sync()
    assert hq_rows(chain, "SELECT id, total FROM tickets") == [(1, 10)]
    assert hq_rows(chain, "SELECT id FROM ticket_lines ORDER BY id") == [(2,), (3,)]
    assert_equal(chain, site)


def test_a_rollback_to_savepoint_keeps_what_a_non_transactional_table_kept(
    chain: Chain, pos: tuple[Site, Config], run: InProcessStore
) -> None:
    """MyISAM's rows cannot be rolled back: the server logs ROLLBACK TO, and head office keeps
    the journal row written after the savepoint while the ticket line goes."""
    site, _ = pos
    script(
        site,
        """BEGIN; INSERT INTO tickets (id, label, total) VALUES (2, 'with journal', 1);
        SAVEPOINT a; INSERT INTO ticket_lines VALUES (10, 2, 1); INSERT INTO journal VALUES (1, 'kept');
        ROLLBACK TO a; INSERT INTO ticket_lines VALUES (11, 2, 2); COMMIT;
        BEGIN; INSERT INTO tickets (id, label, total) VALUES (3, 'rolled back', 1);
        INSERT INTO journal VALUES (2, 'kept too'); ROLLBACK""",
    )
    run.sync()
    assert hq_rows(chain, "SELECT id FROM tickets ORDER BY id") == [(2,)]
    assert hq_rows(chain, "SELECT id FROM ticket_lines ORDER BY id") == [(11,)]
    assert hq_rows(chain, "SELECT id FROM journal ORDER BY id") == [(1,), (2,)]
    assert_equal(chain, site)


# --- XA -------------------------------------------------------------------------------------------


def test_xa_transactions_arrive_at_their_commit_and_never_when_rolled_back(
    chain: Chain, pos: tuple[Site, Config]
) -> None:
    """Two-phase (committed from another session, after a sale committed in between and after
    capture restarted), one-phase, and rolled back."""
    site, cfg = pos
    first = InProcessStore(cfg).start()
    # Each prepared XA transaction in a session of its own, which then disconnects: the
    # transaction stays prepared at the server (MariaDB 10.5+) until another session ends it.
    script(
        site,
        """XA START 'sale-1'; INSERT INTO tickets (id, label, total) VALUES (20, 'xa', 5);
        INSERT INTO ticket_lines VALUES (20, 20, 1); XA END 'sale-1'; XA PREPARE 'sale-1'""",
    )
    script(
        site,
        """XA START 'sale-2', 'branch', 7; INSERT INTO tickets (id, label, total) VALUES (21, 'xa rb', 5);
        XA END 'sale-2', 'branch', 7; XA PREPARE 'sale-2', 'branch', 7""",
    )
    script(
        site,
        """INSERT INTO tickets (id, label, total) VALUES (22, 'between', 1);
        XA START 'one'; INSERT INTO tickets (id, label, total) VALUES (23, 'one phase', 1);
        XA END 'one'; XA COMMIT 'one' ONE PHASE""",
    )
    first.sync()
    assert hq_rows(chain, "SELECT id FROM tickets ORDER BY id") == [(22,), (23,)]
    assert set(first.capture_box.prepared_xa()) == {"1:73616c652d31:", "7:73616c652d32:6272616e6368"}
    assert json.loads(chain.centrale(site, "status", "--json").stdout)["xa_prepared"] == 2
    first.stop()
    # Committed and rolled back from another session, while Centrale is stopped.
    script(site, "XA COMMIT 'sale-1'; XA ROLLBACK 'sale-2', 'branch', 7")
    with InProcessStore(cfg) as second:
        second.sync()
        assert second.capture_box.prepared_xa() == {}
    assert hq_rows(chain, "SELECT id FROM tickets ORDER BY id") == [(20,), (22,), (23,)]
    assert hq_rows(chain, "SELECT id FROM ticket_lines") == [(20,)]
    assert_equal(chain, site)


def test_an_xa_commit_whose_prepare_came_before_capture_began_stops_until_a_snapshot(
    chain: Chain, pos: tuple[Site, Config]
) -> None:
    site, cfg = pos
    script(
        site,
        "XA START 'early'; INSERT INTO tickets (id, label, total) VALUES (30, 'early', 1); "
        "XA END 'early'; XA PREPARE 'early'",
    )
    with InProcessStore(cfg) as run:  # starts at the binlog's end: after the prepare
        script(site, "XA COMMIT 'early'")
        with pytest.raises(CaptureStoppedError) as stopped:
            run.sync()
    assert "XA COMMIT of 1:6561726c79:" in stopped.value.message
    assert "centrale snapshot" in str(stopped.value.hint)
    with OutboxStore(cfg.outbox.path) as outbox:
        take_snapshot(cfg, outbox)
    with InProcessStore(cfg) as run:
        run.sync()
    assert_equal(chain, site)


# --- a session's own binlog_format --------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["STATEMENT", "MIXED"])
def test_a_change_logged_as_a_statement_stops_capture_until_the_table_is_snapshotted(
    chain: Chain, pos: tuple[Site, Config], fmt: str
) -> None:
    site, cfg = pos
    with InProcessStore(cfg) as run:
        script(site, "INSERT INTO tickets (id, label, total) VALUES (40, 'row based', 1)")
        run.sync()
        script(
            site,
            f"SET SESSION binlog_format = {fmt}; INSERT INTO tickets (id, label, total) VALUES (41, 'import', 2); "
            "UPDATE tickets SET total = 3 WHERE id = 40",
        )
        with pytest.raises(CaptureStoppedError) as stopped:
            run.sync()
    message = stopped.value.message
    assert "tickets" in message and "logged as a statement" in message and "mariadb-bin." in message
    assert "centrale snapshot tickets" in str(stopped.value.hint)
    assert stopped.value.exit_code == 9
    status = json.loads(chain.centrale(site, "status", "--json").stdout)
    assert "logged as a statement" in status["capture_stopped"]
    assert "centrale snapshot tickets" in chain.centrale(site, "status").stdout
    doctor = chain.centrale(site, "doctor", check=False).stdout
    assert "capture stopped the last time it ran" in doctor and "centrale snapshot tickets" in doctor
    with OutboxStore(cfg.outbox.path) as outbox:
        take_snapshot(cfg, outbox, ["tickets"])
    script(site, "INSERT INTO tickets (id, label, total) VALUES (42, 'after', 4)")
    with InProcessStore(cfg) as run:
        run.sync()
    assert hq_rows(chain, "SELECT id, total FROM tickets ORDER BY id") == [(40, 3), (41, 2), (42, 4)]
    assert_equal(chain, site)
    assert json.loads(chain.centrale(site, "status", "--json").stdout)["capture_stopped"] is None


def test_statements_on_tables_capture_does_not_carry_pass(chain: Chain, pos: tuple[Site, Config]) -> None:
    site, cfg = pos
    site.sql("CREATE TABLE scratch (id INT PRIMARY KEY)")
    with InProcessStore(cfg) as run:
        script(
            site,
            "SET SESSION binlog_format = STATEMENT; INSERT INTO scratch VALUES (1); "
            "SET SESSION binlog_format = ROW; INSERT INTO tickets (id, label, total) VALUES (50, 'x', 1)",
        )
        run.sync()
    assert_equal(chain, site)


# --- compressed binlog ----------------------------------------------------------------------------


def test_a_compressed_binlog_is_read_whole(chain: Chain, pos: tuple[Site, Config], run: InProcessStore) -> None:
    """log_bin_compress=ON: rows events (and statements) longer than the minimum are compressed;
    inserts, updates, deletes and DDL all arrive."""
    site, _ = pos
    server = site.server
    server.sql("SET GLOBAL log_bin_compress = ON, GLOBAL log_bin_compress_min_len = 10")
    try:
        with site.connect() as conn, conn.cursor() as cur:
            for i in range(50):
                cur.execute("INSERT INTO tickets (id, label, total) VALUES (%s, REPEAT('é', 50), %s)", (100 + i, i))
                cur.execute("INSERT INTO ticket_lines VALUES (%s, %s, %s)", (100 + i, 100 + i, i))
            cur.execute("UPDATE tickets SET label = REPEAT('u', 40) WHERE id < 120")
            cur.execute("DELETE FROM ticket_lines WHERE id >= 140")
            cur.execute("ALTER TABLE tickets ADD COLUMN extra VARCHAR(20) NULL")
            cur.execute("UPDATE tickets SET extra = REPEAT('z', 20) WHERE id = 100")
        run.sync()
    finally:
        server.sql("SET GLOBAL log_bin_compress = OFF, GLOBAL log_bin_compress_min_len = 256")
    assert hq_rows(chain, "SELECT COUNT(*) FROM tickets") == [(50,)]
    assert hq_rows(chain, "SELECT COUNT(*) FROM ticket_lines") == [(40,)]
    assert_equal(chain, site)


# --- character sets -------------------------------------------------------------------------------


def test_every_byte_of_a_latin1_column_arrives_as_it_is(
    chain: Chain, pos: tuple[Site, Config], run: InProcessStore
) -> None:
    """0x81, 0x8D, 0x8F, 0x90, 0x9D included (undefined in cp1252, C1 controls in MariaDB's
    latin1); in cp1250, a byte the charset leaves undefined (0x81) is carried as its bytes."""
    site, _ = pos
    all_bytes = bytes(b for b in range(256) if b not in (0x00,))
    utf8_through_latin1 = "Á Í Ð".encode()  # UTF-8 stored through a latin1 connection: C3 81, C3 8D ...
    with site.connect() as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO tickets (id, label, note, legacy, total) VALUES (1, 'all', %s, %s, 0), (2, 'utf8', %s, %s, 0)",
            (all_bytes, bytes(range(0x80, 0x100)), utf8_through_latin1, b"\x81\x8a\x9a"),
        )
        cur.execute("UPDATE tickets SET note = CONCAT(note, X'9D') WHERE id = 2")
    run.sync()
    sql = "SELECT id, HEX(note), HEX(legacy) FROM tickets ORDER BY id"
    assert chain.hq.sql(sql) == site.sql(sql)
    assert chain.hq.sql("SELECT HEX(note) FROM tickets WHERE id = 1")[0][0] == all_bytes.hex().upper()
    assert_equal(chain, site)


# --- TRUNCATE ---------------------------------------------------------------------------------------


def test_truncate_empties_head_offices_copy_by_the_tables_delete_policy(
    chain: Chain, pos: tuple[Site, Config], run: InProcessStore
) -> None:
    site, _ = pos
    script(
        site,
        "INSERT INTO ticket_lines VALUES (1, 1, 1), (2, 1, 2); INSERT INTO counters VALUES (1, 1), (2, 2)",
    )
    run.sync()
    script(site, "TRUNCATE TABLE ticket_lines; TRUNCATE counters; INSERT INTO ticket_lines VALUES (3, 1, 3)")
    run.sync()
    assert hq_rows(chain, "SELECT id FROM ticket_lines") == [(3,)]  # on_delete = "delete"
    assert hq_rows(chain, "SELECT COUNT(*) FROM counters") == [(2,)]  # on_delete = "ignore": history kept


# --- DDL while capture is behind -------------------------------------------------------------------


def test_rows_written_before_a_key_column_was_renamed_stop_capture_by_name_until_a_snapshot(
    chain: Chain, pos: tuple[Site, Config]
) -> None:
    """Capture stopped, the POS writes tickets and renames their key: the old rows' key is gone
    from today's definition. Capture stops on them once (no restart loop), naming the table, the
    position and the snapshot that lets it go on."""
    site, cfg = pos
    with InProcessStore(cfg) as run:
        run.sync()
    script(
        site,
        "INSERT INTO tickets (id, label, total) VALUES (60, 'before', 1); "
        "ALTER TABLE tickets CHANGE id ticket_no INT NOT NULL; "
        "INSERT INTO tickets (ticket_no, label, total) VALUES (61, 'after', 1)",
    )
    with InProcessStore(cfg) as run, pytest.raises(CaptureStoppedError) as stopped:
        run.sync()
    assert "rows of table tickets at binlog position mariadb-bin." in stopped.value.message
    assert "lack column(s) ticket_no" in stopped.value.message
    assert "centrale snapshot tickets" in str(stopped.value.hint)
    with OutboxStore(cfg.outbox.path) as outbox:
        take_snapshot(cfg, outbox, ["tickets"])
        snapshot_rows = outbox.stats().backlog
    script(site, "INSERT INTO tickets (ticket_no, label, total) VALUES (62, 'later', 1)")
    with InProcessStore(cfg, shipper=None) as run:
        run.wait_caught_up()
        assert run.capture_box.stats().backlog == snapshot_rows + 1


def test_rows_logged_without_column_names_stop_capture_by_name(chain: Chain, pos: tuple[Site, Config]) -> None:
    site, cfg = pos
    server = site.server
    with InProcessStore(cfg) as run:
        server.sql("SET GLOBAL binlog_row_metadata = MINIMAL")
        try:
            script(site, "INSERT INTO ticket_lines VALUES (70, 1, 1)")
        finally:
            server.sql("SET GLOBAL binlog_row_metadata = FULL")
        with pytest.raises(CaptureStoppedError) as stopped:
            run.sync()
    assert "rows of table ticket_lines" in stopped.value.message
    assert "binlog_row_metadata other than FULL" in stopped.value.message
    with OutboxStore(cfg.outbox.path) as outbox:
        take_snapshot(cfg, outbox, ["ticket_lines"])
    script(site, "INSERT INTO ticket_lines VALUES (71, 1, 1)")
    with InProcessStore(cfg) as run:
        run.sync()
    assert_equal(chain, site)


# --- a transaction larger than memory ---------------------------------------------------------------


def test_a_stock_take_larger_than_memory_arrives_whole_with_its_savepoints(
    chain: Chain, pos: tuple[Site, Config], run: InProcessStore
) -> None:
    """90,000 rows in one transaction: capture keeps a few thousand in memory at a time (the rest
    wait in the outbox file), ROLLBACK TO goes back over rows already written there, and the
    transaction ships piece by piece in one head-office transaction."""
    site, _ = pos
    script(
        site,
        """BEGIN; INSERT INTO tickets (id, label, total) VALUES (1, 'stock-take', 0);
        SAVEPOINT counted; INSERT INTO ticket_lines SELECT seq, 1, seq FROM seq_1_to_30000;
        INSERT INTO journal VALUES (1, 'recount'); ROLLBACK TO counted;
        INSERT INTO ticket_lines SELECT seq, 2, seq % 97 FROM seq_1_to_60000; COMMIT""",
    )
    run.sync(timeout_s=120)
    assert hq_rows(chain, "SELECT ticket_id, COUNT(*) FROM ticket_lines GROUP BY ticket_id") == [(2, 60000)]
    assert hq_rows(chain, "SELECT id FROM journal") == [(1,)]
    assert_equal(chain, site)


def test_a_statement_on_a_table_whose_trigger_writes_a_captured_one_stops_capture(
    chain: Chain, pos: tuple[Site, Config]
) -> None:
    """In STATEMENT format a trigger's rows are not in the binlog either: the statement names
    only the trigger's table, and capture stops on it until every table is snapshotted."""
    site, cfg = pos
    site.sql("CREATE TABLE imports (id INT PRIMARY KEY, total DECIMAL(10,2))")
    site.sql(
        "CREATE TRIGGER imports_to_tickets AFTER INSERT ON imports FOR EACH ROW "
        "INSERT INTO tickets (id, label, total) VALUES (NEW.id, 'imported', NEW.total)"
    )
    with InProcessStore(cfg) as run:
        script(site, "SET SESSION binlog_format = STATEMENT; INSERT INTO imports VALUES (80, 8)")
        with pytest.raises(CaptureStoppedError) as stopped:
            run.sync()
    assert "writes imports, whose triggers, view or function may change captured tables" in stopped.value.message
    with OutboxStore(cfg.outbox.path) as outbox:
        take_snapshot(cfg, outbox)
    with InProcessStore(cfg) as run:
        run.sync()
    assert hq_rows(chain, "SELECT id, label FROM tickets") == [(80, "imported")]
    assert_equal(chain, site)


def test_a_table_swapped_in_by_rename_stops_capture_until_a_snapshot_makes_head_office_equal(
    chain: Chain, pos: tuple[Site, Config]
) -> None:
    """The DBA's rebuild: a copy filled outside capture, then RENAME TABLE t TO old, new TO t.
    The captured name now holds rows the binlog never showed; after `snapshot tickets` head
    office holds exactly the new table (the old rows it had are gone too)."""
    site, cfg = pos
    with InProcessStore(cfg) as run:
        script(site, "INSERT INTO tickets (id, label, total) VALUES (1, 'old', 1), (2, 'old', 2)")
        run.sync()
        script(
            site,
            "CREATE TABLE tickets_new LIKE tickets; INSERT INTO tickets_new (id, label, total) VALUES (3, 'new', 3); "
            "RENAME TABLE tickets TO tickets_old, tickets_new TO tickets",
        )
        with pytest.raises(CaptureStoppedError) as stopped:
            run.sync()
    assert "table(s) tickets were renamed or swapped at binlog position mariadb-bin." in stopped.value.message
    assert "centrale snapshot tickets" in str(stopped.value.hint)
    with OutboxStore(cfg.outbox.path) as outbox:
        take_snapshot(cfg, outbox, ["tickets"])
    with InProcessStore(cfg) as run:
        run.sync()
    assert hq_rows(chain, "SELECT id FROM tickets") == [(3,)]
    assert_equal(chain, site)


def test_drop_table_empties_head_offices_copy_by_the_tables_delete_policy(
    chain: Chain, pos: tuple[Site, Config], run: InProcessStore
) -> None:
    site, _ = pos
    script(site, "INSERT INTO ticket_lines VALUES (1, 1, 1), (2, 1, 2); INSERT INTO counters VALUES (1, 1)")
    run.sync()
    script(
        site,
        "DROP TABLE ticket_lines, counters; "
        "CREATE TABLE ticket_lines (id INT PRIMARY KEY, ticket_id INT NOT NULL, qty INT NOT NULL) ENGINE=InnoDB; "
        "CREATE TABLE counters (id INT PRIMARY KEY, n INT) ENGINE=InnoDB; INSERT INTO ticket_lines VALUES (5, 1, 5)",
    )
    run.sync()
    assert hq_rows(chain, "SELECT id FROM ticket_lines") == [(5,)]  # on_delete = "delete"
    assert hq_rows(chain, "SELECT id FROM counters") == [(1,)]  # on_delete = "ignore": history kept


def test_rows_written_before_a_type_change_are_read_as_they_were_written(chain: Chain) -> None:
    """BIT and YEAR columns become INT while capture is stopped: the rows written before the
    change are converted by their types then (the binlog's), not today's: 5, not 101; 0, not 1900."""
    site = chain.store(STORE)
    site.sql("CREATE TABLE flagged (id INT PRIMARY KEY, flags BIT(8), y YEAR)")
    with open(site.config, "a", encoding="utf-8") as fh:
        fh.write('\n[tables.flagged]\nkind = "aggregate"\ngroup = "sales"\n')
    cfg = load(site.config)
    first = InProcessStore(cfg).start()  # sets the checkpoint; head office gets the table later, as it is then
    first.wait_caught_up()
    first.stop()
    script(
        site,
        "INSERT INTO flagged VALUES (1, b'101', 0), (2, b'11111111', 2024); "
        "ALTER TABLE flagged MODIFY flags INT, MODIFY y INT; INSERT INTO flagged VALUES (3, 7, 1999)",
    )
    with InProcessStore(cfg) as run:
        run.sync()
    assert hq_rows(chain, "SELECT id, flags, y FROM flagged ORDER BY id") == [(1, 5, 0), (2, 255, 2024), (3, 7, 1999)]
    assert_equal(chain, site)


def test_a_load_data_logged_as_a_statement_stops_capture_naming_its_table(
    chain: Chain, pos: tuple[Site, Config], tmp_path: Path
) -> None:
    site, cfg = pos
    data = tmp_path / "tickets.csv"
    data.write_text("90,imported,9\n91,imported,1\n")
    with InProcessStore(cfg) as run:
        script(
            site,
            f"SET SESSION binlog_format = STATEMENT; LOAD DATA INFILE '{data}' INTO TABLE tickets "
            "FIELDS TERMINATED BY ',' (id, label, total)",
        )
        with pytest.raises(CaptureStoppedError) as stopped:
            run.sync()
    assert "a change to tickets" in stopped.value.message and "LOAD DATA" in stopped.value.message
    with OutboxStore(cfg.outbox.path) as outbox:
        take_snapshot(cfg, outbox, ["tickets"])
    with InProcessStore(cfg) as run:
        run.sync()
    assert hq_rows(chain, "SELECT id FROM tickets ORDER BY id") == [(90,), (91,)]


def test_generated_columns_are_left_out_as_snapshots_leave_them_out(chain: Chain) -> None:
    """VIRTUAL and STORED columns are in the binlog's rows, but head office's table is created
    without them (as a snapshot sends them not): shipping does not stall on them."""
    site = chain.store(STORE)
    site.sql(
        "CREATE TABLE bom (id INT PRIMARY KEY, qty INT, price DECIMAL(8,2), "
        "amount DECIMAL(10,2) AS (qty * price) VIRTUAL, rounded INT AS (ROUND(qty * price)) STORED)"
    )
    with open(site.config, "a", encoding="utf-8") as fh:
        fh.write('\n[tables.bom]\nkind = "aggregate"\ngroup = "sales"\non_delete = "delete"\n')
    cfg = load(site.config)
    assert "bom.amount, bom.rounded are left out" in chain.centrale(site, "doctor", check=False).stdout
    script(site, "INSERT INTO bom (id, qty, price) VALUES (1, 2, 3.50)")
    with OutboxStore(cfg.outbox.path) as outbox:
        take_snapshot(cfg, outbox)
    with InProcessStore(cfg) as run:
        script(site, "INSERT INTO bom (id, qty, price) VALUES (2, 3, 1.25); UPDATE bom SET qty = 4 WHERE id = 1")
        run.sync()
        assert run.ship_box.stats().last_error is None
    assert hq_rows(chain, "SELECT id, qty, price FROM bom ORDER BY id") == [
        (1, 4, Decimal("3.50")),
        (2, 3, Decimal("1.25")),
    ]
