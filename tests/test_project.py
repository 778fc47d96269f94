"""The project's own shape: rooms never import each other, compose.yaml is valid, docs match code."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


def test_the_layers_hold_with_no_exception_list() -> None:
    """docs/architecture.md's picture, checked by import-linter: the face composes the rooms, the
    rooms import the core and never each other, the core imports nothing else of the project."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")
    assert layers["layers"] == ["centrale.app", "cdc | applier | jobs | centrale.hq", "centrale.core"]
    for contract in config["contracts"]:
        assert not contract.get("ignore_imports"), f"{contract['name']} has an exception list"
        assert not contract.get("unmatched_ignore_imports_alerting")
    exe = Path(sys.executable).with_name("lint-imports")
    res = subprocess.run([str(exe), "--no-cache", "--no-logo"], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stdout[-3000:]
    assert "0 broken" in res.stdout


def test_every_module_of_the_project_sits_in_a_layer() -> None:
    """No fourth place for code to hide in: every module is in the face, a room or the core."""
    allowed = ("centrale/app/", "centrale/hq/", "centrale/core/", "cdc/", "applier/", "jobs/")
    roots = {"centrale/__init__.py", "centrale/__main__.py"}
    for path in [
        *ROOT.glob("centrale/**/*.py"),
        *ROOT.glob("cdc/**/*.py"),
        *ROOT.glob("applier/**/*.py"),
        *ROOT.glob("jobs/**/*.py"),
    ]:
        rel = str(path.relative_to(ROOT))
        assert rel in roots or rel.startswith(allowed), f"{rel} is in no layer"


def test_no_module_is_over_400_lines() -> None:
    for pkg in ("centrale", "cdc", "applier", "jobs"):
        for path in (ROOT / pkg).rglob("*.py"):
            lines = len(path.read_text().splitlines())
            assert lines < 400, f"{path.relative_to(ROOT)} has {lines} lines"


def test_one_owner_per_third_party_library() -> None:
    owners = {
        "pymysqlreplication": {"cdc/reader.py", "cdc/library_fixes.py"},
        "orjson": {"centrale/core/codec.py"},
        "zstandard": {"cdc/compressed.py"},
        "apscheduler": {"centrale/app/scheduler.py"},
        "uvicorn": {"centrale/app/console/server.py"},
        "babel": {"centrale/core/i18n_catalog.py"},
        "typer": None,
    }
    for path in [
        *ROOT.glob("centrale/**/*.py"),
        *ROOT.glob("cdc/*.py"),
        *ROOT.glob("applier/*.py"),
        *ROOT.glob("jobs/*.py"),
    ]:
        rel = str(path.relative_to(ROOT))
        for lib, allowed in owners.items():
            if lib in imports_of(path):
                if allowed is None:
                    assert rel.startswith("centrale/app/"), f"{rel} imports {lib}"
                else:
                    assert rel in allowed, f"{rel} imports {lib}"


def test_compose_file_is_valid() -> None:
    exe = shutil.which("docker-compose")
    assert exe, "docker-compose is missing: `make install` (scripts/ensure-system) installs it"
    res = subprocess.run([exe, "-f", str(ROOT / "compose.yaml"), "config", "-q"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_compose_store_configs_load(tmp_path: Path) -> None:
    from centrale.core.config import load

    for name in ("store12.toml", "store13.toml", "hq.toml"):
        cfg = load(ROOT / "deploy/compose" / name, env={"CENTRALE_HQ_PASSWORD": "x"})
        assert cfg.site.hq_store == 1


def test_the_configuration_reference_documents_every_key() -> None:
    """docs/configuration.md is generated from the models (scripts/gen_config_docs.py): every key of
    every section has a description there, and the committed page is what the generator writes."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_config_docs", ROOT / "scripts" / "gen_config_docs.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert gen.problems() == []
    page = (ROOT / "docs" / "configuration.md").read_text()
    for section, model in gen.sections().items():
        for key in model.model_fields:
            shown = key if section == "tables" else f"{section}.{key}"
            assert f"| `{shown}` |" in page, f"docs/configuration.md lacks `{shown}`"
    assert gen.render(page) == page, "docs/configuration.md is out of date: run `python scripts/gen_config_docs.py`"


def test_web_libraries_stay_in_the_console() -> None:
    """Starlette and Jinja2 serve the console only; the library underneath never needs them."""
    for path in [
        *ROOT.glob("centrale/**/*.py"),
        *ROOT.glob("cdc/*.py"),
        *ROOT.glob("applier/*.py"),
        *ROOT.glob("jobs/*.py"),
    ]:
        rel = str(path.relative_to(ROOT))
        if rel.startswith("centrale/app/console/"):
            continue
        assert not imports_of(path) & {"starlette", "jinja2", "uvicorn"}, f"{rel} imports a web library"


def test_shipped_catalog_matches_the_sample_schema() -> None:
    from centrale.core.catalog import load_default_tables, schema_dir

    sql = (schema_dir() / "pos_store.sql").read_text()
    created = set(re.findall(r"CREATE TABLE (\w+)", sql))
    assert set(load_default_tables()) == created
    groups = {s.group for s in load_default_tables().values()}
    assert groups == {"sales", "stock", "staff", "customers", "articles", "keyboards", "stores", "products"}


def test_pyproject_pins_the_replication_library_the_notes_were_measured_with() -> None:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert "mysql-replication==1.0.17" in deps


@pytest.mark.local_servers
def test_the_demo_runs_and_head_office_equals_the_stores() -> None:
    """`make demo`, shortened: the README's first command works and proves its point."""
    import os

    res = subprocess.run(
        [sys.executable, "-m", "sandbox.demo"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "DEMO_SECONDS": "4"},
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "head office equals every store, row for row" in res.stdout
    assert "12 Lyon" in res.stdout and "13 Lille" in res.stdout
    assert "stopped everything it started" in res.stdout


def test_the_tests_mirror_the_packages() -> None:
    """One test folder per package (the fault and browser suites their own), and no test file
    loose at the top but the project's own shape and docs."""
    for package in ("core", "hq", "app", "cdc", "applier", "jobs"):
        assert list((ROOT / "tests" / package).glob("test_*.py")), f"tests/{package}/ holds no tests"
    assert list((ROOT / "tests" / "faults").glob("test_*.py"))
    assert list((ROOT / "tests" / "browser").glob("test_*.py"))
    loose = {p.name for p in (ROOT / "tests").glob("test_*.py")}
    assert loose == {"test_project.py", "test_docs.py"}, loose
