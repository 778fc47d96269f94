"""The bulk path of a catch-up: a large operation on an aggregate table is uploaded with
``LOAD DATA LOCAL INFILE ... REPLACE`` instead of ``INSERT ... ON DUPLICATE KEY UPDATE``.

MariaDB takes a ``LOAD DATA`` stream about 1.7x faster than the same rows as SQL literals, and
the stream is the outbox's own stored text (``codec.literal_lines``) one row per line, so the
store does almost no work per row either. It runs inside the batch's transaction, after the
exactly-once guard, like any statement.

``REPLACE`` (delete the old row, insert the new) leaves the same row as the upsert, which sets
every column, only where nothing else can tell them apart. So a table takes the bulk path only
when, at head office, it is a base table (a store account writes through views: upserts),
its columns are exactly the store number plus the operation's columns, its only unique key is
the primary key, and it has no trigger, which the account must be allowed to see. The server
must allow LOCAL uploads, and a Galera cluster must not split them into several commits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from applier.operations import Operation
from applier.upload import FILE_SLOT
from centrale.core.changes import Batch
from centrale.core.codec import literal_lines
from centrale.core.db import quote_ident
from centrale.core.log import get_logger

log = get_logger("applier")

BULK_MIN_ROWS = 200  # below this, one statement among others costs less than an upload's round trips
CAST_TYPES = frozenset({"bit", "year"})  # read as numbers, not as text, in an upload (``load_statement``)
UPLOAD_REFUSED = frozenset({1148, 4166})  # LOCAL uploads disabled at the server (or by the client)


class UploadWarnedError(Exception):
    """Head office took an upload with warnings: the batch is rolled back and sent again with
    that table as upserts (strict mode makes bad data an error; a warning is a surprise)."""


def load_statement(
    table: str, columns: Iterable[str], origin: str, store: int, numbers: frozenset[str] = frozenset()
) -> str:
    """The upload statement for rows written one per line as stored literal text.

    ``numbers`` are the columns whose value, a number, means something else to ``LOAD DATA`` as
    text: a BIT column would store the bytes of the text (1 as 0x31), a YEAR column reads the
    text '0' as 2000 where the number 0 is 0000. They go through a variable and
    ``CAST(... AS UNSIGNED)``, as the statement path's integer literal does."""
    fields, sets = [], [f"{quote_ident(origin)} = {int(store)}"]
    for i, c in enumerate(columns):
        if c in numbers:
            fields.append(f"@n{i}")
            sets.append(f"{quote_ident(c)} = CAST(@n{i} AS UNSIGNED)")
        else:
            fields.append(quote_ident(c))
    return (
        f"LOAD DATA LOCAL INFILE {FILE_SLOT} REPLACE INTO TABLE {quote_ident(table)} CHARACTER SET utf8mb4 "
        "FIELDS TERMINATED BY ',' ENCLOSED BY '\"' ESCAPED BY '\\\\' LINES STARTING BY '[' TERMINATED BY ']\\n' "
        f"({', '.join(fields)}) SET {', '.join(sets)}"
    )


def may_upload_some(batch: Batch) -> bool:
    """Whether some table's upserts in the batch are numerous enough for an upload."""
    if len(batch) < BULK_MIN_ROWS:
        return False
    counts: Counter[str] = Counter()
    for run in batch.runs:
        if run.op == "upsert":
            counts[run.table] += len(run.seqs)
    return bool(counts) and max(counts.values()) >= BULK_MIN_ROWS


def upload_for(op: Operation) -> bytes | None:
    """The operation's upload when it is large enough to be worth one, else None."""
    return upload_body(op) if len(op) >= BULK_MIN_ROWS else None


def upload_body(op: Operation) -> bytes | None:
    """The operation's rows as an upload, or None when they cannot go that way.

    The stored text is JSON, one ``[...]`` per line: fields separated by commas, strings in
    double quotes with backslash escapes that ``LOAD DATA`` reads alike (``codec.literal_lines``
    refused the others). Only JSON's ``null`` differs: ``LOAD DATA`` reads ``NULL``. It is
    rewritten when every ``null`` in the text is a NULL value, that is, when no string contains
    the word."""
    if op.kind != "upsert" or op.stored is None:
        return None
    text = literal_lines(op.stored)
    if text is None:
        return None
    nulls = text.count(b"null")
    if nulls:
        if nulls != sum(row.count(None) for row in op.rows):
            return None
        text = text.replace(b"null", b"NULL")
    return text + b"\n"


