"""The head-office shipper: applies batches to the head-office MariaDB, exactly once.

Each batch is one head-office transaction: lock this store's progress row, skip rows at or
below its ``last_seq``, apply the rest (``applier.writer``: multi-row upserts and deletes, or
uploads in a catch-up), move ``last_seq``, commit.
Aggregate tables carry the originating store number in ``origin_store`` (configurable), first
column of their primary key, so two stores' identical auto-increment ids never collide.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable
from typing import Any

import pymysql
from pymysql.constants import CLIENT

from applier.bulk import UPLOAD_REFUSED, UploadWarnedError
from applier.clockwatch import ClockWatch
from applier.progress import Applied, advance_and_commit, behind, guarded_advance_sql, has_mark, lock, read_applied
from applier.rejections import COLUMN_MISSING, dropped_column, oversized, rejected
from applier.upload import UploadConnection
from applier.writer import MAX_QUERY_BYTES, SESSION_SQL_MODE, OversizedRowError, RowWriter
from centrale.core.catalog import Catalog
from centrale.core.changes import Batch, StreamedBatch
from centrale.core.db import TRANSIENT_CODES, ConnParams, connect, connection_hint, error_code
from centrale.core.errors import BatchRejectedError, PreflightError, TransientShipError
from centrale.core.hqidentity import read_account_store, read_hq_store
from centrale.core.hqtables import Layout, add_missing_columns, create_missing_tables, layout_for
from centrale.core.i18n import Msg
from centrale.core.log import get_logger
from centrale.core.schema import TableDef

log = get_logger("applier")

TABLE_MISSING = 1146
CONFLICT_CODES = frozenset({1205, 1213})
CONFLICT_TRIES = 4
NOT_ALLOWED = frozenset({1044, 1142, 1143, 1347})  # privilege, or a view where a table was expected

# Foreign keys off: head office copies rows the store's own constraints already passed, in the
# store's order per table (a batch groups by table), and a head office that adopted its own POS
# tables (``hq init --adopt``) may have keys between them that this order would trip.
SESSION_SQL = f"SET SESSION time_zone = '+00:00', sql_mode = '{SESSION_SQL_MODE}', foreign_key_checks = 0"


class HeadOfficeShipper:
    """Ships to head office. ``store_tables`` returns the store's own table definitions."""

    def __init__(
        self,
        params: ConnParams,
        *,
        store: int,
        store_name: str,
        hq_store: int,
        origin_column: str,
        tables: list[str],
        catalog: Catalog,
        store_tables: Callable[[list[str]], dict[str, TableDef]],
        store_clock: Callable[[], float] | None = None,
    ) -> None:
        self.params = params
        self.store = store
        self.store_name = store_name
        self.hq_store = hq_store
        self.origin = origin_column
        self.tables = tables
        self.catalog = catalog
        self._layouts: dict[str, Layout] = {}
        self._writer = RowWriter(store, origin_column, self.layout)
        self.store_tables = store_tables
        self._conn: pymysql.connections.Connection | None = None
        self._checked = False
        self._has_mark: bool | None = None  # head office's progress has ``last_mark`` (applier.progress)
        self._known_generations: set[str] = set()
        self._fast_path = True
        self.clock = ClockWatch(store_clock)  # shared rows' modified times go on head office's clock

    # --- connection -------------------------------------------------------------------------

    def _connection(self) -> pymysql.connections.Connection:
        if self._conn is None:
            try:
                conn = connect(
                    self.params, autocommit=False, factory=UploadConnection, client_flag=CLIENT.MULTI_STATEMENTS
                )
                with conn.cursor() as cur:
                    cur.execute(SESSION_SQL)
                    cur.execute("SELECT @@max_allowed_packet")
                    row = cur.fetchone()
                    self._writer.max_packet = int(row[0]) if row else None
            except (pymysql.err.MySQLError, OSError) as exc:
                raise self._transient(exc) from None
            self.clock.measure(conn, now=True)
            if self.params.alternates:  # a cluster: reconnect here first next time
                self.params = self.params.starting_at(conn.host, conn.port)
            self._conn = conn
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None

    def _transient(self, exc: BaseException) -> TransientShipError:
        detail = exc.args[-1] if getattr(exc, "args", None) else str(exc)
        if error_code(exc) == 1045:
            return TransientShipError(
                Msg("err.ship.login", where=self.params.describe(), error=detail), hint=Msg("err.ship.login.hint")
            )
        if error_code(exc) in CONFLICT_CODES:
            return TransientShipError(
                Msg("err.ship.conflict", where=self.params.describe(), error=detail),
                hint=Msg("err.ship.conflict.hint"),
            )
        hint = connection_hint(exc)
        if hint.key == "err.db.hint.unreachable":
            hint = Msg("err.ship.unreachable.hint")
        return TransientShipError(Msg("err.ship.unreachable", where=self.params.describe(), error=detail), hint=hint)

    def _drop(self) -> None:
        self._writer.forget()
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.rollback()
        self.close()

    # --- preparation ------------------------------------------------------------------------

    def prepare(self) -> None:
        """Check head office is ours (same number) and create missing aggregate tables."""
        conn = self._connection()
        try:
            number = read_hq_store(conn)
            if number is None:
                raise PreflightError(
                    Msg("err.hq.remote_not_initialised", where=self.params.describe()),
                    hint=Msg("err.hq.remote_not_initialised.hint"),
                )
            if number != self.hq_store:
                raise PreflightError(
                    Msg("err.ship.wrong_hq", where=self.params.describe(), number=number, expected=self.hq_store),
                    hint=Msg("err.hq.wrong_hq.hint"),
                )
            with conn.cursor() as cur:
                self._check_account(cur)
                self._create_missing_tables(cur)
                self._has_mark = has_mark(cur)
            conn.commit()
            self._checked = True
        except pymysql.err.MySQLError as exc:
            self._drop()
            if error_code(exc) in TRANSIENT_CODES or isinstance(exc, pymysql.err.OperationalError):
                raise self._transient(exc) from None
            raise PreflightError(Msg("err.ship.check_failed", error=exc.args[-1])) from None

    def _check_account(self, cur: Any) -> None:
        """A per-store account (``hq add-store``) must be this store's: head office would refuse
        every row of another store number anyway, so say it before the first batch."""
        owner = read_account_store(cur.connection)
        if owner is not None and owner != self.store:
            raise PreflightError(
                Msg("err.hq.account_of_other", user=self.params.user, owner=owner, store=self.store),
                hint=Msg("err.hq.account_of_other.hint", store=self.store),
            )

    def _create_missing_tables(self, cur: Any) -> None:
        wanted = {t: self.catalog.spec(t) for t in self.tables}
        try:
            created = create_missing_tables(
                cur.connection, self.params.database, wanted, self.store_tables, self.origin
            )
        except pymysql.err.MySQLError as exc:
            if error_code(exc) in NOT_ALLOWED:
                raise PreflightError(
                    Msg("err.ship.cannot_create", user=self.params.user), hint=Msg("err.ship.cannot_create.hint")
                ) from None
            raise
        for table in created:
            log.info("created table %s at head office from this store's definition", table)

    def _add_missing_columns(self) -> bool:
        """A POS upgrade added columns at the store: add them at head office when this account
        may (an administrator's); a per-store account may not, and the batch is held instead."""
        conn = self._connection()
        wanted = {t: self.catalog.spec(t) for t in self.tables}
        try:
            added = add_missing_columns(conn, self.params.database, wanted, self.store_tables)
            conn.commit()
        except pymysql.err.MySQLError as exc:
            self._drop()
            if error_code(exc) in NOT_ALLOWED:
                return False
            raise
        for name in added:
            log.warning("added column %s at head office, from this store's definition (schema drift)", name)
        return bool(added)

    def _leave_out_dropped(self, exc: pymysql.err.MySQLError) -> bool:
        """Rows captured before the store dropped a column that head office never had go
        without it (``applier.rejections.dropped_column``)."""
        found = dropped_column(exc, self.store_tables)
        if found is None:
            return False
        table, column = found
        layout = self.layout(table)
        self._layouts[table] = dataclasses.replace(layout, local=layout.local | {column})
        self._writer.builder.forget()
        log.warning(
            "column %s.%s is in rows captured before the store dropped it, and head office never had it: "
            "those rows go to head office without it",
            table,
            column,
        )
        return True

    def layout(self, table: str) -> Layout:
        """How head office holds a table: per store (aggregate) or one chain-wide row (shared)."""
        got = self._layouts.get(table)
        if got is None:
            spec = self.catalog.spec(table)
            got = layout_for(table, spec, self.store_tables([table]).get(table))
            self._layouts[table] = got
        return got

    # --- shipping ---------------------------------------------------------------------------

    def last_applied(self, generation: str) -> int:
        return self.last_applied_mark(generation).seq

    def last_applied_mark(self, generation: str) -> Applied:
        """How far head office holds this generation, and which row it holds last (``applier.progress``)."""
        conn = self._connection()
        try:
            with conn.cursor() as cur:
                if self._has_mark is None:
                    self._has_mark = has_mark(cur)
                applied = read_applied(cur, self.store, generation, mark=self._has_mark)
            conn.commit()
        except pymysql.err.MySQLError as exc:
            self._drop()
            raise self._transient(exc) from None
        return applied

    def ship(self, batch: Batch) -> int:
        if not self._checked:
            self.prepare()
        self.clock.measure(self._connection())
        self._writer.clock_shift = self.clock.shift
        for attempt in range(1, CONFLICT_TRIES + 1):
            try:
                return self._ship_once(batch)
            except pymysql.err.MySQLError as exc:
                code = error_code(exc)
                self._drop()
                if code == TABLE_MISSING and attempt == 1:
                    self.prepare()
                    continue
                if code == COLUMN_MISSING and attempt == 1 and self._add_missing_columns():
                    continue
                if code == COLUMN_MISSING and self._leave_out_dropped(exc):
                    continue
                if code in UPLOAD_REFUSED and self._writer.bulk.server_allows is not False:
                    self._writer.bulk.disable(f"head office refused it: {exc.args[-1]}")
                    continue
                if code in CONFLICT_CODES and attempt < CONFLICT_TRIES:
                    # A deadlock, a lock wait, a Galera certification conflict: the transaction
                    # was rolled back whole; sending it again at once is the documented cure.
                    time.sleep(0.05 * attempt)
                    continue
                if code in TRANSIENT_CODES or code is None or isinstance(exc, pymysql.err.InterfaceError):
                    raise self._transient(exc) from None
                raise self._rejected(batch, exc) from None
            except UploadWarnedError:
                self._drop()  # rolled back whole; the table now goes as upserts
                continue
            except OversizedRowError as exc:
                self._drop()
                raise oversized(exc) from None
            except (TimeoutError, OSError) as exc:
                self._drop()
                raise self._transient(exc) from None
        raise AssertionError("unreachable")

    def _rejected(self, batch: Batch, exc: pymysql.err.MySQLError) -> BatchRejectedError:
        """Head office refused a row: named with its key; the batch's transactions before that
        row's go all the same (order holds back only what follows it)."""
        failure = rejected(batch, exc, self.origin, lambda table: self.layout(table).key)
        head = None if failure.seq is None or isinstance(batch, StreamedBatch) else batch.before_txn_of(failure.seq)
        if head is not None:
            try:
                self._ship_careful(self._connection(), head)
                failure.applied_up_to, failure.applied_rows = head.last_seq, len(head)
            except (pymysql.err.MySQLError, TransientShipError, OSError):
                self._drop()  # the refusal stands for the whole batch
        return failure

    def _ship_once(self, batch: Batch) -> int:
        """Fast path when this generation is known at head office, else (or if it declines) careful."""
        conn = self._connection()
        # A catch-up batch large enough for uploads goes the careful way: a few round trips more
        # are nothing beside its rows, and an upload cannot run inside a compound statement.
        may_upload = self._writer.may_upload(batch)
        streamed = isinstance(batch, StreamedBatch)
        fast = batch.generation in self._known_generations and self._fast_path and not may_upload and not streamed
        if fast and self._ship_fast(conn, batch):
            return len(batch)
        return self._ship_careful(conn, batch)

    def _ship_fast(self, conn: pymysql.connections.Connection, batch: Batch) -> bool:
        """One round trip: a compound statement that moves ``last_seq`` only if head office has
        none of these rows yet and, if so, applies them; then COMMIT. Declines (returns False,
        nothing applied) when the guard does not match, the batch is too big for one query, or
        head office refused a row (the careful path then names it precisely)."""
        statements = self._writer.statements(batch, conn)
        if sum(len(x) for x in statements) > MAX_QUERY_BYTES:
            return False
        guard = guarded_advance_sql(conn, self.store, batch, mark=bool(self._has_mark))
        body = ";\n".join(statements)
        sql = (
            f"BEGIN NOT ATOMIC\n{guard};\nIF ROW_COUNT() = 1 THEN\n{body};\nSELECT 1;\n"
            "ELSE\nSELECT 0;\nEND IF;\nEND;\nCOMMIT"
        )
        with conn.cursor() as cur:
            try:
                cur.execute(sql)
                applied = cur.fetchone()
                while cur.nextset():
                    pass
            except pymysql.err.ProgrammingError as exc:
                conn.rollback()
                if error_code(exc) == 1064:  # no compound statements (not MariaDB): careful path only
                    log.info("head office does not take compound statements; using one statement per step")
                    self._fast_path = False
                    return False
                raise
            except (pymysql.err.DataError, pymysql.err.IntegrityError, pymysql.err.InternalError):
                conn.rollback()
                return False
        if applied and applied[0] == 1:
            return True
        conn.rollback()
        return False

    def _ship_careful(self, conn: pymysql.connections.Connection, batch: Batch) -> int:
        """Lock this store's progress row, skip what head office already has, apply the rest.
        The bookkeeping takes two round trips (each is a link's latency, and a catch-up goes
        this way), around the rows' own."""
        with conn.cursor() as cur:
            last = lock(cur, self.store, self.store_name, batch.generation)
            gap = behind(self.store, last, batch)
            if gap is not None:
                conn.rollback()
                raise gap
            todo = batch.after(last)
            self._writer.write_batch(conn, batch, todo)
            marked = bool(self._has_mark) and last < batch.last_seq
            advance_and_commit(cur, self.store, self.store_name, batch, len(todo), mark=marked)
        self._known_generations.add(batch.generation)
        return len(todo)

    def prebuild(self, batch: Batch) -> None:
        """A large batch's plan and uploads, built ahead by the thread that reads the outbox
        while head office applies the previous batch (``applier.writer``)."""
        self._writer.prebuild(batch)
