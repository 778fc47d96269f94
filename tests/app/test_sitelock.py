"""One `centrale run` per site: the lock beside the outbox names its holder, refuses a second
run, and is gone the moment its process dies, even by SIGKILL (an OS lock, on Linux and
Windows alike: portalocker)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from centrale.app.sitelock import SiteLock
from centrale.core.errors import PreflightError


def test_the_holder_is_named_a_second_run_refused_and_a_killed_holder_frees_it(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from centrale.app.sitelock import SiteLock; "
            f"lock = SiteLock(Path({str(path)!r})); lock.acquire(); print('held', flush=True); time.sleep(600)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert SiteLock(path).holder() == holder.pid
        with pytest.raises(PreflightError, match=f"pid {holder.pid}"):
            SiteLock(path).acquire()
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()  # type: ignore[union-attr]
    deadline = time.monotonic() + 10
    while SiteLock(path).holder() is not None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    mine = SiteLock(path)
    mine.acquire()
    try:
        assert mine.holder() is not None  # tested on another handle: held, by this process now
    finally:
        mine.release()
    assert SiteLock(path).holder() is None
