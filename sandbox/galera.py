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
import os
import pwd
import shutil
import signal
import socket
import tempfile
import time
from pathlib import Path

from sandbox.galera_node import GALERA_PROVIDER, RUN_AS, GaleraNode, run_as_ids, traversable_by
from sandbox.mariadb import _template_datadir
from sandbox.server import is_root

INSTALL_HINT = "apt-get install galera-4 rsync"


def galera_missing() -> str | None:
    """Why a Galera cluster cannot run on this machine, or None when it can."""
    missing = []
    if not GALERA_PROVIDER.exists():
        missing.append(f"the Galera provider {GALERA_PROVIDER}")
    if shutil.which("rsync") is None:
        missing.append("rsync (used for state transfers)")
    if is_root():
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
        ids = run_as_ids()
        if self.base.exists() or self.base.is_symlink():
            return
        if ids is None or traversable_by(self.root, *ids):
            self.base.mkdir()
            return
        private = Path(tempfile.mkdtemp(prefix=f"centrale-galera-{self.name}-"))
        private.chmod(0o711)
        if not traversable_by(private, *ids):
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
