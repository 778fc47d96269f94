"""Throwaway ``mariadbd`` instances: temp datadir, free port, binlog on, started and stopped by PID.

Why not the machine's own server: tests must own their servers (binlog settings, restarts, kills)
and must not depend on whatever runs on port 3306.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pymysql

from sandbox.server import LocalServer, free_port, is_root

MARIADBD = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
INSTALL_DB = shutil.which("mariadb-install-db") or "/usr/bin/mariadb-install-db"

_TEMPLATE_CACHE: dict[str, Path] = {}


def _template_datadir(root: Path) -> Path:
    """Run ``mariadb-install-db`` once per process and copy the result for every server."""
    key = str(root)
    if key in _TEMPLATE_CACHE and _TEMPLATE_CACHE[key].exists():
        return _TEMPLATE_CACHE[key]
    tpl = root / "template-datadir"
    if not (tpl / "mysql").exists():
        tpl.mkdir(parents=True, exist_ok=True)
        cmd = [
            INSTALL_DB,
            "--no-defaults",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            f"--datadir={tpl}",
        ]
        if is_root():
            cmd.append("--user=root")
        res = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if res.returncode != 0:
            raise RuntimeError(f"mariadb-install-db failed: {res.stderr[-2000:]}")
    _TEMPLATE_CACHE[key] = tpl
    return tpl


@dataclass
class MariaDBServer(LocalServer):
    """One disposable MariaDB server with binlog ROW/FULL on a free loopback port."""

    SOCKET_NAME: ClassVar[str] = "mariadb.sock"
    PROGRAM: ClassVar[str] = "mariadbd"
    CNF_SECTION: ClassVar[str] = "mariadbd"

    def common_options(self) -> dict[str, str]:
        """What every throwaway server gets (a Galera node too): its own files and loopback port,
        utf8mb4, small memory, commits without fsync."""
        return {
            **self.own_files_options("mariadb.pid"),
            "character-set-server": "utf8mb4",
            "collation-server": "utf8mb4_general_ci",
            "innodb_buffer_pool_size": "64M",
            "innodb_log_file_size": "32M",
            "innodb_flush_log_at_trx_commit": "2",
            "max_connections": "300",
            "performance_schema": "OFF",
        }

    def options(self) -> dict[str, str]:
        return self.with_overrides({**self.common_options(), **self.capture_binlog_options("mariadb-bin")})

    def create(self) -> None:
        """Lay out the datadir from the template (first call only)."""
        if self.datadir.exists():
            return
        self.base.mkdir(parents=True, exist_ok=True)
        (self.base / "tmp").mkdir(exist_ok=True)
        (self.base / "binlog").mkdir(exist_ok=True)
        shutil.copytree(_template_datadir(self.root), self.datadir)
        if not self.port:
            self.port = free_port()

    def start(self, timeout_s: float = 30.0) -> MariaDBServer:
        self.create()
        self.write_cnf()
        if self.socket_path.exists():
            self.socket_path.unlink()
        proc = self._spawn([MARIADBD, f"--defaults-file={self.cnf}"])
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                tail = self.error_log.read_text()[-3000:] if self.error_log.exists() else ""
                raise RuntimeError(f"mariadbd {self.name} exited at start:\n{tail}")
            if not _socket_accepts(self.socket_path):
                time.sleep(0.05)
                continue
            try:
                conn = pymysql.connect(unix_socket=str(self.socket_path), user="root", password="")
            except pymysql.err.OperationalError:
                time.sleep(0.05)
                continue
            with conn, conn.cursor() as cur:
                # Out of the binlog: a fresh server's binlog holds only what the test writes (and a
                # replica holds no transaction of its own).
                cur.execute("SET SESSION sql_log_bin = 0")
                cur.execute("CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY ''")
                cur.execute("GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION")
            return self
        raise RuntimeError(f"mariadbd {self.name} did not start within {timeout_s}s")

    def purge_binlogs(self, timeout_s: float = 30) -> str:
        """Rotate and purge every binlog file but the new current one (a capture's checkpoint
        "lost"). Waits for binlog readers to go first, since MariaDB keeps files they read."""
        deadline = time.monotonic() + timeout_s
        while any(r[4] == "Binlog Dump" for r in self.sql("SHOW PROCESSLIST")):
            if time.monotonic() > deadline:
                raise RuntimeError("a binlog reader is still connected")
            time.sleep(0.1)
        self.sql("FLUSH BINARY LOGS")
        current = str(self.sql("SHOW MASTER STATUS")[0][0])
        # A file stays until InnoDB has durably committed its transactions (binlog checkpoint).
        while True:
            self.sql(f"PURGE BINARY LOGS TO '{current}'")
            if [r[0] for r in self.sql("SHOW BINARY LOGS")] == [current]:
                return current
            if time.monotonic() > deadline:
                raise RuntimeError("the server kept old binlog files")
            time.sleep(0.2)


def _socket_accepts(path: Path) -> bool:
    if not path.exists():
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        try:
            s.connect(str(path))
        except OSError:
            return False
    return True


def new_root(prefix: str = "centrale-") -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


class ExternalServer(MariaDBServer):
    """A server someone else runs (compose.yaml's), reached by URL; cannot be stopped or killed."""

    def __init__(self, name: str, url: str) -> None:
        from centrale.core.db import parse_url

        p = parse_url(url if url.rstrip("/").count("/") > 2 else url.rstrip("/") + "/mysql")
        super().__init__(name, Path(tempfile.gettempdir()), server_id=0, port=p.port)
        self.host = p.host
        self.user = p.user
        self.password = p.password
        self.controllable = False

    def start(self, timeout_s: float = 30.0) -> MariaDBServer:
        return self

    def stop(self) -> None:
        raise RuntimeError(f"{self.name} is an external server: it cannot be stopped from here")

    kill = stop

    def destroy(self) -> None:
        pass

    def url(self, database: str, user: str = "", password: str = "") -> str:
        user, password = user or self.user, password or self.password
        auth = user if not password else f"{user}:{password}"
        return f"mysql://{auth}@{self.host}:{self.port}/{database}"

    def connect(self, database: str | None = None, **kw: Any) -> pymysql.connections.Connection[Any]:
        return pymysql.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            database=database,
            charset="utf8mb4",
            **{"autocommit": True, **kw},
        )
