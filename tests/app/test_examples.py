"""The shipped examples (examples/store.toml, examples/hq.toml) are files `doctor` accepts once
an integrator has set their own addresses with `centrale config set`, comments kept; the store's
catalog is the sample schema's, written out (schema/catalog.toml), so it is a starting point for
another POS."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from centrale.core.catalog import load_default_tables
from centrale.core.config import load
from sandbox.chain import Chain
from sandbox.processes import run_centrale

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def centrale(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    res = run_centrale(config, *args, env={**os.environ, "LANG": "C.UTF-8", "COLUMNS": "200"})
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    return res


def _copy(name: str, folder: Path) -> Path:
    path = folder / name
    shutil.copy(EXAMPLES / name, path)
    path.chmod(0o600)
    return path


def test_the_store_example_writes_out_the_sample_schemas_catalog(tmp_path: Path) -> None:
    cfg = load(_copy("store.toml", tmp_path))
    assert cfg.catalog.tables == load_default_tables() and not cfg.catalog.sample
    assert cfg.warnings == () and cfg.site.role == "store"
    assert load(_copy("hq.toml", tmp_path)).site.role == "hq"


def test_the_examples_pass_doctor_once_their_addresses_are_set(chain: Chain, tmp_path: Path) -> None:
    hq, lyon = chain.hq, chain.store(12)
    hq_file = _copy("hq.toml", tmp_path)
    centrale(hq_file, "config", "set", "local.url", hq.server.url(hq.database), "log.dir", str(tmp_path / "hq-log"))
    assert "all checks passed" in centrale(hq_file, "doctor").stdout
    store_file = _copy("store.toml", tmp_path)
    centrale(
        store_file,
        "config",
        "set",
        "local.url",
        lyon.server.url(lyon.database),
        "hq.host",
        hq.server.host,
        "hq.port",
        str(hq.server.port),
        "hq.database",
        hq.database,
        "hq.user",
        "root",
        "outbox.path",
        str(tmp_path / "outbox.db"),
        "log.dir",
        str(tmp_path / "store-log"),
    )
    assert "# The catalog: which tables Centrale synchronises" in store_file.read_text()  # comments kept
    doctor = centrale(store_file, "doctor").stdout
    assert "all checks passed" in doctor and "FAIL" not in doctor, doctor
