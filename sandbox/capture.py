"""Capture and shipping driven from a test: ``CdcService.run()`` in a thread from the binlog's
end, and one shipping tick, for tests that look at what the outbox and head office hold."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from applier.service import ApplierService, ShipReport
from centrale.app.site import build_capture, build_shipper
from centrale.core.config import Config
from centrale.core.outbox import OutboxStore


class Capture:
    """``CdcService.run()`` in a thread, capturing from the binlog end at start until closed."""

    def __init__(self, cfg: Config) -> None:
        self.stop = threading.Event()
        self.outbox = OutboxStore(cfg.outbox.path)
        self.service = build_capture(cfg, self.outbox, self.stop, ask_head_office=False)
        self.error: BaseException | None = None
        try:
            self.service.prepare()  # settles the start position before any row is written
        except BaseException:
            self.outbox.close()
            raise
        self.thread = threading.Thread(target=self._run, name="capture", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.service.run()
        except BaseException as exc:  # surfaced in the test's thread
            self.error = exc

    def wait_rows(self, count: int, timeout_s: float = 60.0) -> None:
        """Wait until ``count`` rows in all are in the outbox."""
        deadline = time.monotonic() + timeout_s
        while self.service.stats.rows_captured < count:
            if self.error is not None:
                raise self.error
            assert time.monotonic() < deadline, (
                f"captured {self.service.stats.rows_captured} of {count} rows in {timeout_s}s"
            )
            time.sleep(0.02)
        assert self.service.stats.rows_captured == count

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
        self.outbox.close()
        assert not self.thread.is_alive(), "capture did not stop"
        if self.error is not None:
            raise self.error


@contextmanager
def capturing(cfg: Config) -> Iterator[Capture]:
    cap = Capture(cfg)
    try:
        yield cap
    finally:
        cap.close()


def ship(cfg: Config) -> ShipReport:
    """Drain the outbox to head office, as one tick of `centrale run` would."""
    shipper = build_shipper(cfg)
    with OutboxStore(cfg.outbox.path) as outbox:
        try:
            report = ApplierService(outbox, shipper, cfg.ship.batch_rows, threading.Event()).tick()
        finally:
            shipper.close()
        assert report.error is None, report.error
        assert outbox.stats().backlog == 0
    return report
