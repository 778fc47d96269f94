"""One truth for how a value goes to head office (issue 12): rows of every column type, written
at a store the way a non-strict legacy POS server stores them, captured from its binlog, then
written to head office by each of the applier's three paths — per-value escaped statements,
the stored text as literals (catch-up), ``LOAD DATA`` uploads — and by the real pipeline. Every
column of every row must read back at head office byte for byte as the store holds it.

Values are generated wide on purpose: out-of-range numbers the store clips, text longer than its
column (truncated), zero and partial dates, an ENUM's error value '', empty SETs, control
characters, 4-byte characters, binary zeros. The store's own server decides what it stores; the
test only asks that head office ends up with the same.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any

import pymysql
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymysql.constants import CLIENT

from applier.bulk import upload_body
from applier.headoffice import SESSION_SQL
from applier.operations import Operation, plan
from applier.upload import UploadConnection
from applier.writer import RowWriter
from centrale.app.site import hq_params
from centrale.core.config import load
from centrale.core.db import connect, connect_store
from centrale.core.hqtables import layout_for
from centrale.core.outbox import OutboxStore
from centrale.core.schema import read_tables
from sandbox.chain import Chain
from sandbox.inprocess import InProcessStore

STORE = 12
PATHS = ("values", "literals", "upload")
TEXT = st.text(st.one_of(st.sampled_from("\x00\x07\b\t\n\x0c\r\x1a\"'\\%_{}u null NULL"), st.characters(codec="utf-8")))
LATIN = st.text(st.characters(codec="latin-1"), max_size=45)


def _date_text(with_time: bool) -> st.SearchStrategy[str]:
    """Dates as a non-strict server takes them: zero parts, invalid days, years 0 to 9999."""
    parts = st.tuples(st.integers(0, 9999), st.integers(0, 12), st.integers(0, 31))
    clock = st.tuples(st.integers(0, 23), st.integers(0, 59), st.integers(0, 59), st.integers(0, 999_999))
    day = parts.map(lambda p: f"{p[0]:04d}-{p[1]:02d}-{p[2]:02d}")
    if not with_time:
        return day
    return st.tuples(day, clock).map(lambda d: f"{d[0]} {d[1][0]:02d}:{d[1][1]:02d}:{d[1][2]:02d}.{d[1][3]:06d}")


def _geometry() -> st.SearchStrategy[str]:
    coord = st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: f"{f!r}")
    point = st.tuples(coord, coord).map(lambda p: f"{p[0]} {p[1]}")
    return st.one_of(
        point.map(lambda p: f"POINT({p})"),
        st.lists(point, min_size=2, max_size=5).map(lambda ps: f"LINESTRING({', '.join(ps)})"),
    )


# (name, store type, values, how the value is written in the INSERT, how it is compared)
COLUMNS: tuple[tuple[str, str, st.SearchStrategy[Any], str, str], ...] = (
    ("i8", "TINYINT", st.integers(-300, 300), "%s", "CAST({} AS CHAR)"),
    ("u16", "SMALLINT UNSIGNED ZEROFILL", st.integers(-5, 70_000), "%s", "CAST({} AS CHAR)"),
    ("i24", "MEDIUMINT", st.integers(-(2**24), 2**24), "%s", "CAST({} AS CHAR)"),
    ("i64", "BIGINT", st.integers(-(2**63), 2**63 - 1), "%s", "CAST({} AS CHAR)"),
    ("u64", "BIGINT UNSIGNED", st.integers(0, 2**64 - 1), "%s", "CAST({} AS CHAR)"),
    ("b1", "BIT(1)", st.integers(0, 1), "%s", "HEX({})"),
    ("b13", "BIT(13)", st.integers(0, 2**13 - 1), "%s", "HEX({})"),
    ("b64", "BIT(64)", st.integers(0, 2**64 - 1), "%s", "HEX({})"),
    ("dec", "DECIMAL(30,10)", st.decimals(-(10**21), 10**21, places=12, allow_nan=False), "%s", "CAST({} AS CHAR)"),
    ("dec0", "DECIMAL(5,0) UNSIGNED", st.decimals(-10, 10**6, places=1, allow_nan=False), "%s", "CAST({} AS CHAR)"),
    ("fl", "FLOAT", st.floats(-3e38, 3e38, allow_nan=False), "%s", "CAST({} AS CHAR)"),
    ("db", "DOUBLE", st.floats(allow_nan=False, allow_infinity=False), "%s", "CAST({} AS CHAR)"),
    ("dt", "DATE", _date_text(False), "%s", "HEX({})"),
    ("dtm", "DATETIME(6)", _date_text(True), "%s", "HEX({})"),
    ("dtm0", "DATETIME", _date_text(True), "%s", "HEX({})"),
    (
        "ts",
        "TIMESTAMP(3) NULL",
        st.one_of(st.just("0000-00-00 00:00:00"), st.datetimes(dt.datetime(1970, 1, 2), dt.datetime(2038, 1, 1))),
        "%s",
        "HEX({})",
    ),
    ("tm", "TIME(6)", st.timedeltas(-dt.timedelta(hours=900), dt.timedelta(hours=900)), "%s", "HEX({})"),
    ("yr", "YEAR", st.integers(0, 2200), "%s", "HEX({})"),
    ("ch", "CHAR(5) CHARACTER SET utf8mb4", TEXT, "%s", "HEX({})"),
    ("vc", "VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", TEXT, "%s", "HEX({})"),
    ("vl", "VARCHAR(40) CHARACTER SET latin1", LATIN, "%s", "HEX({})"),
    ("tx", "TEXT CHARACTER SET utf8mb4", TEXT, "%s", "HEX({})"),
    ("bn", "BINARY(4)", st.binary(max_size=6), "%s", "HEX({})"),
    ("vb", "VARBINARY(20)", st.binary(max_size=24), "%s", "HEX({})"),
    ("bl", "BLOB", st.binary(max_size=300), "%s", "HEX({})"),
    ("en", "ENUM('a','b','c d','é')", st.sampled_from(["a", "b", "c d", "é", "", "nope"]), "%s", "HEX({})"),
    ("se", "SET('x','y','z z')", st.sets(st.sampled_from(["x", "y", "z z", "w"])).map(",".join), "%s", "HEX({})"),
    (
        "js",
        "JSON",
        st.recursive(
            st.one_of(st.none(), st.booleans(), st.integers(), TEXT),
            lambda kids: st.one_of(st.lists(kids, max_size=3), st.dictionaries(TEXT, kids, max_size=3)),
            max_leaves=6,
        ).map(json.dumps),
        "%s",
        "HEX({})",
    ),
    ("uu", "UUID", st.uuids().map(str), "%s", "HEX({})"),
    ("i6", "INET6", st.ip_addresses(v=6).map(str), "%s", "HEX({})"),
    ("i4", "INET4", st.ip_addresses(v=4).map(str), "%s", "HEX({})"),
    ("geo", "GEOMETRY", _geometry(), "ST_GeomFromText(%s)", "HEX({})"),
)
NAMES = [name for name, *_ in COLUMNS]
ROWS = st.lists(
    st.tuples(*(st.one_of(st.none(), strategy) for _, _, strategy, _, _ in COLUMNS)), min_size=1, max_size=6
)
# A key of awkward types: deletes and key changes must find the row at head office by it.
KEY_COLUMNS: tuple[tuple[str, str, st.SearchStrategy[Any]], ...] = (
    ("kb", "BINARY(4)", st.binary(max_size=4)),
    ("kv", "VARCHAR(12) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", st.text(st.characters(codec="utf-8"), max_size=12)),
    ("kt", "DATETIME(6)", _date_text(True)),
    ("kn", "DECIMAL(12,3)", st.decimals(-(10**8), 10**8, places=3, allow_nan=False)),
    ("kbit", "BIT(8)", st.integers(0, 255)),
    ("kip", "INET6", st.ip_addresses(v=6).map(str)),
    ("ktm", "TIME(3)", st.timedeltas(-dt.timedelta(hours=838), dt.timedelta(hours=838))),
)
KEYS = st.lists(st.tuples(st.tuples(*(s for _, _, s in KEY_COLUMNS)), st.booleans()), min_size=1, max_size=8)
KEYED = "keyed"
STORE_SQL_MODE = "ALLOW_INVALID_DATES"  # a legacy POS server: not strict, any day of any month


def _held(conn: pymysql.connections.Connection, table: str, ids: list[int]) -> list[tuple[Any, ...]]:
    shown = ", ".join(expr.format(f"`{name}`") for name, _, _, _, expr in COLUMNS)
    with conn.cursor() as cur:
        cur.execute(f"SELECT id, {shown} FROM `{table}` WHERE id IN ({','.join(map(str, ids))}) ORDER BY id")
        return list(cur.fetchall())


def _held_keyed(conn: pymysql.connections.Connection, table: str) -> list[tuple[Any, ...]]:
    shown = ", ".join(f"HEX(`{name}`)" for name, _, _ in KEY_COLUMNS)
    with conn.cursor() as cur:
        cur.execute(f"SELECT n, {shown} FROM `{table}` ORDER BY n")
        return list(cur.fetchall())


def _forced(op: Operation, path: str) -> Operation:
    """The operation as the path writes it, into that path's copy of the table."""
    table = f"{op.table}_{path}"
    if path == "values":  # no stored text: every value escaped on its own
        return Operation(table, op.kind, op.columns, op.rows, op.seqs)
    return Operation(table, op.kind, op.columns, op.rows, op.seqs, op.stored)


