"""A store's capture and shipping run inside the test process, driven step by step."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from applier.service import ApplierService, ShipReport
from applier.shipper import Shipper
from centrale.app.restorecheck import restore_checker
from centrale.app.site import build_capture, build_shipper
from centrale.core.config import Config, load
from centrale.core.db import connect_store
from centrale.core.outbox import OutboxStore


class InProcessStore:
    """Capture in a background thread; ship when the test says so."""

    def __init__(self, config: Path | Config, shipper: Shipper | None = None, batch_rows: int | None = None) -> None:
        self.cfg = config if isinstance(config, Config) else load(config)
        self.stop_event = threading.Event()
        self.capture_box = OutboxStore(self.cfg.outbox.path)
        self.ship_box = OutboxStore(self.cfg.outbox.path, keep_shipped_s=self.cfg.outbox.keep_shipped_s)
        self.cdc = build_capture(self.cfg, self.capture_box, self.stop_event)
        self.shipper = shipper or build_shipper(self.cfg)
        self.applier = ApplierService(
            self.ship_box,
            self.shipper,
            batch_rows or self.cfg.ship.batch_rows,
            threading.Event(),
            check_restored=restore_checker(self.cfg, self.ship_box),
        )
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def start(self) -> InProcessStore:
        self.cdc.prepare()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self.cdc.run()
        except BaseException as exc:
            self.error = exc

    def stop(self) -> None:
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.shipper.close()
        self.capture_box.close()
        self.ship_box.close()

    def __enter__(self) -> InProcessStore:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def captured(self) -> int:
        """Rows captured since start (shipped or not)."""
        return self.cdc.stats.rows_captured

    def wait_for(self, predicate: Callable[[], bool], timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.error is not None:
                raise self.error
            if predicate():
                return
            time.sleep(0.05)
        raise TimeoutError(f"condition not met within {timeout_s}s")

    def wait_caught_up(self, timeout_s: float = 30.0) -> None:
        """Wait until the checkpoint reaches the binlog end as it is now."""
        from cdc.binlog import end_position

        with connect_store(self.cfg.local.params) as conn:
            end = end_position(conn)

        def done() -> bool:
            # Read by the shipping side's connection: capture's own sees its transaction before
            # it commits (the rows are not there yet for anyone else).
            cp = self.ship_box.checkpoint()
            return cp is not None and cp.position.sort_key >= end.sort_key

        self.wait_for(done, timeout_s)

    def ship(self) -> ShipReport:
        return self.applier.tick()

    def drain(self, timeout_s: float = 30.0) -> None:
        """Ship until head office has everything (after a fault has been lifted)."""
        deadline = time.monotonic() + timeout_s
        while self.ship().error is not None or self.ship_box.stats().backlog:
            if time.monotonic() > deadline:
                raise TimeoutError(f"outbox not drained within {timeout_s}s: {self.ship_box.stats().last_error}")
            time.sleep(0.2)

    def sync(self, timeout_s: float = 30.0) -> ShipReport:
        """Capture everything written so far, then ship it all."""
        self.wait_caught_up(timeout_s)
        return self.ship()
