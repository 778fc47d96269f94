"""Each exit code of the README's table, produced by the command line as an operator meets it:
one test per ``ExitCode`` (the last test says none is missing). Every failure also prints one
``error:`` line and one ``hint:`` line, and no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from centrale.core.config import load
from centrale.core.errors import ExitCode
from sandbox.chain import Chain, Site
from sandbox.processes import run_centrale


def centrale(site: Site | Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    config = site.config if isinstance(site, Site) else site
    return run_centrale(config, *args, env={**os.environ, "LANG": "C.UTF-8", "COLUMNS": "200", **env}, timeout=120)


def exits(res: subprocess.CompletedProcess[str], code: ExitCode, *needles: str) -> None:
    out = res.stdout + res.stderr
    assert res.returncode == code, f"exit {res.returncode}, not {code.value} ({code.name}):\n{out}"
    assert "Traceback" not in out, out
    if code != ExitCode.OK:
        assert "error: " in res.stderr or "Error" in res.stderr, out
    for needle in needles:
        assert needle in out, out


def test_exit_0_ok(chain: Chain) -> None:
    exits(centrale(chain.store(12), "status"), ExitCode.OK, "store      12 Lyon")


def test_exit_2_configuration(chain: Chain) -> None:
    exits(centrale(chain.root / "nowhere.toml", "status"), ExitCode.CONFIG, "hint: ")
    exits(centrale(chain.store(12), "status", CENTRALE_SHIP_BATCH_ROWS="many"), ExitCode.CONFIG, "batch_rows")


def test_exit_3_a_check_failed(chain: Chain) -> None:
    site = chain.store(12)
    site.sql("DROP TABLE time_clock_punches")
    exits(centrale(site, "doctor"), ExitCode.CHECK, "time_clock_punches", "hint: ")
    exits(centrale(site, "run"), ExitCode.CHECK, "time_clock_punches")


def test_exit_4_the_stores_database(chain: Chain) -> None:
    site = chain.store(12)
    url = f"mysql://root:wrong@127.0.0.1:{site.server.port}/{site.database}"
    exits(centrale(site, "snapshot", CENTRALE_LOCAL_URL=url), ExitCode.SOURCE, "local database", "hint: ")
    exits(centrale(site, "run", CENTRALE_LOCAL_URL=url), ExitCode.SOURCE, "local database")


def test_exit_5_the_binlog_position_is_lost(chain: Chain) -> None:
    site = chain.store(12)
    exits(centrale(site, "snapshot"), ExitCode.OK)
    site.sql("INSERT INTO salespeople (code, first_name) VALUES ('A', 'Ann')")
    site.server.purge_binlogs()
    exits(centrale(site, "run"), ExitCode.POSITION_LOST, "purged", "centrale snapshot")


def test_exit_6_the_outbox(chain: Chain) -> None:
    site = chain.store(12)
    outbox = load(site.config).outbox.path
    outbox.parent.mkdir(parents=True, exist_ok=True)
    outbox.write_bytes(b"this is not an outbox " * 100)
    exits(centrale(site, "outbox", "list"), ExitCode.OUTBOX, "hint: ")


def test_exit_7_shipping(chain: Chain) -> None:
    site = chain.store(12)
    exits(centrale(site, "snapshot"), ExitCode.OK)
    site.sql("INSERT INTO salespeople (code, first_name) VALUES ('A', 'Ann')")
    exits(centrale(site, "outbox", "replay", CENTRALE_HQ_PORT="1"), ExitCode.SHIPPING, "hint: ")


def test_exit_8_a_job(chain: Chain) -> None:
    exits(centrale(chain.hq, "jobs", "retry", "987654"), ExitCode.JOB, "987654")


def test_exit_9_capture_stopped_on_an_event(chain: Chain) -> None:
    site = chain.store(12)
    exits(centrale(site, "snapshot"), ExitCode.OK)
    with site.connect(autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SET SESSION binlog_format = STATEMENT")
        cur.execute("INSERT INTO salespeople (code, first_name) VALUES ('S', 'Stm')")
    exits(centrale(site, "run"), ExitCode.CAPTURE_STOPPED, "salespeople", "binlog position")


def test_exit_10_the_store_and_head_office_differ(chain: Chain) -> None:
    site = chain.store(12)
    site.sql("INSERT INTO salespeople (code, first_name) VALUES ('A', 'Ann')")
    exits(centrale(site, "snapshot", "salespeople"), ExitCode.OK)
    exits(centrale(site, "outbox", "replay"), ExitCode.OK)
    exits(centrale(site, "verify", "salespeople"), ExitCode.OK)
    chain.hq.sql("DELETE FROM salespeople")
    exits(centrale(site, "verify", "salespeople"), ExitCode.DIFFERS, "salespeople", "verify --resend")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("frobnicate",), "No such command"),
        (("status", "--colour"), "No such option"),
        (("jobs", "add"), "Missing argument"),
        (("outbox", "list", "--limit", "many"), "--limit"),
        (("jobs", "add", "pull-everything", "--store", "12"), "unknown action `pull-everything`"),
        (("jobs", "list", "--status", "lost"), "unknown status `lost`"),
        (("pull", "everything"), "everything"),
        (("push", "stock", "--since", "15/11/2026"), "is not a date"),
        (("reconcile", "--day", "20/11/2026"), "is not a date"),
    ],
)
def test_exit_64_the_command_line(chain: Chain, args: tuple[str, ...], needle: str) -> None:
    site = chain.hq if args[0] == "jobs" else chain.store(12)
    exits(centrale(site, *args), ExitCode.USAGE, needle)


def test_exit_70_unexpected_and_130_interrupted(tmp_path: Path) -> None:
    """Both come from ``guarded`` itself: a bug (any other exception), whose traceback goes to the
    day's log file and not the terminal, and Ctrl-C."""
    script = (
        "from pathlib import Path\n"
        "from centrale.app.cli.options import guarded\n"
        "from centrale.core.log import setup_logging\n"
        f"setup_logging(Path({str(tmp_path)!r}), stderr=None)\n"
        "def boom():\n"
        "    raise {}\n"
        "guarded(boom)\n"
    )
    for raised, code in (("ZeroDivisionError('x')", ExitCode.UNEXPECTED), ("KeyboardInterrupt", ExitCode.INTERRUPTED)):
        res = subprocess.run(
            [sys.executable, "-c", script.format(raised)], capture_output=True, text=True, check=False, timeout=60
        )
        assert res.returncode == code, res.stderr
        assert "Traceback" not in res.stderr
    (log,) = tmp_path.glob("CentraleSrv_*.txt")
    assert "ZeroDivisionError: x" in log.read_text()


def test_every_exit_code_has_its_test() -> None:
    tested = {int(name.split("_")[2]) for name in globals() if name.startswith("test_exit_")}
    tested |= {ExitCode.INTERRUPTED}
    assert {int(c) for c in ExitCode} == tested
