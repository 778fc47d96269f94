"""The project's own shape: rooms never import each other, compose.yaml is valid, docs match code."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROOMS = ("cdc", "applier", "jobs")


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


@pytest.mark.parametrize("room", [r for r in ROOMS if (ROOT / r).is_dir()])
def test_rooms_import_the_core_and_never_each_other(room: str) -> None:
    for path in (ROOT / room).rglob("*.py"):
        others = imports_of(path) & (set(ROOMS) - {room})
        assert not others, f"{path.relative_to(ROOT)} imports {others}"


def test_core_library_modules_do_not_import_the_rooms() -> None:
    composition_root = {
        "cli.py",
        "site.py",
        "doctor.py",
        "runner.py",
        "status.py",
        "actions.py",
        "report.py",
        "restorecheck.py",
    }
    for path in (ROOT / "centrale").rglob("*.py"):
        if path.name in composition_root and path.parent.name == "centrale":
            continue
        if path.parent.name == "console":  # a shell over the rooms, like cli.py
            continue
        assert not imports_of(path) & set(ROOMS), f"centrale/{path.name} imports a room"


def test_one_owner_per_third_party_library() -> None:
    owners = {
        "pymysqlreplication": {"cdc/reader.py", "cdc/library_fixes.py"},
        "orjson": {"centrale/codec.py"},
        "zstandard": {"cdc/compressed.py"},
        "apscheduler": {"centrale/scheduler.py"},
        "uvicorn": {"centrale/console/server.py"},
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
                    assert path.name == "cli.py", f"{rel} imports {lib}"
                else:
                    assert rel in allowed, f"{rel} imports {lib}"


def test_compose_file_is_valid() -> None:
    exe = shutil.which("docker-compose")
    assert exe, "docker-compose is missing: `make install` (scripts/ensure-system) installs it"
    res = subprocess.run([exe, "-f", str(ROOT / "compose.yaml"), "config", "-q"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_compose_store_configs_load(tmp_path: Path) -> None:
    from centrale.config import load

    for name in ("store12.toml", "store13.toml", "hq.toml"):
        cfg = load(ROOT / "deploy/compose" / name, env={"CENTRALE_HQ_PASSWORD": "x"})
        assert cfg.site.hq_store == 1


def test_readme_documents_every_config_key() -> None:
    """The configuration reference in the README cannot drift from the models."""
    from centrale import config as c

    readme = (ROOT / "README.md").read_text()
    sections = {
        "site": c.SiteSection,
        "local": c.LocalSection,
        "hq": c.HqSection,
        "ship": c.ShipSection,
        "outbox": c.OutboxSection,
        "log": c.LogSection,
        "options": c.OptionsSection,
        "jobs": c.JobsSection,
        "console": c.ConsoleSection,
    }
    for section, model in sections.items():
        for key in model.model_fields:
            assert re.search(rf"`{section}\.{key}`", readme), f"README lacks `{section}.{key}`"


def test_web_libraries_stay_in_the_console() -> None:
    """Starlette and Jinja2 serve the console only; the library underneath never needs them."""
    for path in [
        *ROOT.glob("centrale/**/*.py"),
        *ROOT.glob("cdc/*.py"),
        *ROOT.glob("applier/*.py"),
        *ROOT.glob("jobs/*.py"),
    ]:
        rel = str(path.relative_to(ROOT))
        if rel.startswith("centrale/console/"):
            continue
        assert not imports_of(path) & {"starlette", "jinja2", "uvicorn"}, f"{rel} imports a web library"


def test_the_wheel_carries_the_consoles_templates_and_static_files(tmp_path: Path) -> None:
    import sys

    res = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    import zipfile

    (wheel,) = tmp_path.glob("centrale-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("store.html", "hq.html", "base.html"):
        assert f"centrale/console/templates/{needed}" in names
    assert {"centrale/console/static/console.css", "centrale/console/static/console.js"} <= names


def test_shipped_catalog_matches_the_sample_schema() -> None:
    from centrale.catalog import load_default_tables, schema_dir

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
    import sys

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
