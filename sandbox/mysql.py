"""Throwaway MySQL 9.7 ``mysqld`` instances: temp datadir, free port, binlog ROW/FULL, started and stopped by PID.

Why MySQL at all: stores may run MySQL rather than MariaDB, and the two differ where capture cares
(binlog metadata defaults, GTIDs, statements, collations). Why not installed system-wide: Debian has
MySQL only in sid, whose libraries need a newer glibc than this machine's. ``scripts/ensure-mysql``
unpacks sid's packages into a folder and this module runs ``mysqld`` there with sid's own loader
(``ld-linux --library-path``), so nothing of the system (its MariaDB included) is touched.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pymysql

from sandbox.server import LocalServer, free_port, is_root, write_cnf_file

REPO = Path(__file__).resolve().parent.parent
ENSURE_SCRIPT = REPO / "scripts" / "ensure-mysql"

_TEMPLATES: dict[str, Path] = {}
_TEMPLATE_LOCK = threading.Lock()


def mysql_root() -> Path:
    """Where ``scripts/ensure-mysql`` unpacks MySQL: env ``CENTRALE_MYSQL_ROOT``, else a per-user cache
    (shared by every clone, since the unpacked packages are 350 MB)."""
    env = os.environ.get("CENTRALE_MYSQL_ROOT")
    return Path(env) if env else Path.home() / ".cache" / "centrale" / "mysql-9.7"


def _loader(root: Path) -> Path | None:
    """sid's dynamic loader inside the root (``ld-linux-x86-64.so.2`` on amd64), or None."""
    found = sorted((root / "usr" / "lib").glob("*-linux-gnu*/ld-linux*.so.*"))
    return found[0] if found else None


def mysql_available() -> bool:
    """Whether the unpacked server can be run: ``mysqld`` and sid's loader are both in the root."""
    root = mysql_root()
    return (root / "usr" / "sbin" / "mysqld").is_file() and _loader(root) is not None


