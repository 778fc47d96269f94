"""The lean catch-up path sends head office the outbox's stored JSON as it is: as SQL literal
text (``codec.literal_lines``), or as a ``LOAD DATA`` upload (``applier.bulk``), with no decoding
and no escaping. Whatever capture can store, a row sent either way must land exactly as the same
row sent with ordinary escaping; what cannot be sent that way (bytes, control characters JSON
writes as ``\\f`` or ``\\u00XX``, the word null inside a string for uploads) must be refused,
not mangled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pymysql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from applier.bulk import load_statement, upload_body
from applier.headoffice import SESSION_SQL
from applier.operations import Operation
from applier.upload import UploadConnection
from applier.writer import literal_function
from centrale.core.codec import decode_values, encode_values, literal_lines
from tests.conftest import Servers

DB = "stored_literals"
# What SQL and JSON escape differently, often; then any character a string can hold.
AWKWARD = st.sampled_from("\x00\x07\b\t\n\x0c\r\x1a\x1b\"'\\%_{}u")
TEXT = st.text(st.one_of(AWKWARD, st.characters(exclude_categories=("Cs",))))
COLUMNS = (
    ("txt", "TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", TEXT),
    ("i", "BIGINT", st.integers(-(2**63), 2**63 - 1)),
    ("u", "BIGINT UNSIGNED", st.integers(0, 2**64 - 1)),
    ("f", "DOUBLE", st.floats(allow_nan=False, allow_infinity=False)),
    ("d", "DECIMAL(30,10)", st.decimals(min_value=-(10**19), max_value=10**19, places=10, allow_nan=False)),
    ("ts", "DATETIME(6)", st.datetimes(dt.datetime(1000, 1, 1), dt.datetime(9999, 12, 31))),
    ("day", "DATE", st.dates(dt.date(1000, 1, 1), dt.date(9999, 12, 31))),
    ("tm", "TIME(6)", st.timedeltas(-dt.timedelta(hours=838), dt.timedelta(hours=838))),
    ("bin", "VARBINARY(64)", st.binary(max_size=64)),
)
NAMES = ", ".join(name for name, _, _ in COLUMNS)


@pytest.fixture(scope="module")
def conn(servers: Servers) -> Iterator[UploadConnection]:
    servers.hq.sql(f"DROP DATABASE IF EXISTS {DB}")
    servers.hq.sql(f"CREATE DATABASE {DB}")
    ddl = ", ".join(f"{name} {sqltype}" for name, sqltype, _ in COLUMNS)
    servers.hq.sql(f"CREATE TABLE t (id INT PRIMARY KEY, {ddl})", DB)
    c = UploadConnection(host="127.0.0.1", port=servers.hq.port, user="root", password="", database=DB)
    c.autocommit(True)
    with c.cursor() as cur:
        cur.execute(SESSION_SQL)  # the applier's session: the path relies on its sql_mode
    yield c
    c.close()
    servers.hq.sql(f"DROP DATABASE {DB}")


def _nullable(s: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), s)


ROWS = st.tuples(*(_nullable(strategy) for _, _, strategy in COLUMNS))


def _landed(conn: pymysql.connections.Connection, row_id: int, values_sql: str) -> tuple[Any, ...]:
    with conn.cursor() as cur:
        cur.execute(f"INSERT INTO t (id, {NAMES}) VALUES ({row_id},{values_sql})")
        cur.execute(f"SELECT {NAMES} FROM t WHERE id = {row_id}")
        got: tuple[Any, ...] = cur.fetchone()
        cur.execute(f"DELETE FROM t WHERE id = {row_id}")
    return got


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(row=ROWS)
def test_stored_text_lands_exactly_as_the_escaped_literals(conn: pymysql.connections.Connection, row: Any) -> None:
    blob = encode_values(row)
    lines = literal_lines([blob])
    if lines is None:
        # refused only for bytes, JSON's own escapes, or a brace (which tagged bytes need)
        assert any(isinstance(v, bytes) for v in row) or b"\\f" in blob or b"\\u" in blob or b"{" in blob
        return
    literal = literal_function(conn)
    escaped = ",".join(literal(v) for v in decode_values(blob))
    expected = _landed(conn, 2, escaped)
    text = lines[1:-1].decode()
    assert _landed(conn, 1, text) == expected
    op = Operation("t", "upsert", tuple(NAMES.split(", ")), (row,), (1,), (blob,))
    body = upload_body(op)
    if body is None:  # a string holds the word null: this operation goes as upserts
        assert "null" in text and any(isinstance(v, str) and "null" in v for v in row)
        return
    assert _uploaded(conn, 3, body) == expected


def _uploaded(conn: UploadConnection, row_id: int, body: bytes) -> tuple[Any, ...]:
    with conn.cursor() as cur:
        assert conn.load_data(cur, load_statement("t", NAMES.split(", "), "id", row_id), body) == 0
        cur.execute(f"SELECT {NAMES} FROM t WHERE id = {row_id}")
        got: tuple[Any, ...] = cur.fetchone()
        cur.execute(f"DELETE FROM t WHERE id = {row_id}")
    return got


@pytest.mark.parametrize(
    "text",
    ["quote \" and ' both", "back\\slash \\n not a newline", "tab\tnew\nline\rcr\bbs", "% _ \\% \\_", "ünï 😀"],
)
def test_awkward_strings_go_as_they_are(conn: pymysql.connections.Connection, text: str) -> None:
    blob = encode_values((text, 1, 2, 0.5, Decimal("1.5"), None, None, None, None))
    lines = literal_lines([blob])
    assert lines is not None
    assert _landed(conn, 3, lines[1:-1].decode())[0] == text


@pytest.mark.parametrize("values", [(b"\x00bytes",), ("form\ffeed",), ("bell\x07",), ("\x1b[0m escape",)], ids=repr)
def test_values_json_cannot_say_as_literals_take_the_escaped_path(values: tuple[Any, ...]) -> None:
    assert literal_lines([encode_values(values)]) is None
