"""Head office holds what the store holds whichever way a batch is written: 20-row statements,
catch-up literals, or ``LOAD DATA`` uploads (issue 12)."""

from __future__ import annotations

from centrale.core.config import Config
from sandbox.chain import Chain, Site
from sandbox.inprocess import InProcessStore
from sandbox.writes import capture_table, script

STORE = 12


def test_bit_columns_arrive_as_the_store_holds_them_on_the_upload_path(chain: Chain) -> None:
    """A transaction of 300 rows goes to head office as an upload (LOAD DATA): BIT values must
    land as bits, not as the text of their number (1 is 0x01, not 0x31)."""
    site = chain.store(STORE)
    cfg = capture_table(
        site, "CREATE TABLE flags (id INT PRIMARY KEY, b1 BIT(1), b8 BIT(8), b64 BIT(64) NULL)", "flags"
    )
    loads_before = int(chain.hq.sql("SHOW GLOBAL STATUS LIKE 'Com_load'")[0][1])
    with InProcessStore(cfg) as run:
        script(
            site,
            "INSERT INTO flags SELECT seq, seq % 2, seq % 256, IF(seq % 3 = 0, NULL, seq * 1000003) FROM seq_1_to_300",
        )
        run.sync()
    assert int(chain.hq.sql("SHOW GLOBAL STATUS LIKE 'Com_load'")[0][1]) > loads_before  # the upload path
    sql = "SELECT id, HEX(b1), HEX(b8), HEX(b64) FROM flags ORDER BY id"
    assert chain.hq.sql(sql) == site.sql(sql)


def test_a_row_larger_than_head_offices_packet_limit_is_named_and_goes_once_the_limit_is_raised(
    chain: Chain,
) -> None:
    """A 3 MB picture against head office's 1 MB max_allowed_packet: not "unreachable, resumes by
    itself" for ever, but the row, its size, the limit and the fix; smaller rows of the same
    batch wait behind it (order), and everything goes once head office allows larger packets."""
    site = chain.store(STORE)
    cfg = capture_table(
        site, "CREATE TABLE pictures (id INT PRIMARY KEY, label VARCHAR(20), image LONGBLOB)", "pictures"
    )
    hq = chain.hq.server
    before = int(hq.sql("SELECT @@GLOBAL.max_allowed_packet")[0][0])
    hq.sql("SET GLOBAL max_allowed_packet = 1048576")
    try:
        with InProcessStore(cfg) as run:
            script(site, "INSERT INTO pictures VALUES (1, 'small', REPEAT('a', 100))")
            script(site, "INSERT INTO pictures VALUES (2, 'large', REPEAT(X'00FF', 1536 * 1024))")
            report = run.sync()
            assert report.error is not None and report.held
            assert "row seq 2 of table pictures is 6.0 MB as a statement" in report.error  # hex: twice the bytes
            assert "max_allowed_packet (1.0 MB)" in report.error
            assert "SET GLOBAL max_allowed_packet" in str(report.hint)
            hq.sql(f"SET GLOBAL max_allowed_packet = {8 * 1048576}")
            assert run.ship().error is None
    finally:
        hq.sql(f"SET GLOBAL max_allowed_packet = {before}")
    sql = "SELECT id, label, LENGTH(image), MD5(image) FROM pictures ORDER BY id"
    assert chain.hq.sql(sql) == site.sql(sql)


def test_rows_with_a_column_the_store_dropped_before_head_office_had_it_go_without_it(chain: Chain) -> None:
    """The first ship after a POS upgrade: rows captured before the store dropped `old_note`,
    and head office's table created after (without it). They arrive without the column, as the
    store holds them now; shipping does not hold on a column nobody has any more."""
    site = chain.store(STORE)
    cfg = capture_table(
        site,
        "CREATE TABLE notes (id INT PRIMARY KEY, label VARCHAR(20), old_note VARCHAR(20))",
        "notes",
        on_delete="delete",
    )
    first = InProcessStore(cfg).start()  # the checkpoint only: head office gets the table later
    first.wait_caught_up()
    first.stop()
    script(
        site,
        "INSERT INTO notes VALUES (1, 'before', 'x'), (2, 'before', 'y'); "
        "ALTER TABLE notes DROP COLUMN old_note; INSERT INTO notes VALUES (3, 'after'); "
        "UPDATE notes SET label = 'updated' WHERE id = 2",
    )
    with InProcessStore(cfg) as run:
        report = run.sync()
        assert report.error is None, report.error
    sql = "SELECT id, label FROM notes ORDER BY id"
    assert chain.hq.sql(sql) == site.sql(sql)
    columns = chain.hq.sql(
        "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
        "AND TABLE_NAME = 'notes' ORDER BY ORDINAL_POSITION"
    )
    assert [r[0] for r in columns] == ["origin_store", "id", "label"]


def enum_table(site: Site, table: str) -> Config:
    """``table`` (an ENUM('open', 'paid') and a VARCHAR(10)) at the store, captured."""
    ddl = f"CREATE TABLE {table} (id INT PRIMARY KEY, status ENUM('open', 'paid') NOT NULL, note VARCHAR(10))"
    return capture_table(site, ddl, table)