class BulkTables:
    """Which head-office tables take the bulk path, asked of head office once per table."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.server_allows: bool | None = None
        self._tables: dict[tuple[str, frozenset[str]], bool] = {}
        self._numbers: dict[str, frozenset[str]] = {}

    def number_columns(self, table: str) -> frozenset[str]:
        """The table's BIT and YEAR columns at head office, whose values an upload casts
        (``load_statement``; known once ``allows`` has looked at the table)."""
        return self._numbers.get(table, frozenset())

    def forbid(self, table: str, columns: tuple[str, ...], reason: str) -> None:
        log.warning("table %s takes upserts in catch-up from now on: %s", table, reason)
        self._tables[(table, frozenset(columns))] = False

    def disable(self, reason: str) -> None:
        if self.server_allows is not False:
            log.info("catch-up uploads off (%s): large batches go as statements", reason)
        self.server_allows = False

    def allows(self, cur: Any, table: str, columns: tuple[str, ...]) -> bool:
        if self.server_allows is None:
            self.server_allows = self._server_allows(cur)
        if not self.server_allows:
            return False
        key = (table, frozenset(columns))
        got = self._tables.get(key)
        if got is None:
            got = self._table_allows(cur, table, key[1])
            self._tables[key] = got
            if not got:
                log.info("table %s takes upserts in catch-up (not a plain base table here)", table)
        return got

    def _server_allows(self, cur: Any) -> bool:
        cur.execute("SHOW VARIABLES WHERE Variable_name IN ('local_infile', 'wsrep_on', 'wsrep_load_data_splitting')")
        found = {str(name): str(value).upper() for name, value in cur.fetchall()}
        if found.get("local_infile") != "ON":
            self.disable("head office has local_infile off")
            return False
        if found.get("wsrep_on") == "ON" and found.get("wsrep_load_data_splitting") == "ON":
            self.disable("the cluster has wsrep_load_data_splitting on, which would split a batch's transaction")
            return False
        return True

    def _table_allows(self, cur: Any, table: str, columns: frozenset[str]) -> bool:
        where = "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s"
        cur.execute(f"SELECT TABLE_TYPE FROM information_schema.TABLES WHERE {where}", (table,))
        row = cur.fetchone()
        if row is None or row[0] != "BASE TABLE":
            return False
        cur.execute(f"SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE {where}", (table,))
        found = cur.fetchall()
        if {str(r[0]) for r in found} != columns | {self.origin}:
            return False
        self._numbers[table] = frozenset(str(r[0]) for r in found if str(r[1]).lower() in CAST_TYPES)
        cur.execute(
            f"SELECT COUNT(*) FROM information_schema.STATISTICS WHERE {where} "
            "AND NON_UNIQUE = 0 AND INDEX_NAME <> 'PRIMARY'",
            (table,),
        )
        if cur.fetchone()[0]:
            return False
        if not _may_see_triggers(cur, table):
            return False
        cur.execute(
            "SELECT COUNT(*) FROM information_schema.TRIGGERS "
            "WHERE EVENT_OBJECT_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE = %s",
            (table,),
        )
        return not cur.fetchone()[0]


def _may_see_triggers(cur: Any, table: str) -> bool:
    """information_schema.TRIGGERS lists only what the account holds TRIGGER on: "none seen"
    means none only for such an account."""
    grantee = (
        "CONCAT(\"'\", SUBSTRING_INDEX(CURRENT_USER(), '@', 1), \"'@'\", "
        "SUBSTRING_INDEX(CURRENT_USER(), '@', -1), \"'\")"
    )
    cur.execute(
        f"SELECT (SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = {grantee} "
        "AND PRIVILEGE_TYPE = 'TRIGGER') + (SELECT COUNT(*) FROM information_schema.SCHEMA_PRIVILEGES "
        f"WHERE GRANTEE = {grantee} AND TABLE_SCHEMA = DATABASE() AND PRIVILEGE_TYPE = 'TRIGGER') + "
        f"(SELECT COUNT(*) FROM information_schema.TABLE_PRIVILEGES WHERE GRANTEE = {grantee} "
        "AND TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s AND PRIVILEGE_TYPE = 'TRIGGER')",
        (table,),
    )
    return bool(cur.fetchone()[0])
