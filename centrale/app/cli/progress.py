"""How long work shows its progress (``centrale.core.progress``): a rich bar with the rate and
the time left when stderr is a terminal; otherwise a line in the day's log every
``LOG_EVERY_S`` (a service, cron, a pipe); with ``--json``, one JSON line per second on stdout
for scripts. Only the face prints, so the rooms report ``Step`` values to one of these."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from centrale.core.codec import dumps_compact
from centrale.core.log import get_logger
from centrale.core.progress import Report, Step

LOG_EVERY_S = 10.0
JSON_EVERY_S = 1.0
MIN_RATE_S = 0.5

log = get_logger("progress")


def per_second(done: int, elapsed: float) -> float:
    """A rate worth reading: whole numbers from ten a second up, one decimal below (a verify
    of two tables a minute would otherwise say "0 tables/s")."""
    rate = done / elapsed
    return round(rate) if rate >= 10 else round(rate, 1)


class _Bar:
    def __init__(self) -> None:
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=Console(file=sys.stderr),
            transient=False,
        )
        self.tasks: dict[str, TaskID] = {}
        self.started: dict[str, float] = {}

    def __call__(self, step: Step) -> None:
        if step.task not in self.tasks:
            self.tasks[step.task] = self.bar.add_task(step.task, total=step.total, rate="")
            self.started[step.task] = time.monotonic()
        elapsed = max(time.monotonic() - self.started[step.task], 1e-6)
        rate = f"{per_second(step.done, elapsed):,} {step.unit}/s"
        self.bar.update(self.tasks[step.task], completed=step.done, total=step.total, rate=rate)


class _Lines:
    """A log line now and then, and one when a task finishes; JSON lines on stdout with ``as_json``."""

    def __init__(self, *, as_json: bool) -> None:
        self.as_json = as_json
        self.every = JSON_EVERY_S if as_json else LOG_EVERY_S
        self.started: dict[str, float] = {}
        self.last: dict[str, float] = {}

    def __call__(self, step: Step) -> None:
        now = time.monotonic()
        started = self.started.setdefault(step.task, now)
        if not step.finished and now - self.last.get(step.task, started) < self.every:
            return
        self.last[step.task] = now
        elapsed = now - started
        rate = per_second(step.done, elapsed) if elapsed >= MIN_RATE_S else None  # none yet from one instant
        if self.as_json:
            line = {"progress": step.task, "done": step.done, "total": step.total, f"{step.unit}_per_s": rate}
            typer.echo(dumps_compact({**line, "finished": step.finished}))
            return
        of = f" of {step.total}" if step.total is not None else ""
        speed = f" ({rate} {step.unit}/s)" if rate is not None else ""
        log.info("%s: %d%s %s%s%s", step.task, step.done, of, step.unit, speed, ", done" if step.finished else "")


@contextmanager
def progress_shown(*, as_json: bool = False) -> Iterator[Report]:
    """The ``Report`` for this command line: see the module's docstring."""
    if as_json or not sys.stderr.isatty():
        yield _Lines(as_json=as_json)
        return
    shown = _Bar()
    with shown.bar:
        yield shown
