"""The end of today's log file (``CentraleSrv_yyyy_mm_dd.txt`` in ``log.dir``), read from its
end so a big day's file costs the same as a small one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from centrale.core.log import daily_log_name

TAIL_BYTES = 64 * 1024


def log_tail(directory: Path, lines: int = 200, day: dt.date | None = None) -> str:
    path = directory / daily_log_name(day or dt.date.today())
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - TAIL_BYTES))
            data = f.read()
    except FileNotFoundError:
        return ""
    text = data.decode("utf-8", errors="replace")
    if size > TAIL_BYTES:
        text = text.partition("\n")[2]  # the first line was cut
    return "\n".join(text.splitlines()[-lines:])
