"""What stops the outbox from being written, found by looking at its disk: a read-only file
system, a folder or file the Centrale user cannot write, or a full disk.

Used to turn SQLite's terse errors ("database or disk is full", "unable to open database file")
into one line naming the outbox, the problem and the fix, and by `doctor` and `status`, which
look for themselves instead of trusting the last error a running process could not record
(it cannot write to a full disk either).
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from centrale.core.errors import OutboxError
from centrale.core.i18n import Msg

# Less free space than this is a full disk: SQLite needs room for whole pages of the WAL and a
# capture transaction is often larger than one page.
FULL_BELOW_BYTES = 1 << 20

FULL_HINT = Msg("err.outbox.full.hint")


def human_bytes(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    if n < 1024**2:
        return f"{n / 1024:.1f} KB"
    if n < 1024**3:
        return f"{n / 1024**2:.1f} MB"
    return f"{n / 1024**3:.1f} GB"


def _existing_folder(path: Path) -> Path:
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def full_error(path: Path, free: int | None = None) -> OutboxError:
    if free is None:
        free = free_bytes(path)
    if free is None:
        return OutboxError(Msg("err.outbox.full", path=path), hint=FULL_HINT)
    return OutboxError(Msg("err.outbox.full_free", path=path, free=human_bytes(free)), hint=FULL_HINT)


def free_bytes(path: Path) -> int | None:
    try:
        st = os.statvfs(_existing_folder(path))
    except OSError:
        return None
    return st.f_bavail * st.f_frsize


def unwritable_reason(path: Path) -> tuple[Msg, Msg] | None:
    """(what is wrong, the fix) when the outbox at ``path`` cannot be written, else None."""
    folder = _existing_folder(path)
    try:
        st = os.statvfs(folder)
    except OSError:
        return None
    if st.f_flag & os.ST_RDONLY:
        return Msg("err.outbox.read_only"), Msg("err.outbox.read_only.fix", folder=folder)
    user = _user()
    if not os.access(folder, os.W_OK | os.X_OK):
        return Msg("err.outbox.denied", path=folder), Msg("err.outbox.denied_folder.fix", folder=folder, user=user)
    for name in (path.name, path.name + "-wal", path.name + "-shm"):
        f = path.with_name(name)
        if f.exists() and not os.access(f, os.R_OK | os.W_OK):
            return Msg("err.outbox.denied", path=f), Msg("err.outbox.denied_file.fix", path=f, user=user)
    return None


def probe(path: Path, *, full_below: int = FULL_BELOW_BYTES) -> OutboxError | None:
    """The reason the outbox cannot be written right now, as an error ready to show, or None."""
    unwritable = unwritable_reason(path)
    if unwritable is not None:
        what, fix = unwritable
        return OutboxError(
            Msg("err.outbox.unwritable", path=path, what=what), hint=Msg("err.outbox.unwritable.hint", fix=fix)
        )
    free = free_bytes(path)
    if free is not None and free < full_below:
        return full_error(path, free)
    return None


def _user() -> str:
    try:
        return f"the Centrale user ({getpass.getuser()})"
    except (KeyError, OSError):  # no passwd entry (containers)
        return f"the Centrale user (uid {os.getuid()})" if hasattr(os, "getuid") else "the Centrale user"
