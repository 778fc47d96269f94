"""What runs Centrale for real: the systemd unit in deploy/ is one `systemd-analyze verify`
accepts without a warning, hardened, started after the POS's database, restarted on failure
except on the exit codes only a person can fix (README's table)."""

from __future__ import annotations

import configparser
import subprocess
import sys
from pathlib import Path

from centrale.core.errors import ExitCode

UNIT = Path(__file__).resolve().parents[2] / "deploy" / "systemd" / "centrale.service"
INSTALLED = "/opt/centrale/bin/centrale"


def _unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNIT)
    return parser


def test_systemd_analyze_verifies_the_unit_without_a_warning(tmp_path: Path) -> None:
    centrale = Path(sys.executable).with_name("centrale")
    unit = tmp_path / "centrale.service"
    unit.write_text(UNIT.read_text().replace(INSTALLED, str(centrale)))
    res = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, check=False)
    assert res.returncode == 0 and res.stderr == "", res.stderr


def test_the_unit_is_hardened_ordered_and_restarts_on_what_a_restart_can_fix() -> None:
    unit = _unit()
    service = unit["Service"]
    assert "mariadb.service" in unit["Unit"]["After"].split() and "mysql.service" in unit["Unit"]["After"].split()
    assert service["User"] == "centrale" and service["ProtectSystem"] == "strict"
    assert service["NoNewPrivileges"] == "true" and service["Restart"] == "on-failure"
    assert service["ExecStart"] == f"{INSTALLED} --config /etc/centrale/store.toml run"
    kept = {int(code) for code in service["RestartPreventExitStatus"].split()}
    assert kept == {ExitCode.CONFIG, ExitCode.POSITION_LOST, ExitCode.CAPTURE_STOPPED, ExitCode.USAGE}
    assert ExitCode.SOURCE not in kept  # a start before the database answers is tried again
