"""MySQL's JSON values reach the outbox as the text MySQL itself prints, byte for byte.

A MySQL store's JSON column is binary in the binlog; the library decoded it into Python values
(bytes keys, which crashed capture at every restart; DATE as a datetime; unknown bytes dropped).
``cdc.mysql_json`` prints it as MySQL's ``SELECT`` does, so capture, a snapshot and any head
office hold the same text. Checked against a real MySQL 9.7 on random documents."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from applier.operations import plan
from cdc.mysql_json import MySQLJsonError, format_double, render
from centrale.core.config import load
from sandbox.capture import Capture
from sandbox.chain import write_store_config
from sandbox.mysql import MySQLServer
from tests.conftest import Servers

DB = "myjson"


@pytest.mark.parametrize(
    ("value", "printed"),
    [
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (2.0, "2.0"),
        (0.1, "0.1"),
        (1e15, "1e15"),
        (123456789012345.0, "123456789012345.0"),
        (1234567890123456.0, "1.234567890123456e15"),
        (1e-5, "0.00001"),
        (1.5e-10, "0.00000000015"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e308"),
        (-2.5e-7, "-0.00000025"),
        (2.220446049250313e-16, "2.220446049250313e-16"),  # found by the test below
        (1.5e-15, "0.0000000000000015"),
        (1.5e-16, "1.5e-16"),
        (1234567890123456.8, "1234567890123456.8"),  # more digits than integer ones: fixed
    ],
)
def test_doubles_print_as_mysql_prints_them(value: float, printed: str) -> None:
    """Measured on MySQL 9.7 (``SELECT CAST(JSON_ARRAY(x) AS CHAR)``)."""
    assert format_double(value) == printed


@pytest.mark.parametrize(
    "document",
    [b"", b"\x0c\x05ab", b"\x0c\x02\xff\xfe", b"\x04\x07", b"\x0e", b"\x00\x05\x00\xff\x00"],
    ids=["empty", "string-short", "string-not-utf8", "bad-literal", "unknown-type", "container-past-end"],
)
def test_a_document_mysql_would_not_write_is_refused_not_guessed(document: bytes) -> None:
    with pytest.raises(MySQLJsonError):
        render(document)


# --- against MySQL ---------------------------------------------------------------------------------

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
SCALARS = (
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False) | TEXT
)
DOCUMENTS = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(TEXT, inner, max_size=5), max_leaves=25
)
OPAQUE = [
    "CAST('2020-02-03' AS DATE)",
    "CAST('0001-01-01' AS DATE)",
    "CAST('12:00:01.5' AS TIME(1))",
    "CAST('-838:59:59' AS TIME)",
    "CAST('-00:00:00.000001' AS TIME(6))",
    "CAST('2020-01-02 03:04:05.123456' AS DATETIME(6))",
    "TIMESTAMP'1999-12-31 23:59:59'",
    "CAST(-1.5 AS DECIMAL(10,3))",
    "CAST(0 AS DECIMAL(3,0))",
    "CAST(-0.000000001 AS DECIMAL(20,9))",
    "CAST(12345678901234567890.123456789 AS DECIMAL(30,9))",
    "CAST(999999999 AS DECIMAL(9,0))",
    "CAST(x'00ff10' AS BINARY)",
    "CAST('text' AS BINARY)",
]


@pytest.fixture
def capture(mysql: MySQLServer, servers: Servers, tmp_path: Path) -> Any:
    mysql.sql(f"DROP DATABASE IF EXISTS {DB}")
    mysql.sql(f"CREATE DATABASE {DB}")
    mysql.sql(f"CREATE TABLE {DB}.docs (id INT PRIMARY KEY, j JSON NULL)")
    path = write_store_config(tmp_path / "store.toml", number=12, name="My", store=mysql, hq=servers.hq, store_db=DB)
    path.write_text(path.read_text() + '\n[tables.docs]\nkind = "aggregate"\ngroup = "sales"\n')
    run = Capture(load(path))
    try:
        yield run
    finally:
        run.close()
        shutil.rmtree(tmp_path / "var-store12", ignore_errors=True)


def _captured_json(run: Capture) -> dict[int, Any]:
    batches = run.outbox.claim_batches(1_000_000, after_seq=0, max_batches=100_000)
    out = {}
    for op in (op for batch in batches for op in plan(batch.runs)):
        for row in op.rows:
            values = dict(zip(op.columns, row, strict=True))
            out[int(values["id"])] = values.get("j")
    return out


@pytest.mark.local_servers
def test_capture_carries_each_json_value_as_mysql_prints_it(capture: Capture, mysql: MySQLServer) -> None:
    ids = itertools.count(1)
    sql_values: list[tuple[int, str]] = []

    @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
    @given(documents=st.lists(DOCUMENTS, min_size=20, max_size=20))
    def documents_land(documents: list[Any]) -> None:
        rows = [(next(ids), json.dumps(d)) for d in documents]
        with mysql.connect(DB) as conn, conn.cursor() as cur:
            cur.executemany("INSERT INTO docs VALUES (%s, %s)", rows)
        sql_values.extend(rows)

    documents_land()
    for expression in OPAQUE:  # DATE, TIME, DATETIME, DECIMAL, bytes: kept in JSON as opaque values
        mysql.sql(
            f"INSERT INTO {DB}.docs VALUES (%s, JSON_ARRAY({expression}, JSON_OBJECT('v', {expression})))",
            args=(next(ids),),
        )
    mysql.sql(f"INSERT INTO {DB}.docs VALUES (%s, NULL)", args=(next(ids),))
    printed = {int(i): j for i, j in mysql.sql(f"SELECT id, CAST(j AS CHAR) FROM {DB}.docs")}
    capture.wait_rows(len(printed))
    assert _captured_json(capture) == printed
    selected = {int(i): j for i, j in mysql.sql(f"SELECT id, j FROM {DB}.docs")}
    assert selected == printed  # what a snapshot reads: the same text, so both paths agree


@pytest.mark.local_servers
def test_a_json_column_added_to_existing_rows_is_carried_as_mysql_prints_it(
    capture: Capture, mysql: MySQLServer
) -> None:
    """Rows that existed before ``ADD COLUMN ... JSON NOT NULL`` hold no JSON value of their own:
    MySQL prints them as the JSON null literal, and so must capture (not SQL NULL, not nothing)."""
    mysql.sql(f"INSERT INTO {DB}.docs VALUES (1, '[1]')")
    mysql.sql(f"ALTER TABLE {DB}.docs ADD COLUMN extra JSON NOT NULL")
    mysql.sql(f"UPDATE {DB}.docs SET j = '[2]' WHERE id = 1")
    capture.wait_rows(2)
    batches = capture.outbox.claim_batches(1000, after_seq=0, max_batches=100)
    last = [dict(zip(op.columns, row, strict=True)) for b in batches for op in plan(b.runs) for row in op.rows][-1]
    assert mysql.sql(f"SELECT CAST(extra AS CHAR) FROM {DB}.docs WHERE id = 1") == [("null",)]
    assert last["extra"] == "null" and last["j"] == "[2]"
