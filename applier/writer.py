"""Writing a batch's rows inside head office's transaction: multi-row statements of bounded
size, or an upload for a large run of upserts on a plain aggregate table (``applier.bulk``).

The shipper (``applier.headoffice``) owns the transaction and the exactly-once bookkeeping;
this module owns what goes between its first and last statements. For a large batch the plan
and its uploads can be built ahead (``prebuild``), by the thread that reads the outbox while
head office applies the previous batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pymysql
from pymysql.converters import escape_string

from applier.bulk import BulkTables, UploadWarnedError, load_statement, may_upload_some, upload_for
from applier.operations import Operation, plan
from applier.statements import StatementBuilder
from centrale.core.changes import Batch, StreamedBatch
from centrale.core.clock import shifted
from centrale.core.hqtables import Layout

MAX_QUERY_BYTES = 1 << 20  # one multi-statement query stays well under max_allowed_packet
PACKET_SLACK = 1024  # a query's bytes beyond its text (command byte, multi-statement separators)


class OversizedRowError(Exception):
    """One row's statement is larger than head office's ``max_allowed_packet``: no way to send
    it until head office allows larger packets."""

    def __init__(self, op: Operation, size: int, limit: int) -> None:
        super().__init__(op.table)
        self.op, self.size, self.limit = op, size, limit


PREBUILT_MAX = 256  # large batches built ahead (two outbox reads' worth at most)


def literal_function(conn: pymysql.connections.Connection) -> Callable[[Any], str]:
    """PyMySQL's ``escape``, with str, int and None dispatched first: the same literals at a
    fraction of the cost on the hot path. Backslash escaping is right because the shipper's
    session sets a sql_mode without NO_BACKSLASH_ESCAPES."""
    generic = conn.escape

    def literal(v: Any) -> str:
        t = type(v)
        if t is str:
            return "'" + escape_string(v) + "'"
        if t is int:
            return str(v)
        if v is None:
            return "NULL"
        return str(generic(v))

    return literal


@dataclass(frozen=True)
class Prebuilt:
    """A batch's plan and uploads, built ahead (``RowWriter.prebuild``)."""

    batch: Batch
    ops: list[Operation]
    uploads: list[bytes | None]


