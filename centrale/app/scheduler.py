"""Periodic work on APScheduler: the only module that imports it."""

from __future__ import annotations

from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler


class Ticker:
    """Runs callables every N seconds in a background thread; never two runs of one at once."""

    def __init__(self) -> None:
        self._sched = BackgroundScheduler(daemon=True)

    def every(self, seconds: float, fn: Callable[[], object], name: str, *, start_now: bool = True) -> None:
        import datetime as dt

        first = dt.datetime.now() if start_now else None
        self._sched.add_job(
            fn,
            "interval",
            seconds=seconds,
            id=name,
            name=name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            next_run_time=first,
        )

    def start(self) -> None:
        self._sched.start()

    def shutdown(self) -> None:
        if self._sched.running:
            self._sched.shutdown(wait=True)
