"""Long work says how far it is: `snapshot`, `push` and `outbox replay` print JSON progress
lines for scripts with --json (then their result), a bar with rate and time left on a terminal,
and a line in the day's log otherwise."""

from __future__ import annotations

import logging
import os
import shlex
import subprocess
from pathlib import Path

import orjson
import pytest

from centrale.app.cli import progress as progress_module
from centrale.app.cli.progress import LOG_EVERY_S
from centrale.core.progress import Step
from sandbox.chain import Chain
from sandbox.processes import centrale_command, run_centrale


def centrale(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    res = run_centrale(config, *args, env={**os.environ, "LANG": "C.UTF-8"})
    assert res.returncode == 0, res.stdout + res.stderr
    return res


def _lines(out: str) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in out.splitlines()]


def test_snapshot_push_and_replay_print_json_progress_then_their_result(chain: Chain) -> None:
    lyon = chain.store(12)
    with lyon.connect() as conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO salespeople (code, first_name) VALUES (%s, %s)", [(f"S{i}", "x") for i in range(3000)]
        )
        conn.commit()
    snap = _lines(centrale(lyon.config, "snapshot", "staff", "--json").stdout)
    progress, result = snap[:-1], snap[-1]
    done = [p for p in progress if p["progress"] == "snapshot salespeople" and p["finished"]]
    assert done and done[0]["done"] == done[0]["total"] == 3000, progress
    assert {k: v for k, v in result[0].items() if k != "position"} == {"table": "salespeople", "rows": 3000}  # type: ignore[index,union-attr]
    pushed = _lines(centrale(lyon.config, "push", "staff", "--json").stdout)
    assert any(p.get("progress") == "push salespeople" and p.get("finished") for p in pushed[:-1])
    replayed = _lines(centrale(lyon.config, "outbox", "replay", "--json").stdout)
    last = [p for p in replayed if p.get("progress") == "replay"][-1]
    assert last["finished"] and last["done"] == last["total"] == 6000, replayed
    assert replayed[-1] == {"rows": 6000, "batches": replayed[-1]["batches"], "left": 0}


def test_without_a_terminal_progress_goes_to_the_log_now_and_then(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: now[0])
    seen: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger(progress_module.log.name)
    logger.addHandler(handler)
    monkeypatch.setattr(logger, "level", logging.INFO)
    try:
        report = progress_module._Lines(as_json=False)
        report(Step("snapshot sales", 100, 1000))
        now[0] += LOG_EVERY_S / 2
        report(Step("snapshot sales", 400, 1000))
        assert seen == []  # not yet: a line every LOG_EVERY_S
        now[0] += LOG_EVERY_S
        report(Step("snapshot sales", 900, 1000))
        report(Step("snapshot sales", 1000, 1000, finished=True))
    finally:
        logger.removeHandler(handler)
    assert seen == [
        "snapshot sales: 900 of 1000 rows (60 rows/s)",
        "snapshot sales: 1000 of 1000 rows (67 rows/s), done",
    ]


def test_on_a_terminal_a_bar_shows_the_rows_their_rate_and_the_time_left(chain: Chain) -> None:
    lyon = chain.store(12)
    lyon.sql("INSERT INTO salespeople (code, first_name) VALUES ('A', 'Ann')")
    command = shlex.join(centrale_command(lyon.config, "snapshot", "staff"))
    shown = subprocess.run(  # `script` gives the command a terminal, as an integrator's shell does
        ["script", "-qefc", command, "/dev/null"],
        capture_output=True,
        text=True,
        env={**os.environ, "LANG": "C.UTF-8", "COLUMNS": "160", "TERM": "xterm"},
        check=False,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stdout
    assert "snapshot salespeople" in shown.stdout and "1/1" in shown.stdout and "rows/s" in shown.stdout, shown.stdout