class RowWriter:
    """One store's rows into head office's tables, in order, inside the caller's transaction."""

    def __init__(self, store: int, origin_column: str, layout_of: Callable[[str], Layout]) -> None:
        self.store = store
        self.origin = origin_column
        self.builder = StatementBuilder(store, origin_column, layout_of)
        self.bulk = BulkTables(origin_column)
        self._prebuilt: dict[int, Prebuilt] = {}
        self.max_packet: int | None = None  # head office's max_allowed_packet, once connected
        self.clock_shift = 0  # seconds that put the store's modified times on head office's clock

    def statements(self, batch: Batch, conn: pymysql.connections.Connection) -> list[str]:
        """The batch planned and written as SQL text (the fast path's compound statement holds it)."""
        literal = literal_function(conn)
        return [stmt for op in self._on_hq_clock(plan(batch.runs)) for stmt in self.builder.statements(op, literal)]

    def _on_hq_clock(self, ops: list[Operation]) -> list[Operation]:
        """Shared tables' upserts with their modified time moved by the store's clock offset
        (``centrale.core.clock``): head office decides between stores on its own clock. Nothing is
        moved for a store whose clock is right (the usual case: no work at all)."""
        if not self.clock_shift:
            return ops
        out = []
        for op in ops:
            layout = self.builder.layout_of(op.table)
            if op.kind != "upsert" or not layout.shared or layout.modified not in op.columns:
                out.append(op)
                continue
            i = op.columns.index(layout.modified or "")
            rows = tuple((*r[:i], shifted(r[i], self.clock_shift), *r[i + 1 :]) for r in op.rows)
            out.append(Operation(op.table, op.kind, op.columns, rows, op.seqs))
        return out

    def may_upload(self, batch: Batch) -> bool:
        if isinstance(batch, StreamedBatch):  # decided piece by piece, as they are read
            return self.bulk.server_allows is not False
        return self.bulk.server_allows is not False and may_upload_some(batch)

    def prebuild(self, batch: Batch) -> None:
        """The CPU part of a large batch, done ahead: its plan and its uploads. ``write_batch``
        uses them when head office has none of the batch's rows yet (the usual case)."""
        if isinstance(batch, StreamedBatch) or not self.may_upload(batch):
            return  # a streamed batch is built piece by piece while it is sent
        if len(self._prebuilt) >= PREBUILT_MAX:  # batches read ahead, then dropped by a failure
            self._prebuilt.clear()
        ops = plan(batch.runs)
        self._prebuilt[id(batch)] = Prebuilt(batch, ops, [upload_for(op) for op in ops])

    def write_batch(self, conn: pymysql.connections.Connection, batch: Batch, todo: Batch) -> None:
        """Write ``todo``, what head office lacks of ``batch``: a streamed batch a piece's memory at a
        time (still one head-office transaction), a batch planned ahead with its uploads, any other
        planned now."""
        built = self._take(batch)
        if isinstance(todo, StreamedBatch):
            for piece in todo.pieces():
                self.write_operations(conn, plan(piece.runs))
        elif built is not None and todo is batch:
            self.write_operations(conn, built.ops, built.uploads)
        elif len(todo):
            self.write_operations(conn, plan(todo.runs))

    def _take(self, batch: Batch) -> Prebuilt | None:
        built = self._prebuilt.pop(id(batch), None)
        return built if built is not None and built.batch is batch else None

    def forget(self) -> None:
        """What was built ahead is dropped with the read-ahead (a failure, a reconnect)."""
        self._prebuilt.clear()

    def write_operations(
        self,
        conn: pymysql.connections.Connection,
        ops: list[Operation],
        uploads: list[bytes | None] | None = None,
    ) -> None:
        """Send the operations in order: a large one on a plain aggregate table as an upload
        (``uploads`` when built ahead), the others as multi-statement queries of bounded size.
        A failing step names its operation (attached to the exception for the error message)."""
        literal = literal_function(conn)
        chunk: list[tuple[Operation, str]] = []
        size = 0
        with conn.cursor() as cur:
            for i, op in enumerate(self._on_hq_clock(ops)):
                layout = self.builder.layout_of(op.table)
                if _empty_enums(op, layout.enums):
                    _send(cur, chunk)
                    chunk, size = [], 0
                    self._lenient(cur, op, literal)
                    continue
                # A shared table's upserts are guarded by their modified time: never a REPLACE.
                body = None if layout.shared else uploads[i] if uploads is not None else upload_for(op)
                if body is not None and self.bulk.allows(cur, op.table, op.columns):
                    _send(cur, chunk)
                    chunk, size = [], 0
                    self._upload(cur, op, body)
                    continue
                for stmt_op, stmt in self._fitting(op, literal):
                    if size + len(stmt) > self._query_bytes() and chunk:
                        _send(cur, chunk)
                        chunk, size = [], 0
                    chunk.append((stmt_op, stmt))
                    size += len(stmt)
            _send(cur, chunk)

    def _lenient(self, cur: Any, op: Operation, literal: Callable[[Any], str]) -> None:
        """Rows holding an ENUM's error value '' (what a non-strict store stores for a value not in
        the list): head office's strict session refuses it, so these statements run without strict
        mode, and head office's warnings must be exactly one per such value, or the batch fails
        (a warning of any other kind would be a value head office changed)."""
        enums = self.builder.layout_of(op.table).enums
        for part, stmt in self._fitting(op, literal):
            expected = _empty_enums(part, enums)
            try:
                cur.execute(f"SET STATEMENT sql_mode = '{LENIENT_SQL_MODE}' FOR {stmt}")
                cur.execute("SHOW COUNT(*) WARNINGS")
                warned = int(cur.fetchone()[0])
                if warned != expected:
                    cur.execute("SHOW WARNINGS LIMIT 3")
                    seen = "; ".join(str(w[2]) for w in cur.fetchall())
                    raise pymysql.err.DataError(1265, f"{warned} warnings for {expected} empty ENUM values: {seen}")
            except pymysql.err.MySQLError as exc:
                exc.centrale_op = part  # type: ignore[attr-defined]
                raise

    def _query_bytes(self) -> int:
        limit = self.max_packet
        return MAX_QUERY_BYTES if limit is None else max(1, min(MAX_QUERY_BYTES, limit - PACKET_SLACK))

    def _fitting(self, op: Operation, literal: Callable[[Any], str]) -> Iterator[tuple[Operation, str]]:
        """The operation's statements, each within head office's ``max_allowed_packet``: a
        multi-row upsert too large is split in halves; a single row too large is an error that
        names it (``OversizedRowError``)."""
        limit = self.max_packet
        for stmt in self.builder.statements(op, literal):
            if limit is None or len(stmt) * 4 < limit - PACKET_SLACK:
                yield op, stmt
                continue
            size = len(stmt.encode())
            if size < limit - PACKET_SLACK:
                yield op, stmt
            elif len(op) > 1 and op.kind == "upsert":
                half = len(op) // 2
                yield from self._fitting(op.part(0, half), literal)
                yield from self._fitting(op.part(half, len(op)), literal)
                return
            else:
                raise OversizedRowError(op, size, limit)

    def _upload(self, cur: Any, op: Operation, body: bytes) -> None:
        statement = load_statement(op.table, op.columns, self.origin, self.store, self.bulk.number_columns(op.table))
        conn = cur.connection
        try:
            warnings = conn.load_data(cur, statement, body)
        except pymysql.err.MySQLError as exc:
            exc.centrale_op = op  # type: ignore[attr-defined]
            raise
        if warnings:  # strict mode makes bad data an error; anything else is a surprise
            cur.execute("SHOW WARNINGS")
            warning = cur.fetchone()
            self.bulk.forbid(op.table, op.columns, f"head office warned: {warning}")
            raise UploadWarnedError(op.table)


