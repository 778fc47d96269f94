"""The wheel is what a store installs: built from the source tree without writing into it, it holds
every file of the four packages the project ships (the message catalogs compiled, the console's
templates and static files, the sample schema), the licence and the `centrale` command, and
nothing else of the checkout; installed in a fresh virtual environment, away from the checkout,
`centrale doctor` passes on a set-up store, in English, in French and as JSON, and the console
serves its pages."""

from __future__ import annotations

import configparser
import os
import re
import subprocess
import sys
import tomllib
import urllib.request
import venv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
import typer.main

from centrale.app.cli.main import app
from centrale.core.i18n_catalog import read_mo, read_po
from sandbox.chain import Chain
from sandbox.processes import stop_process
from sandbox.server import free_port

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
WHEEL_TARGET = PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]
VERSION = PYPROJECT["project"]["version"]
DIST_INFO = f"centrale-{VERSION}.dist-info"

SHIPPED = ("centrale", "cdc", "applier", "jobs")
NOT_SHIPPED = ("tests", "sandbox", "bench")  # the checkout's own: the suite, the demo chain, the benchmarks
LOCALE = "centrale/core/locale"


# What the tools run beside a build write into a checkout (a linter, the suite itself), not a build.
TOOL_CACHES = (".venv/", ".mypy_cache/", ".ruff_cache/", ".pytest_cache/", ".hypothesis/")


