"""Logging: daily files ``CentraleSrv_yyyy_mm_dd.txt`` in ``[log] dir`` plus stderr.

Secrets never reach a log line: every handler carries a filter that masks the values
registered with ``SecretMask`` (passwords from the configuration), whatever logger wrote them.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from pathlib import Path
from typing import TextIO

LOG_NAME = "centrale"
FILE_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def daily_log_name(day: dt.date) -> str:
    return f"CentraleSrv_{day:%Y_%m_%d}.txt"


class SecretMask(logging.Filter):
    """Replace every registered secret by *** in the final message."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        msg = record.getMessage()
        masked = msg
        for s in self._secrets:
            masked = masked.replace(s, "***")
        if masked != msg or record.exc_info:
            record.msg, record.args = masked, None
            if record.exc_info:
                text = logging.Formatter().formatException(record.exc_info)
                for s in self._secrets:
                    text = text.replace(s, "***")
                record.exc_text = text
        return True


class DailyFileHandler(logging.Handler):
    """Appends to the file named after today's date; opens the next one after midnight."""

    def __init__(self, directory: Path) -> None:
        super().__init__()
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._day: dt.date | None = None
        self._stream: TextIO | None = None

    @property
    def current_path(self) -> Path:
        return self.directory / daily_log_name(dt.date.today())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            today = dt.date.today()
            if today != self._day or self._stream is None:
                if self._stream is not None:
                    self._stream.close()
                self._stream = open(self.directory / daily_log_name(today), "a", encoding="utf-8")  # noqa: SIM115 - kept open for the process lifetime
                self._day = today
            self._stream.write(self.format(record) + "\n")
            self._stream.flush()
        except Exception:
            self.handleError(record)

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        super().close()


def setup_logging(
    directory: Path | None,
    level: str = "INFO",
    secrets: list[str] | None = None,
    stderr: TextIO | None = sys.stderr,
) -> logging.Logger:
    """Configure the ``centrale`` logger tree (and quiet the replication library's logger)."""
    root = logging.getLogger(LOG_NAME)
    for h in list(root.handlers):
        root.removeHandler(h)
        h.close()
    root.setLevel(level)
    root.propagate = False
    mask = SecretMask(secrets or [])
    fmt = logging.Formatter(FILE_FORMAT)
    if directory is not None:
        fh = DailyFileHandler(directory)
        fh.setFormatter(fmt)
        fh.addFilter(mask)
        root.addHandler(fh)
    if stderr is not None:
        sh = logging.StreamHandler(stderr)
        sh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
        sh.addFilter(mask)
        root.addHandler(sh)
    # APScheduler's "skipped: maximum number of running instances reached" is max_instances=1
    # doing its job (a long drain outlasting its interval), not news: only its errors show.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    # python-mysql-replication logs its connection settings (password included) unless told
    # not to; we pass enable_logging=False and also route its warnings through the mask.
    lib = logging.getLogger("pymysqlreplication")
    lib.setLevel(logging.WARNING)
    lib.propagate = False
    for h in list(lib.handlers):
        lib.removeHandler(h)
    for h in root.handlers:
        lib.addHandler(h)
    return root


def logging_ready() -> bool:
    """Whether ``setup_logging`` ran. Before it (a configuration that did not load) a record
    would reach Python's last-resort handler and print the user's error a second time."""
    return bool(logging.getLogger(LOG_NAME).handlers)


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(f"{LOG_NAME}.{name}")
