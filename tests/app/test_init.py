"""`centrale init store|hq` on a schema the project never saw (French names in CamelCase, as an
ORM writes them, with the problems real POS databases have: a table without a key, a cascade
the binlog never carries, a customers table, a view, a settings table): every table is listed
with its key and what was decided, the file written is one `doctor` accepts, every table left
out is in it, commented with why, and a head office and two stores set up from those files
alone ship and pull."""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path

import orjson

from centrale.core.catalog import load_default_tables
from centrale.core.config import load
from sandbox.mysql import MySQLServer
from sandbox.processes import run_centrale
from sandbox.server import LocalServer
from tests.conftest import Servers

UNSEEN_SCHEMA = [
    """CREATE TABLE Magasins (Id INT PRIMARY KEY, Nom VARCHAR(60) NOT NULL,
        DateMaj DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP)""",
    """CREATE TABLE Articles (Id INT AUTO_INCREMENT PRIMARY KEY, Code VARCHAR(20) NOT NULL UNIQUE,
        Libelle VARCHAR(80) NOT NULL, PrixTTC DECIMAL(10,2) NOT NULL,
        DateMaj DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP)""",
    """CREATE TABLE Tickets (Id BIGINT AUTO_INCREMENT PRIMARY KEY, DateVente DATETIME NOT NULL,
        MontantTTC DECIMAL(10,2) NOT NULL, VendeurId INT NULL)""",
    """CREATE TABLE LignesTicket (Id BIGINT AUTO_INCREMENT PRIMARY KEY, TicketId BIGINT NOT NULL,
        ArticleId INT NOT NULL, Quantite INT NOT NULL, FOREIGN KEY (TicketId) REFERENCES Tickets (Id))""",
    """CREATE TABLE Clients (Id INT AUTO_INCREMENT PRIMARY KEY, NumeroCarte VARCHAR(20) NOT NULL,
        Nom VARCHAR(60) NULL, DateMaj DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
        UNIQUE KEY carte (NumeroCarte))""",
    "CREATE TABLE Pointages (Id INT AUTO_INCREMENT PRIMARY KEY, VendeurId INT NOT NULL, Heure DATETIME NOT NULL)",
    # The problems: no key; a cascade capture never sees; a name that says nothing; a view.
    "CREATE TABLE JournalCaisse (Quand DATETIME NOT NULL, Texte VARCHAR(200) NULL)",
    """CREATE TABLE MouvementsStock (Id INT AUTO_INCREMENT PRIMARY KEY, ArticleId INT NOT NULL,
        Quantite INT NOT NULL, Quand DATETIME NOT NULL,
        CONSTRAINT fk_mvt_article FOREIGN KEY (ArticleId) REFERENCES Articles (Id) ON UPDATE CASCADE)""",
    "CREATE TABLE Parametres (Cle VARCHAR(40) PRIMARY KEY, Valeur TEXT NULL)",
    "CREATE VIEW VueVentes AS SELECT DATE(DateVente) AS Jour, SUM(MontantTTC) AS Total FROM Tickets GROUP BY 1",
]
ROWS = [
    "INSERT INTO Magasins (Id, Nom) VALUES (1, 'Siège'), (12, 'Lyon'), (13, 'Nantes')",
    "INSERT INTO Articles (Code, Libelle, PrixTTC) VALUES ('CAFE', 'Café', 1.20), ('THE', 'Thé', 1.50)",
    "INSERT INTO Tickets (DateVente, MontantTTC, VendeurId) VALUES (NOW(), 2.70, 1), (NOW(), 1.20, 2)",
    "INSERT INTO LignesTicket (TicketId, ArticleId, Quantite) VALUES (1, 1, 1), (1, 2, 1), (2, 1, 1)",
    "INSERT INTO Clients (NumeroCarte, Nom) VALUES ('C-{store}-1', 'Zoé')",
    "INSERT INTO Pointages (VendeurId, Heure) VALUES (1, NOW())",
]
LEFT_OUT = ("JournalCaisse", "MouvementsStock", "Parametres", "VueVentes")
_numbers = itertools.count(1)


