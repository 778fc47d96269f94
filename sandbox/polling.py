"""Waiting for a state of the servers, never for a time: tests poll until a predicate holds, and
fail naming what never happened (a bound against hanging, not a timing assertion)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_until(predicate: Callable[[], object], what: str, timeout_s: float = 60.0, every_s: float = 0.05) -> Any:
    """``predicate``'s first truthy value; AssertionError naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = predicate()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened within {timeout_s:g} s: {what}")
        time.sleep(every_s)
