"""The check `run` makes when its outbox turns out to be an earlier copy (put back from a
backup, or copied to a second till), before the outbox's rows ship again as a new generation.

An outbox is seldom put back alone: last night's image of a store PC brings back the store's
database with it. Head office then holds rows of a future the store lost (the sales made after
the copy), and the store, selling again, reuses their numbers (auto-increments carry on from the
copy): the new generation's rows would overwrite them at head office without a trace. So, before
anything ships, every aggregate table is compared with head office's rows of this store
(``jobs.verify``, chunked hashes):

- head office's version of each row that differs is saved, one JSON line per row with what
  becomes of it, in ``displaced-<store>-<UTC time>.jsonl`` beside the outbox: "replaced" (held
  differently: the store's row replaces it), "deleted" (held by head office alone in a table
  that mirrors the store's deletes), "alone" (held alone in a table that keeps history);
- the store's current rows are queued again, with deletes for keys the store no longer has where
  head office mirrors deletes (``cdc.snapshot.resend_rows``): those tables end equal to the store;
- rows head office holds alone in tables that keep history (sales) are left there (a store account
  may not delete them, and they may be history the store purged long ago), and counted; a row the
  store writes later under the same key (the next ticket takes the next lost ticket's number)
  replaces it there, so the file is the lasting copy of the lost future's tickets, for the
  integrator to enter again.

When only the outbox file was put back (the database is intact), the comparison finds only what
was sold since `run` stopped, and the rows queued again change nothing at head office.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cdc.snapshot import resend_rows
from centrale.core.codec import json_line
from centrale.core.config import Config
from centrale.core.db import connect, hq_params, quote_ident
from centrale.core.i18n import Msg
from centrale.core.keyed import select_by_keys
from centrale.core.log import get_logger
from centrale.core.outbox import OutboxStore
from centrale.core.outbox.notes import RESTORE_SETTLED
from jobs.verify import TableCheck, verify

log = get_logger("restore")


@dataclass
class Settled:
    """What the check did: rows saved and replaced, rows head office keeps alone, per table."""

    archive: Path | None = None
    replaced: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)
    resent: int = 0
    shown: dict[str, str] = field(default_factory=dict)  # table -> the first keys, for the log

    def summary(self, at: dt.datetime) -> Msg:
        return Msg(
            "out.restore.summary",
            at=f"{at:%Y-%m-%d %H:%M} UTC",
            replaced=sum(self.replaced.values()),
            kept=sum(self.kept.values()),
            path=self.archive or "-",
        )

    def lines(self) -> list[Msg]:
        out = [Msg("out.restore.table", table=t, n=n, keys=self.shown.get(t, "")) for t, n in self.replaced.items()]
        out += [Msg("out.restore.kept", table=t, n=n) for t, n in self.kept.items()]
        out.append(
            Msg("out.restore.saved", n=sum(self.replaced.values()) + sum(self.kept.values()), path=self.archive)
            if self.archive
            else Msg("out.restore.nothing")
        )
        return out


def restore_checker(cfg: Config, outbox: OutboxStore) -> Callable[[], Settled]:
    """The comparison `run` gives its applier (``ApplierService(check_restored=...)``): made,
    logged line by line, and noted in ``outbox`` for `status`."""

    def check() -> Settled:
        when = dt.datetime.now(dt.UTC)
        done = settle_restored_outbox(cfg, when)
        for line in done.lines():
            log.warning("%s", line)
        outbox.note(RESTORE_SETTLED, str(done.summary(when)))
        return done

    return check


def settle_restored_outbox(cfg: Config, now: dt.datetime | None = None) -> Settled:
    """Compare, save head office's rows about to change, queue the store's (see the module)."""
    when = now or dt.datetime.now(dt.UTC)
    done = Settled()
    archive = cfg.outbox.path.parent / f"displaced-{cfg.site.store}-{when:%Y%m%dT%H%M%SZ}.jsonl"
    for check in verify(cfg):
        gone = check.extra if check.mirrors_deletes else []
        kept = [] if check.mirrors_deletes else check.extra
        for action, keys in (("replaced", check.different), ("deleted", gone), ("alone", kept)):
            if keys:
                _save(cfg, check, keys, archive, when, action)
                done.archive = archive
        if check.different or gone:
            done.replaced[check.table] = len(check.different) + len(gone)
            done.shown[check.table] = check.keys_text([*check.different, *gone])
        if kept:
            done.kept[check.table] = len(kept)
        sent = resend_rows(
            cfg, check.table, check.key, [*check.missing, *check.different, *gone], delete_absent=check.mirrors_deletes
        )
        done.resent += sent.rows + sent.deletes
    return done


def _save(
    cfg: Config, check: TableCheck, keys: list[tuple[object, ...]], archive: Path, when: dt.datetime, action: str
) -> None:
    """Head office's rows of ``keys`` (this store's), appended to ``archive`` with what becomes
    of them (replaced, deleted, alone), made durable before anything replaces them."""
    origin = cfg.hq.origin_column
    with connect(hq_params(cfg.hq)) as hq, hq.cursor() as cur:
        cur.execute("SET time_zone = '+00:00'")
        rows = select_by_keys(
            cur, check.table, "*", check.key, keys, where=(f"{quote_ident(origin)} = %s", [cfg.site.store])
        )
        names = [d[0] for d in cur.description or ()]
    at = when.isoformat()
    with archive.open("ab") as out:
        for row in rows:
            out.write(
                json_line(
                    {"table": check.table, "action": action, "saved_at": at, "row": dict(zip(names, row, strict=True))}
                )
            )
        out.flush()
        os.fsync(out.fileno())