def _write_at_store(site: Any, first_id: int, rows: list[tuple[Any, ...]], keys: list[tuple[Any, bool]]) -> None:
    """One transaction, as a non-strict POS server's client writes it: the rows, then keyed rows
    inserted, half of them deleted and the others' key moved (a delete and an upsert each)."""
    cols = ", ".join(f"`{n}`" for n in NAMES)
    marks = ", ".join(mark for _, _, _, mark, _ in COLUMNS)
    key_cols = ", ".join(name for name, _, _ in KEY_COLUMNS)
    with site.connect() as conn, conn.cursor() as cur:
        cur.execute(f"SET SESSION sql_mode = '{STORE_SQL_MODE}', time_zone = '+01:00'")
        cur.execute("BEGIN")
        for row_id, row in enumerate(rows, first_id):
            cur.execute(f"INSERT INTO typed (id, {cols}) VALUES (%s, {marks})", (row_id, *row))
        for n, (key, _) in enumerate(keys, first_id):
            cur.execute(f"INSERT IGNORE INTO {KEYED} (n, {key_cols}) VALUES (%s{', %s' * len(key)})", (n, *key))
        gone = [n for n, (_, drop) in enumerate(keys, first_id) if drop]
        moved = [n for n, (_, drop) in enumerate(keys, first_id) if not drop]
        if gone:
            cur.execute(f"DELETE FROM {KEYED} WHERE n IN ({','.join(map(str, gone))})")
        if moved:
            cur.execute(
                f"UPDATE IGNORE {KEYED} SET kn = -kn - 1, kv = CONCAT('~', kv) WHERE n IN ({','.join(map(str, moved))})"
            )
        cur.execute("COMMIT")


