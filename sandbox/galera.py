"""Throwaway 3-node MariaDB Galera cluster on loopback: temp datadirs, free ports, started and stopped by PID.

A head office for scale and failover tests (see /work/shared/GALERA-NOTES.md for the measured facts):
node 1 bootstraps the cluster with ``--wsrep-new-cluster``, the others join it one after the other
with a full rsync state transfer; a killed node is restarted with ``--wsrep-recover`` first and
``--wsrep_start_position`` so that it catches up incrementally (IST) from a donor's gcache.

Each node is a :class:`MariaDBServer` (``url``, ``connect``, ``sql``, ``host``, ``port``, ``pid``,
``controllable``) so it can stand in for the single head-office server anywhere, e.g. ``build_chain``.
Indexes given to :meth:`GaleraCluster.kill` and :meth:`GaleraCluster.restart` are 0-based positions
in :attr:`GaleraCluster.nodes` (``nodes[0]`` is the node named ``n1``).
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pymysql

from sandbox.mariadb import MARIADBD, MariaDBServer, _is_root, _socket_accepts, _template_datadir

GALERA_PROVIDER = Path("/usr/lib/galera/libgalera_smm.so")
INSTALL_HINT = "apt-get install galera-4 rsync"
# Run by mariadbd when started as root: rsync SST refuses to work under --user=root.
RUN_AS = "mysql"

_RECOVERED = re.compile(r"WSREP: Recovered position:\s*([0-9a-fA-F-]{36}:-?\d+)")


def galera_missing() -> str | None:
    """Why a Galera cluster cannot run on this machine, or None when it can."""
    missing = []
    if not GALERA_PROVIDER.exists():
        missing.append(f"the Galera provider {GALERA_PROVIDER}")
    if shutil.which("rsync") is None:
        missing.append("rsync (used for state transfers)")
    if _is_root():
        try:
            pwd.getpwnam(RUN_AS)
        except KeyError:
            missing.append(f"the system user {RUN_AS!r} (created by the mariadb-server package)")
    if not missing:
        return None
    return f"Galera cluster unavailable: missing {', '.join(missing)}; install with: {INSTALL_HINT}"


def free_ports(n: int) -> list[int]:
    """``n`` distinct free loopback TCP ports (all bound at once, so none is handed out twice)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(s)
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


