"""Store clocks against head office's: shared rows (customers) are decided by their
``modified_column``, a time written by the store's server, so a store whose clock runs ahead
would win every conflict for as long as it is ahead, and one behind would lose its own changes.

The rule: each database holds modified times by its own server's clock, and a time crossing
between a store and head office is shifted by that store's measured offset. Head office thus
compares every store's changes on one clock (its own), and a store compares head office's rows
with its own on the store's clock. The offset is measured at every contact (``server_offset``:
the server's time against this machine's, at the midpoint of the round trip, so the link's
latency cancels out), and applied in whole seconds only beyond ``TOLERANCE_S``: a store whose
clock is right sends its times byte for byte. A store off by more than ``FLAG_S`` is flagged
(doctor, status, head office's console): its sales times are wrong too, and only its clock's
owner can fix that.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pymysql

from centrale.core.errors import UsageError
from centrale.core.i18n import Msg

TOLERANCE_S = 1.5  # measurement noise and ordinary drift: no correction below this
FLAG_S = 60.0  # a clock this far off is flagged


def server_offset(conn: pymysql.connections.Connection) -> float:
    """Seconds by which ``conn``'s server clock is ahead of this machine's."""
    before = time.time()
    with conn.cursor() as cur:
        cur.execute("SELECT UNIX_TIMESTAMP(NOW(6))")
        (now,) = cur.fetchone() or (before,)
    after = time.time()
    return float(now) - (before + after) / 2


def clock_offset(store: pymysql.connections.Connection, hq: pymysql.connections.Connection) -> float:
    """Seconds by which the store's server clock is ahead of head office's."""
    return server_offset(store) - server_offset(hq)


def correction(offset: float | None) -> int:
    """The whole seconds to take from a store's times to put them on head office's clock."""
    if offset is None or abs(offset) < TOLERANCE_S:
        return 0
    return round(offset)


def is_skewed(offset: float | None) -> bool:
    return offset is not None and abs(offset) > FLAG_S


def shifted(value: Any, seconds: int) -> Any:
    """A modified value moved by ``seconds`` (later when positive), in the spelling it came in.
    NULL, zero dates, dates without a time and what is no time at all stay as they are."""
    if not seconds or value is None:
        return value
    if isinstance(value, dt.datetime):
        return value + dt.timedelta(seconds=seconds)
    if not isinstance(value, str) or len(value) < 19:
        return value  # a DATE is not moved by seconds
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return value  # a zero or partial date
    moved = parsed + dt.timedelta(seconds=seconds)
    return moved.isoformat(sep=value[10], timespec="seconds") + value[19:]  # whole seconds: the fraction stays


def parse_day(value: str) -> dt.date:
    """A business day given on a command line or in the console (``--since``, ``--day``):
    YYYY-MM-DD, refused as a usage error otherwise."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(Msg("err.date.bad", value=value), hint=Msg("err.date.bad.hint")) from None
