"""The store's clock against head office's, as the shipper sees it (``centrale.core.clock``): measured
when it connects, then again every ``EVERY_S`` while it ships, so the correction that puts shared
rows' modified times on head office's clock follows a clock that is set right (or drifts) later."""

from __future__ import annotations

import time
from collections.abc import Callable

import pymysql

from centrale.core.clock import correction, server_offset
from centrale.core.log import get_logger

log = get_logger("applier")

EVERY_S = 60.0


class ClockWatch:
    """``store_clock`` gives the store server's offset to this machine (None: not measured)."""

    def __init__(self, store_clock: Callable[[], float] | None) -> None:
        self.store_clock = store_clock
        self.offset: float | None = None  # the store's clock ahead of head office's, in seconds
        self._at: float | None = None

    def measure(self, hq: pymysql.connections.Connection, *, now: bool = False) -> None:
        """Measure again when due (or ``now``: a new connection). A failed measure keeps the last
        one: the store's server was away for a moment, its clock did not move for that."""
        if self.store_clock is None or (not now and self._at is not None and time.monotonic() - self._at < EVERY_S):
            return
        self._at = time.monotonic()
        try:
            measured = self.store_clock() - server_offset(hq)
            hq.commit()
        except (pymysql.err.MySQLError, OSError) as exc:
            log.warning("could not compare the store's clock with head office's: %s", exc)
            return
        if correction(measured) != correction(self.offset):
            log.warning(
                "the store's clock is %+.1f s off head office's: shared rows' modified times are moved by %+d s",
                measured,
                -correction(measured),
            )
        self.offset = measured

    @property
    def shift(self) -> int:
        """Seconds to add to the store's modified times (``centrale.core.clock.correction``)."""
        return -correction(self.offset)
