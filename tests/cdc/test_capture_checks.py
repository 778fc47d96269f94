"""`doctor` finds, before the first row, what capture would carry wrongly: cascading foreign keys
on captured tables, columns carried as bytes, tables that cannot roll back. `run` refuses to
start on the failures."""

from __future__ import annotations

from centrale.core.config import load
from sandbox.chain import Chain, Site

PREFLIGHT_EXIT = 3

CATALOG = """
[tables.orders]
kind = "aggregate"
group = "sales"
on_delete = "delete"

[tables.order_lines]
kind = "aggregate"
group = "sales"
on_delete = "{on_delete}"
"""


def store_with(chain: Chain, child_fk: str, on_delete: str = "delete") -> Site:
    site = chain.store(12)
    site.sql("CREATE TABLE orders (id INT PRIMARY KEY) ENGINE=InnoDB")
    site.sql(
        "CREATE TABLE order_lines (id INT PRIMARY KEY, order_id INT, label VARCHAR(20) CHARSET sjis, "
        f"CONSTRAINT fk_lines_order FOREIGN KEY (order_id) REFERENCES orders (id) {child_fk}) ENGINE=InnoDB"
    )
    with open(site.config, "a", encoding="utf-8") as fh:
        fh.write(CATALOG.format(on_delete=on_delete))
    assert load(site.config).catalog.captured == ["orders", "order_lines"]
    return site


def test_doctor_fails_on_a_cascading_foreign_key_of_a_captured_table_and_run_refuses(chain: Chain) -> None:
    site = store_with(chain, "ON DELETE CASCADE ON UPDATE SET NULL")
    doctor = chain.centrale(site, "doctor", check=False)
    assert doctor.returncode == PREFLIGHT_EXIT, doctor.stdout
    assert "fk_lines_order" in doctor.stdout and "ON DELETE CASCADE, ON UPDATE SET NULL" in doctor.stdout
    assert "ON DELETE RESTRICT ON UPDATE RESTRICT" in doctor.stdout
    run = chain.centrale(site, "run", check=False, timeout=60)
    assert run.returncode == PREFLIGHT_EXIT
    assert "fk_lines_order" in run.stdout + run.stderr


def test_a_cascading_delete_is_accepted_where_head_office_ignores_deletes(chain: Chain) -> None:
    site = store_with(chain, "ON DELETE CASCADE", on_delete="ignore")
    doctor = chain.centrale(site, "doctor", check=False)
    assert "fk_lines_order" not in doctor.stdout, doctor.stdout
    assert "no foreign key changes a captured table's rows" in doctor.stdout


def test_doctor_names_columns_carried_as_bytes_and_tables_that_cannot_roll_back(chain: Chain) -> None:
    site = store_with(chain, "")
    site.sql("ALTER TABLE order_lines DROP FOREIGN KEY fk_lines_order")
    site.sql("ALTER TABLE orders ENGINE=MyISAM")
    doctor = chain.centrale(site, "doctor", check=False)
    assert "order_lines.label (sjis)" in doctor.stdout, doctor.stdout
    assert "orders (MyISAM)" in doctor.stdout
