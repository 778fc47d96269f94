"""The store's actions (the seed's action screen), wired from the rooms for the jobs runner
and the CLI: pulls come from ``jobs``, pushes (re-sends through the outbox) from ``cdc``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace

from cdc.snapshot import push_group, resend_rows
from centrale.core.actions import PULL_GROUPS, PUSH_GROUPS, RECONCILE, SYNC_CUSTOMERS
from centrale.core.config import Config
from centrale.core.i18n import Msg
from centrale.core.outbox import OutboxStore
from centrale.core.outbox.notes import RESTORE_SETTLED
from centrale.core.progress import Report, quiet
from jobs.pull import PullResult, pull_group
from jobs.queue import Job
from jobs.reconcile import DayDiff, reconcile
from jobs.runner import Action
from jobs.verify import TableCheck, verify


def pull(cfg: Config, group: str) -> tuple[int, Msg]:
    result = pull_group(cfg, group)
    return result.rows_moved, result.summary()


def push(cfg: Config, group: str, since: str | None = None) -> tuple[int, Msg]:
    results = push_group(cfg, group, since)
    rows = sum(r.rows for r in results)
    detail = ", ".join(f"{r.table} {r.rows}" for r in results)
    return rows, Msg("out.push.summary", group=group, n=rows, detail=detail)


@dataclass(frozen=True)
class Synced:
    """What `sync customers` did: the rows it sent, then the pull that received the chain's."""

    sent: int
    received: PullResult

    @property
    def rows(self) -> int:
        return self.sent + self.received.rows_moved

    def summary(self) -> Msg:
        return Msg("out.sync.summary", sent=self.sent, summary=self.received.summary())

    def as_dict(self) -> dict[str, object]:
        """For `sync --json`."""
        return {"sent": self.sent, "received": self.received.as_dict()}


def sync_customers(cfg: Config, *, progress: Report = quiet) -> Synced:
    """Send this store's customers, then receive the chain's (newer change wins both ways)."""
    sent = sum(r.rows for r in push_group(cfg, "customers", progress=progress))
    return Synced(sent, pull_group(cfg, "customers", progress=progress))


def reconcile_days(cfg: Config, since: dt.date, until: dt.date, *, resend: bool = True) -> tuple[int, str]:
    """``reconcile_lines`` as one text (a job's summary, in English)."""
    done = reconcile_lines(cfg, since, until, resend=resend)
    rows, lines = done.rows, done.lines
    return rows, "\n".join(str(line) for line in lines)


@dataclass(frozen=True)
class Reconciled:
    """What `reconcile` found and did: the rows re-sent, the lines to show, every difference,
    and how many are left for the operator (those not re-sent: all of them with ``resend``
    off, and days where head office holds more)."""

    rows: int
    lines: list[Msg]
    diffs: list[DayDiff]
    left: int


def reconcile_lines(
    cfg: Config, since: dt.date, until: dt.date, *, resend: bool = True, progress: Report = quiet
) -> Reconciled:
    """Compare per day; re-send each day head office is short of, group by group. ``progress``
    hears the tables compared, then each re-sent day's rows (``push sales 2026-11-20``)."""
    diffs = reconcile(cfg, since, until, progress=progress)
    short = sorted({(d.group, d.day) for d in diffs if d.short_at_hq})
    rows = 0
    if resend:
        for group, day in short:
            of_day = _of_day(progress, day)
            rows += sum(r.rows for r in push_group(cfg, group, day.isoformat(), day=True, progress=of_day))
    lines = [d.describe() for d in diffs]
    last = until - dt.timedelta(days=1)
    head = Msg("out.reconcile.head", since=since, until=last, n=len(diffs))
    if short and resend:
        head = Msg("out.reconcile.head_resent", since=since, until=last, n=len(diffs), days=len(short), rows=rows)
    left = sum(1 for d in diffs if not (resend and d.short_at_hq))
    return Reconciled(rows, [head, *lines], diffs, left)


