"""Catch-up uploads: a large operation on a plain aggregate table goes to head office as
``LOAD DATA LOCAL INFILE ... REPLACE`` from memory (``applier.bulk``, ``applier.upload``).

It must leave exactly what upserts leave, be used only where nothing can tell the two apart,
fall back to upserts where head office does not allow it, and never let the server read a
file of the store's.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pymysql
import pytest

from applier.bulk import BULK_MIN_ROWS
from applier.headoffice import HeadOfficeShipper
from applier.upload import FILE_SLOT, UploadConnection
from centrale.core.changes import Batch, OutboxRow
from centrale.core.codec import encode_values
from centrale.core.db import parse_url
from sandbox.chain import Chain
from tests.applier.test_shipper_contract import items_shipper, read_back

_gens = itertools.count(1)


def stored(row: OutboxRow) -> OutboxRow:
    """The row as the outbox reads it back: with its stored values."""
    return row._replace(stored=encode_values(row.values))


def up(seq: int, id_: int, label: str | None, qty: str | None = "1.000") -> OutboxRow:
    return stored(OutboxRow(seq, seq, "items", "upsert", ("id", "label", "qty"), (id_, label, qty)))


def rm(seq: int, id_: int) -> OutboxRow:
    return stored(OutboxRow(seq, seq, "items", "delete", ("id",), (id_,)))


def loads(chain: Chain) -> int:
    """How many LOAD DATA statements head office's server has run (the suite runs one test at a time)."""
    return int(chain.hq.sql("SHOW GLOBAL STATUS LIKE 'Com_load'")[0][1])


def items(chain: Chain) -> dict[int, tuple[str | None, str | None]]:
    rows = chain.hq.sql("SELECT id, label, qty FROM items WHERE origin_store = 12")
    return {r[0]: (r[1], None if r[2] is None else str(r[2])) for r in rows}


@pytest.fixture
def shipper(chain: Chain) -> Iterator[HeadOfficeShipper]:
    s = items_shipper(chain)
    s.ship(Batch("0" * 32, (rm(1, 999),)))  # head office's table exists from here on
    yield s
    s.close()


def generation() -> str:
    return f"{next(_gens):032x}"


AWKWARD = ["plain", 'quote " here', "back\\slash", "comma, inside", "new\nline\ttab", "NULL", "é😀", "", "\\N", None]


def test_a_large_batch_is_uploaded_and_equals_applying_each_change_in_order(
    chain: Chain, shipper: HeadOfficeShipper
) -> None:
    rows: list[OutboxRow] = []
    expected: dict[int, tuple[str | None, str | None]] = {}
    seq = itertools.count(1)
    for i in range(3 * BULK_MIN_ROWS):  # the same keys again and again: the last change wins
        key, label = i % 97, AWKWARD[i % len(AWKWARD)]
        rows.append(up(next(seq), key, label, None if i % 7 == 0 else f"{i}.500"))
        expected[key] = (label, None if i % 7 == 0 else f"{i}.500")
    for key in range(0, 97, 5):
        rows.append(rm(next(seq), key))
        expected.pop(key)
    for i in range(BULK_MIN_ROWS):
        rows.append(up(next(seq), 1000 + i, f"after the deletes {i}"))
        expected[1000 + i] = (f"after the deletes {i}", "1.000")
    gen = generation()
    before = loads(chain)
    assert shipper.ship(read_back(Batch(gen, rows))) == len(rows)
    assert loads(chain) - before == 2  # both runs of upserts went as uploads
    assert items(chain) == expected
    assert shipper.ship(read_back(Batch(gen, rows))) == 0  # exactly once: a re-send changes nothing
    assert items(chain) == expected


