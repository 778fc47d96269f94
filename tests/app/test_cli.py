"""The command line as click and typer users expect it: every --help names its values with
placeholders (no Python type, no "(dynamic)" default), shell completion installs, listings have
a header row, and the commands that print data have --json."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest
import typer.main
from typer.testing import CliRunner

from centrale.app.cli.main import app
from sandbox.chain import Chain
from sandbox.processes import run_centrale


def _paths(command: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix]
    for name, sub in getattr(command, "commands", {}).items():
        out += _paths(sub, (*prefix, name))
    return out


COMMANDS = _paths(typer.main.get_command(app))


def centrale(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_centrale(config, *args, env={**os.environ, "LANG": "C.UTF-8", "COLUMNS": "200"})


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "centrale")
def test_every_help_names_values_with_placeholders(path: tuple[str, ...]) -> None:
    res = CliRunner().invoke(app, [*path, "--help"], prog_name="centrale", env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    for python_words in ("<bool>", "<str>", "<int>", "<float>", "<list", "(dynamic)", "<path>"):
        assert python_words not in res.output, f"{' '.join(path)} --help says {python_words}:\n{res.output}"


def test_shell_completion_is_offered() -> None:
    res = CliRunner().invoke(app, ["--show-completion", "bash"], prog_name="centrale")
    assert res.exit_code == 0 and "_centrale_completion" in res.output, res.output
    assert "--install-completion" in CliRunner().invoke(app, ["--help"], prog_name="centrale").output


def test_listings_have_a_header_row_and_doctor_and_reconcile_speak_json(chain: Chain) -> None:
    lyon = chain.store(12)
    lyon.sql("INSERT INTO salespeople (code, first_name) VALUES ('A', 'Ann')")
    assert centrale(lyon.config, "snapshot", "staff").returncode == 0
    listed = centrale(lyon.config, "outbox", "list").stdout.splitlines()
    assert listed[0].split() == ["seq", "txn", "captured", "op", "table", "key"], listed
    assert listed[1].split()[4:6] == ["upsert", "salespeople"], listed
    doctor = centrale(lyon.config, "doctor", "--json")
    assert doctor.returncode == 0, doctor.stderr
    report = orjson.loads(doctor.stdout)
    assert report["passed"] is True and {"name", "status", "message", "hint"} <= set(report["checks"][0])
    reconciled = centrale(lyon.config, "reconcile", "--json", "--no-resend")
    assert reconciled.returncode == 0, reconciled.stderr
    *progress, result = reconciled.stdout.splitlines()  # progress lines first, then the result
    assert all("progress" in orjson.loads(line) for line in progress)
    assert set(orjson.loads(result)) == {"since", "until", "rows_resent", "left", "differences"}
