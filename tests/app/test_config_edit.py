"""`centrale config set` (``centrale.app.config_edit``): the file's comments kept, every value
validated before it is written, pairs on the command line. (Loading: tests/core/test_config.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from centrale.app.config_edit import set_value
from centrale.core.config import load
from centrale.core.errors import ConfigError
from sandbox.processes import run_centrale
from tests.core.test_config import GOOD, write


def test_config_set_keeps_comments_and_validates(tmp_path: Path) -> None:
    p = write(tmp_path, GOOD)
    cfg = set_value(p, "hq.host", "198.51.100.7", env={})
    assert cfg.hq.host == "198.51.100.7"
    text = p.read_text()
    assert "# store config" in text and "# never printed" in text
    set_value(p, "ship.interval_s", "10", env={})
    assert load(p, env={}).ship.interval_s == 10


def test_config_set_refuses_a_bad_value_and_leaves_the_file_alone(tmp_path: Path) -> None:
    p = write(tmp_path, GOOD)
    before = p.read_text()
    with pytest.raises(ConfigError, match="file left unchanged"):
        set_value(p, "ship.batch_rows", "-3", env={})
    with pytest.raises(ConfigError, match="dotted key"):
        set_value(p, "batch_rows", "3", env={})
    assert p.read_text() == before


def test_config_set_on_the_command_line_takes_pairs(tmp_path: Path) -> None:
    import subprocess

    p = write(tmp_path, GOOD)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return run_centrale(p, "config", "set", *args, timeout=None)

    odd = cli("hq.port")
    assert odd.returncode == 2 and "KEY VALUE pairs" in odd.stderr
    both = cli("hq.port", "2619", "hq.password", "n3w-secret")
    assert both.returncode == 0 and "hq.password = ***" in both.stdout and "n3w-secret" not in both.stdout
    assert load(p, env={}).hq.port == 2619