# Head office's session: strict, so a value that does not fit is an error, not a silent change;
# but any date the store's server stored goes as it is: zero dates and zero parts (no NO_ZERO_*
# modes), and days a non-strict store took (ALLOW_INVALID_DATES: 2020-02-31). The lenient mode
# is the same without strictness (``RowWriter._lenient``, checked by its warnings).
SESSION_SQL_MODE = "STRICT_ALL_TABLES,ALLOW_INVALID_DATES,NO_ENGINE_SUBSTITUTION,NO_AUTO_VALUE_ON_ZERO"
LENIENT_SQL_MODE = SESSION_SQL_MODE.removeprefix("STRICT_ALL_TABLES,")


def _empty_enums(op: Operation, enums: frozenset[str]) -> int:
    """How many values of the upserts are '' in an ENUM column (0 at a glance when the stored
    text holds no empty string)."""
    if op.kind != "upsert" or not enums:
        return 0
    idx = [i for i, c in enumerate(op.columns) if c in enums]
    if not idx or (op.stored is not None and not any(b'""' in s for s in op.stored)):
        return 0
    return sum(1 for row in op.rows for i in idx if row[i] == "")


def _send(cur: Any, chunk: list[tuple[Operation, str]]) -> None:
    """One multi-statement query; a failure carries the operation it came from."""
    if not chunk:
        return
    current = chunk[0][0]
    try:
        cur.execute(";\n".join(stmt for _, stmt in chunk))
        for nxt, _ in chunk[1:]:
            current = nxt
            cur.nextset()
    except pymysql.err.MySQLError as exc:
        exc.centrale_op = current  # type: ignore[attr-defined]
        raise