def centrale(config: Path | None, *args: str, env: dict[str, str] | None = None) -> str:
    res = run_centrale(config, *args, env={**os.environ, "LANG": "C.UTF-8", "COLUMNS": "200", **(env or {})})
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert "Traceback" not in out and "unexpected" not in out, out
    return res.stdout


def _unseen(servers: Servers, store: int, database: str, server: LocalServer | None = None) -> str:
    server = server or servers.stores[store]
    server.sql(f"CREATE DATABASE `{database}`")
    with server.connect(database) as conn, conn.cursor() as cur:
        for statement in UNSEEN_SCHEMA + ROWS:
            cur.execute(statement.format(store=store))
        conn.commit()
    return server.url(database)


def _hq_database(servers: Servers, database: str) -> str:
    """Head office's database with its own POS's tables that stores receive."""
    servers.hq.sql(f"CREATE DATABASE `{database}`")
    with servers.hq.connect(database) as conn, conn.cursor() as cur:
        for statement in UNSEEN_SCHEMA[:2] + ROWS[:2]:
            cur.execute(statement)
        cur.execute("INSERT INTO Articles (Code, Libelle, PrixTTC) VALUES ('CHOC', 'Chocolat', 2.10)")
        conn.commit()
    return servers.hq.url(database)


def test_init_store_lists_every_table_and_writes_a_file_doctor_accepts(servers: Servers, tmp_path: Path) -> None:
    n = next(_numbers)
    url = _unseen(servers, 12, f"unseen_{os.getpid()}_{n}")
    hq_db = f"unseen_hq_{os.getpid()}_{n}"
    hq_url = _hq_database(servers, hq_db)
    store_file, hq_file = tmp_path / "lyon" / "store.toml", tmp_path / "hq" / "hq.toml"
    hq_port = str(servers.hq.port)
    printed = centrale(
        None, "init", "store", url, "--store", "12", "--name", "Lyon", "--hq-host", "127.0.0.1",
        "--hq-port", hq_port, "--hq-database", hq_db, "--hq-user", "root", "--out", str(store_file),
    )  # fmt: skip
    for name in (*LEFT_OUT, "Magasins", "Articles", "Tickets", "LignesTicket", "Clients", "Pointages"):
        assert re.search(rf"^  {name} ", printed, re.M), printed
    assert re.search(r"^  Tickets +\d+  Id +aggregate, sales$", printed, re.M), printed
    assert re.search(r"^  Clients +\d+  NumeroCarte +shared, customers$", printed, re.M), printed
    assert re.search(r"^  JournalCaisse +\d+  - +left out$", printed, re.M), printed
    assert "ON UPDATE CASCADE" in printed and "no primary key" in printed, printed
    assert (store_file.stat().st_mode & 0o777) == 0o600

    text = store_file.read_text()
    for name in LEFT_OUT:  # in the file, commented, with why
        assert re.search(rf"^# Left out: .+\n# Fix: .+\n# \[tables\.{name}\]$", text, re.M), text
    cfg = load(store_file, env={})
    assert sorted(cfg.catalog.tables) == ["Articles", "Clients", "LignesTicket", "Magasins", "Pointages", "Tickets"]
    tickets = cfg.catalog.spec("Tickets")
    assert (tickets.since_column, tickets.sum_column) == ("DateVente", "MontantTTC")
    assert cfg.catalog.spec("Articles").modified_column == "DateMaj"

    hq_out = centrale(None, "init", "hq", hq_url, "--catalog-from", str(store_file), "--out", str(hq_file))
    assert "not at head office yet" in hq_out, hq_out
    assert load(hq_file, env={}).catalog.tables == cfg.catalog.tables
    centrale(hq_file, "hq", "init", "--tables-from", url)
    assert "all checks passed" in centrale(hq_file, "doctor")
    doctor = centrale(store_file, "doctor")
    assert "all checks passed" in doctor and "FAIL" not in doctor, doctor


