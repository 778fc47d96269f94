"""One dump connection's worth of capture: reader events -> whole transactions -> the outbox.

Like ghostferry's streamer, it keeps two positions: the last *read* (in memory) and the last
*committed* (the outbox checkpoint). Only the committed one survives a crash, and it always
sits at a transaction end, so a restart never starts mid-transaction and never skips one.

Every event is carried or stops capture with ``CaptureStoppedError`` naming the event, its
binlog position, the cause and the fix. Some refusals have a way out the DBA takes: a snapshot
of the table (``centrale snapshot TABLE``) taken after the event holds what the event did, so
the event is passed over once the snapshot's fence lies beyond it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from cdc.assembler import Assembler
from cdc.events import (
    Ddl,
    GtidSeen,
    Heartbeat,
    ReaderEvent,
    Rollback,
    RollbackTo,
    Rotate,
    Rows,
    Savepoint,
    StatementDml,
    StreamStart,
    Truncate,
    TxnBegin,
    TxnEnd,
    Unreadable,
    XaFinish,
    XaPrepare,
)
from cdc.gtids import GtidTrack
from cdc.queries import names_table, table_ddl
from cdc.translate import Translator, UnknownColumnsError
from centrale.core.catalog import Catalog
from centrale.core.changes import BinlogPosition, RowChange, SourceTransaction
from centrale.core.errors import CaptureStoppedError
from centrale.core.i18n import Msg
from centrale.core.log import get_logger
from centrale.core.outbox import OutboxStore

log = get_logger("cdc")

UNNAMED_COLUMN = "UNKNOWN_COL"  # the library's name for a column the event does not name

CATCH_UP_AGE_S = 2.0  # a transaction older than this means we are catching up: group commits
GROUP_MAX_ROWS = 2000
GROUP_MAX_S = 0.2
CHECKPOINT_ONLY_EVERY_S = 1.0


class OutboxSpill:
    """The assembler's spill: the outbox's staging area for the transaction being read."""

    def __init__(self, outbox: OutboxStore) -> None:
        self.outbox = outbox

    def stage(self, changes: list[RowChange], first: int) -> None:
        self.outbox.stage(changes, first)

    def unstage(self, first: int, keep_tables: Iterable[str]) -> int:
        return self.outbox.unstage(first, keep_tables)

    def clear(self) -> None:
        self.outbox.clear_staged()


class Consumer:
    """Consumes one reader (one dump connection) until stop, error or reconnect."""

    def __init__(
        self,
        *,
        catalog: Catalog,
        database: str,
        translator: Translator,
        outbox: OutboxStore,
        refresh_tables: Callable[[set[str] | None], None],
        indirect_writers: Callable[[], set[str]],
        on_commit: Callable[[int, int], None],
        stopping: Callable[[], bool],
        gtids: GtidTrack | None = None,
    ) -> None:
        """``gtids`` carries the server's GTID state from the checkpoint on (``cdc.gtids``)."""
        self.catalog = catalog
        self.gtids = gtids
        self.database = database
        self.tables = catalog.captured
        self.translator = translator
        self.outbox = outbox
        self._refresh = refresh_tables
        self._indirect_writers = indirect_writers
        self._writers: list[str] | None = None  # indirect_writers(), until the next DDL
        self._on_commit = on_commit
        self._stopping = stopping
        outbox.clear_staged()  # a transaction that was being read: it is read again from its start
        self.asm = Assembler(self._translate, self._transactional, OutboxSpill(outbox))
        self.prepared = set(outbox.prepared_xa())
        self.buffer: list[SourceTransaction] = []
        self.buffered_rows = 0
        self.first_buffered_at = 0.0
        self.latest: SourceTransaction | None = None  # last completed transaction, captured or not
        self.committed: SourceTransaction | None = None
        self.last_checkpoint_write = time.monotonic()

    # --- committing ---------------------------------------------------------------------------

    def flush(self) -> None:
        latest = self.latest
        if latest is None or latest is self.committed:
            return
        if not self.buffer and self.committed is not None and latest.end == self.committed.end:
            return
        gtid = self.gtids.record(latest.end) if self.gtids is not None else None
        written = self.outbox.append(self.buffer, checkpoint=latest, gtid=gtid)
        self._on_commit(written, len(self.buffer))
        self.buffer, self.buffered_rows = [], 0
        self.committed = latest
        self.last_checkpoint_write = time.monotonic()

    def _completed(self, txn: SourceTransaction) -> None:
        self.latest = txn
        if txn.changes or txn.staged or txn.xa is not None:  # an XA step changes what is kept aside
            if not self.buffer:
                self.first_buffered_at = time.monotonic()
            self.buffer.append(txn)
            self.buffered_rows += len(txn.changes) + txn.staged
            catching_up = time.time() - txn.timestamp > CATCH_UP_AGE_S
            if (
                not catching_up
                or txn.staged  # its staged rows must be claimed before another transaction stages
                or self.buffered_rows >= GROUP_MAX_ROWS
                or time.monotonic() - self.first_buffered_at >= GROUP_MAX_S
            ):
                self.flush()
        elif not self.buffer and time.monotonic() - self.last_checkpoint_write >= CHECKPOINT_ONLY_EVERY_S:
            self.flush()

    def _boundary(self, position: BinlogPosition, timestamp: int = 0) -> None:
        self.asm.reset()
        self.latest = Assembler.boundary(position, timestamp)
        self.flush()

    # --- the loop -----------------------------------------------------------------------------

    def consume(self, events: Iterable[ReaderEvent]) -> None:
        started = False
        asm = self.asm
        for ev in events:
            if self.gtids is not None:
                self._follow_gtids(ev)
            if isinstance(ev, Rows):
                asm.rows(ev)
            elif isinstance(ev, TxnEnd | Rollback):
                self._completed(asm.end(ev))
            elif isinstance(ev, TxnBegin):
                asm.begin(ev)
            elif isinstance(ev, Savepoint):
                asm.savepoint(ev)
            elif isinstance(ev, RollbackTo):
                asm.rollback_to(ev)
            elif isinstance(ev, XaPrepare):
                self.prepared.add(ev.xid)
                self._completed(asm.end(ev))
            elif isinstance(ev, XaFinish):
                self._xa_finish(ev)
            elif isinstance(ev, StatementDml):
                self._statement(ev)
            elif isinstance(ev, Truncate):
                self._truncate(ev)
            elif isinstance(ev, Ddl):
                self._ddl(ev)
            elif isinstance(ev, Rotate):
                if not asm.open:
                    self._boundary(ev.position)
            elif isinstance(ev, StreamStart):
                if started and asm.open:
                    # The library reconnected by itself in the middle of a transaction:
                    # keep what is complete and resume from our own checkpoint.
                    log.warning("binlog stream reconnected mid-transaction; resuming from the checkpoint")
                    self.flush()
                    return
                started = True
            elif isinstance(ev, Heartbeat):
                # Idle at the binlog end: everything before it is complete, so the end itself is
                # a safe resume point (it may follow events that are not transactions).
                latest = self.latest
                if (
                    not asm.open
                    and ev.position.pos > 0
                    and (latest is None or ev.position.sort_key > latest.end.sort_key)
                ):
                    self.latest = Assembler.boundary(ev.position)
                self.flush()
            elif isinstance(ev, Unreadable):
                self.flush()
                raise CaptureStoppedError(Msg("err.capture.stopped", position=ev.position, what=ev.what), hint=ev.fix)
            if self._stopping() and not asm.open:
                self.flush()
                return

    def _follow_gtids(self, ev: ReaderEvent) -> None:
        """The GTID state moves on at each transaction's end, before the end is committed."""
        assert self.gtids is not None
        if isinstance(ev, GtidSeen) or (isinstance(ev, TxnBegin) and ev.gtid is not None):
            self.gtids.began(ev.gtid)
        elif isinstance(ev, TxnEnd | Rollback | XaPrepare | XaFinish | Ddl | Truncate):
            self.gtids.ended(ev.position, ev.mark)

    # --- what a transaction's events mean ----------------------------------------------------------

    def _transactional(self, table: str) -> bool:
        tdef = self.translator.tables.get(table)
        return tdef.transactional if tdef is not None else True

    def _snapshot_holds(self, tables: Iterable[str], position: BinlogPosition) -> bool:
        """Whether snapshots taken after ``position`` hold every one of ``tables``."""
        fences = self.outbox.fences()
        return all(t in fences and fences[t].sort_key >= position.sort_key for t in tables)

    def _translate(self, ev: Rows) -> list[RowChange]:
        try:
            return self.translator.translate(ev.kind, ev.table, ev.rows, ev.families)
        except UnknownColumnsError:
            pass
        self._refresh({ev.table})  # a column added since the definition was read: follow it
        try:
            return self.translator.translate(ev.kind, ev.table, ev.rows, ev.families)
        except UnknownColumnsError as exc:
            if self._snapshot_holds([ev.table], ev.position):
                return []
            self.flush()
            if _names_no_column(ev.rows):
                raise CaptureStoppedError(  # binlog_row_metadata=MINIMAL: the event names no column
                    Msg("err.capture.no_column_names", table=ev.table, position=ev.position),
                    hint=Msg("err.capture.no_column_names.hint", table=ev.table),
                ) from None
            raise CaptureStoppedError(
                Msg("err.capture.columns", table=ev.table, position=ev.position, columns=", ".join(exc.columns)),
                hint=Msg("err.capture.snapshot_table.hint", table=ev.table),
            ) from None

    def _statement(self, ev: StatementDml) -> None:
        """A change logged as a statement: its rows are not in the binlog. Refused when it names
        a captured table, or an object that may write one (a trigger's table, a view, a stored
        function); passed over when it can touch neither, or a snapshot taken since holds it."""
        if not ev.known:
            if self._snapshot_holds(self.tables, ev.position):
                return
            self.flush()
            raise CaptureStoppedError(
                Msg("err.capture.load_data", position=ev.position), hint=Msg("err.capture.statement_indirect.hint")
            )
        if ev.schema not in (self.database, "") and self.database not in ev.query:
            return
        named = names_table(ev.query, self.tables)
        if named:
            if self._snapshot_holds(named, ev.position):
                return
            self.flush()
            raise CaptureStoppedError(
                Msg("err.capture.statement", tables=", ".join(named), position=ev.position, query=ev.query[:120]),
                hint=Msg("err.capture.statement.hint", tables=" ".join(named)),
            )
        if self._writers is None:  # read once, not at every statement of a STATEMENT-format session
            self._writers = sorted(self._indirect_writers())
        through = names_table(ev.query, self._writers)
        if not through or self._snapshot_holds(self.tables, ev.position):
            return
        self.flush()
        raise CaptureStoppedError(
            Msg(
                "err.capture.statement_indirect", objects=", ".join(through), position=ev.position, query=ev.query[:120]
            ),
            hint=Msg("err.capture.statement_indirect.hint"),
        )

    def _ddl(self, ev: Ddl) -> None:
        """DDL is a transaction of its own. One that puts other rows under a captured table's
        name (RENAME, EXCHANGE PARTITION) stops capture until that table is snapshotted; DROP
        TABLE empties head office's copy like TRUNCATE; any other is followed (the definitions
        are read again)."""
        self._writers = None  # a trigger, view or function may have come or gone
        effect = table_ddl(ev.query)
        mine = (
            [t for schema, t in effect[1] if t in self.tables and (schema or ev.schema) == self.database]
            if effect
            else []
        )
        if effect and mine and effect[0] == "replace" and not self._snapshot_holds(mine, ev.position):
            self.flush()
            raise CaptureStoppedError(
                Msg("err.capture.replaced", tables=", ".join(dict.fromkeys(mine)), position=ev.position),
                hint=Msg("err.capture.replaced.hint", tables=" ".join(dict.fromkeys(mine))),
            )
        if effect and mine and effect[0] == "drop":
            self._emptied(list(dict.fromkeys(mine)), ev.position, ev.timestamp)
        else:
            self._boundary(ev.position, ev.timestamp)
        if names_table(ev.query, self.tables):
            log.info("schema change seen in the binlog at %s: %s", ev.position, ev.query[:200])
            self._refresh(None)

    def _truncate(self, ev: Truncate) -> None:
        if ev.schema not in (self.database, "") or ev.table not in self.tables:
            self._boundary(ev.position, ev.timestamp)
            return
        self._emptied([ev.table], ev.position, ev.timestamp)

    def _emptied(self, tables: list[str], position: BinlogPosition, timestamp: int) -> None:
        """Captured tables emptied at the store (TRUNCATE, DROP TABLE): head office deletes the
        store's rows of those whose deletes it follows (``on_delete = "delete"``); a shared
        table's rows are the chain's, so that stops capture instead."""
        follow = [
            t for t in tables if self.catalog.spec(t).on_delete == "delete" and not self._snapshot_holds([t], position)
        ]
        shared = [t for t in follow if self.catalog.spec(t).kind == "shared"]
        if shared:
            self.flush()
            raise CaptureStoppedError(
                Msg("err.capture.truncate_shared", table=shared[0], position=position),
                hint=Msg("err.capture.truncate_shared.hint", table=shared[0]),
            )
        self.asm.reset()
        if not follow:
            self._boundary(position, timestamp)
            return
        changes = tuple(RowChange(t, "delete", (), ()) for t in follow)
        self._completed(SourceTransaction(changes, position, None, timestamp))

    def _xa_finish(self, ev: XaFinish) -> None:
        if ev.xid in self.prepared:
            self.prepared.discard(ev.xid)
            self._completed(self.asm.xa_finish(ev))
            return
        if not ev.commit or self._snapshot_holds(self.tables, ev.position):
            self._boundary(ev.position, ev.timestamp)  # nothing of it was kept: nothing to drop
            return
        self.flush()
        raise CaptureStoppedError(
            Msg("err.capture.xa_unknown", xid=ev.xid, position=ev.position), hint=Msg("err.capture.xa_unknown.hint")
        )


def _names_no_column(rows: list[dict[str, Any]]) -> bool:
    """Whether a row event carries no column name at all (the library's ``UNKNOWN_COLn`` for each:
    the server wrote ``binlog_row_metadata=MINIMAL``)."""
    first = rows[0] if rows else {}
    names = first.get("values") or first.get("after_values") or first.get("before_values") or {}
    return bool(names) and all(str(n).startswith(UNNAMED_COLUMN) for n in names)
