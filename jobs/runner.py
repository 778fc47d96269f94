"""The store-side jobs runner: claim this store's pending jobs at head office, run them in
creation order, record each outcome there. Part of `centrale run`, on its own interval."""

from __future__ import annotations

import os
import socket
import threading
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pymysql

from centrale.core.db import ConnParams, connect, explain, is_transient
from centrale.core.errors import CentraleError, JobInterruptedError
from centrale.core.i18n import Text
from centrale.core.log import get_logger
from jobs.queue import Job, claim_next, finish, release

log = get_logger("jobs")

# An action returns (rows moved, a one-line summary); it raises CentraleError when it fails.
Action = Callable[[Job], tuple[int, Text]]


@dataclass(frozen=True)
class Outcome:
    job: Job
    status: str
    rows: int
    message: str


class JobsRunner:
    def __init__(
        self,
        hq: ConnParams,
        store: int,
        actions: Mapping[str, Action],
        stop: threading.Event,
        runner_id: str | None = None,
    ) -> None:
        self.hq = hq
        self.store = store
        self.actions = actions
        self.stop = stop
        self.runner_id = runner_id or f"{socket.gethostname()}:{os.getpid()}"
        self._lock = threading.Lock()
        self.last_error: str | None = None

    def tick(self) -> list[Outcome]:
        """Run every pending job of this store, oldest first; head office unreachable: later."""
        if not self._lock.acquire(blocking=False):
            return []
        try:
            return self._run_pending()
        finally:
            self._lock.release()

    def _run_pending(self) -> list[Outcome]:
        outcomes: list[Outcome] = []
        try:
            conn = connect(self.hq, autocommit=False)
        except pymysql.err.MySQLError as exc:
            self.last_error = f"head office unreachable for jobs: {exc.args[-1]}"
            log.warning("%s", self.last_error)
            return outcomes
        try:
            while not self.stop.is_set():
                job = claim_next(conn, self.store, self.runner_id)
                if job is None:
                    break
                outcome = self._run(job)
                conn = self._record(conn, outcome)
                outcomes.append(outcome)
                if outcome.status == "pending":
                    self.last_error = outcome.message
                    return outcomes  # a link went away: the next tick runs it again
            self.last_error = None
        except (pymysql.err.MySQLError, CentraleError) as exc:
            self.last_error = f"jobs: {_describe(exc)}"
            log.warning("%s", self.last_error)
        finally:
            _close_quietly(conn)
        return outcomes

    def _run(self, job: Job) -> Outcome:
        action = self.actions.get(job.action)
        log.info("job %d: %s %s (asked by %s)", job.id, job.action, job.params or "", job.requested_by or "?")
        if action is None:
            return Outcome(job, "failed", 0, f"this store cannot run `{job.action}` (Centrale too old?)")
        try:
            rows, summary = action(job)
        except JobInterruptedError as exc:
            return self._interrupted(job, exc.message)
        except (pymysql.err.MySQLError, OSError) as exc:
            if is_transient(exc):
                return self._interrupted(job, _describe(exc))
            explained = explain(exc)
            if explained is None:
                return self._unexpected(job, exc)
            return self._failed(job, explained.message, explained.hint)
        except CentraleError as exc:
            return self._failed(job, exc.message, exc.hint)
        except Exception as exc:
            return self._unexpected(job, exc)
        log.info("job %d done: %s", job.id, summary)
        return Outcome(job, "done", rows, str(summary))  # head office keeps it in English

    @staticmethod
    def _failed(job: Job, message: str, hint: str | None) -> Outcome:
        """Failed for a reason the store's set-up can fix: recorded at head office with the fix."""
        text = message + (f" (hint: {hint})" if hint else "")
        log.error("job %d failed: %s", job.id, text)
        return Outcome(job, "failed", 0, text)

    @staticmethod
    def _interrupted(job: Job, reason: str) -> Outcome:
        log.warning("job %d interrupted, will run again: %s", job.id, reason)
        return Outcome(job, "pending", 0, f"interrupted, will run again: {reason}")

    @staticmethod
    def _unexpected(job: Job, exc: Exception) -> Outcome:
        """Recorded at head office as failed; the traceback stays in the log."""
        log.error("job %d failed unexpectedly:\n%s", job.id, traceback.format_exc())
        return Outcome(job, "failed", 0, f"unexpected {type(exc).__name__}: {exc}")

    def _record(self, conn: pymysql.connections.Connection, outcome: Outcome) -> pymysql.connections.Connection:
        """Write the outcome at head office, on a fresh connection if the link dropped during a
        long job (another node of a cluster, perhaps); returns the connection that worked."""
        try:
            self._write(conn, outcome)
            return conn
        except pymysql.err.MySQLError:
            _close_quietly(conn)
            again = connect(self.hq, autocommit=False)
            try:
                self._write(again, outcome)
            except BaseException:
                _close_quietly(again)
                raise
            return again

    def _write(self, conn: pymysql.connections.Connection, outcome: Outcome) -> None:
        if outcome.status == "pending":
            release(conn, outcome.job.id, self.runner_id, outcome.message)
        else:
            finish(conn, outcome.job.id, outcome.status, outcome.rows, outcome.message)


def _describe(exc: BaseException) -> str:
    """A one-line account of ``exc``: PyMySQL puts the server's words last, sometimes empty."""
    text = str(exc.args[-1]) if getattr(exc, "args", None) else ""
    return text or type(exc).__name__


def _close_quietly(conn: pymysql.connections.Connection) -> None:
    if conn.open:
        conn.close()
