"""Signals -> one stop event, so every loop ends at a clean boundary on SIGTERM or Ctrl-C."""

from __future__ import annotations

import signal
import threading
from types import FrameType


def install_stop_handlers(stop: threading.Event) -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    if hasattr(signal, "SIGBREAK"):  # Windows: Ctrl-Break, what service wrappers send to stop a console program
        signal.signal(signal.SIGBREAK, handler)
