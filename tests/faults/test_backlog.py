"""A week-long head-office outage, simulated by a backlog of 1,000,000 outbox rows: replay drains
it in order, with memory that stays flat.

The backlog is built fast but from real store rows: the store writes its stock movements (tills'
ticket lines) with multi-row INSERTs, and the outbox receives, per ticket, what capture would
have written for it: each line's movement, then the article's new stock level. Eight articles
take ~60,000 stock-level updates each, spread over the whole backlog, so head office ends with
the store's stock levels only if every update was applied in seq order.

`centrale outbox replay` drains it as an operator would after the outage, in a child process
whose resident memory is sampled while it ships; its peak is compared with the same drain of a
backlog ten times smaller (another store). Memory, not time, is asserted.
"""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import zip_longest
from pathlib import Path
from typing import Any

import pymysql.cursors
import pytest

from cdc.binlog import end_position
from centrale.core.changes import RowChange, SourceTransaction
from centrale.core.config import load
from centrale.core.db import quote_ident
from centrale.core.outbox import OutboxStore
from sandbox.chain import Chain, Site
from sandbox.processes import centrale_command, kill_process, quiet_env
from sandbox.workload import seed_store

SMALL = 100_000
LARGE = 1_000_000
LINES_PER_TICKET = 4  # each line: a stock movement and the article's new stock level
ROWS_PER_TICKET = 2 * LINES_PER_TICKET
INSERT_CHUNK = 50_000
APPEND_TICKETS = 5_000  # source transactions per outbox write
MOVEMENT_COLS = ("id", "article_id", "quantity", "kind", "reference", "moved_at")
LEVEL_COLS = ("article_id", "quantity", "updated_at")

RSS_RATIO_MAX = 1.3
RSS_ABS_MAX_MB = 200


@dataclass
class Backlog:
    rows: int
    last_seq: int
    generation: str
    built_s: float


