"""One `centrale run` per site: an exclusive lock file beside the outbox, which `status` can test."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from centrale.core.config import Config
from centrale.core.errors import PreflightError
from centrale.core.i18n import Msg


def lock_path(cfg: Config) -> Path:
    return cfg.outbox.path.with_name(cfg.outbox.path.name + ".lock")


class SiteLock:
    """An exclusive lock beside the outbox: one `centrale run` per site; `status` can test it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+")  # noqa: SIM115 - kept open for the process lifetime
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            pid = fh.read().strip() or "?"
            fh.close()
            raise PreflightError(Msg("err.site.locked", pid=pid), hint=Msg("err.site.locked.hint")) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def holder(self) -> int | None:
        """PID of the running process, or None when nobody holds the lock."""
        if not self.path.exists():
            return None
        try:
            fh = open(self.path, "a+")  # noqa: SIM115 - closed by the with below
        except OSError:  # a read-only disk or folder: a lock can still be tested on a read handle
            fh = open(self.path)  # noqa: SIM115
        with fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.seek(0)
                text = fh.read().strip()
                return int(text) if text.isdigit() else -1
            fcntl.flock(fh, fcntl.LOCK_UN)
            return None
