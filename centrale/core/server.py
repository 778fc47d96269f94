"""Which server a connection talks to, and what that server calls things.

Stores and head offices run MariaDB or MySQL, and the two have drifted apart: MySQL 8.2 renamed
``SHOW MASTER STATUS`` to ``SHOW BINARY LOG STATUS`` (8.4 dropped the old name) and 8.0.22
``SHOW SLAVE HOSTS`` to ``SHOW REPLICAS``; MariaDB 10.5 split ``BINLOG MONITOR`` out of
``REPLICATION CLIENT``, which MySQL never did; a lock wait of 0 s is MariaDB's ``NOWAIT``, MySQL's
shortest is 1 s. This module is the one place that tells them apart: every other module asks a
``Server`` for the statement or the name, never tests the flavour itself.

The server says what it is in the connection's handshake, so asking costs no round trip.
MariaDB's handshake carries the ``5.5.5-`` prefix old clients need; it is not the version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import pymysql

Family = Literal["mariadb", "mysql"]


@dataclass(frozen=True)
class Server:
    family: Family
    version: tuple[int, int, int]

    @classmethod
    def parse(cls, text: str) -> Server:
        """``10.11.9-MariaDB-log``, ``5.5.5-10.11.9-MariaDB``, ``9.7.4``, ``8.4.3-log``..."""
        family: Family = "mariadb" if "mariadb" in text.lower() else "mysql"
        if family == "mariadb" and re.match(r"5\.5\.5-\d", text):  # the prefix, not a version 5.5.5
            text = text[len("5.5.5-") :]
        found = re.match(r"(\d+)\.(\d+)\.(\d+)", text)
        if found is None:
            raise ValueError(f"not a server version: {text!r}")
        major, minor, patch = (int(x) for x in found.groups())
        return cls(family, (major, minor, patch))

    def __str__(self) -> str:
        return f"{self.name} {'.'.join(str(x) for x in self.version)}"

    @property
    def name(self) -> str:
        return "MariaDB" if self.family == "mariadb" else "MySQL"

    @property
    def is_mariadb(self) -> bool:
        return self.family == "mariadb"

    @property
    def binlog_status_sql(self) -> str:
        """The statement that names the binlog's current file and end position."""
        if self.family == "mysql" and self.version >= (8, 2, 0):
            return "SHOW BINARY LOG STATUS"
        return "SHOW MASTER STATUS"

    @property
    def replicas_sql(self) -> str:
        """The statement that lists the replicas connected now (first column: their server id)."""
        if self.family == "mysql" and self.version >= (8, 0, 22):
            return "SHOW REPLICAS"
        return "SHOW SLAVE HOSTS"

    @property
    def replicas_privilege(self) -> str:
        """The privilege ``replicas_sql`` needs (MariaDB 10.5 moved it to its own)."""
        if self.family == "mariadb" and self.version >= (10, 5, 2):
            return "REPLICATION MASTER ADMIN"
        return "REPLICATION SLAVE"

    @property
    def monitor_privilege(self) -> str:
        """The privilege that lets an account read the binlog's status (``SHOW BINARY LOGS``)."""
        if self.family == "mariadb" and self.version >= (10, 5, 0):
            return "BINLOG MONITOR"
        return "REPLICATION CLIENT"

    @property
    def is_generated_sql(self) -> str:
        """An ``information_schema.COLUMNS`` expression: ``'ALWAYS'`` for a generated column (its
        value computed by the server, never written), else ``'NEVER'``. MariaDB has a column for
        it; MySQL says it in ``EXTRA`` (``VIRTUAL GENERATED``, ``STORED GENERATED``; not
        ``DEFAULT_GENERATED``, a default expression, whose value is written)."""
        if self.family == "mariadb":
            return "IS_GENERATED"
        return "IF(EXTRA LIKE '%VIRTUAL GENERATED%' OR EXTRA LIKE '%STORED GENERATED%', 'ALWAYS', 'NEVER')"

    @property
    def snapshot_reports_position(self) -> bool:
        """Whether a consistent-snapshot transaction says where in the binlog it stands, lock-free
        (MariaDB's ``binlog_snapshot_file/position``). MySQL's does not: the read view must open,
        and the binlog end be read, while commits are held (``FLUSH TABLES WITH READ LOCK``)."""
        return self.family == "mariadb"

    @property
    def snapshot_privileges(self) -> tuple[str, ...]:
        """What a snapshot needs beyond reading the tables (MySQL's read lock needs RELOAD)."""
        return () if self.snapshot_reports_position else ("RELOAD",)

    @property
    def hash_functions(self) -> tuple[str, ...]:
        """The row-hash functions it has built in, the cheapest first (MySQL 9.6 moved ``MD5()``
        into a component that is not installed by default; ``SHA2()`` stayed)."""
        if self.family == "mysql" and self.version >= (9, 6, 0):
            return ("SHA2",)
        return ("MD5", "SHA2")

    @property
    def shortest_lock_wait_s(self) -> int:
        """The smallest ``innodb_lock_wait_timeout``: 0 (give way at once) on MariaDB, 1 s on MySQL."""
        return 0 if self.family == "mariadb" else 1

    @property
    def gtids_kept_sql(self) -> str:
        """A query answering 1 when every transaction the server logs has a GTID (MariaDB always;
        MySQL with ``gtid_mode=ON``, its default since 9.0): a GTID state then names a point of
        the binlog on any server with the same history."""
        if self.family == "mariadb":
            return "SELECT 1"
        return "SELECT @@GLOBAL.gtid_mode = 'ON'"

    @property
    def identity_sql(self) -> str:
        """A query naming this server among others: its server id, and MySQL's ``server_uuid``
        (MariaDB has none; servers replicating from each other must have distinct ids)."""
        if self.family == "mariadb":
            return "SELECT @@GLOBAL.server_id, ''"
        return "SELECT @@GLOBAL.server_id, @@GLOBAL.server_uuid"

    @property
    def gtids_before_binlog_sql(self) -> str:
        """A query naming the GTIDs the server holds that no binlog file lists (MySQL's
        ``gtid_purged``: set after a restore, or of files purged; a file's ``Previous_gtids``
        leaves out those set by hand). MariaDB's ``Gtid_list`` holds them all: nothing to add."""
        if self.family == "mariadb":
            return "SELECT ''"
        return "SELECT @@GLOBAL.gtid_purged"

    @property
    def gtid_pos_at_sql(self) -> str | None:
        """A query the server answers with the last GTID of each domain before a file and position
        (MariaDB's ``BINLOG_GTID_POS``, read in the server); MySQL has none."""
        return "SELECT BINLOG_GTID_POS(%s, %s)" if self.family == "mariadb" else None

    @property
    def status_gtids_column(self) -> int | None:
        """Which column of ``binlog_status_sql`` holds the GTIDs executed up to the end it names
        (MySQL's ``Executed_Gtid_Set``); MariaDB's status has none."""
        return None if self.family == "mariadb" else 4

    @property
    def gtid_list_event(self) -> str:
        """The event opening each binlog file with the GTID state before it (``SHOW BINLOG EVENTS``'s
        ``Event_type``)."""
        return "Gtid_list" if self.family == "mariadb" else "Previous_gtids"

    def gtid_of_event(self, event_type: str, info: str) -> str | None:
        """The GTID a ``SHOW BINLOG EVENTS`` row gives its transaction (MariaDB ``BEGIN GTID 0-1-5``,
        MySQL ``SET @@SESSION.GTID_NEXT= 'uuid:5'``); ``""`` for a MySQL transaction logged
        without one (``Anonymous_Gtid``); None for a row that starts no transaction."""
        if self.family == "mariadb":
            found = re.search(r"\bGTID (\d+-\d+-\d+)", info) if event_type == "Gtid" else None
            return found.group(1) if found else None
        if event_type == "Anonymous_Gtid":
            return ""
        if event_type.startswith("Gtid"):  # Gtid, Gtid_tagged
            found = re.search(r"'([^']+)'", info)
            return found.group(1) if found else ""
        return None

    @property
    def config_section(self) -> str:
        """The my.cnf section a hint names (``[mariadbd]`` is unknown to MySQL)."""
        return "[mariadbd]" if self.family == "mariadb" else "[mysqld]"


def shared_row_hash(*servers: Server) -> str:
    """The cheapest row-hash function every one of ``servers`` has: both sides of a comparison
    must hash alike (``jobs.diff``)."""
    for function in servers[0].hash_functions:
        if all(function in other.hash_functions for other in servers[1:]):
            return function
    raise ValueError(f"no row-hash function common to {', '.join(str(s) for s in servers)}")


def server_of(conn: pymysql.connections.Connection) -> Server:
    """The server at the other end of ``conn``, from its handshake."""
    return Server.parse(str(conn.get_server_info()))  # type: ignore[no-untyped-call]