def test_an_enum_value_a_non_strict_store_stored_arrives_as_it_is(chain: Chain) -> None:
    """A legacy POS server without strict mode stores a value not in the ENUM's list as '' (its
    index 0). Head office's strict session refuses that value; it arrives all the same, on the
    statement path (a few rows, then an update of them) and in a batch large enough to upload."""
    site = chain.store(STORE)
    cfg = enum_table(site, "tickets2")
    with InProcessStore(cfg) as run:
        script(site, "SET SESSION sql_mode = ''; INSERT INTO tickets2 VALUES (1, 'lost', 'a'), (2, 'paid', '')")
        assert run.sync().error is None
        script(site, "SET SESSION sql_mode = ''; UPDATE tickets2 SET status = 'gone', note = 'b' WHERE id = 2")
        assert run.sync().error is None
        script(
            site,
            "SET SESSION sql_mode = ''; INSERT INTO tickets2 "
            "SELECT seq + 10, IF(seq % 3 = 0, 'bogus', 'open'), '' FROM seq_1_to_300",
        )
        assert run.sync().error is None
    sql = "SELECT id, status, status + 0, note FROM tickets2 ORDER BY id"
    assert chain.hq.sql(sql) == site.sql(sql)
    assert chain.hq.sql("SELECT COUNT(*) FROM tickets2 WHERE status + 0 = 0") == [(102,)]


def test_a_lenient_statement_still_refuses_a_value_head_office_would_change(chain: Chain) -> None:
    """The ENUM's '' goes without strict mode, but a value of the same row that head office
    would truncate (its column narrower than the store's) still holds the batch, named."""
    site = chain.store(STORE)
    cfg = enum_table(site, "tickets3")
    with InProcessStore(cfg) as run:
        script(site, "INSERT INTO tickets3 VALUES (1, 'open', 'ok')")
        assert run.sync().error is None
        chain.hq.sql("ALTER TABLE tickets3 MODIFY note VARCHAR(2)")
        script(site, "SET SESSION sql_mode = ''; INSERT INTO tickets3 VALUES (2, 'lost', 'too long')")
        report = run.sync()
    assert report.held and report.error is not None
    assert "row seq 2 of table tickets3" in report.error and "2 warnings for 1 empty ENUM values" in report.error
    assert chain.hq.sql("SELECT id FROM tickets3") == [(1,)]


def test_a_row_larger_than_head_offices_packet_limit_goes_in_an_upload(chain: Chain) -> None:
    """The same limit, in a batch large enough to upload: LOAD DATA streams the file in packets
    of its own, so the long note goes (the protocol chunks it), nothing held."""
    site = chain.store(STORE)
    cfg = capture_table(site, "CREATE TABLE remarks (id INT PRIMARY KEY, note MEDIUMTEXT)", "remarks")
    hq = chain.hq.server
    before = int(hq.sql("SELECT @@GLOBAL.max_allowed_packet")[0][0])
    loads_before = int(hq.sql("SHOW GLOBAL STATUS LIKE 'Com_load'")[0][1])
    hq.sql("SET GLOBAL max_allowed_packet = 1048576")
    try:
        with InProcessStore(cfg) as run:
            script(
                site,
                "INSERT INTO remarks SELECT seq, IF(seq = 150, REPEAT('n', 1500000), 'short') FROM seq_1_to_300",
            )
            report = run.sync()
            assert report.error is None and not report.held, report
    finally:
        hq.sql(f"SET GLOBAL max_allowed_packet = {before}")
    assert int(hq.sql("SHOW GLOBAL STATUS LIKE 'Com_load'")[0][1]) > loads_before  # the upload path
    sql = "SELECT id, LENGTH(note), MD5(note) FROM remarks ORDER BY id"
    assert chain.hq.sql(sql) == site.sql(sql)


def test_a_refused_row_is_named_by_its_key_and_the_transactions_before_it_still_go(chain: Chain) -> None:
    """Head office refuses one row (its column is narrower there): the error names the row's
    seq, table, key and column; the transactions captured before it in the same batch reach head
    office all the same, the ones after wait behind it (order), and all go once it is fixed."""
    site = chain.store(STORE)
    cfg = capture_table(site, "CREATE TABLE labels (id INT PRIMARY KEY, label VARCHAR(20))", "labels")
    with InProcessStore(cfg) as run:
        assert run.sync().error is None  # head office creates its table
        chain.hq.sql("ALTER TABLE labels MODIFY label VARCHAR(5)")
        script(site, "INSERT INTO labels VALUES (1, 'short'), (2, 'ok')")  # one transaction: goes
        script(site, "INSERT INTO labels VALUES (3, 'fine')")  # another: goes
        script(site, "INSERT INTO labels VALUES (4, 'far too long')")  # refused
        script(site, "INSERT INTO labels VALUES (5, 'after')")  # waits behind it
        report = run.sync()
        assert report.held and report.error is not None
        assert "of table labels (key id=4)" in report.error and "'label'" in report.error
        assert report.rows == 3
        assert chain.hq.sql("SELECT id FROM labels ORDER BY id") == [(1,), (2,), (3,)]
        assert run.ship_box.stats().backlog == 2
        chain.hq.sql("ALTER TABLE labels MODIFY label VARCHAR(20)")
        assert run.ship().error is None
    sql = "SELECT id, label FROM labels ORDER BY id"
    assert chain.hq.sql(sql) == site.sql(sql)
