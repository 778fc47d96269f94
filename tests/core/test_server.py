"""The server model (``centrale.core.server``): which server a connection talks to, and what it
calls things. The pure half reads version strings; the other half asks a real MariaDB and a real
MySQL 9.7 the questions capture and doctor ask (binlog end, table definitions, privileges),
which used to stop on MariaDB-only names at a MySQL store."""

from __future__ import annotations

import pymysql
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cdc.binlog import binlog_files, end_position
from cdc.preflight import binlog_checks
from centrale.core.schema import read_tables
from centrale.core.server import Server, server_of, shared_row_hash
from sandbox.mysql import MySQLServer
from sandbox.server import LocalServer
from tests.conftest import Servers


@pytest.mark.parametrize(
    ("text", "family", "version"),
    [
        ("10.11.9-MariaDB-log", "mariadb", (10, 11, 9)),
        ("5.5.5-10.11.9-MariaDB-0+deb12u1", "mariadb", (10, 11, 9)),
        ("11.4.2-MariaDB", "mariadb", (11, 4, 2)),
        ("9.7.4", "mysql", (9, 7, 4)),
        ("8.4.3-log", "mysql", (8, 4, 3)),
        ("8.0.21-0ubuntu0.20.04.4", "mysql", (8, 0, 21)),
    ],
)
def test_the_handshakes_version_names_the_server(text: str, family: str, version: tuple[int, int, int]) -> None:
    server = Server.parse(text)
    assert (server.family, server.version) == (family, version)


def test_what_each_server_calls_things() -> None:
    mariadb, old_mysql, mysql = Server.parse("10.11.9-MariaDB"), Server.parse("8.0.21"), Server.parse("9.7.4")
    assert mariadb.binlog_status_sql == "SHOW MASTER STATUS" == old_mysql.binlog_status_sql
    assert mysql.binlog_status_sql == "SHOW BINARY LOG STATUS"
    assert (mariadb.replicas_sql, old_mysql.replicas_sql, mysql.replicas_sql) == (
        "SHOW SLAVE HOSTS",
        "SHOW SLAVE HOSTS",
        "SHOW REPLICAS",
    )
    assert mariadb.monitor_privilege == "BINLOG MONITOR"
    assert Server.parse("10.4.30-MariaDB").monitor_privilege == "REPLICATION CLIENT"
    assert mysql.monitor_privilege == "REPLICATION CLIENT"
    assert (mariadb.shortest_lock_wait_s, mysql.shortest_lock_wait_s) == (0, 1)
    assert (mariadb.config_section, mysql.config_section) == ("[mariadbd]", "[mysqld]")
    assert (str(mariadb), str(mysql)) == ("MariaDB 10.11.9", "MySQL 9.7.4")


@given(
    version=st.tuples(st.integers(0, 99), st.integers(0, 99), st.integers(0, 999)),
    mariadb=st.booleans(),
    prefix=st.booleans(),
    suffix=st.sampled_from(["", "-log", "-0+deb12u1", "-debug"]),
)
def test_any_version_string_reads_back(version: tuple[int, int, int], mariadb: bool, prefix: bool, suffix: str) -> None:
    text = ".".join(str(x) for x in version) + ("-MariaDB" if mariadb else "") + suffix
    if mariadb and prefix:
        text = "5.5.5-" + text
    assert Server.parse(text) == Server("mariadb" if mariadb else "mysql", version)


def test_a_string_without_a_version_is_refused() -> None:
    with pytest.raises(ValueError, match="not a server version"):
        Server.parse("MariaDB")


# --- against real servers -----------------------------------------------------------------------


@pytest.fixture(params=["mariadb", "mysql"])
def store_server(request: pytest.FixtureRequest, servers: Servers) -> LocalServer:
    if request.param == "mariadb":
        return servers.stores[min(servers.stores)]  # type: ignore[return-value]
    return request.getfixturevalue("mysql")  # type: ignore[no-any-return]


SHAPES = """CREATE TABLE shapes (
    id INT PRIMARY KEY,
    price DECIMAL(10,2) NOT NULL,
    qty INT NOT NULL,
    total DECIMAL(12,2) AS (price * qty) VIRTUAL,
    total_kept DECIMAL(12,2) AS (price * qty) STORED,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    note VARCHAR(20) DEFAULT ('none')
)"""


