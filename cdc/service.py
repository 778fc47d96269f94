"""The capture loop: binlog -> translate -> outbox, resumable at every transaction boundary.

Like ghostferry's streamer, it keeps two positions: the last *read* (in memory) and the last
*committed* (the outbox checkpoint). Only the committed one survives a crash, and it always
sits at a transaction end, so a restart never starts mid-transaction and never skips one.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pymysql

from cdc.binlog import check_position_available, end_position
from cdc.reader import BinlogReader, Ddl, Heartbeat, Rotate, Rows, StreamStart, TxnBegin, TxnEnd
from cdc.translate import Translator, UnknownColumnsError
from centrale.catalog import MARKER_TABLE
from centrale.changes import RowChange, SourceTransaction
from centrale.config import Config
from centrale.db import ConnParams, connect, error_code, parse_url
from centrale.errors import OutboxError, PositionLostError, SourceError
from centrale.i18n import Msg
from centrale.log import get_logger
from centrale.outbox import OutboxStore
from centrale.schema import read_tables

log = get_logger("cdc")

CATCH_UP_AGE_S = 2.0  # a transaction older than this means we are catching up: group commits
GROUP_MAX_ROWS = 2000
GROUP_MAX_S = 0.2
CHECKPOINT_ONLY_EVERY_S = 1.0


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

    def __init__(self, cfg: Config, outbox: OutboxStore, stop: threading.Event) -> None:
        self.cfg = cfg
        self.outbox = outbox
        self.stop = stop
        self.params: ConnParams = parse_url(cfg.local.url.get_secret_value())
        self.tables = cfg.catalog.captured
        self.stats = CaptureStats()
        self.translator = Translator(cfg.catalog, {})

    # --- start-up ---------------------------------------------------------------------------

    def _local(self) -> pymysql.connections.Connection:
        try:
            return connect(self.params)
        except pymysql.err.MySQLError as exc:
            raise SourceError(
                Msg("err.local.unreachable", where=self.params.describe(), error=exc.args[-1]),
                hint=Msg("err.local.unreachable.hint"),
            ) from None

    def prepare(self) -> None:
        """Load table definitions and settle the start position (checkpoint or binlog end)."""
        with self._local() as conn:
            defs = read_tables(conn, self.params.database, self.tables)
            self.translator.update_tables(defs)
            cp = self.outbox.checkpoint()
            if cp is None:
                pos = end_position(conn)
                self.outbox.set_checkpoint(pos)
                log.warning(
                    "no checkpoint and no snapshot: capture starts at the current end of the binlog (%s); "
                    "rows written before now are not captured: run `centrale snapshot` to load them",
                    pos,
                )
            else:
                check_position_available(conn, cp.position)
                log.info("capture resumes from checkpoint %s", cp.position)

    def _refresh_tables(self, lenient: set[str] | None = None) -> None:
        with self._local() as conn:
            self.translator.update_tables(read_tables(conn, self.params.database, self.tables), lenient=lenient)

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
        reader = BinlogReader(
            self.params,
            server_id=self.cfg.reader_server_id,
            tables=[*self.tables, MARKER_TABLE],
            start=cp.position,
            heartbeat_s=self.cfg.local.heartbeat_s,
        )
        try:
            self._consume(reader)
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

    def _consume(self, reader: BinlogReader) -> None:
        pending: list[RowChange] | None = None
        gtid: str | None = None
        buffer: list[SourceTransaction] = []
        buffered_rows = 0
        first_buffered_at = 0.0
        latest: SourceTransaction | None = None  # last completed transaction, captured or not
        last_committed_latest: SourceTransaction | None = None
        last_checkpoint_write = time.monotonic()
        started = False

        def flush() -> None:
            nonlocal buffer, buffered_rows, last_committed_latest, last_checkpoint_write
            if latest is None or latest is last_committed_latest:
                return
            if not buffer and last_committed_latest is not None and latest.end == last_committed_latest.end:
                return
            written = self.outbox.append(buffer, checkpoint=latest)
            if self.stats.last_error is not None:
                log.info("capture resumed from its checkpoint (it had stopped: %s)", self.stats.last_error)
                self.stats.last_error = None
            self.stats.rows_captured += written
            self.stats.transactions += len(buffer)
            self.stats.last_commit_at = time.time()
            buffer = []
            buffered_rows = 0
            last_committed_latest = latest
            last_checkpoint_write = time.monotonic()

        received = False  # the current transaction was written by a pull from head office
        for ev in reader:
            if isinstance(ev, Rows):
                if pending is None:
                    pending = []
                if ev.table == MARKER_TABLE:
                    received = True
                    continue
                try:
                    pending.extend(self.translator.translate(ev.kind, ev.table, ev.rows))
                except UnknownColumnsError:
                    self._refresh_tables(lenient={ev.table})
                    pending.extend(self.translator.translate(ev.kind, ev.table, ev.rows))
            elif isinstance(ev, TxnEnd):
                # A transaction that carries the marker came from head office: not sent back.
                changes = () if received else tuple(pending or ())
                txn = SourceTransaction(changes, ev.position, gtid, ev.timestamp)
                pending, gtid, received = None, None, False
                latest = txn
                self.stats.last_source_ts = ev.timestamp
                if txn.changes:
                    if not buffer:
                        first_buffered_at = time.monotonic()
                    buffer.append(txn)
                    buffered_rows += len(txn.changes)
                    catching_up = time.time() - ev.timestamp > CATCH_UP_AGE_S
                    if (
                        not catching_up
                        or buffered_rows >= GROUP_MAX_ROWS
                        or time.monotonic() - first_buffered_at >= GROUP_MAX_S
                    ):
                        flush()
                elif not buffer and time.monotonic() - last_checkpoint_write >= CHECKPOINT_ONLY_EVERY_S:
                    flush()
            elif isinstance(ev, TxnBegin):
                pending, gtid, received = [], ev.gtid, False
            elif isinstance(ev, Ddl):
                pending, gtid = None, None
                latest = SourceTransaction((), ev.position, None, ev.timestamp)
                flush()
                if any(t in ev.query for t in self.tables):
                    log.info("schema change seen in the binlog: %s", ev.query[:200])
                    self._refresh_tables()
            elif isinstance(ev, Rotate):
                if pending is None:
                    latest = SourceTransaction((), ev.position, None, 0)
                    flush()
            elif isinstance(ev, StreamStart):
                if started and pending is not None:
                    # The library reconnected by itself in the middle of a transaction:
                    # keep what is complete and resume from our own checkpoint.
                    log.warning("binlog stream reconnected mid-transaction; resuming from the checkpoint")
                    flush()
                    return
                started = True
            elif isinstance(ev, Heartbeat):
                # Idle at the binlog end: everything before it is complete, so the end itself is
                # a safe resume point (it may follow events that are not transactions).
                if (
                    pending is None
                    and ev.position.pos > 0
                    and (latest is None or ev.position.sort_key > latest.end.sort_key)
                ):
                    latest = SourceTransaction((), ev.position, None, 0)
                flush()
            if self.stop.is_set() and pending is None:
                flush()
                return