def test_the_word_null_in_a_value_keeps_that_operation_on_upserts(chain: Chain, shipper: HeadOfficeShipper) -> None:
    rows = tuple(up(i, i, "nullable" if i == 7 else None) for i in range(1, BULK_MIN_ROWS + 1))
    before = loads(chain)
    shipper.ship(read_back(Batch(generation(), rows)))
    assert loads(chain) == before
    got = items(chain)
    assert got[7] == ("nullable", "1.000") and got[8] == (None, "1.000") and len(got) == BULK_MIN_ROWS


def test_a_head_office_column_of_its_own_keeps_upserts_and_its_values(chain: Chain, shipper: HeadOfficeShipper) -> None:
    chain.hq.sql("ALTER TABLE items ADD COLUMN checked_by VARCHAR(20) NOT NULL DEFAULT 'nobody'")
    chain.hq.sql("INSERT INTO items (origin_store, id, label, qty, checked_by) VALUES (12, 1, 'old', 1, 'Alice')")
    rows = tuple(up(i, i, f"new {i}") for i in range(1, BULK_MIN_ROWS + 1))
    before = loads(chain)
    shipper.ship(read_back(Batch(generation(), rows)))
    assert loads(chain) == before  # REPLACE would have reset checked_by
    assert chain.hq.sql("SELECT label, checked_by FROM items WHERE id = 1") == [("new 1", "Alice")]


@pytest.mark.parametrize(
    "change",
    [
        "ALTER TABLE items ADD UNIQUE KEY by_label (origin_store, label)",
        "CREATE TRIGGER items_audit AFTER DELETE ON items FOR EACH ROW SET @deleted = OLD.id",
    ],
    ids=["a second unique key", "a trigger"],
)
def test_tables_where_replace_and_upsert_differ_keep_upserts(
    chain: Chain, shipper: HeadOfficeShipper, change: str
) -> None:
    chain.hq.sql(change)
    rows = tuple(up(i, i, f"label {i}") for i in range(1, BULK_MIN_ROWS + 1))
    before = loads(chain)
    assert shipper.ship(read_back(Batch(generation(), rows))) == BULK_MIN_ROWS
    assert loads(chain) == before
    assert len(items(chain)) == BULK_MIN_ROWS


def test_a_head_office_without_local_infile_gets_upserts(chain: Chain) -> None:
    chain.hq.sql("SET GLOBAL local_infile = 0")
    try:
        shipper = items_shipper(chain)
        try:
            rows = tuple(up(i, i, f"label {i}") for i in range(1, BULK_MIN_ROWS + 1))
            assert shipper.ship(read_back(Batch(generation(), rows))) == BULK_MIN_ROWS
        finally:
            shipper.close()
    finally:
        chain.hq.sql("SET GLOBAL local_infile = 1")
    assert len(items(chain)) == BULK_MIN_ROWS


def _upload_conn(chain: Chain) -> pymysql.connections.Connection:
    params = parse_url(chain.hq.server.url(chain.hq.database))
    return UploadConnection(
        host=params.host, port=params.port, user=params.user, password=params.password, database=params.database
    )


def test_a_server_asking_for_a_file_of_the_store_gets_nothing(chain: Chain, tmp_path: Path) -> None:
    """The LOCAL hazard: the server names the file. Here the statement names a secret, as a
    rogue server would in its reply; the connection sends nothing and says so."""
    secret = tmp_path / "store.toml"
    secret.write_text("password = 'hunter2'\n")
    chain.hq.sql("CREATE TABLE leak (line TEXT)")
    conn = _upload_conn(chain)
    try:
        with conn.cursor() as cur, pytest.raises(pymysql.err.OperationalError, match="did not offer"):
            cur.execute(f"LOAD DATA LOCAL INFILE '{secret}' INTO TABLE leak")
        with conn.cursor() as cur:  # an upload of its own still goes, and only its bytes
            conn.load_data(cur, f"LOAD DATA LOCAL INFILE {FILE_SLOT} INTO TABLE leak", b"offered\n")
        conn.commit()
    finally:
        conn.close()
    assert chain.hq.sql("SELECT line FROM leak") == [("offered",)]
