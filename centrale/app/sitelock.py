"""One `centrale run` per site: an exclusive lock file beside the outbox, which `status` can test.

The lock is portalocker's, an OS lock the system drops when the process dies however it dies
(``flock`` on Linux, ``LockFileEx`` on Windows, where store PCs often are): a stale file never
blocks a start. The holder's PID is in a file of its own, since Windows locks are mandatory and
a locked file cannot be read by another process."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

import portalocker

from centrale.core.config import Config
from centrale.core.errors import PreflightError
from centrale.core.i18n import Msg


def lock_path(cfg: Config) -> Path:
    return cfg.outbox.path.with_name(cfg.outbox.path.name + ".lock")


class SiteLock:
    """An exclusive lock beside the outbox: one `centrale run` per site; `status` can test it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.pid_path = path.with_name(path.name + ".pid")
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+")  # noqa: SIM115 - kept open for the process lifetime
        try:
            portalocker.lock(fh, portalocker.LOCK_EX | portalocker.LOCK_NB)
        except portalocker.exceptions.LockException:
            fh.close()
            pid = self._recorded_pid() or "?"
            raise PreflightError(Msg("err.site.locked", pid=pid), hint=Msg("err.site.locked.hint")) from None
        self.pid_path.write_text(str(os.getpid()))
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            portalocker.unlock(self._fh)
            self._fh.close()
            self._fh = None

    def holder(self) -> int | None:
        """PID of the running process (-1 when it is not recorded), or None when nobody holds the lock."""
        if not self.path.exists():
            return None
        try:
            fh = open(self.path, "a+")  # noqa: SIM115 - closed by the with below
        except OSError:  # a read-only disk or folder: a lock can still be tested on a read handle
            fh = open(self.path)  # noqa: SIM115
        with fh:
            try:
                portalocker.lock(fh, portalocker.LOCK_EX | portalocker.LOCK_NB)
            except portalocker.exceptions.LockException:
                text = self._recorded_pid()
                return int(text) if text.isdigit() else -1
            portalocker.unlock(fh)
            return None

    def _recorded_pid(self) -> str:
        try:
            return self.pid_path.read_text().strip()
        except OSError:
            return ""