@dataclass
class Drain:
    rows: int
    seconds: float
    samples: list[tuple[float, float, float]] = field(default_factory=list)  # (seconds, RSS MB, peak MB)

    @property
    def peak_rss_mb(self) -> float:
        """The kernel's high-water mark of the child's resident memory (VmHWM), last seen.

        Not wait4's ru_maxrss: that also counts the image of the parent (pytest) the child was
        forked from before it exec'd Python."""
        return max(hwm for _, _, hwm in self.samples)

    @property
    def rate(self) -> float:
        return self.rows / self.seconds

    def profile(self) -> str:
        """RSS at each tenth of the drain."""
        if not self.samples:
            return "no samples"
        marks = []
        for tenth in range(1, 11):
            i = min(len(self.samples) - 1, len(self.samples) * tenth // 10)
            marks.append(f"{self.samples[i][1]:.0f}")
        return " ".join(marks) + " MB"

    def peak_reached_at(self) -> float:
        """When the child's high-water mark last grew (seconds after its start)."""
        top = max(hwm for _, _, hwm in self.samples)
        return next(t for t, _, hwm in self.samples if hwm >= top)


def _store_cursor(site: Site) -> Any:
    conn = site.connect(cursorclass=pymysql.cursors.SSCursor)
    cur = conn.cursor()
    cur.execute("SET time_zone = '+00:00'")  # as the snapshot reads (TIMESTAMPs as UTC)
    return conn, cur


def build_backlog(site: Site, rows: int) -> Backlog:
    """``rows`` outbox rows for ``rows / 8`` tickets of 4 lines, matching the store's own rows."""
    started = time.monotonic()
    movements = rows // 2
    with site.connect() as conn:
        seed_store(conn)
        with conn.cursor() as cur:
            cur.execute("SELECT article_id, quantity FROM stock_levels ORDER BY article_id")
            level = {int(a): Decimal(q) for a, q in cur.fetchall()}
            for start in range(0, movements, INSERT_CHUNK):
                n = min(INSERT_CHUNK, movements - start)
                cur.execute(
                    "INSERT INTO stock_movements (article_id, quantity, kind, reference, moved_at) "
                    "SELECT 1 + (seq * 7) % 8, -(1 + seq % 3), 'sale', CONCAT('T', 1 + (seq - 1) DIV 4), "
                    "TIMESTAMP'2026-11-02 08:00:00' + INTERVAL seq SECOND "
                    f"FROM seq_{start + 1}_to_{start + n} ORDER BY seq"
                )
                conn.commit()
            # The store's final stock levels: what the tills' UPDATEs would have left.
            cur.execute("SELECT article_id, SUM(quantity), MAX(id) FROM stock_movements GROUP BY article_id")
            totals = {int(a): (Decimal(s), int(m)) for a, s, m in cur.fetchall()}
            for article, (moved, _) in totals.items():
                cur.execute(
                    "UPDATE stock_levels SET quantity = %s WHERE article_id = %s", (level[article] + moved, article)
                )
            conn.commit()
            cur.execute("SELECT article_id, quantity, updated_at FROM stock_levels")
            final = {int(r[0]): tuple(r) for r in cur.fetchall()}
            end = end_position(conn)
    last_movement = {a: m for a, (_, m) in totals.items()}

    cfg = load(site.config)
    with OutboxStore(cfg.outbox.path) as outbox:
        conn, cur = _store_cursor(site)
        with conn:
            cur.execute(f"SELECT {', '.join(quote_ident(c) for c in MOVEMENT_COLS)} FROM stock_movements ORDER BY id")
            pending: list[SourceTransaction] = []
            lines: list[RowChange] = []
            while chunk := cur.fetchmany(5000):
                for mv in chunk:
                    article = int(mv[1])
                    level[article] += mv[2]
                    if int(mv[0]) == last_movement[article]:
                        new_level = final[article]
                        assert new_level[1] == level[article], (new_level, level[article])
                    else:
                        new_level = (article, level[article], mv[5])
                    lines.append(RowChange("stock_movements", "upsert", MOVEMENT_COLS, tuple(mv)))
                    lines.append(RowChange("stock_levels", "upsert", LEVEL_COLS, new_level))
                    if len(lines) == ROWS_PER_TICKET:
                        pending.append(SourceTransaction(tuple(lines), end))
                        lines = []
                    if len(pending) == APPEND_TICKETS:
                        outbox.append(pending)
                        pending = []
            if lines:
                pending.append(SourceTransaction(tuple(lines), end))
            if pending:
                outbox.append(pending)
        st = outbox.stats()
    assert st.backlog == rows, (st.backlog, rows)
    return Backlog(rows, st.last_seq, st.generation, time.monotonic() - started)


def _memory_mb(pid: int) -> tuple[float, float] | None:
    """(resident now, resident high-water mark) of a process, in MB."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            fields = dict(line.split(":", 1) for line in fh if line.startswith(("VmRSS:", "VmHWM:")))
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024
    except (OSError, KeyError, ValueError):
        return None


def replay(site: Site, rows: int, output: Path) -> Drain:
    """`centrale outbox replay` in a child process; its RSS sampled while it drains."""
    with open(output, "wb") as out:
        proc = subprocess.Popen(
            centrale_command(site.config, "outbox", "replay"),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=quiet_env(),
        )
    started = time.monotonic()
    samples: list[tuple[float, float, float]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            mem = _memory_mb(proc.pid)
            if mem is None:
                return
            samples.append((time.monotonic() - started, *mem))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        proc.wait(timeout=600)
    except BaseException:
        kill_process(proc)
        raise
    finally:
        done.set()
    seconds = time.monotonic() - started
    sampler.join()
    text = output.read_text(errors="replace")
    assert proc.returncode == 0, text[-3000:]
    assert f"rows shipped {rows}," in text and "; rows waiting 0" in text, text[-3000:]
    assert len(samples) > 10, samples
    return Drain(rows, seconds, samples)


def compare_rows(chain: Chain, site: Site, table: str, key: tuple[str, ...], columns: tuple[str, ...]) -> int:
    """Every store row equals head office's copy, row for row, streamed in key order on both
    sides (no side held in memory). Returns the number of rows."""
    cols = ", ".join(quote_ident(c) for c in columns)
    order = ", ".join(quote_ident(c) for c in key)
    s_conn, s_cur = _store_cursor(site)
    h_conn = chain.hq.connect(cursorclass=pymysql.cursors.SSCursor)
    n = 0
    with s_conn, h_conn:
        h_cur = h_conn.cursor()
        h_cur.execute("SET time_zone = '+00:00'")
        s_cur.execute(f"SELECT {cols} FROM {quote_ident(table)} ORDER BY {order}")
        h_cur.execute(
            f"SELECT {cols} FROM {quote_ident(table)} WHERE origin_store = %s ORDER BY {order}", (site.number,)
        )
        while True:
            s_chunk, h_chunk = s_cur.fetchmany(10_000), h_cur.fetchmany(10_000)
            if not s_chunk and not h_chunk:
                return n
            for s_row, h_row in zip_longest(s_chunk, h_chunk):
                assert s_row == h_row, f"{table} row {n}: store {s_row} head office {h_row}"
                n += 1


def check_head_office(chain: Chain, site: Site, backlog: Backlog) -> None:
    movements = compare_rows(chain, site, "stock_movements", ("id",), MOVEMENT_COLS)
    assert movements == backlog.rows // 2
    # 8 keys updated ~backlog/16 times each, spread over the whole backlog: equal only in order
    assert compare_rows(chain, site, "stock_levels", ("article_id",), LEVEL_COLS) == 8
    (last_seq, applied) = chain.hq.sql(
        "SELECT last_seq, rows_applied FROM centrale_progress WHERE store = %s AND generation = %s",
        (site.number, backlog.generation),
    )[0]
    assert (int(last_seq), int(applied)) == (backlog.last_seq, backlog.rows)


@pytest.mark.slow
def test_a_million_row_backlog_drains_in_order_with_flat_memory(chain: Chain, tmp_path: Path) -> None:
    small_site, large_site = chain.store(13), chain.store(12)

    small = build_backlog(small_site, SMALL)
    small_drain = replay(small_site, SMALL, tmp_path / "replay-small.txt")
    check_head_office(chain, small_site, small)

    large = build_backlog(large_site, LARGE)
    large_drain = replay(large_site, LARGE, tmp_path / "replay-large.txt")
    check_head_office(chain, large_site, large)

    report = (
        f"backlog {SMALL:,} rows: built in {small.built_s:.1f}s, drained in {small_drain.seconds:.1f}s "
        f"({small_drain.rate:,.0f} rows/s), peak RSS {small_drain.peak_rss_mb:.1f} MB "
        f"(RSS by tenths: {small_drain.profile()}; peak reached at {small_drain.peak_reached_at():.1f}s)\n"
        f"backlog {LARGE:,} rows: built in {large.built_s:.1f}s, drained in {large_drain.seconds:.1f}s "
        f"({large_drain.rate:,.0f} rows/s), peak RSS {large_drain.peak_rss_mb:.1f} MB "
        f"(RSS by tenths: {large_drain.profile()}; peak reached at {large_drain.peak_reached_at():.1f}s)"
    )
    print(report)
    assert large_drain.peak_rss_mb < RSS_ABS_MAX_MB, report
    assert large_drain.peak_rss_mb < RSS_RATIO_MAX * small_drain.peak_rss_mb, report
