"""The shipping loop: every tick, drain the outbox to head office in whole-transaction batches."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from applier.shipper import Shipper
from centrale.changes import Batch
from centrale.errors import BatchRejectedError, OutboxError, PreflightError, TransientShipError
from centrale.log import get_logger
from centrale.outbox import OutboxStore

log = get_logger("applier")

PREFETCH_BATCHES = 64  # batches read from the outbox at once...
PREFETCH_ROWS = 2000  # ...unless they hold more rows than this (large catch-up batches)
ACK_EVERY_S = 1.0  # forget shipped rows locally at most this often (head office dedupes re-sends)


@dataclass
class ShipReport:
    batches: int = 0
    rows: int = 0
    error: str | None = None
    hint: str | None = None
    held: bool = False


@dataclass(frozen=True)
class CatchUp:
    """Larger batches while the backlog is large (a store back from an outage): the 20-row
    rule keeps head office's transactions short in normal operation, but 1,000,000 rows in
    20-row transactions cost 50,000 commits and round trips. Batches still hold whole source
    transactions, so atomicity and order are the same."""

    after_rows: int
    batch_rows: int


class ApplierService:
    """Ships in batches of at most ``batch_rows`` rows (a larger transaction goes alone, whole);
    with ``catchup``, batches of ``catchup.batch_rows`` while more than ``catchup.after_rows``
    rows wait."""

    def __init__(
        self,
        outbox: OutboxStore,
        shipper: Shipper,
        batch_rows: int,
        stop: threading.Event,
        catchup: CatchUp | None = None,
        *,
        hang_up_between_ticks: bool = False,
    ) -> None:
        self.outbox = outbox
        self.shipper = shipper
        self.batch_rows = batch_rows
        self.stop = stop
        # With ticks tens of seconds apart, a store holding its head-office connection in between
        # would make head office hold one per store: 500 stores exceed MariaDB's default
        # max_connections (151). A reconnect per tick costs far less.
        self.hang_up = hang_up_between_ticks
        self.catchup = catchup if catchup and catchup.batch_rows > batch_rows else None
        self._lock = threading.Lock()
        self._prepared = False
        self._catching_up = False

    def _rows_per_batch(self, waiting: int) -> int:
        """``waiting`` is an upper bound of the rows left (seq numbers can have gaps)."""
        big = self.catchup is not None and waiting > self.catchup.after_rows
        if big != self._catching_up:
            self._catching_up = big
            if big:
                assert self.catchup is not None
                log.info("catching up: up to %d rows waiting, batches of %d rows", waiting, self.catchup.batch_rows)
            else:
                log.info("caught up: batches of %d rows again", self.batch_rows)
        return self.catchup.batch_rows if big and self.catchup else self.batch_rows

    def tick(self, max_batches: int | None = None) -> ShipReport:
        """Ship while there is a backlog (or ``max_batches``); one tick at a time."""
        if not self._lock.acquire(blocking=False):
            return ShipReport()
        try:
            return self._drain(max_batches)
        finally:
            if self.hang_up:
                self.shipper.close()
            self._lock.release()

    def _drain(self, max_batches: int | None) -> ShipReport:
        report = ShipReport()
        acked_seq = shipped_seq = unacked_rows = 0
        last_ack = time.monotonic()
        try:
            if not self._prepared:
                # Head-office tables exist from the first tick on, not only after the first row:
                # a pull of shared data from another store may need them before that.
                self.shipper.prepare()
                self._prepared = True
            synced = self.outbox.sync()
            first = self.outbox.first_seq()
            while not self.stop.is_set() and report.error is None:
                rows_per_batch = self._rows_per_batch(synced - max(shipped_seq, first - 1))
                # Memory holds at most one read's batches, whatever the backlog and the batch size.
                prefetch = max(1, min(PREFETCH_BATCHES, PREFETCH_ROWS // max(1, rows_per_batch)))
                want = prefetch if max_batches is None else min(prefetch, max_batches - report.batches)
                if want <= 0:
                    break
                batches = self.outbox.claim_batches(
                    rows_per_batch, after_seq=shipped_seq, up_to_seq=synced, max_batches=want
                )
                if not batches:
                    newest = self.outbox.sync()
                    if newest == synced:
                        break
                    synced = newest
                    continue
                for batch in batches:
                    if self.stop.is_set() or not self._ship(batch, report):
                        break
                    shipped_seq = batch.last_seq
                    unacked_rows += len(batch)
                    if time.monotonic() - last_ack >= ACK_EVERY_S:
                        self.outbox.ack(shipped_seq, unacked_rows)
                        acked_seq, unacked_rows, last_ack = shipped_seq, 0, time.monotonic()
            if shipped_seq > acked_seq:
                self.outbox.ack(shipped_seq, unacked_rows)
                if report.error is not None:  # the ack cleared the error; this tick's failure still stands
                    self.outbox.record_error(f"{report.error} [{report.hint}]" if report.held else report.error)
        except (TransientShipError, PreflightError) as exc:
            report.error, report.hint = exc.message, exc.hint
            self.outbox.record_error(exc.message)
            log.warning("shipping paused: %s", exc.message)
        except OutboxError as exc:
            report.error = exc.message
            log.error("outbox error while shipping: %s%s", exc.message, f": {exc.hint}" if exc.hint else "")
        if report.batches:
            log.info("shipped %d rows in %d batches", report.rows, report.batches)
        return report

    def _ship(self, batch: Batch, report: ShipReport) -> bool:
        """Ship one batch; on failure record why in the report and the outbox, and say stop."""
        try:
            applied = self.shipper.ship(batch)
        except (TransientShipError, PreflightError) as exc:
            report.error, report.hint = exc.message, exc.hint
            self.outbox.record_error(exc.message)
            log.warning("shipping paused: %s", exc.message)
            return False
        except BatchRejectedError as exc:
            report.error, report.hint, report.held = exc.message, exc.hint, True
            self.outbox.record_error(f"{exc.message} [{exc.hint}]")
            log.error("shipping held: %s; hint: %s", exc.message, exc.hint)
            return False
        report.batches += 1
        report.rows += applied
        return True