@pytest.mark.local_servers
def test_table_definitions_name_generated_columns_on_either_server(store_server: LocalServer) -> None:
    """Generated columns are left out of capture; a default expression's column is written and kept."""
    store_server.sql("CREATE DATABASE IF NOT EXISTS server_model")
    store_server.sql("DROP TABLE IF EXISTS shapes", "server_model")
    store_server.sql(SHAPES, "server_model")
    with store_server.connect("server_model") as conn:
        (tdef,) = read_tables(conn, "server_model", ["shapes"]).values()
    assert {c.name for c in tdef.columns if c.generated} == {"total", "total_kept"}
    assert [c.name for c in tdef.columns] == ["id", "price", "qty", "total", "total_kept", "created_at", "note"]
    assert tdef.primary_key == ("id",)


@pytest.mark.local_servers
def test_the_binlog_end_is_read_on_either_server(store_server: LocalServer) -> None:
    with store_server.connect() as conn:
        assert server_of(conn).family == ("mysql" if isinstance(store_server, MySQLServer) else "mariadb")
        end = end_position(conn)
        assert end.file in binlog_files(conn)
        store_server.sql("CREATE DATABASE IF NOT EXISTS server_model")
        store_server.sql("CREATE TABLE IF NOT EXISTS server_model.moved (id INT PRIMARY KEY)")
        store_server.sql("INSERT INTO server_model.moved VALUES (1) ON DUPLICATE KEY UPDATE id = id + 1")
        assert end_position(conn) > end


def _account(server: LocalServer, name: str, grants: str) -> pymysql.connections.Connection:
    server.sql(f"DROP USER IF EXISTS '{name}'@'%'")
    server.sql(f"CREATE USER '{name}'@'%' IDENTIFIED BY 'pw-{name}'")
    server.sql(f"GRANT {grants} ON *.* TO '{name}'@'%'")
    return pymysql.connect(host="127.0.0.1", port=server.port, user=name, password=f"pw-{name}")


@pytest.mark.local_servers
def test_the_privilege_check_asks_for_what_this_server_calls_the_monitor_privilege(store_server: LocalServer) -> None:
    with store_server.connect() as root:
        server = server_of(root)
    monitor, snapshot = server.monitor_privilege, server.snapshot_privileges
    assert snapshot == (() if server.is_mariadb else ("RELOAD",))
    with _account(store_server, "cap_ok", ", ".join(["REPLICATION SLAVE", monitor, *snapshot])) as conn:
        (privileges,) = [c for c in binlog_checks(conn, 4_000_000_001) if c.name == "privileges"]
        assert privileges.status == "ok", privileges.message
    with _account(store_server, "cap_short", "REPLICATION SLAVE") as conn:
        checks = binlog_checks(conn, 4_000_000_001)
    (privileges,) = [c for c in checks if c.name == "privileges"]
    assert privileges.failed
    assert monitor in str(privileges.message) and monitor in str(privileges.hint)
    assert all(p in str(privileges.message) for p in snapshot)
    assert not {c.name for c in checks if c.failed} - {"privileges", "binlog binlog_row_metadata"}


@pytest.mark.local_servers
def test_replicas_the_account_may_not_list_are_said_unchecked_not_passed(store_server: LocalServer) -> None:
    """The reader's server id is compared with the replicas' ids; an account the server will not
    list them to gets a warning naming the privilege, not a green "server id"."""
    with store_server.connect() as root:
        server = server_of(root)
    needed = ["REPLICATION SLAVE", server.monitor_privilege, *server.snapshot_privileges]
    with _account(store_server, "cap_nolist", ", ".join(dict.fromkeys(needed))) as conn:
        (checked,) = [c for c in binlog_checks(conn, 4_000_000_001) if c.name == "server id"]
    if server.replicas_privilege in needed:
        assert checked.status == "ok", checked.message
    else:
        assert checked.status == "warn" and "4000000001" in str(checked.message)
        assert server.replicas_privilege in str(checked.hint) and server.replicas_sql in str(checked.hint)
    grants = ", ".join(dict.fromkeys([*needed, server.replicas_privilege]))
    with _account(store_server, "cap_list", grants) as conn:
        (checked,) = [c for c in binlog_checks(conn, 4_000_000_001) if c.name == "server id"]
    assert checked.status == "ok", checked.message


def test_both_sides_of_a_comparison_hash_alike() -> None:
    mariadb, mysql_84, mysql_97 = Server.parse("10.11.9-MariaDB"), Server.parse("8.4.3"), Server.parse("9.7.4")
    assert shared_row_hash(mariadb, mariadb) == "MD5"
    assert shared_row_hash(mariadb, mysql_84) == "MD5"
    assert shared_row_hash(mariadb, mysql_97) == shared_row_hash(mysql_97, mariadb) == "SHA2"
