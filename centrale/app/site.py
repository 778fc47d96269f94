"""Wiring one site's parts from its configuration (the composition root's building blocks)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO

from applier.headoffice import HeadOfficeShipper
from centrale.core.clock import server_offset
from centrale.core.config import Config
from centrale.core.db import connect, hq_params
from centrale.core.errors import CentraleError
from centrale.core.i18n import Msg
from centrale.core.schema import TableDef, read_tables


def store_tables(cfg: Config) -> Callable[[list[str]], dict[str, TableDef]]:
    params = cfg.local.params

    def read(names: list[str]) -> dict[str, TableDef]:
        with connect(params) as conn:
            return read_tables(conn, params.database, names)

    return read


def store_clock(cfg: Config) -> Callable[[], float]:
    """The store server's clock against this machine's (``centrale.core.clock``)."""
    params = cfg.local.params

    def read() -> float:
        with connect(params) as conn:
            return server_offset(conn)

    return read


def build_shipper(cfg: Config, cls: type[HeadOfficeShipper] = HeadOfficeShipper) -> HeadOfficeShipper:
    """The store's head-office shipper (``cls``: a subclass, for instrumented benchmarks)."""
    return cls(
        hq_params(cfg.hq),
        store=cfg.site.store,
        store_name=cfg.site.name,
        hq_store=cfg.site.hq_store,
        origin_column=cfg.hq.origin_column,
        tables=cfg.catalog.captured,
        catalog=cfg.catalog,
        store_tables=store_tables(cfg),
        store_clock=store_clock(cfg),
    )


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
            raise CentraleError(Msg("err.site.locked", pid=pid), hint=Msg("err.site.locked.hint")) from None
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