def _tail(path: Path, n: int = 4000) -> str:
    """The end of a node's log for an exception message, after its [ERROR] lines (often earlier)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    errors = [line for line in text.splitlines() if "[ERROR]" in line or "WSREP_SST: [ERROR]" in line][-15:]
    head = "errors in " + str(path) + ":\n" + "\n".join(errors) + "\n--- end of log:\n" if errors else ""
    return head + text[-n:]


def _run_as_ids() -> tuple[int, int] | None:
    """uid/gid mariadbd switches to, when we run as root."""
    if not _is_root():
        return None
    pw = pwd.getpwnam(RUN_AS)
    return pw.pw_uid, pw.pw_gid


def _traversable_by(path: Path, uid: int, gid: int) -> bool:
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
        if _is_root():
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
        ids = _run_as_ids()
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
        proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.pid = proc.pid
        self._proc = proc
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


class GaleraCluster:
    """``nodes`` MariaDB Galera nodes on 127.0.0.1 under ``root/name``; root has no password over TCP.

    >>> cluster = GaleraCluster(root).start()   # ~10 s
    >>> cluster.nodes[0].sql("CREATE DATABASE hq")
    >>> cluster.kill(1); cluster.restart(1)     # node n2 down, then back by IST
    >>> cluster.destroy()

    Not handled: restarting after every node went down (bootstrap then needs ``safe_to_bootstrap: 1``
    in the most advanced node's ``grastate.dat``); build a new cluster instead.
    """

    def __init__(
        self,
        root: Path,
        name: str = "hq",
        nodes: int = 3,
        *,
        extra_options: dict[str, str] | None = None,
        provider_options: dict[str, str] | None = None,
        server_id_base: int = 900,
    ) -> None:
        if nodes < 1:
            raise ValueError("a cluster needs at least one node")
        self.root = Path(root)
        self.name = name
        self.size = nodes
        self.extra_options = dict(extra_options or {})
        self.provider_options = dict(provider_options or {})
        self.server_id_base = server_id_base
        self.base = self.root / name
        self._private_dir: Path | None = None
        self.nodes: list[GaleraNode] = []
        self.controllable = True

    # -- layout -------------------------------------------------------------------------------

    def _make_base(self) -> None:
        """``root/name``, or when mysql cannot reach it (a 0700 pytest tmp dir), a 0711 dir in the
        system temp dir with ``root/name`` a symlink to it."""
        self.root.mkdir(parents=True, exist_ok=True)
        ids = _run_as_ids()
        if self.base.exists() or self.base.is_symlink():
            return
        if ids is None or _traversable_by(self.root, *ids):
            self.base.mkdir()
            return
        private = Path(tempfile.mkdtemp(prefix=f"centrale-galera-{self.name}-"))
        private.chmod(0o711)
        if not _traversable_by(private, *ids):
            shutil.rmtree(private, ignore_errors=True)
            raise RuntimeError(f"user {RUN_AS} cannot reach {self.root} nor {tempfile.gettempdir()}")
        self._private_dir = private
        self.base.symlink_to(private, target_is_directory=True)

    def _make_nodes(self) -> None:
        ports = free_ports(4 * self.size)
        galera = ports[self.size : 2 * self.size]
        address = "gcomm://" + ",".join(f"127.0.0.1:{p}" for p in galera)
        template = _template_datadir(self.root)
        self.nodes = [
            GaleraNode(
                name=f"n{i + 1}",
                root=self.base.resolve(),  # the real path: mysql may not traverse root
                server_id=self.server_id_base + i + 1,
                port=ports[i],
                galera_port=galera[i],
                sst_port=ports[2 * self.size + i],
                ist_port=ports[3 * self.size + i],
                cluster_name=self.name,
                cluster_address=address,
                extra_options=dict(self.extra_options),
                provider_options=dict(self.provider_options),
                template=template,
            )
            for i in range(self.size)
        ]

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self, timeout_s: float = 180.0) -> GaleraCluster:
        """Bootstrap node 1, join the others one by one, wait for every node Synced in a full cluster."""
        why = galera_missing()
        if why:
            raise RuntimeError(why)
        if self.nodes:
            raise RuntimeError(f"cluster {self.name} was already started (use restart(i) for a node)")
        self._make_base()
        self._make_nodes()
        try:
            first = self.nodes[0].start(timeout_s, bootstrap=True)
            # Replicated to the joiners by their state transfer (and by TOI to any node up).
            first.sql_local("CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY ''")
            first.sql_local("GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION")
            for node in self.nodes[1:]:
                node.start(timeout_s)
            self.wait_synced(timeout_s)
        except BaseException:
            for node in self.nodes:
                with contextlib.suppress(Exception):
                    node.kill()
            raise
        return self

    def wait_synced(self, timeout_s: float = 120.0) -> None:
        """Wait until every running node is Synced and sees a cluster of all running nodes."""
        running = [n for n in self.nodes if n.pid is not None]
        deadline = time.monotonic() + timeout_s
        for node in running:
            node.wait_synced(max(1.0, deadline - time.monotonic()), cluster_size=len(running))

    def _node(self, i: int | GaleraNode) -> GaleraNode:
        return i if isinstance(i, GaleraNode) else self.nodes[i]

    def kill(self, i: int | GaleraNode) -> None:
        """SIGKILL node ``nodes[i]`` (0-based). The others block writes ~5-6 s until they evict it."""
        self._node(i).kill()

    def restart(self, i: int | GaleraNode, timeout_s: float = 180.0) -> None:
        """Start a killed (or stopped) node again: ``--wsrep-recover``, then ``--wsrep_start_position``
        so that it catches up by IST; wait until every running node is Synced in the full cluster."""
        node = self._node(i)
        if node.pid is not None:
            node.kill()
        node.start(timeout_s)
        self.wait_synced(timeout_s)

    def stop(self) -> None:
        """SIGTERM every node at once and wait for them (SIGKILL after a minute)."""
        live = [n for n in self.nodes if n.pid is not None]
        for node in live:
            pid = node.pid
            if pid is not None and pid > 0:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
        for node in live:
            node.stop(signal_it=False)

    def destroy(self) -> None:
        """Stop every node and remove the cluster's directories."""
        try:
            self.stop()
        finally:
            if self.base.is_symlink():
                self.base.unlink()
            else:
                shutil.rmtree(self.base, ignore_errors=True)
            if self._private_dir is not None:
                shutil.rmtree(self._private_dir, ignore_errors=True)
                self._private_dir = None

    def __enter__(self) -> GaleraCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.destroy()

    # -- addressing ---------------------------------------------------------------------------

    def hosts_spec(self) -> str:
        """``127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3``: every node's SQL address."""
        return ",".join(f"{n.host}:{n.port}" for n in self.nodes)

    def status(self, i: int | GaleraNode) -> dict[str, str]:
        return self._node(i).status()
