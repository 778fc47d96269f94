"""The store page's action buttons: each runs a store action (``centrale/app/actions.py``) in a
worker thread, one at a time in the order asked, as the jobs runner would; the page polls
their progress. Kept in memory: the day's log file is the lasting record."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
import traceback
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from centrale.core.actions import ACTIONS
from centrale.core.errors import CentraleError, UsageError
from centrale.core.i18n import Msg
from centrale.core.log import get_logger
from jobs.queue import Job
from jobs.runner import Action

log = get_logger("console")
KEEP = 20  # finished tasks shown


@dataclass(frozen=True)
class Task:
    id: int
    action: str
    status: str  # queued, running, done, failed
    queued_at: float
    started_at: float | None = None
    finished_at: float | None = None
    rows: int = 0
    summary: str = ""

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    @property
    def elapsed_s(self) -> float:
        end = self.finished_at or time.time()
        return round(end - (self.started_at or end), 1)


class ActionRunner:
    """Runs actions by name; ``submit`` refuses a name ``actions`` lacks."""

    def __init__(self, store: int, actions: Mapping[str, Action]) -> None:
        self.store = store
        self.actions = actions
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="console-action")
        self._tasks: dict[int, Task] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def submit(self, action: str) -> Task:
        if action not in ACTIONS or action not in self.actions:
            raise UsageError(
                Msg("err.jobs.unknown_action", action=action), hint=Msg("err.choose", among=", ".join(ACTIONS))
            )
        task = Task(next(self._ids), action, "queued", time.time())
        self._put(task)
        self._pool.submit(self._run, task)
        return task

    def tasks(self) -> list[Task]:
        """Newest first."""
        with self._lock:
            return sorted(self._tasks.values(), key=lambda t: -t.id)

    def get(self, task_id: int) -> Task | None:
        with self._lock:
            return self._tasks.get(task_id)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _put(self, task: Task) -> None:
        with self._lock:
            self._tasks[task.id] = task
            for old in sorted(t.id for t in self._tasks.values() if t.finished)[:-KEEP]:
                del self._tasks[old]

    def _run(self, task: Task) -> None:
        task = replace(task, status="running", started_at=time.time())
        self._put(task)
        log.info("console: %s started", task.action)
        try:
            rows, said = self.actions[task.action](self._job(task))
            summary = str(said)
        except CentraleError as exc:
            message = exc.message + (f" (hint: {exc.hint})" if exc.hint else "")
            log.error("console: %s failed: %s", task.action, message)
            self._put(replace(task, status="failed", finished_at=time.time(), summary=message))
            return
        except Exception as exc:  # the traceback goes to the log, the page gets one line
            log.error("console: %s failed unexpectedly:\n%s", task.action, traceback.format_exc())
            message = f"unexpected {type(exc).__name__}: {exc}"
            self._put(replace(task, status="failed", finished_at=time.time(), summary=message))
            return
        log.info("console: %s done: %s", task.action, summary.splitlines()[0] if summary else "")
        self._put(replace(task, status="done", finished_at=time.time(), rows=rows, summary=summary))

    def _job(self, task: Task) -> Job:
        """Actions take a head-office job; a button's is a local one with no parameters."""
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        return Job(task.id, self.store, task.action, {}, "console", now, now, now, None, "running", "console", 0, "")