def test_a_chain_set_up_from_init_alone_ships_and_pulls_on_a_schema_never_seen(
    servers: Servers, tmp_path: Path
) -> None:
    n = next(_numbers)
    hq_db = f"unseen_hq_{os.getpid()}_{n}"
    hq_url = _hq_database(servers, hq_db)
    urls = {store: _unseen(servers, store, f"unseen_{os.getpid()}_{n}") for store in (12, 13)}
    files = {store: tmp_path / f"s{store}" / "store.toml" for store in urls}
    hq_file = tmp_path / "hq" / "hq.toml"
    for store, url in urls.items():
        centrale(
            None, "init", "store", url, "--store", str(store), "--hq-host", "127.0.0.1",
            "--hq-port", str(servers.hq.port), "--hq-database", f"{hq_db}_stores", "--out", str(files[store]),
        )  # fmt: skip
    centrale(None, "init", "hq", hq_url, "--catalog-from", str(files[12]), "--out", str(hq_file))
    centrale(hq_file, "hq", "init", "--tables-from", urls[12])
    passwords = {}
    for store in urls:
        account = orjson.loads(centrale(hq_file, "hq", "add-store", str(store), "--json"))
        assert (account["account"], account["database"]) == (f"centrale_store_{store}", f"{hq_db}_stores")
        passwords[store] = {"CENTRALE_HQ_PASSWORD": account["password"]}
    assert "all checks passed" in centrale(hq_file, "doctor")
    for store in urls:
        doctor = centrale(files[store], "doctor", env=passwords[store])
        assert "all checks passed" in doctor and "FAIL" not in doctor, doctor
        centrale(files[store], "snapshot", env=passwords[store])
        centrale(files[store], "outbox", "replay", env=passwords[store])
        centrale(files[store], "pull", "articles", env=passwords[store])
    hq = servers.hq
    assert hq.sql("SELECT origin_store, COUNT(*) FROM Tickets GROUP BY origin_store ORDER BY 1", hq_db) == [
        (12, 2),
        (13, 2),
    ]
    assert hq.sql("SELECT COUNT(*) FROM Clients", hq_db) == [(2,)]  # one chain-wide row per card
    for store in urls:
        assert servers.stores[store].sql(
            "SELECT Libelle FROM Articles WHERE Code = 'CHOC'", f"unseen_{os.getpid()}_{n}"
        ) == [("Chocolat",)]


def test_init_keeps_an_existing_file_and_says_all_as_json(servers: Servers, tmp_path: Path) -> None:
    n = next(_numbers)
    url = _unseen(servers, 13, f"unseen_{os.getpid()}_{n}")
    target = tmp_path / "store.toml"
    target.write_text("# mine\n")
    args = ("init", "store", url, "--store", "13", "--hq-host", "hq.example.com", "--out", str(target))
    refused = run_centrale(None, *args, env={**os.environ, "LANG": "C.UTF-8"})
    assert refused.returncode == 64 and "--force" in refused.stderr, refused.stderr
    assert target.read_text() == "# mine\n"
    survey = orjson.loads(centrale(None, *args, "--force", "--json"))
    found = {t["table"]: t for t in survey["tables"]}
    assert set(found) == {*LEFT_OUT, "Magasins", "Articles", "Tickets", "LignesTicket", "Clients", "Pointages"}
    assert {name for name, t in found.items() if not t["included"]} == set(LEFT_OUT)
    assert found["MouvementsStock"]["problems"] and found["Clients"]["proposal"]["key"] == ["NumeroCarte"]
    assert target.read_text().startswith("# Written by `centrale init store`")


