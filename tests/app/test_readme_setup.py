"""The README's set-up, statement for statement, on fresh servers: the SQL blocks of "Setting up a
chain" applied as they are written (only the port differs), head office initialised and a store
registered with the README's commands, and then every action run with those accounts.

A second test keeps the grants the README once gave (replication and SELECT only): `doctor`
must then fail naming the pull and the GRANT, and the pull fail with that fix, not as an
"unexpected" error."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox.chain import load_sql, reference_schema_sql, store_schema_sql
from sandbox.inprocess import InProcessStore
from sandbox.mariadb import MariaDBServer
from sandbox.mysql import MySQLServer, ensure_mysql
from sandbox.processes import run_centrale
from sandbox.server import LocalServer
from sandbox.workload import seed_store

README = Path(__file__).resolve().parents[2] / "README.md"
SQL_BLOCK = re.compile(r"```sql\n(.*?)```", re.S)


def readme_blocks() -> tuple[list[str], list[str], str]:
    """Head office's statements, a store's, and the MySQL store's replacement second line."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Setting up a chain", 1)[1].split("\n## ", 1)[0]
    hq_sql, store_sql = (block for block in SQL_BLOCK.findall(section))
    mysql_line = re.search(r"On MySQL the second line is `([^`]+)`", section.replace("\n", " "))
    assert mysql_line is not None, "the README no longer says the MySQL store's grant"
    return _statements(hq_sql), _statements(store_sql), mysql_line.group(1).rstrip(";")


def _statements(block: str) -> list[str]:
    return [s.strip() for s in block.split(";") if s.strip()]


@dataclass
class Fresh:
    hq: LocalServer
    store: LocalServer
    root: Path


def _server(kind: str, name: str, root: Path, server_id: int) -> LocalServer:
    # Name resolution on, as servers are installed: 'centrale'@'localhost' is then the account of
    # a TCP connection from 127.0.0.1, as on a store PC.
    options = {"skip-name-resolve": "0"} if kind == "mariadb" else {"skip-name-resolve": "OFF"}
    if kind == "mysql":
        ensure_mysql()
        return MySQLServer(name, root, server_id=server_id, extra_options=options).start()
    return MariaDBServer(name, root, server_id=server_id, extra_options=options).start()


@pytest.fixture(params=["mariadb", "mysql"])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Fresh]:
    root = tmp_path / "servers"
    hq = _server(request.param, "readme-hq", root, 301)
    try:
        store = _server(request.param, "readme-store", root, 312)
    except BaseException:
        hq.destroy()
        raise
    try:
        yield Fresh(hq, store, tmp_path)
    finally:
        store.destroy()
        hq.destroy()