def ensure_mysql() -> Path:
    """Unpack MySQL if it is missing (``scripts/ensure-mysql``, a no-op once done) and return its root.

    Tests call this rather than skip: a suite that quietly skips MySQL would prove nothing about it."""
    res = subprocess.run([str(ENSURE_SCRIPT)], capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise RuntimeError(f"{ENSURE_SCRIPT} failed ({res.returncode}):\n{res.stderr[-3000:]}")
    if not mysql_available():
        raise RuntimeError(f"{ENSURE_SCRIPT} succeeded but no runnable mysqld is under {mysql_root()}")
    return mysql_root()


def run_command(root: Path, binary: str, *args: str) -> list[str]:
    """The argv running ``binary`` (e.g. ``usr/sbin/mysqld``, ``usr/bin/mysqlbinlog``) with sid's loader.

    ``--argv0`` must be the full path: mysqld derives its basedir from it and would otherwise find
    the system's ``mysqld`` (MariaDB's) on PATH."""
    ld = _loader(root)
    if ld is None:
        raise RuntimeError(f"no sid loader under {root}: run scripts/ensure-mysql")
    exe = str(root / binary)
    return [str(ld), "--library-path", str(ld.parent), "--argv0", exe, exe, *args]


def _paths_options(root: Path) -> dict[str, str]:
    """Every path mysqld would otherwise take from the system (whose my.cnf and files are MariaDB's)."""
    share = root / "usr" / "share" / "mysql"
    return {
        "basedir": str(root / "usr"),
        "lc_messages_dir": str(share),
        "character_sets_dir": str(share / "charsets"),
        "plugin_dir": str(root / "usr" / "lib" / "mysql" / "plugin"),
    }


def _template_datadir(root: Path) -> Path:
    """Run ``mysqld --initialize-insecure`` once per process (a few seconds) and copy the result per
    server. Root gets an empty password on ``localhost`` (the socket)."""
    with _TEMPLATE_LOCK:
        key = str(root)
        if key in _TEMPLATES and (_TEMPLATES[key] / "data" / "mysql.ibd").exists():
            return _TEMPLATES[key] / "data"
        tpl = Path(tempfile.mkdtemp(prefix="centrale-mysql-template-"))
        atexit.register(shutil.rmtree, tpl, True)
        (tpl / "tmp").mkdir()
        opts = {
            **_paths_options(root),
            "datadir": str(tpl / "data"),
            "log-error": str(tpl / "error.log"),
            "tmpdir": str(tpl / "tmp"),
            "innodb_redo_log_capacity": "16M",
            "skip-log-bin": "",
        }
        if is_root():
            opts["user"] = "root"
        write_cnf_file(tpl / "init.cnf", "mysqld", opts)
        cmd = run_command(root, "usr/sbin/mysqld", f"--defaults-file={tpl / 'init.cnf'}", "--initialize-insecure")
        res = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if res.returncode != 0:
            log = (tpl / "error.log").read_text(errors="replace") if (tpl / "error.log").exists() else res.stderr
            raise RuntimeError(f"mysqld --initialize-insecure failed:\n{log[-3000:]}")
        # auto.cnf holds server_uuid: every copy must make its own, else their GTIDs would collide.
        (tpl / "data" / "auto.cnf").unlink(missing_ok=True)
        _TEMPLATES[key] = tpl
        return tpl / "data"


@dataclass
class MySQLServer(LocalServer):
    """One disposable MySQL 9.7 server with binlog ROW/FULL (metadata FULL too) on a free loopback port.

    The same surface as ``sandbox.mariadb.MariaDBServer``, so tests can run a scenario on either."""

    SOCKET_NAME: ClassVar[str] = "mysqld.sock"
    PROGRAM: ClassVar[str] = "mysqld"
    STOP_TIMEOUT_S: ClassVar[float] = 120.0

    def options(self) -> dict[str, str]:
        """Its own files and loopback port, capture's binlog settings (9.x defaults metadata to MINIMAL),
        small memory and no fsync; ``extra_options`` last, so a test can override any of it."""
        return self.with_overrides(
            {
                **_paths_options(mysql_root()),
                **self.own_files_options("mysqld.pid"),
                "secure_file_priv": str(self.base / "files"),
                "mysqlx": "OFF",
                "local_infile": "ON",
                **self.capture_binlog_options("mysql-bin"),
                "innodb_buffer_pool_size": "64M",
                "innodb_redo_log_capacity": "16M",
                "innodb_flush_log_at_trx_commit": "2",
                "max_connections": "300",
                "performance_schema": "OFF",
            }
        )

    def create(self) -> None:
        """Lay out the datadir from the template (first call only)."""
        if self.datadir.exists():
            return
        self.base.mkdir(parents=True, exist_ok=True)
        for sub in ("tmp", "binlog", "files"):
            (self.base / sub).mkdir(exist_ok=True)
        shutil.copytree(_template_datadir(mysql_root()), self.datadir)
        if not self.port:
            self.port = free_port()

    def start(self, timeout_s: float = 60.0) -> MySQLServer:
        """Start in its own session (a test's Ctrl-C does not reach it) and wait for its TCP port."""
        self.create()
        self.write_cnf()
        self.socket_path.unlink(missing_ok=True)
        proc = self._spawn(run_command(mysql_root(), "usr/sbin/mysqld", f"--defaults-file={self.cnf}"))
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self.pid = None
                raise RuntimeError(f"mysqld {self.name} exited at start:\n{self._log_tail()}")
            # mysqld listens on TCP only once it accepts connections; the socket proves it is ours.
            if _tcp_accepts(self.port) and self.socket_path.exists():
                self._ensure_tcp_root()
                return self
            time.sleep(0.05)
        raise RuntimeError(f"mysqld {self.name} did not start within {timeout_s}s:\n{self._log_tail()}")

    def _ensure_tcp_root(self) -> None:
        """With skip-name-resolve, ``root@localhost`` only matches the socket: add ``root@'127.0.0.1'``
        (empty password, so no RSA exchange and no ``cryptography``). Once per datadir, out of the
        binlog, so a fresh server's binlog holds nothing but what the test writes."""
        conn = pymysql.connect(unix_socket=str(self.socket_path), user="root", password="", autocommit=True)
        with conn, conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM mysql.user WHERE user = 'root' AND host = '127.0.0.1'")
            row = cur.fetchone()
            if row is not None and row[0]:
                return
            cur.execute("SET SESSION sql_log_bin = 0")
            cur.execute("CREATE USER 'root'@'127.0.0.1' IDENTIFIED BY ''")
            cur.execute("GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION")

    def _log_tail(self, n: int = 3000) -> str:
        return self.error_log.read_text(errors="replace")[-n:] if self.error_log.exists() else "(no error log)"


def _tcp_accepts(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1.0)
        try:
            s.connect(("127.0.0.1", port))
        except OSError:
            return False
    return True