def test_the_sample_schema_is_proposed_as_its_shipped_catalog_says(servers: Servers, tmp_path: Path) -> None:
    """The project's own sample (schema/pos_store.sql) as a check of the guesses: every table in
    its group and direction, the customers by their card number."""
    from sandbox.chain import load_sql, store_schema_sql

    database = f"sample_{os.getpid()}_{next(_numbers)}"
    server = servers.stores[12]
    server.sql(f"CREATE DATABASE `{database}`")
    with server.connect(database) as conn:
        load_sql(conn, store_schema_sql())
    out = tmp_path / "store.toml"
    centrale(None, "init", "store", server.url(database), "--store", "12", "--hq-host", "hq", "--out", str(out))
    proposed = load(out, env={}).catalog.tables
    shipped = load_default_tables()
    assert {t: (s.kind, s.group) for t, s in proposed.items()} == {t: (s.kind, s.group) for t, s in shipped.items()}
    assert proposed["customers"].key == ("card_number",)


def test_a_head_office_without_a_pos_takes_its_reference_tables_from_a_store(servers: Servers, tmp_path: Path) -> None:
    n = next(_numbers)
    store_db, hq_db = f"unseen_{os.getpid()}_{n}", f"unseen_hq_{os.getpid()}_{n}"
    url = _unseen(servers, 12, store_db)
    servers.hq.sql(f"CREATE DATABASE `{hq_db}`")  # a head office with no POS: no table at all
    store_file, hq_file = tmp_path / "lyon" / "store.toml", tmp_path / "hq" / "hq.toml"
    centrale(
        None, "init", "store", url, "--store", "12", "--hq-host", "127.0.0.1", "--hq-port", str(servers.hq.port),
        "--hq-database", hq_db, "--hq-user", "root", "--out", str(store_file),
    )  # fmt: skip
    hq_out = centrale(
        None, "init", "hq", servers.hq.url(hq_db), "--catalog-from", str(store_file), "--out", str(hq_file)
    )
    assert re.search(r"^  Articles .*\n      note: not at head office: .*--reference`$", hq_out, re.M), hq_out
    done = centrale(hq_file, "hq", "init", "--tables-from", url, "--reference")
    assert "reference tables created from the store's, with its rows: Articles (2), Magasins (3)" in done, done
    ddl = servers.hq.sql("SHOW CREATE TABLE Articles", hq_db)[0][1]
    assert "AUTO_INCREMENT" in ddl and "ON UPDATE" in ddl  # head office goes on adding and dating them
    doctor = centrale(store_file, "doctor")
    assert "all checks passed" in doctor, doctor
    assert "0 rows changed" in centrale(store_file, "pull", "articles")  # the same rows
    servers.hq.sql("INSERT INTO Articles (Code, Libelle, PrixTTC) VALUES ('JUS', 'Jus', 2.50)", hq_db)
    centrale(store_file, "pull", "articles")
    assert servers.stores[12].sql("SELECT Libelle FROM Articles WHERE Code = 'JUS'", store_db) == [("Jus",)]
    again = centrale(hq_file, "hq", "init", "--tables-from", url, "--reference")  # head office's rows stay its own
    assert "with its rows: none" in again, again
    assert servers.hq.sql("SELECT COUNT(*) FROM Articles", hq_db) == [(3,)]


def test_a_mysql_store_is_surveyed_as_a_mariadb_one(servers: Servers, mysql: MySQLServer, tmp_path: Path) -> None:
    n = next(_numbers)
    files = {}
    for kind, server in (("mariadb", servers.stores[12]), ("mysql", mysql)):
        url = _unseen(servers, 12, f"unseen_{os.getpid()}_{n}", server)
        files[kind] = tmp_path / kind / "store.toml"
        printed = centrale(None, "init", "store", url, "--store", "12", "--hq-host", "hq", "--out", str(files[kind]))
        assert "ON UPDATE CASCADE" in printed and "no primary key" in printed, printed
    assert load(files["mysql"], env={}).catalog.tables == load(files["mariadb"], env={}).catalog.tables
