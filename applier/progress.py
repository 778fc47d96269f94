"""Head office's progress row for a store's outbox generation: how far it holds the rows, and
which rows those were.

``last_seq`` says how far; ``last_mark`` says which: the capture time (``captured_at``) of the
row at ``last_seq``. Two outboxes of one store with the same generation (a file put back from
last night's copy, a folder copied to a second till) number different rows with the same seqs;
the seq alone cannot tell them apart once the copy has issued as many rows as head office holds,
and its new rows would be taken for rows already applied. The mark can: a row captured in
another life of the file has another capture time (``applier.service`` compares the two before
shipping and starts a new generation when they differ).

A head office whose progress table predates the mark (``hq init`` adds it) is shipped to
without it: the comparison is then by seq only, as before.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from centrale.core import __version__
from centrale.core.changes import Batch
from centrale.core.errors import HeadOfficeBehindError
from centrale.core.i18n import Msg

MARK_COLUMN = "last_mark"


class Applied(NamedTuple):
    """What head office holds of one generation: up to ``seq``, the last of them captured at ``mark``."""

    seq: int
    mark: float | None


def has_mark(cur: Any) -> bool:
    """Whether head office's progress table has the mark (added by ``hq init``)."""
    cur.execute(f"SHOW COLUMNS FROM centrale_progress LIKE '{MARK_COLUMN}'")
    return bool(cur.fetchall())


def read_applied(cur: Any, store: int, generation: str, *, mark: bool) -> Applied:
    column = MARK_COLUMN if mark else "NULL"
    cur.execute(
        f"SELECT last_seq, {column} FROM centrale_progress WHERE store=%s AND generation=%s", (store, generation)
    )
    row = cur.fetchone()
    if not row:
        return Applied(0, None)
    return Applied(int(row[0]), float(row[1]) if row[1] is not None else None)


def _mark_sql(batch: Batch, mark: bool) -> str:
    return f", {MARK_COLUMN}={float(batch.last_captured_at)!r}" if mark else ""


def guarded_advance_sql(conn: Any, store: int, batch: Batch, *, mark: bool) -> str:
    """The fast path's guard: moves ``last_seq`` only if head office has none of these rows and
    all of those shipped before them (``behind``)."""
    return (
        f"UPDATE centrale_progress SET last_seq={int(batch.last_seq)}, rows_applied=rows_applied+{len(batch)}, "
        f"batches=batches+1, last_at=UTC_TIMESTAMP(6){_mark_sql(batch, mark)} WHERE store={int(store)} "
        f"AND generation={conn.escape(batch.generation)} AND last_seq < {int(batch.first_seq)} "
        f"AND last_seq >= {int(batch.follows)}"
    )


def behind(store: int, last: int, batch: Batch) -> HeadOfficeBehindError | None:
    """Head office holds less than the rows shipped before ``batch`` (put back from a backup while
    they were on their way): applying it would move ``last_seq`` past a gap no one would see."""
    if last >= batch.follows:
        return None
    return HeadOfficeBehindError(
        Msg("err.ship.hq_behind", store=store, last=last, follows=batch.follows, first=batch.first_seq),
        hint=Msg("err.ship.hq_behind.hint"),
    )


def lock(cur: Any, store: int, store_name: str, generation: str) -> int:
    """The careful path's first step: the progress row, created if new, locked; its ``last_seq``."""
    cur.execute(
        "INSERT IGNORE INTO centrale_progress (store, generation, last_seq, rows_applied, batches, "
        "store_name, version, first_at) VALUES (%s, %s, 0, 0, 0, %s, %s, UTC_TIMESTAMP(6));\n"
        "SELECT last_seq FROM centrale_progress WHERE store=%s AND generation=%s FOR UPDATE",
        (store, generation, store_name[:100], __version__, store, generation),
    )
    cur.nextset()
    found = cur.fetchone()
    return int(found[0]) if found else 0


def advance_and_commit(cur: Any, store: int, store_name: str, batch: Batch, applied: int, *, mark: bool) -> None:
    """The careful path's last step: ``last_seq`` (and its mark) moved, then COMMIT."""
    cur.execute(
        "UPDATE centrale_progress SET last_seq=GREATEST(last_seq, %s), rows_applied=rows_applied+%s, "
        f"batches=batches+1, store_name=%s, version=%s, last_at=UTC_TIMESTAMP(6){_mark_sql(batch, mark)} "
        "WHERE store=%s AND generation=%s;\nCOMMIT",
        (batch.last_seq, applied, store_name[:100], __version__, store, batch.generation),
    )
    cur.nextset()