def centrale(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_centrale(config, *args, env={**os.environ, "LANG": "C.UTF-8", "COLUMNS": "200"}, timeout=180)


def ok(res: subprocess.CompletedProcess[str]) -> str:
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert "Traceback" not in out and "unexpected" not in out, out
    return res.stdout


def _apply(server: LocalServer, statements: list[str]) -> None:
    with server.connect() as conn, conn.cursor() as cur:
        for statement in statements:
            cur.execute(statement.replace("localhost:3306", f"localhost:{server.port}"))


def _set_up_head_office(fresh: Fresh, hq_sql: list[str]) -> Path:
    _apply(fresh.hq, hq_sql)
    with fresh.hq.connect("pos_hq") as conn:  # head office's own POS: the tables stores receive
        load_sql(conn, reference_schema_sql())
    fresh.hq.sql("INSERT INTO stores (id, name, is_hq) VALUES (1, 'Siège', 1), (12, 'Lyon', 0)", "pos_hq")
    config = fresh.root / "hq.toml"
    config.write_text(
        '[site]\nrole = "hq"\nstore = 1\nname = "Siège"\nhq_store = 1\n\n'
        f'[local]\nurl = "mysql://centrale:secret@localhost:{fresh.hq.port}/pos_hq"\n\n'
        f'[log]\ndir = "{fresh.root / "hq-logs"}"\n'
    )
    config.chmod(0o600)
    return config


def _set_up_store(fresh: Fresh, store_sql: list[str], hq_config: Path) -> Path:
    fresh.store.sql("CREATE DATABASE pos")
    with fresh.store.connect("pos") as conn:  # the POS's own database, with its rows
        load_sql(conn, store_schema_sql())
        seed_store(conn)
        conn.commit()
    _apply(fresh.store, store_sql)
    store_url = f"mysql://centrale:secret@localhost:{fresh.store.port}/pos"
    ok(centrale(hq_config, "hq", "init", "--tables-from", store_url))
    printed = ok(centrale(hq_config, "hq", "add-store", "12"))
    hq_lines = printed[printed.index("[hq]") :].strip()
    config = fresh.root / "store.toml"
    config.write_text(
        '[site]\nrole = "store"\nstore = 12\nname = "Lyon"\nhq_store = 1\n\n'
        f'[local]\nurl = "{store_url}"\n\n'
        f'{hq_lines}\nhost = "127.0.0.1"\nport = {fresh.hq.port}\n\n'
        f'[outbox]\npath = "{fresh.root / "outbox.db"}"\n\n'
        f'[log]\ndir = "{fresh.root / "store-logs"}"\n'
    )
    config.chmod(0o600)
    return config


def test_the_readme_statements_let_every_action_run(fresh: Fresh) -> None:
    hq_sql, store_sql, mysql_grant = readme_blocks()
    if isinstance(fresh.store, MySQLServer):
        store_sql[1] = mysql_grant
    hq_config = _set_up_head_office(fresh, hq_sql)
    store = _set_up_store(fresh, store_sql, hq_config)

    doctor = ok(centrale(store, "doctor"))
    assert "FAIL" not in doctor and "all checks passed" in doctor, doctor
    assert "may run every action" in doctor, doctor
    ok(centrale(store, "snapshot"))
    ok(centrale(store, "outbox", "replay"))
    with InProcessStore(store) as run:  # capture reads the binlog with this account
        fresh.store.sql("INSERT INTO salespeople (code, first_name) VALUES ('Z', 'Zoé')", "pos")
        run.sync()
    assert fresh.hq.sql("SELECT first_name FROM salespeople WHERE code = 'Z' AND origin_store = 12", "pos_hq") == [
        ("Zoé",)
    ]
    for group in ("articles", "keyboards", "stores", "products", "customers"):
        ok(centrale(store, "pull", group))
    for group in ("sales", "stock", "staff", "customers"):
        ok(centrale(store, "push", group))
    ok(centrale(store, "sync", "customers"))
    ok(centrale(store, "outbox", "replay"))
    ok(centrale(store, "verify"))
    ok(centrale(store, "reconcile"))
    assert "store      12 Lyon" in ok(centrale(store, "status"))
    assert fresh.store.sql("SELECT name FROM stores WHERE id = 1", "pos") == [("Siège",)]
    ok(centrale(hq_config, "jobs", "add", "pull-articles", "--store", "12"))
    ok(centrale(hq_config, "status"))


def test_the_grants_the_readme_once_gave_fail_doctor_naming_the_pull_and_its_grant(fresh: Fresh) -> None:
    hq_sql, store_sql, _ = readme_blocks()
    hq_config = _set_up_head_office(fresh, hq_sql)
    monitor = "REPLICATION CLIENT, RELOAD" if isinstance(fresh.store, MySQLServer) else "BINLOG MONITOR"
    old = [
        store_sql[0],
        f"GRANT REPLICATION SLAVE, {monitor} ON *.* TO 'centrale'@'localhost'",
        "GRANT SELECT ON pos.* TO 'centrale'@'localhost'",
    ]
    store = _set_up_store(fresh, old, hq_config)
    doctor = centrale(store, "doctor")
    assert doctor.returncode == 3, doctor.stdout + doctor.stderr
    assert "action pull-articles:" in doctor.stdout and "may not INSERT articles" in doctor.stdout, doctor.stdout
    assert "fix: GRANT SELECT, INSERT, UPDATE, DELETE ON `pos`.`articles` TO 'centrale'@'localhost'" in doctor.stdout
    pull = centrale(store, "pull", "articles")
    assert pull.returncode == 8, pull.stdout + pull.stderr
    assert "Traceback" not in pull.stderr and "unexpected" not in pull.stderr, pull.stderr
    assert "hint: `centrale doctor` names the GRANT" in pull.stderr, pull.stderr
    # The one line still missing once the tables may be written: the marker's CREATE.
    fresh.store.sql("GRANT SELECT, INSERT, UPDATE, DELETE ON pos.* TO 'centrale'@'localhost'")
    doctor = centrale(store, "doctor")
    assert doctor.returncode == 3 and "may not CREATE centrale_marker" in doctor.stdout, doctor.stdout
    assert "GRANT CREATE, INSERT, UPDATE ON `pos`.`centrale_marker` TO 'centrale'@'localhost'" in doctor.stdout
    fresh.store.sql("GRANT CREATE, INSERT, UPDATE ON pos.centrale_marker TO 'centrale'@'localhost'")
    ok(centrale(store, "doctor"))
    ok(centrale(store, "pull", "articles"))
