"""`centrale` as a child process, as an operator or a store PC runs it: the command line, one
command run to its end, `centrale run` started, stopped (SIGTERM, then SIGKILL) and killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.chain import Chain, Site


def centrale_command(config: Path | None, *args: str) -> list[str]:
    """`centrale [--config CONFIG] ARGS...` with this interpreter (no config: the command finds
    none but what $CENTRALE_CONFIG names)."""
    return [sys.executable, "-m", "centrale", *(["--config", str(config)] if config is not None else []), *args]


def quiet_env(**extra: str) -> dict[str, str]:
    """This process's environment for a `centrale` child, without Python's warnings (the suite
    makes them errors), and with ``extra`` (``LANG=...``)."""
    return {**os.environ, "PYTHONWARNINGS": "ignore", **extra}


def run_centrale(
    config: Path | None, *args: str, timeout: float | None = 120, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run one `centrale` command to its end, its output captured as text; whatever its exit
    code (the caller reads it). ``env`` None: this process's environment as it is."""
    return subprocess.run(
        centrale_command(config, *args), capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


def stop_process(proc: subprocess.Popen[Any], timeout_s: float = 30) -> int:
    """SIGTERM, wait up to ``timeout_s``, then SIGKILL and wait; the exit code (-9 if killed)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def kill_process(proc: subprocess.Popen[Any]) -> None:
    """SIGKILL (a power cut) and wait for it to be gone."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


class CentraleProcess:
    def __init__(self, config: Path, log_path: Path) -> None:
        self.config = config
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_offset = 0  # where this start's output begins (the log is appended to)

    def start(self) -> CentraleProcess:
        """Start (or start again, after a kill) `centrale run`."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        out = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen(
            centrale_command(self.config, "run"),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=quiet_env(),
        )
        out.close()
        return self

    def log_text(self, since_start: bool = False) -> str:
        """The whole log, or only what the current start wrote."""
        if not self.log_path.exists():
            return ""
        with open(self.log_path, "rb") as f:
            f.seek(self.log_offset if since_start else 0)
            return f.read().decode(errors="replace")

    def wait_capturing(self, timeout_s: float = 30) -> CentraleProcess:
        """Block until the current start logged that capture is running (its start position is set)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if "capturing " in self.log_text(since_start=True):
                return self
            if not self.alive:
                raise RuntimeError(f"centrale run exited:\n{self.log_text()[-3000:]}")
            time.sleep(0.05)
        raise TimeoutError(f"centrale run did not start capturing within {timeout_s}s")

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def terminate(self, timeout_s: float = 30) -> int | None:
        return None if self.proc is None else stop_process(self.proc, timeout_s)

    def kill(self) -> None:
        if self.proc is not None:
            kill_process(self.proc)

    def wait_until(self, predicate: object, timeout_s: float = 60, poll_s: float = 0.2) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if callable(predicate) and predicate():
                return True
            time.sleep(poll_s)
        return False


def run_process(site: Site, log_dir: Path) -> CentraleProcess:
    """Start `centrale run` for a store, its output appended to ``log_dir/run-<store>.log``."""
    return CentraleProcess(site.config, log_dir / f"run-{site.number}.log").start()


def status_json(chain: Chain, site: Site) -> dict[str, Any]:
    """`centrale status --json` for a store, as an operator would read it."""
    res = chain.centrale(site, "status", "--json")
    out: dict[str, Any] = json.loads(res.stdout)
    return out
