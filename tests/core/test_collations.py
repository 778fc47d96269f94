"""Head office declares a store column's collation, or the nearest one it has
(``centrale.core.collations``), or refuses naming the column: MySQL's default collation used to
stop a MariaDB head office from creating the table, and shipping with it."""

from __future__ import annotations

import pytest

from centrale.core.catalog import TableSpec
from centrale.core.collations import equivalent_collation, read_collations
from centrale.core.errors import PreflightError
from centrale.core.hqtables import create_missing_tables
from centrale.core.schema import ColumnDef, TableDef, read_tables
from tests.conftest import Servers

MARIADB_10_11 = {
    "utf8mb4_general_ci": "utf8mb4",
    "utf8mb4_bin": "utf8mb4",
    "utf8mb4_unicode_ci": "utf8mb4",
    "utf8mb4_unicode_520_ci": "utf8mb4",
    "utf8mb4_unicode_520_nopad_ci": "utf8mb4",
    "latin1_swedish_ci": "latin1",
}
MARIADB_11_4 = {**MARIADB_10_11, "utf8mb4_uca1400_ai_ci": "utf8mb4", "utf8mb4_uca1400_as_cs": "utf8mb4"}
MYSQL_9 = {
    "utf8mb4_0900_ai_ci": "utf8mb4",
    "utf8mb4_0900_as_cs": "utf8mb4",
    "utf8mb4_0900_bin": "utf8mb4",
    "utf8mb4_bin": "utf8mb4",
    "utf8mb4_unicode_520_ci": "utf8mb4",
    "latin1_swedish_ci": "latin1",
}


@pytest.mark.parametrize(
    ("collation", "known", "chosen"),
    [
        ("latin1_swedish_ci", MARIADB_10_11, "latin1_swedish_ci"),  # known: kept as it is
        ("utf8mb4_0900_ai_ci", MARIADB_11_4, "utf8mb4_uca1400_ai_ci"),  # the same family, newer UCA
        ("utf8mb4_0900_ai_ci", MARIADB_10_11, "utf8mb4_unicode_520_ci"),  # the older UCA
        ("utf8mb4_fr_0900_ai_ci", MARIADB_10_11, "utf8mb4_unicode_520_ci"),  # the tailoring left behind
        ("utf8mb4_0900_as_cs", MARIADB_11_4, "utf8mb4_uca1400_as_cs"),
        ("utf8mb4_0900_as_cs", MARIADB_10_11, "utf8mb4_bin"),  # sensitive: values kept apart
        ("utf8mb4_0900_bin", MARIADB_10_11, "utf8mb4_bin"),
        ("utf8mb4_uca1400_ai_ci", MYSQL_9, "utf8mb4_0900_ai_ci"),
        ("utf8mb4_uca1400_french_nopad_as_cs", MYSQL_9, "utf8mb4_0900_as_cs"),
        ("utf8mb4_unicode_520_nopad_ci", MYSQL_9, "utf8mb4_unicode_520_ci"),
        ("utf8mb4_nopad_bin", MYSQL_9, "utf8mb4_bin"),
        ("utf8mb4_klingon_ci", MARIADB_10_11, None),
    ],
)
def test_the_nearest_collation_head_office_has(collation: str, known: dict[str, str], chosen: str | None) -> None:
    assert equivalent_collation(collation, known) == chosen


@pytest.mark.local_servers
def test_head_office_creates_a_store_table_in_collations_it_has_or_names_the_column(servers: Servers) -> None:
    hq = servers.hq
    hq.sql("CREATE DATABASE IF NOT EXISTS collations_hq")
    hq.sql("DROP TABLE IF EXISTS collations_hq.tickets")
    spec = {"tickets": TableSpec(kind="aggregate", group="sales")}
    id_col = ColumnDef("id", "int", "int(11)", False, None, None)
    mysql_name = ColumnDef("name", "varchar", "varchar(40)", False, "utf8mb4", "utf8mb4_0900_ai_ci")
    strange = ColumnDef("code", "varchar", "varchar(8)", True, "utf8mb4", "utf8mb4_klingon_ci")
    with hq.connect("collations_hq") as conn:
        assert "utf8mb4_0900_ai_ci" not in read_collations(conn)  # MariaDB 10.11: the case at hand
        with pytest.raises(PreflightError) as refused:
            create_missing_tables(
                conn,
                "collations_hq",
                spec,
                lambda _: {"tickets": TableDef("tickets", (id_col, strange), ("id",))},
                "origin_store",
            )
        assert "tickets.code" in str(refused.value) and "utf8mb4_klingon_ci" in str(refused.value)
        created = create_missing_tables(
            conn,
            "collations_hq",
            spec,
            lambda _: {"tickets": TableDef("tickets", (id_col, mysql_name), ("id",))},
            "origin_store",
        )
        assert created == ["tickets"]
        (tdef,) = read_tables(conn, "collations_hq", ["tickets"]).values()
    (name,) = [c for c in tdef.columns if c.name == "name"]
    assert name.collation == "utf8mb4_unicode_520_ci"
