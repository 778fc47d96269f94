"""One node of the throwaway Galera head office (``sandbox.galera``): a MariaDBServer with wsrep
on, its own Galera, state-transfer and IST ports, bootstrapped, joined or recovered (``--wsrep-recover``
then ``--wsrep_start_position``, so that a restarted node catches up incrementally from a donor).
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pymysql

from sandbox.mariadb import MARIADBD, MariaDBServer, _socket_accepts, _template_datadir
from sandbox.server import is_root

GALERA_PROVIDER = Path("/usr/lib/galera/libgalera_smm.so")
# Run by mariadbd when started as root: rsync SST refuses to work under --user=root.
RUN_AS = "mysql"

_RECOVERED = re.compile(r"WSREP: Recovered position:\s*([0-9a-fA-F-]{36}:-?\d+)")


def _tail(path: Path, n: int = 4000) -> str:
    """The end of a node's log for an exception message, after its [ERROR] lines (often earlier)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    errors = [line for line in text.splitlines() if "[ERROR]" in line or "WSREP_SST: [ERROR]" in line][-15:]
    head = "errors in " + str(path) + ":\n" + "\n".join(errors) + "\n--- end of log:\n" if errors else ""
    return head + text[-n:]


def run_as_ids() -> tuple[int, int] | None:
    """uid/gid mariadbd switches to, when we run as root."""
    if not is_root():
        return None
    pw = pwd.getpwnam(RUN_AS)
    return pw.pw_uid, pw.pw_gid


def traversable_by(path: Path, uid: int, gid: int) -> bool:
    """Whether user uid (primary group gid) can reach ``path`` through every ancestor directory."""
    groups = {gid} | {g.gr_gid for g in grp.getgrall() if RUN_AS in g.gr_mem}
    for d in [path, *path.parents]:
        st = d.stat()
        if st.st_uid == uid:
            ok = st.st_mode & stat.S_IXUSR
        elif st.st_gid in groups:
            ok = st.st_mode & stat.S_IXGRP
        else:
            ok = st.st_mode & stat.S_IXOTH
        if not ok:
            return False
    return True


def _chown_tree(path: Path, uid: int, gid: int) -> None:
    os.chown(path, uid, gid)
    for dirpath, dirnames, filenames in os.walk(path):
        for name in [*dirnames, *filenames]:
            os.chown(os.path.join(dirpath, name), uid, gid, follow_symlinks=False)


