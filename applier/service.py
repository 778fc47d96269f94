"""The shipping loop: every tick, drain the outbox to head office in whole-transaction batches."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from applier.shipper import Shipper
from centrale.errors import BatchRejectedError, OutboxError, PreflightError, TransientShipError
from centrale.log import get_logger
from centrale.outbox import OutboxStore

log = get_logger("applier")


@dataclass
class ShipReport:
    batches: int = 0
    rows: int = 0
    error: str | None = None
    held: bool = False


class ApplierService:
    """Ships in batches of at most ``batch_rows`` rows (a larger transaction goes alone, whole)."""

    def __init__(self, outbox: OutboxStore, shipper: Shipper, batch_rows: int, stop: threading.Event) -> None:
        self.outbox = outbox
        self.shipper = shipper
        self.batch_rows = batch_rows
        self.stop = stop
        self._lock = threading.Lock()
        self.last_report = ShipReport()
        self.last_tick_at = 0.0

    def tick(self, max_batches: int | None = None) -> ShipReport:
        """Ship while there is a backlog (or ``max_batches``); one tick at a time."""
        if not self._lock.acquire(blocking=False):
            return ShipReport()
        try:
            report = self._drain(max_batches)
            self.last_report = report
            self.last_tick_at = time.time()
            return report
        finally:
            self._lock.release()

    def _drain(self, max_batches: int | None) -> ShipReport:
        report = ShipReport()
        try:
            synced = self.outbox.sync()
            while not self.stop.is_set():
                if max_batches is not None and report.batches >= max_batches:
                    break
                batch = self.outbox.claim_batch(self.batch_rows, up_to_seq=synced)
                if batch is None:
                    newest = self.outbox.sync()
                    if newest == synced:
                        break
                    synced = newest
                    continue
                try:
                    applied = self.shipper.ship(batch)
                except (TransientShipError, PreflightError) as exc:
                    report.error = exc.message
                    self.outbox.record_error(exc.message)
                    log.warning("shipping paused: %s", exc.message)
                    break
                except BatchRejectedError as exc:
                    report.error, report.held = exc.message, True
                    self.outbox.record_error(f"{exc.message} [{exc.hint}]")
                    log.error("shipping held: %s; hint: %s", exc.message, exc.hint)
                    break
                self.outbox.ack(batch.last_seq, len(batch))
                report.batches += 1
                report.rows += applied
        except OutboxError as exc:
            report.error = exc.message
            log.error("outbox error while shipping: %s", exc.message)
        if report.batches:
            log.info("shipped %d rows in %d batches", report.rows, report.batches)
        return report
