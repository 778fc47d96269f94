"""What every throwaway database server of the sandbox has, MariaDB's (``sandbox.mariadb``) and
MySQL's (``sandbox.mysql``) alike: its own folder of files under a temp root, a free loopback
port, root over TCP, and a PID to stop it by."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pymysql


def free_port() -> int:
    """Ask the kernel for a free TCP port on loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def write_cnf_file(path: Path, section: str, options: dict[str, str]) -> None:
    """A my.cnf of one section; an option whose value is "" is written bare (``skip-name-resolve``)."""
    lines = [f"[{section}]"] + [key if value == "" else f"{key}={value}" for key, value in options.items()]
    path.write_text("\n".join(lines) + "\n")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@dataclass
class LocalServer(ABC):
    """A server's place and the ways in, whatever the server."""

    SOCKET_NAME: ClassVar[str] = "server.sock"
    CNF_SECTION: ClassVar[str] = "mysqld"
    PROGRAM: ClassVar[str] = "server"  # its binary's name, for messages
    STOP_TIMEOUT_S: ClassVar[float] = 60.0

    name: str
    root: Path
    server_id: int
    port: int = 0
    extra_options: dict[str, str] = field(default_factory=dict)
    max_binlog_size: int = 1024 * 1024
    pid: int | None = None
    host: str = "127.0.0.1"
    controllable: bool = True

    @property
    def base(self) -> Path:
        return self.root / self.name

    @property
    def datadir(self) -> Path:
        return self.base / "data"

    @property
    def socket_path(self) -> Path:
        return self.base / self.SOCKET_NAME

    @property
    def cnf(self) -> Path:
        return self.base / "my.cnf"

    @property
    def error_log(self) -> Path:
        return self.base / "error.log"

    def own_files_options(self, pid_file: str) -> dict[str, str]:
        """Its own files and loopback port: what keeps two throwaway servers apart."""
        return {
            "datadir": str(self.datadir),
            "socket": str(self.socket_path),
            "port": str(self.port),
            "bind-address": "127.0.0.1",
            "pid-file": str(self.base / pid_file),
            "log-error": str(self.error_log),
            "tmpdir": str(self.base / "tmp"),
            "server_id": str(self.server_id),
            "skip-name-resolve": "",
        }

    def capture_binlog_options(self, log_bin: str) -> dict[str, str]:
        """What capture needs of a store's binlog (see ../shared/MARIADB-NOTES.md)."""
        return {
            "log_bin": str(self.base / "binlog" / log_bin),
            "binlog_format": "ROW",
            "binlog_row_image": "FULL",
            "binlog_row_metadata": "FULL",
            "binlog_checksum": "CRC32",
            "max_binlog_size": str(self.max_binlog_size),
            "sync_binlog": "0",
        }

    def with_overrides(self, opts: dict[str, str]) -> dict[str, str]:
        """``opts`` as this process may run them (root must say so), ``extra_options`` last so
        that a test can override any of it."""
        if is_root():
            opts["user"] = "root"
        opts.update(self.extra_options)
        return opts

    @abstractmethod
    def options(self) -> dict[str, str]:
        """Every option of its my.cnf."""

    def write_cnf(self) -> None:
        write_cnf_file(self.cnf, self.CNF_SECTION, self.options())

    def url(self, database: str, user: str = "root", password: str = "") -> str:
        auth = user if not password else f"{user}:{password}"
        return f"mysql://{auth}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str | None = None, **kw: Any) -> pymysql.connections.Connection[Any]:
        """A root connection over TCP (PyMySQL's default TLS when the server offers it, as MySQL
        does: ``ssl_disabled=True`` would make MySQL's password logins need RSA)."""
        return pymysql.connect(
            host="127.0.0.1",
            port=self.port,
            user="root",
            password="",
            database=database,
            charset="utf8mb4",
            **{"autocommit": True, **kw},
        )

    def sql(self, statement: str, database: str | None = None, args: object = None) -> list[tuple[Any, ...]]:
        """Run one statement as root and return its rows (a convenience for tests and demo)."""
        with self.connect(database) as conn, conn.cursor() as cur:
            cur.execute(statement, args)
            return list(cur.fetchall())

    # --- its process ---------------------------------------------------------------------------

    @abstractmethod
    def start(self, timeout_s: float = 30.0) -> LocalServer:
        """Start its server process and return when it accepts connections."""

    def _spawn(self, command: list[str]) -> subprocess.Popen[bytes]:
        """Start ``command`` in its own session (a test's Ctrl-C does not reach it, and
        ``mysqld_safe`` is never there to restart a killed server)."""
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.pid = proc.pid
        self._proc = proc
        return proc

    def _wait_exit(self, timeout_s: float) -> None:
        proc: subprocess.Popen[bytes] | None = getattr(self, "_proc", None)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if proc is not None and proc.pid == self.pid:
                if proc.poll() is not None:
                    return
            elif self.pid is None or not alive(self.pid):
                return
            time.sleep(0.05)
        raise RuntimeError(f"{self.PROGRAM} {self.name} (pid {self.pid}) did not stop")

    def _signal(self, sig: signal.Signals, timeout_s: float) -> None:
        if self.pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, sig)
        self._wait_exit(timeout_s)
        self.pid = None

    def stop(self) -> None:
        """Clean shutdown by SIGTERM to the PID we started."""
        self._signal(signal.SIGTERM, self.STOP_TIMEOUT_S)

    def kill(self) -> None:
        """SIGKILL: a power cut as far as the server is concerned."""
        self._signal(signal.SIGKILL, 30)

    def take_image(self, to: Path) -> None:
        """Last night's image of the PC: the server stopped cleanly, its data and binlog copied."""
        self.stop()
        for part in ("data", "binlog"):
            if (self.base / part).exists():
                shutil.copytree(self.base / part, to / part)
        self.start()

    def put_back_image(self, image: Path) -> None:
        """The PC restored from ``take_image``'s copy: data and binlog as they were then."""
        self.stop()
        for part in ("data", "binlog"):
            shutil.rmtree(self.base / part, ignore_errors=True)
            if (image / part).exists():
                shutil.copytree(image / part, self.base / part)
        self.start()

    def restart(self) -> None:
        self.stop()
        self.start()

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)