def git_additions() -> set[str]:
    """The source tree's untracked and ignored paths, as `git status` names them (the tools'
    caches aside); none outside a git checkout."""
    if not (ROOT / ".git").exists():
        return set()
    res = subprocess.run(
        ["git", "status", "--porcelain=v1", "-z", "--ignored", "--untracked-files=all"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    entries = [e for e in res.stdout.split("\0") if e]
    return {e[3:] for e in entries if e[:2] in ("??", "!!") and not e[3:].startswith(TOOL_CACHES)}


@dataclass(frozen=True)
class Built:
    wheel: Path
    tree_before: set[str]
    tree_after: set[str]

    def names(self) -> set[str]:
        with zipfile.ZipFile(self.wheel) as whl:
            return set(whl.namelist())

    def read(self, name: str) -> bytes:
        with zipfile.ZipFile(self.wheel) as whl:
            return whl.read(name)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """`pip wheel --no-deps .`, as the README has it, into a temporary folder. Without bytecode:
    hatchling imports hatch_build.py from the source tree, which would leave __pycache__ there."""
    out = tmp_path_factory.mktemp("wheel")
    before = git_additions()
    res = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        cwd=out,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert res.returncode == 0, res.stderr[-3000:]
    (wheel,) = out.glob("centrale-*.whl")
    return Built(wheel, before, git_additions())


@pytest.fixture(scope="module")
def installed(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment (no system site-packages) with the wheel installed by pip, its
    dependencies from the package index; the environment's folder."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True, system_site_packages=False, clear=True).create(env_dir)
    res = subprocess.run(
        [str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", str(built.wheel)],
        capture_output=True,
        text=True,
        cwd=env_dir,
        env=outside_env(env_dir),
    )
    assert res.returncode == 0, res.stderr[-3000:]
    return env_dir


def outside_env(env_dir: Path, **extra: str) -> dict[str, str]:
    """An operator's environment with the virtual environment first on PATH: nothing of this
    process's Python (PYTHONPATH...), its locale or any CENTRALE_* variable comes along."""
    dropped = ("PYTHON", "LC_", "LANG", "VIRTUAL_ENV", "CENTRALE_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    return {**env, "PATH": f"{env_dir / 'bin'}{os.pathsep}{env['PATH']}", "COLUMNS": "200", **extra}


def installed_centrale(
    env_dir: Path, *args: str, lang: str = "C.UTF-8", config: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed `centrale` command, run from a folder outside the checkout."""
    command = [str(env_dir / "bin" / "centrale"), *(["--config", str(config)] if config else []), *args]
    return subprocess.run(
        command, capture_output=True, text=True, cwd=env_dir, env=outside_env(env_dir, LANG=lang), timeout=120
    )


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]


def expected_files() -> set[str]:
    """What the wheel must hold, from the source tree: every file of the shipped packages, each
    catalog's .po as its compiled .mo and no .pot, each force-included folder at its place, and
    the dist-info with the licence."""
    out: set[str] = set()
    for package in SHIPPED:
        for path in files_under(ROOT / package):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith(f"{LOCALE}/") and path.suffix == ".po":
                out.add(rel.removesuffix(".po") + ".mo")
            elif not (rel.startswith(f"{LOCALE}/") and path.suffix in (".pot", ".mo")):
                out.add(rel)
    for source, target in WHEEL_TARGET["force-include"].items():
        out.update(f"{target}/{p.relative_to(ROOT / source).as_posix()}" for p in files_under(ROOT / source))
    meta = ("METADATA", "WHEEL", "RECORD", "entry_points.txt", "licenses/LICENSE")
    return out | {f"{DIST_INFO}/{name}" for name in meta}


def test_the_wheel_ships_the_four_packages_and_none_of_the_checkouts_own() -> None:
    assert tuple(WHEEL_TARGET["packages"]) == SHIPPED
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert packages == {*SHIPPED, *NOT_SHIPPED}, "a new top-level package: ship it (pyproject) or say why not"


def test_the_wheel_holds_every_file_of_the_packages_and_nothing_else(built: Built) -> None:
    names = built.names()
    expected = expected_files()
    assert not expected - names, f"missing from the wheel: {sorted(expected - names)}"
    assert not names - expected, f"in the wheel but not expected: {sorted(names - expected)}"
    # The files the runtime opens, said out loud (all of them are among the expected above).
    assert {f"{LOCALE}/en/LC_MESSAGES/centrale.mo", f"{LOCALE}/fr/LC_MESSAGES/centrale.mo"} <= names
    assert {"centrale/core/shipped_schema/catalog.toml", "centrale/core/shipped_schema/pos_store.sql"} <= names
    console = ROOT / "centrale" / "app" / "console"
    assert {p.relative_to(ROOT).as_posix() for p in files_under(console / "templates")} <= names
    assert {p.relative_to(ROOT).as_posix() for p in files_under(console / "static")} <= names
    assert not [n for n in names if n.endswith((".po", ".pot", ".pyc")) or n.split("/")[0] in NOT_SHIPPED]


def test_each_compiled_catalog_says_what_its_po_says(built: Built, tmp_path: Path) -> None:
    sources = sorted((ROOT / LOCALE).glob("*/LC_MESSAGES/centrale.po"))
    assert {po.parent.parent.name for po in sources} == {"en", "fr"}
    for po in sources:
        mo = tmp_path / f"{po.parent.parent.name}.mo"
        mo.write_bytes(built.read(po.relative_to(ROOT).with_suffix(".mo").as_posix()))
        assert read_mo(str(mo)) == read_po(str(po)), po


def test_the_wheel_carries_the_licence_and_the_centrale_command(built: Built) -> None:
    assert built.read(f"{DIST_INFO}/licenses/LICENSE") == (ROOT / "LICENSE").read_bytes()
    metadata = built.read(f"{DIST_INFO}/METADATA").decode().splitlines()
    assert f"License-Expression: {PYPROJECT['project']['license']}" in metadata
    entry_points = configparser.ConfigParser()
    entry_points.read_string(built.read(f"{DIST_INFO}/entry_points.txt").decode())
    assert (
        dict(entry_points["console_scripts"])
        == PYPROJECT["project"]["scripts"]
        == {"centrale": "centrale.app.cli.main:entry"}
    )


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="the source tree is not a git checkout")
def test_building_the_wheel_adds_nothing_to_the_source_tree(built: Built) -> None:
    assert built.tree_after == built.tree_before, f"left by the build: {sorted(built.tree_after - built.tree_before)}"


def test_the_installed_command_runs_from_its_own_environment_not_the_checkout(installed: Path) -> None:
    where = subprocess.run(
        [str(installed / "bin" / "python"), "-c", "import centrale, cdc, applier, jobs; print(centrale.__file__)"],
        capture_output=True,
        text=True,
        cwd=installed,
        env=outside_env(installed),
    )
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(installed), where.stdout
    version = installed_centrale(installed, "--version")
    assert (version.returncode, version.stdout) == (0, f"centrale {VERSION}\n"), version.stderr
    helped = installed_centrale(installed, "--help")
    assert helped.returncode == 0, helped.stderr
    for command in typer.main.get_command(app).commands:  # type: ignore[attr-defined]
        assert re.search(rf"^│ {command} ", helped.stdout, re.MULTILINE), f"--help does not list {command}"


@pytest.fixture
def set_up_store(installed: Path, chain: Chain) -> Iterator[Path]:
    """Store 12 set up as the README has it, with the installed commands: head office's tables
    from the store's definitions, `hq add-store 12` (an account of its own, unique on the shared
    servers) and the [hq] lines it prints set in the store's file; the file. On leaving, the
    account and its database are dropped (the chain drops its own databases)."""
    hq, lyon = chain.hq, chain.store(12)
    init = installed_centrale(
        installed, "hq", "init", "--tables-from", lyon.server.url(lyon.database), config=hq.config
    )
    assert init.returncode == 0, init.stdout + init.stderr
    added = installed_centrale(installed, "hq", "add-store", "12", "--user", f"wh_{hq.database}", config=hq.config)
    assert added.returncode == 0, added.stdout + added.stderr
    lines = dict(re.findall(r'^(\w+) = "(.*)"$', added.stdout, re.MULTILINE))
    try:
        keys = [arg for key in ("database", "user", "password") for arg in (f"hq.{key}", lines[key])]
        set_up = installed_centrale(installed, "config", "set", *keys, config=lyon.config)
        assert set_up.returncode == 0, set_up.stdout + set_up.stderr
        yield lyon.config
    finally:
        hq.server.sql(f"DROP USER IF EXISTS '{lines['user']}'@'%'")
        hq.server.sql(f"DROP DATABASE IF EXISTS `{lines['database']}`")


def test_installed_doctor_passes_on_a_set_up_store_in_english_french_and_json(
    installed: Path, set_up_store: Path
) -> None:
    store = set_up_store
    english = installed_centrale(installed, "doctor", config=store)
    assert english.returncode == 0, english.stdout + english.stderr
    *checks, verdict = english.stdout.splitlines()
    assert verdict == "all checks passed" and checks, english.stdout
    assert all(line.startswith("ok ") for line in checks), english.stdout  # every check green
    assert "Traceback" not in english.stderr, english.stderr
    # French comes from the compiled catalog: the wheel has no .po to read.
    french = installed_centrale(installed, "doctor", config=store, lang="fr_FR.UTF-8")
    assert french.returncode == 0, french.stdout + french.stderr
    assert french.stdout.splitlines()[-1] == "toutes les vérifications sont passées", french.stdout
    as_json = installed_centrale(installed, "doctor", "--json", config=store)
    assert as_json.returncode == 0, as_json.stderr
    report = orjson.loads(as_json.stdout)
    assert report["passed"] is True and {check["status"] for check in report["checks"]} == {"ok"}, report


@pytest.fixture
def installed_console(installed: Path, chain: Chain) -> Iterator[str]:
    """`centrale console` of store 12 from the installed wheel; its address once it listens."""
    port = free_port()
    command = [str(installed / "bin" / "centrale"), "--config", str(chain.store(12).config), "console"]
    proc = subprocess.Popen(
        [*command, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=installed,
        env=outside_env(installed, LANG="C.UTF-8", PYTHONUNBUFFERED="1"),
    )
    assert proc.stdout is not None
    listening = proc.stdout.readline()  # printed once the server has started, or "" if it died
    try:
        assert listening.startswith(f"console on http://127.0.0.1:{port}/"), listening
        yield f"http://127.0.0.1:{port}"
    finally:
        code = stop_process(proc)
        stderr = proc.communicate()[1]
        assert listening, stderr
    assert code == 0 and "Traceback" not in stderr, stderr


def test_the_installed_console_serves_its_pages_and_static_files(installed_console: str) -> None:
    with urllib.request.urlopen(f"{installed_console}/", timeout=30) as res:
        page = res.read().decode()
    assert '<html lang="en">' in page and "12 Lyon" in page
    with urllib.request.urlopen(f"{installed_console}/?lang=fr", timeout=30) as res:
        assert '<html lang="fr">' in res.read().decode()
    for name in ("console.css", "console.js"):
        with urllib.request.urlopen(f"{installed_console}/static/{name}", timeout=30) as res:
            assert res.read() == (ROOT / "centrale" / "app" / "console" / "static" / name).read_bytes()
