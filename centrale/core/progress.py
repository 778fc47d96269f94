"""Progress of long work (a snapshot of 500,000 rows, an outbox replay after an outage, a pull),
said by the rooms as they go and shown by the face: a bar with rate and time left on a terminal,
a line in the day's log now and then otherwise, JSON lines for scripts (centrale/app/cli/progress.py).

The rooms only call a ``Report`` with each ``Step``; they never know how it is shown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Step:
    """``done`` of ``total`` rows of ``task`` (``total`` None when not known beforehand, or an
    estimate the work may pass: the server's row count of a table). ``unit`` names what is
    counted when rows are not: `reconcile` and `verify` count tables, their rows being summed or
    hashed by the servers, out of sight."""

    task: str
    done: int
    total: int | None = None
    finished: bool = False
    unit: str = "rows"


Report = Callable[[Step], None]


def quiet(step: Step) -> None:
    """No one is watching: library calls, the jobs runner, `run`'s ticks."""