def test_every_column_type_lands_byte_for_byte_by_every_write_path(chain: Chain) -> None:
    site = chain.store(STORE)
    ddl = ", ".join(f"`{name}` {sqltype}" for name, sqltype, *_ in COLUMNS)
    site.sql(f"CREATE TABLE typed (id INT PRIMARY KEY, {ddl}) ENGINE=InnoDB")
    key_ddl = ", ".join(f"{name} {sqltype} NOT NULL" for name, sqltype, _ in KEY_COLUMNS)
    key_cols = ", ".join(name for name, _, _ in KEY_COLUMNS)
    site.sql(f"CREATE TABLE {KEYED} (n INT NOT NULL UNIQUE, {key_ddl}, PRIMARY KEY ({key_cols})) ENGINE=InnoDB")
    with open(site.config, "a", encoding="utf-8") as fh:
        fh.write('\n[tables.typed]\nkind = "aggregate"\ngroup = "sales"\n')
        fh.write(f'\n[tables.{KEYED}]\nkind = "aggregate"\ngroup = "sales"\non_delete = "delete"\n')
    cfg = load(site.config)
    with connect_store(cfg.local.params) as store_conn:
        tdefs = read_tables(store_conn, site.database, ["typed", KEYED])
    layouts = {f"{t}_{p}": layout_for(t, cfg.catalog.spec(t), tdefs[t]) for t in tdefs for p in PATHS}
    ids = itertools.count(1, 10)
    with InProcessStore(cfg) as run:
        assert run.sync().error is None  # head office creates its tables
        for path in PATHS:
            chain.hq.sql(f"CREATE TABLE typed_{path} LIKE typed")
            chain.hq.sql(f"CREATE TABLE {KEYED}_{path} LIKE {KEYED}")
        outbox = OutboxStore(cfg.outbox.path)
        hq = connect(hq_params(cfg.hq), autocommit=True, factory=UploadConnection, client_flag=CLIENT.MULTI_STATEMENTS)
        with hq.cursor() as cur:
            cur.execute(SESSION_SQL)
        writers = {p: RowWriter(STORE, cfg.hq.origin_column, layouts.__getitem__) for p in PATHS}
        for p in ("values", "literals"):
            writers[p].bulk.disable("this path is the statements'")
        seen = [0]
        uploads = [0]

        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
        @given(rows=ROWS, keys=KEYS)
        def lands_as_stored(rows: list[tuple[Any, ...]], keys: list[tuple[Any, bool]]) -> None:
            first = next(ids)
            _write_at_store(site, first, rows, keys)
            run.wait_caught_up()
            batches = outbox.claim_batches(10_000, after_seq=seen[0], max_batches=100)
            assert batches, f"nothing captured after seq {seen[0]}"
            ops = [op for b in batches for op in plan(b.runs)]
            seen[0] = batches[-1].last_seq
            for path in PATHS:
                forced = [_forced(op, path) for op in ops]
                bodies = [upload_body(op) for op in forced] if path == "upload" else None
                uploads[0] += sum(1 for b in bodies or [] if b is not None)
                hq.begin()
                try:
                    writers[path].write_operations(hq, forced, bodies)
                except Exception:
                    hq.rollback()
                    raise
                hq.commit()
            row_ids = list(range(first, first + len(rows)))
            with site.connect() as conn:
                store_rows, store_keyed = _held(conn, "typed", row_ids), _held_keyed(conn, KEYED)
            for path in PATHS:
                assert _held(hq, f"typed_{path}", row_ids) == store_rows, path
                assert _held_keyed(hq, f"{KEYED}_{path}") == store_keyed, path

        try:
            lands_as_stored()
        finally:
            hq.close()
            outbox.close()
        every = list(range(1, next(ids)))
        assert run.ship().error is None  # and the pipeline itself, whichever paths it chose
        with site.connect() as conn, connect(hq_params(cfg.hq)) as hq:
            assert _held(hq, "typed", every) == _held(conn, "typed", every)
            assert _held_keyed(hq, KEYED) == _held_keyed(conn, KEYED)
            hq.cursor().execute("UPDATE typed SET i8 = NULL, vc = NULL, bn = NULL, dtm = NULL, ts = NULL")
        chain.centrale(site, "snapshot")  # a snapshot reads rows by SELECT, not from the binlog: the same values
        run.drain()
        with site.connect() as conn, connect(hq_params(cfg.hq)) as hq:
            assert _held(hq, "typed", every) == _held(conn, "typed", every)
        assert uploads[0] > 0  # the upload path was taken, not only its fallback