def _of_day(progress: Report, day: dt.date) -> Report:
    """``progress`` with the day in each task's name: a re-send per day pushes the same tables
    again, and each day's bar or line is its own."""
    return lambda step: progress(replace(step, task=f"{step.task} {day.isoformat()}"))


@dataclass
class Verified:
    """What `centrale verify` found and did: ``settled`` when nothing is left for the operator."""

    settled: bool
    lines: list[Msg]
    tables: list[TableCheck]
    resent: int

    def as_dict(self) -> dict[str, object]:
        return {"settled": self.settled, "rows_resent": self.resent, "tables": [c.as_dict() for c in self.tables]}


def verify_lines(cfg: Config, names: list[str] | None, *, resend: bool, progress: Report = quiet) -> Verified:
    """`centrale verify`: each table's differences with head office, the keys, and with
    ``resend`` the store's rows queued again."""
    lines: list[Msg] = []
    settled = True
    resent = 0
    checks = verify(cfg, names, progress=progress)
    if not names and all(c.equal for c in checks):  # what `status` said of an earlier copy is settled
        with OutboxStore(cfg.outbox.path) as outbox:
            outbox.note(RESTORE_SETTLED, None)
    for c in checks:
        if c.equal:
            lines.append(Msg("out.verify.same", table=c.table, n=len(c.extra)))
            continue
        keys = c.keys_text([*c.missing, *c.different, *(c.extra if c.mirrors_deletes else [])])
        lines.append(
            Msg(
                "out.verify.differs",
                table=c.table,
                missing=len(c.missing),
                different=len(c.different),
                extra=len(c.extra),
                keys=keys,
            )
        )
        gone = c.extra if c.mirrors_deletes else []
        if resend:
            done = resend_rows(cfg, c.table, c.key, [*c.missing, *c.different, *gone], delete_absent=c.mirrors_deletes)
            resent += done.rows + done.deletes
        settled = settled and resend
        if gone and not resend:
            lines.append(Msg("out.verify.extra_fix", table=c.table))
    if resend and resent:
        lines.append(Msg("out.verify.resent", n=resent))
    return Verified(settled, lines, checks, resent)


def store_actions(cfg: Config) -> dict[str, Action]:
    """Every job action this store can run, by name (``centrale.core.actions.ACTIONS``, each once)."""

    def puller(group: str) -> Action:
        return lambda job: pull(cfg, group)

    def pusher(group: str) -> Action:
        return lambda job: push(cfg, group, str(job.params["since"]) if job.params.get("since") else None)

    actions = {f"pull-{g}": puller(g) for g in PULL_GROUPS}
    actions.update({f"push-{g}": pusher(g) for g in PUSH_GROUPS})
    actions[SYNC_CUSTOMERS] = lambda job: _rows_and_summary(sync_customers(cfg))
    actions[RECONCILE] = lambda job: reconcile_days(cfg, *_job_days(job))
    return actions


def _rows_and_summary(synced: Synced) -> tuple[int, Msg]:
    return synced.rows, synced.summary()


def _job_days(job: Job) -> tuple[dt.date, dt.date]:
    """A reconcile job's days: ``since`` (default: the last 7 days) up to today."""
    today = dt.date.today()
    since = job.params.get("since")
    return (dt.date.fromisoformat(str(since)) if since else today - dt.timedelta(days=7)), today + dt.timedelta(days=1)


class LiveActions(Mapping[str, Action]):
    """``store_actions`` of the configuration as it is when each job starts: the console may
    change ``options.receive_prices`` while `run` runs, and the next pull must honour it."""

    def __init__(self, current: Callable[[], Config]) -> None:
        self._current = current

    def __getitem__(self, name: str) -> Action:
        return store_actions(self._current())[name]

    def __iter__(self) -> Iterator[str]:
        return iter(store_actions(self._current()))

    def __len__(self) -> int:
        return len(store_actions(self._current()))
