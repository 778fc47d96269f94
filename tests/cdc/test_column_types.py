"""Every column type round-trips store -> head office exactly.

A table with one column of each MariaDB type a POS schema may use is filled with the awkward
values (limits, negative fractions of TIME, zero dates, trailing zero bytes, emoji, NULL
everywhere...), captured from the binlog (or snapshotted), shipped, and read back on both sides
as text or hex in UTC: one byte or one microsecond of difference fails the test.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from cdc.snapshot import take_snapshot
from centrale.core.config import Config, load
from centrale.core.db import quote_ident
from centrale.core.outbox import OutboxStore
from sandbox.capture import capturing, ship
from sandbox.chain import Chain, Site

STORE = 12
TABLE = "all_types"
# Strict, so that a value the column cannot hold fails here instead of being silently adjusted;
# without NO_ZERO_DATE / NO_ZERO_IN_DATE, so that zero dates are allowed (MariaDB's default).
STORE_SQL_MODE = "STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION"

# ENUM and SET members stay within the BMP (no emoji): MariaDB 10.11 reports column definitions
# (information_schema, SHOW CREATE TABLE) in utf8mb3, turning a 4-byte member into '?', so head
# office could not be given the same member list. Emoji are tested in CHAR, VARCHAR, TEXT and JSON.
DDL = f"""
CREATE TABLE {TABLE} (
  id INT NOT NULL PRIMARY KEY,
  ti TINYINT, tiu TINYINT UNSIGNED,
  si SMALLINT, siu SMALLINT UNSIGNED,
  mi MEDIUMINT, miu MEDIUMINT UNSIGNED,
  i INT, iu INT UNSIGNED,
  bi BIGINT, biu BIGINT UNSIGNED,
  dec65 DECIMAL(65,30), dec52 DECIMAL(5,2),
  f FLOAT, d DOUBLE,
  dt DATE, dtm DATETIME(6), dtm0 DATETIME, dtm3 DATETIME(3),
  ts TIMESTAMP(6) NULL, ts0 TIMESTAMP NULL,
  t0 TIME, t1 TIME(1), t2 TIME(2), t3 TIME(3), t4 TIME(4), t5 TIME(5), t6 TIME(6),
  y YEAR,
  b1 BIT(1), b64 BIT(64),
  e ENUM('small', 'medium', 'large', 'très grand €'),
  st SET('a', 'b', 'c', '€'),
  j JSON,
  bin16 BINARY(16), vb VARBINARY(64), bl BLOB,
  c CHAR(10), vc VARCHAR(100), tx TEXT,
  u UUID, ip INET6
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
"""

EMOJI_10 = "😀🎉👍🏽❤️🇫🇷🚀🥐"  # 10 code points: a full CHAR(10)
ALL_BYTES = "x'" + bytes(range(256)).hex() + "'"


@dataclass(frozen=True)
class Row:
    """One test row: SQL literals by column (absent columns are NULL), written in ``time_zone``."""

    id: int
    label: str
    time_zone: str
    values: dict[str, str]


LOWER = Row(
    1,
    "lower limits",
    "+05:00",
    {
        "ti": "-128",
        "tiu": "0",
        "si": "-32768",
        "siu": "0",
        "mi": "-8388608",
        "miu": "0",
        "i": "-2147483648",
        "iu": "0",
        "bi": "-9223372036854775808",
        "biu": "0",
        "dec65": "-99999999999999999999999999999999999.999999999999999999999999999999",
        "dec52": "-999.99",
        "f": "-3.4028234663852886e38",
        "d": "-1.7976931348623157e308",
        "dt": "'0001-01-01'",
        "dtm": "'0001-01-01 00:00:00.000000'",
        "dtm0": "'1000-01-01 00:00:00'",
        "dtm3": "'1000-01-01 00:00:00.001'",
        "ts": "'1970-01-01 05:00:01.000000'",  # 1970-01-01 00:00:01 UTC, the smallest TIMESTAMP
        "ts0": "'1970-01-01 05:00:01'",
        "t0": "'-838:59:59'",
        "t1": "'-838:59:59.9'",
        "t2": "'-838:59:59.99'",
        "t3": "'-838:59:59.999'",
        "t4": "'-838:59:59.9999'",
        "t5": "'-838:59:59.99999'",
        "t6": "'-838:59:59.999999'",
        "y": "1901",
        "b1": "b'0'",
        "b64": "b'0'",
        "e": "'small'",
        "st": "'a'",
        "j": "'{}'",
        "bin16": "x'00000000000000000000000000000000'",
        "vb": "x''",
        "bl": "x''",
        "c": "''",
        "vc": "''",
        "tx": "''",
        "u": "'00000000-0000-0000-0000-000000000000'",
        "ip": "'::'",
    },
)

UPPER = Row(
    2,
    "upper limits",
    "+05:00",
    {
        "ti": "127",
        "tiu": "255",
        "si": "32767",
        "siu": "65535",
        "mi": "8388607",
        "miu": "16777215",
        "i": "2147483647",
        "iu": "4294967295",
        "bi": "9223372036854775807",
        "biu": "18446744073709551615",
        "dec65": "99999999999999999999999999999999999.999999999999999999999999999999",
        "dec52": "999.99",
        "f": "3.4028234663852886e38",
        "d": "1.7976931348623157e308",
        "dt": "'9999-12-31'",
        "dtm": "'9999-12-31 23:59:59.999999'",
        "dtm0": "'9999-12-31 23:59:59'",
        "dtm3": "'9999-12-31 23:59:59.999'",
        "ts": "'2038-01-19 08:14:07.999999'",  # 2038-01-19 03:14:07.999999 UTC, the largest
        "ts0": "'2038-01-19 08:14:07'",
        "t0": "'838:59:59'",
        "t1": "'838:59:59.9'",
        "t2": "'838:59:59.99'",
        "t3": "'838:59:59.999'",
        "t4": "'838:59:59.9999'",
        "t5": "'838:59:59.99999'",
        "t6": "'838:59:59.999999'",
        "y": "2155",
        "b1": "b'1'",
        "b64": "b'" + "1" * 64 + "'",
        "e": "'très grand €'",
        "st": "'a,b,c,€'",
        "j": """'{"k": [1, 2.5, "😀", null, true, false], "nested": {"é": "\\\\u00e9"}, "big": 1e308}'""",
        "bin16": "x'ffffffffffffffffffffffffffffffff'",
        "vb": "x'" + bytes(range(64)).hex() + "'",
        "bl": ALL_BYTES,
        "c": f"'{EMOJI_10}'",
        "vc": "'🇫🇷 Lyon Part-Dieu, caisse n°3 — trailing spaces  '",
        "tx": "'" + "😀 ligne\\n" * 2000 + "fin'",
        "u": "'ffffffff-ffff-ffff-ffff-ffffffffffff'",
        "ip": "'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'",
    },
)

ALL_NULL = Row(3, "NULL in every nullable column", "+05:00", {})

AWKWARD = Row(
    4,
    "negative fractions, trailing zero bytes, tiny decimals",
    "-03:30",
    {
        "ti": "-1",
        "tiu": "1",
        "si": "-1",
        "siu": "1",
        "mi": "-1",
        "miu": "1",
        "i": "-1",
        "iu": "1",
        "bi": "-1",
        "biu": "9223372036854775808",  # 2**63: beyond BIGINT
        "dec65": "0.000000000000000000000000000001",
        "dec52": "0.01",
        "f": "1.1",
        "d": "4.9406564584124654e-324",  # the smallest subnormal double
        "dt": "'2024-02-29'",
        "dtm": "'2024-02-29 23:59:59.000001'",
        "dtm0": "'2024-02-29 12:00:00'",
        "dtm3": "'2024-02-29 12:00:00.120'",
        "ts": "'2024-03-31 01:59:59.999999'",  # written at -03:30: 05:29:59.999999 UTC
        "ts0": "'2000-01-01 00:00:00'",
        "t0": "'-01:02:03'",
        "t1": "'-01:02:03.4'",
        "t2": "'-01:02:03.45'",
        "t3": "'-01:02:03.450'",
        "t4": "'-00:00:00.0001'",
        "t5": "'-00:00:00.00001'",
        "t6": "'-00:00:00.000001'",
        "y": "2024",
        "b1": "1",
        "b64": "x'8000000000000001'",
        "e": "'medium'",
        "st": "'b,€'",
        "j": """'"😀"'""",
        "bin16": "x'01000000000000000000000000000000'",
        "vb": "x'610000'",
        "bl": "x'000000'",
        "c": "'é à ç'",
        "vc": "'a\\0b'",  # a NUL character inside text
        "tx": "'line 1\\r\\nline 2\\ttab \\\\ backslash '' quote'",
        "u": "'00000000-0000-0000-0000-000000000100'",  # trailing zero bytes
        "ip": "'2001:db8::'",  # trailing zero bytes
    },
)

ZEROES = Row(
    5,
    "zero dates, empty set, empty strings and bytes",
    "-03:30",
    {
        "ti": "0",
        "tiu": "0",
        "si": "0",
        "siu": "0",
        "mi": "0",
        "miu": "0",
        "i": "0",
        "iu": "0",
        "bi": "0",
        "biu": "0",
        "dec65": "0",
        "dec52": "0",
        "f": "0",
        "d": "0",
        "dt": "'0000-00-00'",
        "dtm": "'0000-00-00 00:00:00.000000'",
        "dtm0": "'0000-00-00 00:00:00'",
        "dtm3": "'0000-00-00 00:00:00.000'",
        "ts": "'0000-00-00 00:00:00.000000'",
        "ts0": "'0000-00-00 00:00:00'",
        "t0": "'00:00:00'",
        "t1": "'00:00:00.0'",
        "t2": "'00:00:00.00'",
        "t3": "'00:00:00.000'",
        "t4": "'00:00:00.0000'",
        "t5": "'00:00:00.00000'",
        "t6": "'00:00:00.000000'",
        "y": "0",  # YEAR 0000
        "b1": "0",
        "b64": "0",
        "e": "'large'",
        "st": "''",  # the empty set
        "j": "'[]'",
        "bin16": "x''",  # padded to 16 zero bytes
        "vb": "x''",
        "bl": "x''",
        "c": "''",
        "vc": "''",
        "tx": "''",
        "u": "'123e4567-e89b-42d3-a456-426614174000'",  # v4
        "ip": "'::ffff:192.0.2.1'",  # IPv4-mapped
    },
)

MIXED = Row(
    6,
    "times beyond a day, partial zero dates, v1 UUID",
    "-03:30",
    {
        "ti": "42",
        "tiu": "200",
        "si": "-12345",
        "siu": "54321",
        "mi": "-1234567",
        "miu": "7654321",
        "i": "-123456789",
        "iu": "3000000000",
        "bi": "-1234567890123456789",
        "biu": "12345678901234567890",
        "dec65": "-12345678901234567890123456789012345.123456789012345678901234567890",
        "dec52": "-0.01",
        "f": "16777217",  # not a float32: stored rounded, the same on both sides
        "d": "0.30000000000000004",
        "dt": "'2024-00-00'",  # zero month and day, allowed without NO_ZERO_IN_DATE
        "dtm": "'2024-01-00 10:11:12.131415'",
        "dtm0": "'0000-00-00 10:11:12'",  # zero date, non-zero time
        "dtm3": "'2024-00-15 00:00:00.500'",
        "ts": "'1999-12-31 20:30:00.5'",  # written at -03:30: 2000-01-01 00:00:00.5 UTC
        "ts0": "'2038-01-18 23:44:07'",  # 2038-01-19 03:14:07 UTC
        "t0": "'100:00:00'",
        "t1": "'-25:00:00.1'",
        "t2": "'-838:59:58.01'",
        "t3": "'-12:00:00.001'",
        "t4": "'-34:56:07.8901'",
        "t5": "'-99:59:59.00001'",
        "t6": "'-838:59:58.999999'",
        "y": "1999",
        "b1": "0",
        "b64": "x'0000000000000100'",
        "e": "'très grand €'",
        "st": "'c'",
        "j": "'null'",  # JSON null, not SQL NULL
        "bin16": "x'00ff00ff00ff00ff00ff00ff00ff0000'",
        "vb": "x'00'",
        "bl": "x'ff00'",
        "c": "' lead'",
        "vc": "'tab\\there'",
        "tx": "'🎉'",
        "u": "'6ba7b810-9dad-11d1-80b4-00c04fd430c8'",  # v1 (time-based)
        "ip": "'fe80::1:0:0'",
    },
)

ROWS = [LOWER, UPPER, ALL_NULL, AWKWARD, ZEROES, MIXED]


# --- helpers -----------------------------------------------------------------------------------


def use_table(chain: Chain, *, on_delete: str = "delete") -> tuple[Site, Config]:
    """Create ``all_types`` at the store and make it the store's whole catalog."""
    site = chain.store(STORE)
    site.sql(DDL)
    with open(site.config, "a", encoding="utf-8") as fh:
        fh.write(f'\n[tables.{TABLE}]\nkind = "aggregate"\ngroup = "sales"\non_delete = "{on_delete}"\n')
    cfg = load(site.config)
    assert cfg.catalog.captured == [TABLE]
    return site, cfg


def execute(site: Site, time_zone: str, statements: list[str]) -> None:
    """Run statements in one store session (strict mode, given time zone), one transaction each."""
    with site.connect() as conn, conn.cursor() as cur:
        cur.execute(f"SET SESSION sql_mode = '{STORE_SQL_MODE}', time_zone = '{time_zone}'")
        for sql in statements:
            cur.execute(sql)


def insert_sql(row: Row) -> str:
    cols = ["id", *row.values]
    vals = [str(row.id), *row.values.values()]
    return f"INSERT INTO {TABLE} ({', '.join(cols)}) VALUES ({', '.join(vals)})"


def insert_rows(site: Site, rows: list[Row]) -> None:
    for row in rows:
        execute(site, row.time_zone, [insert_sql(row)])


def update_sql(target_id: int, source: Row, columns: list[str]) -> str:
    """Give row ``target_id`` the values of ``source`` (NULL where ``source`` has none)."""
    sets = ", ".join(f"{quote_ident(c)} = {source.values.get(c, 'NULL')}" for c in columns)
    return f"UPDATE {TABLE} SET {sets} WHERE id = {target_id}"


def column_types(site: Site) -> list[tuple[str, str, str | None]]:
    rows = site.sql(
        "SELECT COLUMN_NAME, COLUMN_TYPE, COLLATION_NAME FROM information_schema.COLUMNS "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION",
        (TABLE,),
    )
    return [(str(n), str(t), c) for n, t, c in rows]


def exact_text(name: str, column_type: str) -> str:
    """A SELECT expression showing every bit of a column's value as text."""
    col = quote_ident(name)
    base = column_type.split("(")[0].split()[0].lower()
    if base in ("binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "bit", "uuid", "inet6"):
        return f"HEX({col})"  # bytes as stored (BIT: its value)
    if base == "float":
        return f"CAST({col} AS DOUBLE)"  # exact; a FLOAT shows only 6 digits as text
    return f"CAST({col} AS CHAR)"  # DOUBLE prints its shortest exact form, TIME/DATETIME all digits


def table_image(site: Site, where: str = "") -> dict[int, dict[str, Any]]:
    """``{id: {column: exact text}}`` of the store's columns, read in UTC."""
    store_cols = [c for c in column_types(site) if c[0] != "origin_store"]
    exprs = ", ".join(exact_text(n, t) for n, t, _ in store_cols)
    with site.connect() as conn, conn.cursor() as cur:
        cur.execute("SET SESSION time_zone = '+00:00'")
        cur.execute(f"SELECT id, {exprs} FROM {TABLE} {where} ORDER BY id")
        return {r[0]: dict(zip([n for n, _, _ in store_cols], r[1:], strict=True)) for r in cur.fetchall()}


def assert_same_at_head_office(
    chain: Chain, expected_ids: list[int], *, only: Collection[str] | None = None, unchecked: Collection[str] = ()
) -> dict[int, dict[str, Any]]:
    """Head office's copy equals the store's table, value for value, for store 12 only.

    ``only`` restricts the value comparison to some columns, ``unchecked`` leaves some out.
    """
    store, hq = chain.store(STORE), chain.hq
    assert column_types(hq) == [("origin_store", "int(11)", None), *column_types(store)]
    assert hq.sql(f"SELECT DISTINCT origin_store FROM {TABLE}") == [(STORE,)]
    mine = table_image(store)
    theirs = table_image(hq, f"WHERE origin_store = {STORE}")
    assert sorted(mine) == expected_ids
    assert sorted(theirs) == expected_ids
    diffs = {
        (row_id, col): (value, theirs[row_id][col])
        for row_id in expected_ids
        for col, value in mine[row_id].items()
        if (only is None or col in only) and col not in unchecked and theirs[row_id][col] != value
    }
    assert not diffs, f"(row id, column): (store, head office) {diffs}"
    return mine


def assert_inputs_as_intended(image: dict[int, dict[str, Any]]) -> None:
    """The store holds what the rows say (so that equality at head office means something)."""
    assert image[1]["ts"] == "1970-01-01 00:00:01.000000"  # written at +05:00, read in UTC
    assert image[2]["ts"] == "2038-01-19 03:14:07.999999"
    assert image[4]["ts"] == "2024-03-31 05:29:59.999999"  # written at -03:30
    assert image[1]["t6"] == "-838:59:59.999999"
    assert image[4]["t3"] == "-01:02:03.450"
    assert image[4]["t6"] == "-00:00:00.000001"
    assert image[6]["t6"] == "-838:59:58.999999"
    assert image[2]["biu"] == "18446744073709551615"
    assert image[2]["b64"] == "F" * 16
    assert image[4]["u"] == "00000000000000000000000000000100"
    assert image[4]["bin16"] == "01" + "00" * 15
    assert image[5]["dt"] == "0000-00-00"
    assert image[5]["st"] == ""
    assert image[5]["y"] == "0000"
    assert image[6]["dt"] == "2024-00-00"
    assert image[6]["dtm0"] == "0000-00-00 10:11:12"
    assert image[6]["j"] == "null"
    assert image[2]["c"] == EMOJI_10
    assert all(v is None for c, v in image[3].items() if c != "id")


# --- the promises ------------------------------------------------------------------------------


def test_binlog_capture_ships_every_column_type_exactly(chain: Chain) -> None:
    """Rows inserted while capture runs reach head office identical, column by column."""
    site, cfg = use_table(chain)
    with capturing(cfg) as cap:
        insert_rows(site, ROWS)
        cap.wait_rows(len(ROWS))
    report = ship(cfg)
    assert report.rows == len(ROWS)
    image = assert_same_at_head_office(chain, [r.id for r in ROWS])
    assert_inputs_as_intended(image)


def snapshot_and_ship(chain: Chain) -> None:
    site, cfg = use_table(chain)
    insert_rows(site, ROWS)  # before any capture: only a snapshot can bring them
    with OutboxStore(cfg.outbox.path) as outbox:
        (result,) = take_snapshot(cfg, outbox)
    assert (result.table, result.rows) == (TABLE, len(ROWS))
    report = ship(cfg)
    assert report.rows == len(ROWS) + 1  # after a delete of the store's rows at head office (on_delete = "delete")


def test_snapshot_ships_every_column_type_exactly(chain: Chain) -> None:
    """Rows that existed before capture reach head office identical through a snapshot
    (FLOAT included: the snapshot reads it as DOUBLE, not as 6-digit text)."""
    snapshot_and_ship(chain)
    image = assert_same_at_head_office(chain, [r.id for r in ROWS])
    assert_inputs_as_intended(image)


def test_updates_and_deletes_of_every_column_type_round_trip(chain: Chain) -> None:
    """Updates (limits to limits, NULL to values and back, to zero dates), a key move and a delete
    leave head office identical to the store: before and after images are decoded like inserts."""
    site, cfg = use_table(chain, on_delete="delete")
    columns = [n for n, _, _ in column_types(site) if n != "id"]
    with capturing(cfg) as cap:
        insert_rows(site, ROWS)
        cap.wait_rows(len(ROWS))
        ship(cfg)
        assert_same_at_head_office(chain, [1, 2, 3, 4, 5, 6])

        execute(site, UPPER.time_zone, [update_sql(1, UPPER, columns)])  # lower limits -> upper limits
        execute(site, AWKWARD.time_zone, [update_sql(3, AWKWARD, columns)])  # all NULL -> values
        execute(site, ALL_NULL.time_zone, [update_sql(2, ALL_NULL, columns)])  # values -> all NULL
        execute(site, ZEROES.time_zone, [update_sql(6, ZEROES, columns)])  # -> zero dates, empty set
        execute(site, MIXED.time_zone, [f"UPDATE {TABLE} SET id = 40 WHERE id = 4"])  # a key move
        execute(site, ZEROES.time_zone, [f"DELETE FROM {TABLE} WHERE id = 5"])
        # 4 updates, a move (delete of the old key + upsert), a delete
        cap.wait_rows(len(ROWS) + 4 + 2 + 1)
    report = ship(cfg)
    assert report.rows == 7
    image = assert_same_at_head_office(chain, [1, 2, 3, 6, 40])
    assert image[1]["t6"] == "838:59:59.999999"
    assert all(v is None for c, v in image[2].items() if c != "id")
    assert image[3]["t3"] == "-01:02:03.450"
    assert image[6]["dt"] == "0000-00-00"
    assert image[40]["u"] == "00000000000000000000000000000100"
