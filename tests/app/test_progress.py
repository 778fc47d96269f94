"""Long work says how far it is: `snapshot`, `push`, `outbox replay`, `pull`, `sync` and
`reconcile` print JSON progress lines for scripts with --json (then their result, one line
without a "progress" key), a bar with rate and time left on a terminal, and a line in the day's
log otherwise. Pulls count rows (their total known once compared); `reconcile` and `verify`
count tables."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from centrale.app.cli import progress as progress_module
from centrale.app.cli.progress import LOG_EVERY_S
from centrale.core.config import load
from centrale.core.log import daily_log_name
from centrale.core.progress import Step
from sandbox.chain import Chain, Site
from sandbox.processes import centrale_command, run_centrale


def centrale(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    res = run_centrale(config, *args, env={**os.environ, "LANG": "C.UTF-8"})
    assert res.returncode == 0, res.stdout + res.stderr
    return res


def _lines(out: str) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in out.splitlines()]


def _on_a_terminal(config: Path, *args: str) -> str:
    """What `centrale ARGS` shows on a terminal (`script` gives it one, as an integrator's shell does)."""
    command = shlex.join(centrale_command(config, *args))
    shown = subprocess.run(
        ["script", "-qefc", command, "/dev/null"],
        capture_output=True,
        text=True,
        env={**os.environ, "LANG": "C.UTF-8", "COLUMNS": "160", "TERM": "xterm"},
        check=False,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stdout
    return shown.stdout


ARTICLES = 3000


def _articles_at_head_office(chain: Chain, n: int = ARTICLES) -> None:
    with chain.hq.connect() as conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO articles (id, code, label, price) VALUES (%s, %s, %s, %s)",
            [(i, f"A{i:05d}", f"Article {i}", Decimal(i) / 4) for i in range(1, n + 1)],
        )
        conn.commit()


REPORTED_DAY = dt.date(2026, 11, 20)


def _sales_not_yet_at_head_office(site: Site, n: int = 3) -> None:
    """Tickets of ``REPORTED_DAY`` that head office lacks: no `run` shipped them."""
    for i in range(n):
        site.sql(
            "INSERT INTO sales (ticket_no, business_day, opened_at, total, status) "
            "VALUES (%s, %s, %s, '10.00', 'paid')",
            (i, REPORTED_DAY, dt.datetime.combine(REPORTED_DAY, dt.time(10, i))),
        )


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


def test_a_pull_prints_json_progress_up_to_the_rows_it_planned_then_its_result(chain: Chain) -> None:
    lyon = chain.store(12)
    _articles_at_head_office(chain)
    pulled = _lines(centrale(lyon.config, "pull", "articles", "--json").stdout)
    progress, result = pulled[:-1], pulled[-1]
    assert progress and all("progress" in p for p in progress) and "progress" not in result, pulled
    last = [p for p in progress if p["progress"] == "pull articles"][-1]
    assert last["finished"] and last["done"] == last["total"] == ARTICLES, progress
    assert "rows_per_s" in last
    assert result["group"] == "articles" and result["rows"] == ARTICLES, result
    assert result["tables"] == [
        {
            "table": "articles",
            "inserted": ARTICLES,
            "updated": 0,
            "deleted": 0,
            "kept_newer": 0,
            "chunks": result["tables"][0]["chunks"],
            "chunks_differing": result["tables"][0]["chunks_differing"],
            "incremental": False,
        }
    ]
    again = _lines(centrale(lyon.config, "pull", "articles", "--json").stdout)  # nothing to change
    first = {k: v for k, v in again[0].items() if k != "rows_per_s"}
    assert first == {"progress": "pull articles", "done": 0, "total": 0, "finished": True}, again
    assert again[-1]["rows"] == 0


def test_sync_prints_json_progress_of_its_push_and_its_pull_then_its_result(chain: Chain) -> None:
    lyon = chain.store(12)
    lyon.sql("INSERT INTO customers (card_number, first_name, created_store) VALUES ('C1', 'Ann', 12)")
    centrale(lyon.config, "push", "customers")
    centrale(lyon.config, "outbox", "replay")  # head office has its customers table, and Ann
    synced = _lines(centrale(lyon.config, "sync", "customers", "--json").stdout)
    finished = {p["progress"] for p in synced[:-1] if p["finished"]}
    assert {"push customers", "pull customers"} <= finished, synced
    assert synced[-1]["sent"] == 1 and synced[-1]["received"]["group"] == "customers", synced


def test_reconcile_prints_json_progress_in_tables_then_of_the_days_it_resends_then_its_result(chain: Chain) -> None:
    lyon = chain.store(12)
    _sales_not_yet_at_head_office(lyon)
    res = run_centrale(
        lyon.config, "reconcile", "--day", REPORTED_DAY.isoformat(), "--json", env={**os.environ, "LANG": "C.UTF-8"}
    )
    assert res.returncode == 0, res.stdout + res.stderr
    printed = _lines(res.stdout)
    progress, result = printed[:-1], printed[-1]
    assert all("progress" in p for p in progress) and "progress" not in result, printed
    compared = [p for p in progress if p["progress"] == "reconcile"][-1]
    assert compared["finished"] and compared["done"] == compared["total"] == 3, progress  # sales, payments, movements
    assert "tables_per_s" in compared and "rows_per_s" not in compared
    resent = [p for p in progress if p["progress"] == f"push sales {REPORTED_DAY}"][-1]
    assert resent["finished"] and resent["done"] == resent["total"] == 3, progress
    assert result["rows_resent"] == 3 and result["left"] == 0, result
    assert [d["table"] for d in result["differences"]] == ["sales"], result


def test_without_a_terminal_a_pull_says_its_rows_in_the_days_log(chain: Chain) -> None:
    lyon = chain.store(12)
    _articles_at_head_office(chain)
    printed = centrale(lyon.config, "pull", "articles").stdout
    assert "{" not in printed and "3000" in printed  # the summary in words, no JSON
    logged = (load(lyon.config).log.dir / daily_log_name(dt.date.today())).read_text()
    assert re.search(rf"progress: pull articles: {ARTICLES} of {ARTICLES} rows( \(\S+ rows/s\))?, done", logged), logged


@pytest.fixture
def clock_and_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[list[float], list[str]]]:
    """A clock the test moves (``now[0]``) and the progress log's lines as they are written."""
    now = [1000.0]
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: now[0])
    seen: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger(progress_module.log.name)
    logger.addHandler(handler)
    monkeypatch.setattr(logger, "level", logging.INFO)
    try:
        yield now, seen
    finally:
        logger.removeHandler(handler)


