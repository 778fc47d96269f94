"""Names of the outbox's notes (``OutboxStore.note``) that more than one room reads or writes:
capture, shipping, snapshots and `status` agree on them here."""

from __future__ import annotations

# Head office's rows of this store must be compared with the store's before anything more ships
# (an earlier copy of the outbox found, or the store's binlog replaced): centrale.app.restorecheck.
RESTORE_CHECK = "restore_check"
# What the last such comparison did, shown by `status` until `centrale verify` finds the store equal.
RESTORE_SETTLED = "restore_settled"
# The binlog position at which capture found other transactions than those it read (the store's
# database put back from a backup): the next snapshot starts capture afresh (cdc.snapshot).
BINLOG_REPLACED = "binlog_replaced"


def restore_check(after_seq: int, reason: str) -> str:
    """The ``RESTORE_CHECK`` note: the rows up to ``after_seq`` ship first (rows captured before
    the reason was found), then head office is compared, then the rest."""
    return f"{after_seq} {reason}"


def check_after(note: str) -> int:
    head = note.split(" ", 1)[0]
    return int(head) if head.isdigit() else 0
