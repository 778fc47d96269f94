"""`doctor` refuses, before the first row, a catalog that head office could not hold: a key
that may be NULL at the store, a shared table whose own id would not fill itself for rows pulled
in, columns named in the catalog that the table lacks. `run` refuses to start on them too."""

from __future__ import annotations

from sandbox.chain import Chain, Site

PREFLIGHT_EXIT = 3


def seeded(chain: Chain) -> Site:
    site = chain.store(12)
    doctor = chain.centrale(site, "doctor", check=False)
    assert doctor.returncode == 0, doctor.stdout  # the sample schema passes
    return site


def failed_doctor(chain: Chain, site: Site, alter: str) -> str:
    """What `doctor` says once ``alter`` ran at the store: it fails, with the preflight's exit code."""
    site.sql(alter)
    doctor = chain.centrale(site, "doctor", check=False)
    assert doctor.returncode == PREFLIGHT_EXIT
    return doctor.stdout


def test_a_key_that_may_be_null_at_the_store_is_refused(chain: Chain) -> None:
    site = seeded(chain)
    doctor = failed_doctor(chain, site, "ALTER TABLE customers MODIFY card_number VARCHAR(32) NULL")
    assert "key column(s) card_number of customers may be NULL at the store" in doctor
    assert "ALTER TABLE customers MODIFY ... NOT NULL" in doctor
    run = chain.centrale(site, "run", check=False, timeout=60)
    assert run.returncode == PREFLIGHT_EXIT and "card_number" in run.stdout + run.stderr


def test_a_shared_tables_own_id_that_does_not_fill_itself_is_refused(chain: Chain) -> None:
    site = seeded(chain)
    doctor = failed_doctor(chain, site, "ALTER TABLE customers MODIFY id INT NOT NULL")  # no AUTO_INCREMENT, no default
    assert "shared table customers's own id column(s) id have no default" in doctor


def test_columns_the_catalog_names_must_exist(chain: Chain) -> None:
    site = seeded(chain)
    alter = "ALTER TABLE customers CHANGE updated_at changed_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
    doctor = failed_doctor(chain, site, alter)
    assert "the catalog names column(s) updated_at that customers does not have" in doctor