def test_without_a_terminal_progress_goes_to_the_log_now_and_then(clock_and_log: tuple[list[float], list[str]]) -> None:
    now, seen = clock_and_log
    report = progress_module._Lines(as_json=False)
    report(Step("snapshot sales", 100, 1000))
    now[0] += LOG_EVERY_S / 2
    report(Step("snapshot sales", 400, 1000))
    assert seen == []  # not yet: a line every LOG_EVERY_S
    now[0] += LOG_EVERY_S
    report(Step("snapshot sales", 900, 1000))
    report(Step("snapshot sales", 1000, 1000, finished=True))
    assert seen == [
        "snapshot sales: 900 of 1000 rows (60 rows/s)",
        "snapshot sales: 1000 of 1000 rows (67 rows/s), done",
    ]


def test_progress_counted_in_tables_says_tables_and_a_slow_rate_with_its_decimal(
    clock_and_log: tuple[list[float], list[str]],
) -> None:
    now, seen = clock_and_log
    report = progress_module._Lines(as_json=False)
    report(Step("verify", 0, 3, unit="tables"))
    now[0] += 2 * LOG_EVERY_S
    report(Step("verify", 1, 3, unit="tables"))
    now[0] += 2 * LOG_EVERY_S
    report(Step("verify", 3, 3, finished=True, unit="tables"))
    assert seen == ["verify: 1 of 3 tables (0.1 tables/s)", "verify: 3 of 3 tables (0.1 tables/s), done"]


def test_on_a_terminal_a_bar_shows_the_rows_their_rate_and_the_time_left(chain: Chain) -> None:
    lyon = chain.store(12)
    lyon.sql("INSERT INTO salespeople (code, first_name) VALUES ('A', 'Ann')")
    shown = _on_a_terminal(lyon.config, "snapshot", "staff")
    assert "snapshot salespeople" in shown and "1/1" in shown and "rows/s" in shown, shown


def test_on_a_terminal_a_pull_shows_its_rows_and_reconcile_its_tables(chain: Chain) -> None:
    lyon = chain.store(12)
    _articles_at_head_office(chain)
    pulled = _on_a_terminal(lyon.config, "pull", "articles")
    assert "pull articles" in pulled and f"{ARTICLES}/{ARTICLES}" in pulled and "rows/s" in pulled, pulled
    reconciled = _on_a_terminal(lyon.config, "reconcile", "--day", REPORTED_DAY.isoformat())
    assert "reconcile" in reconciled and "3/3" in reconciled and "tables/s" in reconciled, reconciled
