"""The capture service: binlog -> translate -> outbox, resumable at every transaction boundary.

It settles where to start, opens dump connections (``cdc.reader``) and hands each one to a
``cdc.consume.Consumer``; a local outage or a locked outbox is waited out and resumed from the
checkpoint, a lost position or an event capture cannot carry stops it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import pymysql

from cdc.binlog import binlog_sizes, check_position_available, end_position, holds_position
from cdc.charsets import ServerCharsets
from cdc.consume import Consumer
from cdc.gtids import GtidTrack, here, relocate, work_out
from cdc.reader import BinlogReader, commit_event_at
from cdc.translate import Translator
from centrale.core.catalog import MARKER_TABLE, Catalog
from centrale.core.changes import BinlogPosition, CommitMark, Recorded
from centrale.core.config import LocalSection
from centrale.core.db import ConnParams, connect_store, error_code
from centrale.core.errors import CaptureStoppedError, CentraleError, OutboxError, PositionLostError, SourceError
from centrale.core.i18n import Msg
from centrale.core.log import get_logger
from centrale.core.outbox import OutboxStore
from centrale.core.outbox.notes import BINLOG_REPLACED, RESTORE_CHECK, restore_check
from centrale.core.schema import read_tables
from centrale.core.server import Family, server_of

log = get_logger("cdc")


@dataclass
class CaptureStats:
    """What the capture loop has done since it started, for the process running it (tests,
    benchmarks; the persistent state that `status` shows is in the outbox)."""

    rows_captured: int = 0
    transactions: int = 0
    last_source_ts: int = 0
    last_commit_at: float = 0.0
    running: bool = False
    last_error: str | None = None
    restarts: int = 0


class CdcService:
    """Reads the store's binlog from the outbox checkpoint and appends whole transactions."""

    def __init__(
        self,
        local: LocalSection,
        catalog: Catalog,
        outbox: OutboxStore,
        stop: threading.Event,
        *,
        server_id: int,
        resume_from: Callable[[], Recorded | None] | None = None,
    ) -> None:
        """Capture is given the store's database (``local``), the tables (``catalog``) and the
        replica id its reader announces (``Config.reader_server_id``), not the whole configuration.
        ``resume_from`` says where head office holds this store's binlog up to, for a new outbox
        (``centrale.app.report.recorded_position``: `run` wires it)."""
        self.local = local
        self.catalog = catalog
        self.server_id = server_id
        self.resume_from = resume_from
        self.outbox = outbox
        self.stop = stop
        self.params: ConnParams = local.params
        self.tables = catalog.captured
        self.stats = CaptureStats()
        self.translator = Translator(catalog, {})
        self.charsets = ServerCharsets()
        self.dbms: Family = "mariadb"
        self._stop_noted = bool(outbox.noted("capture_stopped"))
        self._history_checked: BinlogPosition | None = None

    # --- start-up ---------------------------------------------------------------------------

    def _local(self) -> pymysql.connections.Connection:
        return connect_store(self.params)

    def prepare(self) -> None:
        """Load table definitions and settle the start position (checkpoint or binlog end)."""
        with self._local() as conn:
            defs = read_tables(conn, self.params.database, self.tables)
            self.translator.update_tables(defs)
            self._read_server(conn)
            cp = self.outbox.checkpoint()
            resumed = self._ask_head_office() if cp is None and self.resume_from is not None else None
            if cp is None and self.stop.is_set():
                return  # stopped while waiting for head office: nothing decided
            if resumed is not None:
                # A new outbox for a store head office knows: the old one was lost or deleted.
                # Capture resumes where head office holds everything before, if the binlog still has it.
                at = resumed.position
                if not holds_position(conn, at) or not self._same_history(at, resumed.mark):
                    raise PositionLostError(
                        Msg("err.capture.outbox_lost", position=at), hint=Msg("err.capture.outbox_lost.hint")
                    )
                self.outbox.set_checkpoint(at)
                log.warning(
                    "a new outbox for a store head office already holds rows of: capture resumes from %s, "
                    "where head office holds everything before (rows after it are captured again)",
                    at,
                )
            elif cp is None:
                pos = end_position(conn)
                self.outbox.set_checkpoint(pos)
                log.warning(
                    "no checkpoint and no snapshot: capture starts at the current end of the binlog (%s); "
                    "rows written before now are not captured: run `centrale snapshot` to load them",
                    pos,
                )
            else:
                try:
                    check_position_available(conn, cp.position)
                except PositionLostError:
                    if not self._relocate(cp.position):
                        raise
                    return
                self._check_history(cp.position)  # may find it again elsewhere by GTID
                log.info("capture resumes from checkpoint %s", (self.outbox.checkpoint() or cp).position)

    def _same_history(self, at: BinlogPosition, mark: CommitMark | None) -> bool:
        """Whether the event capture recorded as ending at ``at`` is still the one there (no mark:
        a position capture reached between transactions, which cannot be told apart)."""
        if mark is None:
            return True
        found = commit_event_at(self.params, server_id=self.server_id, position=at, mark=mark)
        return found == mark

    def _check_history(self, at: BinlogPosition) -> None:
        """The checkpoint's binlog holds other transactions under the same position (the store's
        database put back from a backup, or its binlog reset, while the outbox was kept): stop,
        and have the next snapshot compare head office's rows before they are replaced."""
        if at == self._history_checked:
            return
        mark = self.outbox.mark_at(at)
        same = self._same_history(at, mark)
        if same and mark is None:
            # Between transactions (an idle binlog's end): the last transaction before says it.
            rec = self.outbox.gtid_state()
            if rec is not None and rec.last_end is not None and rec.last_mark is not None:
                with self._local() as conn:
                    sizes = binlog_sizes(conn)
                end = rec.last_end
                if end.file in sizes:  # else purged since (an idle store): nothing to read it by
                    same = end.pos <= sizes[end.file] and self._same_history(end, rec.last_mark)
        if not same and self._relocate(at):
            return
        if not same:
            self.outbox.note(BINLOG_REPLACED, str(at))
            # Rows captured before (the lost future's, never shipped) go first, then the comparison.
            self.outbox.note(RESTORE_CHECK, restore_check(self.outbox.seqs().issued, f"binlog replaced at {at}"))
            raise PositionLostError(
                Msg("err.capture.binlog_replaced", position=at, mark=mark),
                hint=Msg("err.capture.binlog_replaced.hint"),
            )
        self._history_checked = at

    def _relocate(self, at: BinlogPosition) -> bool:
        """The checkpoint is not in this server's binlog (or another event is there): found again
        by its GTID state when the server holds the same history (a replica promoted, the
        database moved by replication), and the checkpoint moved there (``cdc.gtids``)."""
        rec = self.outbox.gtid_state()
        if rec is None:
            return False
        found = relocate(self.params, server_id=self.server_id, record=rec)
        if found is None:
            return False
        self.outbox.set_checkpoint(found.position, gtid=found)
        self._history_checked = found.position
        log.warning("%s", Msg("log.capture.gtid_relocated", old=at, new=found.position, state=found.state))
        return True

    def _gtid_track(self, at: BinlogPosition) -> GtidTrack:
        """The GTID state to carry from the checkpoint on: the outbox's, or read from the binlog
        once (a checkpoint set by a snapshot, the binlog's end, an older outbox)."""
        rec = self.outbox.gtid_state()
        if rec is None:
            rec = work_out(self.params, server_id=self.server_id, position=at)
            if rec is not None:
                self.outbox.set_gtid_state(rec)
        elif rec.server != (now := here(self.params)):
            # Another server under the same address, holding the checkpoint's transactions at the
            # same positions (``_check_history`` proved it): it is the one read from now on.
            rec = replace(rec, server=now)
            self.outbox.set_gtid_state(rec)
        return GtidTrack(self.dbms, rec)

    def _ask_head_office(self) -> Recorded | None:
        """Where head office holds this store's binlog up to, for a new outbox. Until head office
        answers, capture does not start: starting at the binlog's end would leave out, without a
        word, every sale made since the old outbox's last row (``centrale snapshot`` decides
        otherwise, by giving the outbox a checkpoint)."""
        assert self.resume_from is not None
        wait_s = 1.0
        while True:
            try:
                return self.resume_from()
            except CentraleError as exc:
                log.warning("%s", Msg("log.capture.new_outbox_waits", error=exc.message, wait=round(wait_s)))
                if self.stop.wait(wait_s):
                    return None
                wait_s = min(wait_s * 2, 60.0)

    def _read_server(self, conn: pymysql.connections.Connection) -> None:
        """What the reader needs of the server itself: its family and its character sets."""
        self.charsets = ServerCharsets.load(conn)
        self.dbms = server_of(conn).family

    def _refresh_tables(self, lenient: set[str] | None = None) -> None:
        with self._local() as conn:
            self.translator.update_tables(read_tables(conn, self.params.database, self.tables), lenient=lenient)

    def _indirect_writers(self) -> set[str]:
        """Objects of the store's database through which a statement may write other tables:
        tables with triggers, views, stored functions (a statement-logged change to one of them
        may have changed captured tables without naming them)."""
        with self._local() as conn, conn.cursor() as cur:
            db = self.params.database
            cur.execute("SELECT EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA=%s", (db,))
            found = {str(r[0]) for r in cur.fetchall()}
            cur.execute("SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA=%s", (db,))
            found |= {str(r[0]) for r in cur.fetchall()}
            cur.execute(
                "SELECT ROUTINE_NAME FROM information_schema.ROUTINES "
                "WHERE ROUTINE_SCHEMA=%s AND ROUTINE_TYPE='FUNCTION'",
                (db,),
            )
            return found | {str(r[0]) for r in cur.fetchall()}

    # --- the loop ---------------------------------------------------------------------------

    def run(self) -> None:
        """Capture until ``stop`` is set. Local outages are retried; a lost position stops."""
        self.stats.running = True
        backoff = 0.5
        try:
            while not self.stop.is_set():
                try:
                    self.stream_once()
                    backoff = 0.5
                except PositionLostError:
                    raise
                except CaptureStoppedError as exc:
                    self._note_stop(f"{exc.message} (fix: {exc.hint})" if exc.hint else exc.message)
                    raise
                except SourceError as exc:
                    # The local database restarting: nothing was half-written, so wait and
                    # resume from the checkpoint.
                    backoff = self._backoff_after(backoff)
                    self.stats.last_error = exc.message
                    self.stats.restarts += 1
                    hint = f" ({exc.hint})" if exc.hint else ""
                    log.warning("capture interrupted: %s%s; retrying in %.1fs", exc.message, hint, backoff)
                    self.stop.wait(backoff)
                    backoff = min(backoff * 2, 30.0)
                except OutboxError as exc:
                    # The outbox locked by a long snapshot, its disk full or read-only: the
                    # rows and the checkpoint rolled back together, so the checkpoint still
                    # names the last transaction written; wait and resume from it.
                    backoff = self._backoff_after(backoff)
                    self.stats.last_error = exc.message
                    self.stats.restarts += 1
                    log.error(
                        "capture paused: %s%s (checkpoint %s, next try in %.1fs)",
                        exc.message,
                        f": {exc.hint}" if exc.hint else "",
                        self._checkpoint_text(),
                        backoff,
                    )
                    self.stop.wait(backoff)
                    backoff = min(backoff * 2, 30.0)
        finally:
            self.stats.running = False

    def _backoff_after(self, backoff: float) -> float:
        """The wait before the next try: doubling while the fault lasts, back to 0.5 s once
        capture had resumed since the last one (each store restart is a fault of its own)."""
        return 0.5 if self.stats.last_error is None else backoff

    def _checkpoint_text(self) -> str:
        try:
            cp = self.outbox.checkpoint()
        except Exception:  # the outbox cannot even be read: the message above says why
            return "?"
        return str(cp.position) if cp else "none"

    def stream_once(self) -> None:
        """One dump connection: stream from the checkpoint until stop, error or reconnect."""
        cp = self.outbox.checkpoint()
        if cp is None:
            self.prepare()
            cp = self.outbox.checkpoint()
            assert cp is not None
        else:
            if not self.charsets.collations:
                with self._local() as conn:
                    self._read_server(conn)
            self._check_history(cp.position)  # a new dump connection: the server may have been put back
            cp = self.outbox.checkpoint() or cp  # found again elsewhere by its GTID state
        gtids = self._gtid_track(cp.position)
        reader = BinlogReader(
            self.params,
            server_id=self.server_id,
            tables=[*self.tables, MARKER_TABLE],
            start=cp.position,
            charsets=self.charsets,
            dbms=self.dbms,
            heartbeat_s=self.local.heartbeat_s,
        )
        try:
            self._consume(reader, gtids)
        except pymysql.err.MySQLError as exc:
            code = error_code(exc)
            if code == 1236:
                raise PositionLostError(
                    Msg("err.source.cannot_stream", position=cp.position, error=exc.args[-1]),
                    hint=Msg("err.snapshot.reload.hint"),
                ) from None
            raise SourceError(
                Msg("err.source.stream_failed", where=self.params.describe(), error=exc.args[-1])
            ) from None
        except (OSError, EOFError) as exc:
            raise SourceError(Msg("err.source.stream_broke", where=self.params.describe(), error=exc)) from None
        finally:
            reader.close()

    def _consume(self, reader: BinlogReader, gtids: GtidTrack) -> None:
        Consumer(
            catalog=self.catalog,
            database=self.params.database,
            translator=self.translator,
            outbox=self.outbox,
            refresh_tables=self._refresh_tables,
            indirect_writers=self._indirect_writers,
            on_commit=self._committed,
            stopping=self.stop.is_set,
            gtids=gtids,
        ).consume(reader)

    def _note_stop(self, text: str | None) -> None:
        """Why capture stopped, for `status` (and the console) until it goes on again."""
        try:
            self.outbox.note("capture_stopped", text)
            self._stop_noted = text is not None
        except OutboxError as exc:
            log.error("could not record in the outbox why capture stopped: %s", exc.message)

    def _committed(self, rows: int, transactions: int) -> None:
        if self._stop_noted:
            self._note_stop(None)
        if self.stats.last_error is not None:
            log.info("capture resumed from its checkpoint (it had stopped: %s)", self.stats.last_error)
            self.stats.last_error = None
        self.stats.rows_captured += rows
        self.stats.transactions += transactions
        self.stats.last_commit_at = time.time()