@dataclass
class GaleraNode(MariaDBServer):
    """One node of a :class:`GaleraCluster` (a MariaDBServer with wsrep on)."""

    cluster_name: str = "hq"
    galera_port: int = 0
    sst_port: int = 0
    ist_port: int = 0
    cluster_address: str = ""
    provider_options: dict[str, str] = field(default_factory=dict)
    template: Path | None = None
    last_start_args: list[str] = field(default_factory=list)

    def options(self) -> dict[str, str]:
        provider = {
            "gmcast.listen_addr": f"tcp://127.0.0.1:{self.galera_port}",
            "ist.recv_addr": f"127.0.0.1:{self.ist_port}",
            "gcache.size": "32M",
            "evs.join_retrans_period": "PT0.2S",
            **self.provider_options,
        }
        opts = {
            **self.common_options(),
            "binlog_format": "ROW",
            "default_storage_engine": "InnoDB",
            "innodb_autoinc_lock_mode": "2",
            "wsrep_on": "ON",
            "wsrep_provider": str(GALERA_PROVIDER),
            "wsrep_cluster_name": self.cluster_name,
            "wsrep_cluster_address": self.cluster_address,
            "wsrep_node_name": self.name,
            "wsrep_node_address": f"127.0.0.1:{self.galera_port}",
            "wsrep_node_incoming_address": f"127.0.0.1:{self.port}",
            "wsrep_sst_receive_address": f"127.0.0.1:{self.sst_port}",
            "wsrep_sst_method": "rsync",
            "wsrep_provider_options": '"' + ";".join(f"{k}={v}" for k, v in provider.items()) + '"',
        }
        if is_root():
            opts["user"] = RUN_AS
        opts.update(self.extra_options)
        return opts

    @property
    def recover_log(self) -> Path:
        return self.base / "recover.log"

    def create(self) -> None:
        """Lay out the node directory (datadir copied from the install-db template), owned by mysql."""
        if self.datadir.exists():
            return
        self.base.mkdir(parents=True, exist_ok=True)
        (self.base / "tmp").mkdir(exist_ok=True)
        shutil.copytree(self.template or _template_datadir(self.root), self.datadir)
        ids = run_as_ids()
        if ids:
            _chown_tree(self.base, *ids)

    def recover_position(self, timeout_s: float = 120.0) -> str:
        """Run ``mariadbd --wsrep-recover`` and return the ``uuid:seqno`` it recovered from InnoDB."""
        self.recover_log.unlink(missing_ok=True)
        cmd = [MARIADBD, f"--defaults-file={self.cnf}", "--wsrep-recover", f"--log-error={self.recover_log}"]
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired as e:
            raise RuntimeError(
                f"{self.name}: --wsrep-recover took over {timeout_s}s:\n{_tail(self.recover_log)}"
            ) from e
        log = self.recover_log.read_text(errors="replace") if self.recover_log.exists() else ""
        found = _RECOVERED.findall(log + res.stderr)
        if res.returncode != 0 or not found:
            raise RuntimeError(
                f"{self.name}: --wsrep-recover failed (exit {res.returncode}):\n"
                f"{_tail(self.recover_log)}{res.stderr[-2000:]}"
            )
        return str(found[-1])

    def start(self, timeout_s: float = 180.0, bootstrap: bool = False) -> GaleraNode:
        """Start this node and wait until it is Synced.

        ``bootstrap`` starts a new cluster (``--wsrep-new-cluster``); otherwise the node joins the
        others, after ``--wsrep-recover`` when it has run before, so that it catches up by IST.
        """
        proc = getattr(self, "_proc", None)
        if self.pid is not None and proc is not None and proc.poll() is None:
            return self
        self.create()
        self.write_cnf()
        self.socket_path.unlink(missing_ok=True)
        args = [MARIADBD, f"--defaults-file={self.cnf}"]
        if bootstrap:
            args.append("--wsrep-new-cluster")
        elif (self.datadir / "grastate.dat").exists():
            args.append(f"--wsrep_start_position={self.recover_position()}")
        self.last_start_args = args
        self._spawn(args)
        try:
            self.wait_synced(timeout_s)
        except BaseException:
            self.kill()
            raise
        return self

    def _local_connect(self) -> pymysql.connections.Connection[Any]:
        return pymysql.connect(
            unix_socket=str(self.socket_path), user="root", password="", autocommit=True, connect_timeout=5
        )

    def connect(self, database: str | None = None, **kw: Any) -> pymysql.connections.Connection[Any]:
        """PyMySQL as root over TCP (autocommit); ``kw`` may override anything, ``user`` included."""
        params: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "user": "root",
            "password": "",
            "database": database,
            "charset": "utf8mb4",
            "autocommit": True,
        }
        return pymysql.connect(**{**params, **kw})

    def sql_local(self, statement: str, args: object = None) -> list[tuple[Any, ...]]:
        """Like :meth:`sql` but as root@localhost over the unix socket (before root@127.0.0.1 exists)."""
        with self._local_connect() as conn, conn.cursor() as cur:
            cur.execute(statement, args)
            return list(cur.fetchall())

    def status(self) -> dict[str, str]:
        """``SHOW GLOBAL STATUS LIKE 'wsrep%'`` over the node's unix socket."""
        with self._local_connect() as conn, conn.cursor() as cur:
            cur.execute("SHOW GLOBAL STATUS LIKE 'wsrep%%'")
            return {str(k): str(v) for k, v in cur.fetchall()}

    def is_synced(self, cluster_size: int | None = None) -> bool:
        try:
            st = self.status()
        except pymysql.err.MySQLError:
            return False
        ok = st.get("wsrep_ready") == "ON" and st.get("wsrep_local_state_comment") == "Synced"
        return ok and (cluster_size is None or st.get("wsrep_cluster_size") == str(cluster_size))

    def wait_synced(self, timeout_s: float, cluster_size: int | None = None) -> None:
        """Wait until this node (started by us) is ready and Synced, optionally in a cluster of that size."""
        proc = getattr(self, "_proc", None)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(
                    f"mariadbd {self.name} exited (code {proc.returncode}) while starting:\n{_tail(self.error_log)}"
                )
            if _socket_accepts(self.socket_path) and self.is_synced(cluster_size):
                return
            time.sleep(0.1)
        try:
            st = self.status()
            state = {k: st.get(k) for k in ("wsrep_ready", "wsrep_local_state_comment", "wsrep_cluster_size")}
        except pymysql.err.MySQLError as e:
            state = {"error": str(e)}
        raise RuntimeError(
            f"mariadbd {self.name} not Synced within {timeout_s}s"
            f"{f' in a cluster of {cluster_size}' if cluster_size else ''} (last {state}):\n{_tail(self.error_log)}"
        )

    def stop(self, signal_it: bool = True) -> None:
        """SIGTERM and wait; SIGKILL if it has not left within a minute (a throwaway, no hang)."""
        if self.pid is None:
            return
        if signal_it:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)
        try:
            self._wait_exit(60)
        except RuntimeError:
            self.kill()
        self.pid = None
