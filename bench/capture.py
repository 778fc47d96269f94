"""Capture throughput: Centrale's binlog -> outbox loop against a bare python-mysql-replication
loop over the same binlog, in the same run (target: at least 0.8x the rows per CPU-second; the
wall-clock rows/s beside it), ``mariadb-binlog -v`` decoding the same bytes (the C limit, for
scale), and a profile of Centrale's capture that says how its time splits between the library and
Centrale's own code.

The data: N rows written in 20-row transactions, each a ticket (one ``sales`` row and 19
``sale_lines`` rows) on the sample schema, in segments, then a short tail that no measure counts
(so that no reader ever waits at the binlog end inside a measured segment). Reading starts once
the newest row is older than capture's catch-up age: throughput matters when a store catches up,
and Centrale then groups its outbox commits (a live store commits each transaction as it comes).

Each round reads one segment with both readers, in alternating order, each in a fresh
interpreter started for it (no heap or thread shared with the benchmark), timed inside it from the
start of streaming (dump connection included) until the segment's last row, by the wall clock and
by the CPU time of its process (this shared 2-core machine's other jobs move the first, hardly the
second):
- bare: ``BinLogStreamReader`` with the very arguments Centrale's reader gives it
  (``cdc.reader.stream_settings``) but rows events only, the library's decoders as shipped,
  ``len(ev.rows)`` per event;
- Centrale: ``CdcService.run()`` in the main thread, as `centrale run` runs it, from an outbox
  checkpoint at the segment's start, until the outbox commit that holds the segment's last row.

Run alone: ``python -m bench.capture`` (``BENCH_QUICK=1`` for a fast pass).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.capture_profile import profile_capture
from bench.harness import (
    BINLOG_FILE_BYTES,
    STORE,
    Measure,
    Report,
    Tally,
    main_for,
    pick,
    servers_and_chain,
    spread,
)
from cdc.binlog import end_position
from cdc.consume import CATCH_UP_AGE_S, GROUP_MAX_ROWS, GROUP_MAX_S
from centrale.app.site import build_capture
from centrale.core.catalog import MARKER_TABLE
from centrale.core.changes import BinlogPosition, SourceTransaction
from centrale.core.config import load
from centrale.core.outbox import OutboxStore
from sandbox.chain import Site

TXN_ROWS = 20
TAIL_ROWS = 2_000
TARGET = 0.8
CHILD_FLAG = "--child"
BARE_SERVER_ID = 4_000_000_001
CHILD_TIMEOUT_S = 600
ROOT = Path(__file__).resolve().parent.parent
MARIADB_BINLOG = shutil.which("mariadb-binlog") or shutil.which("mysqlbinlog")


def write_tickets(site: Site, rows: int, first_ticket: int = 1) -> None:
    """``rows`` rows in 20-row transactions: 1 sale + 19 lines each, committed one by one."""
    now = dt.datetime(2024, 5, 17, 12, 0, 0)
    with site.connect() as conn:
        conn.autocommit(False)
        with conn.cursor() as cur:
            for t in range(first_ticket, first_ticket + rows // TXN_ROWS):
                cur.execute(
                    "INSERT INTO sales (ticket_no, business_day, opened_at, closed_at, salesperson_id, total, status) "
                    "VALUES (%s, %s, %s, %s, %s, %s, 'paid')",
                    (t, now.date(), now, now, 1 + t % 3, Decimal("42.90")),
                )
                sale_id = cur.lastrowid
                cur.executemany(
                    "INSERT INTO sale_lines (sale_id, line_no, article_id, label, quantity, unit_price, amount, "
                    "vat_rate) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    [
                        (sale_id, n, 1 + n % 8, f"Article {n}", Decimal("2.000"), Decimal("1.10"), Decimal("2.20"), 10)
                        for n in range(1, TXN_ROWS)
                    ],
                )
                conn.commit()


# --- the two readers, each run in a child interpreter -----------------------------------------


@dataclass(frozen=True)
class Timing:
    """One reader's pass over a segment: rows, wall-clock seconds, and CPU seconds of its
    process over the same span (user + system, every thread)."""

    rows: int
    seconds: float
    cpu_s: float


def bare_loop(config: Path, start: BinlogPosition, expected: int) -> Timing:
    """python-mysql-replication alone, with Centrale's reader arguments but rows events only,
    from ``start`` until ``expected`` rows."""
    from pymysqlreplication import BinLogStreamReader

    from cdc.library_fixes import library_fixes_installed
    from cdc.reader import ROW_EVENTS, stream_settings

    if library_fixes_installed():
        raise RuntimeError("cdc.library_fixes are installed: the bare loop would not run the library as shipped")
    cfg = load(config)
    settings = stream_settings(
        cfg.local.params,
        server_id=BARE_SERVER_ID,
        tables=[*cfg.catalog.captured, MARKER_TABLE],
        start=start,
        heartbeat_s=cfg.local.heartbeat_s,
    )
    settings["only_events"] = list(ROW_EVENTS)
    stream = BinLogStreamReader(**settings)
    rows = 0
    try:
        started, cpu = time.perf_counter(), time.process_time()
        for ev in stream:
            rows += len(ev.rows)
            if rows >= expected:
                break
        timing = Timing(rows, time.perf_counter() - started, time.process_time() - cpu)
    finally:
        stream.close()
    return timing


class _TimedOutbox(OutboxStore):
    """The outbox, noting when a commit first holds ``expected`` rows, and then asking capture
    to stop."""

    def __init__(self, path: Path, expected: int, stop: threading.Event) -> None:
        super().__init__(path)
        self.expected = expected
        self.stop = stop
        self.appended = 0
        self.done: tuple[int, float, float] | None = None

    def append(self, txns: Any, checkpoint: SourceTransaction | None = None, gtid: Any = None) -> int:
        written = super().append(txns, checkpoint, gtid)
        self.appended += written
        if self.done is None and self.appended >= self.expected:
            self.done = (self.appended, time.perf_counter(), time.process_time())
            self.stop.set()
        return written


def centrale_capture(config: Path, start: BinlogPosition, expected: int, outbox_path: Path) -> Timing:
    """CdcService.run() from an outbox checkpoint at ``start`` until an outbox commit holds
    ``expected`` rows (the rows past them in that commit count too)."""

    cfg = load(config)
    stop = threading.Event()
    watchdog = threading.Timer(CHILD_TIMEOUT_S, stop.set)
    watchdog.daemon = True
    outbox = _TimedOutbox(outbox_path, expected, stop)
    try:
        outbox.set_checkpoint(start)
        cdc = build_capture(cfg, outbox, stop, ask_head_office=False)
        cdc.prepare()
        watchdog.start()
        started, cpu = time.perf_counter(), time.process_time()
        cdc.run()
        watchdog.cancel()
        if outbox.done is None:
            raise RuntimeError(f"capture stopped at {outbox.appended} rows of {expected}: {cdc.stats.last_error}")
        rows, done_at, done_cpu = outbox.done
    finally:
        outbox.close()
    outbox_path.unlink(missing_ok=True)
    return Timing(rows, done_at - started, done_cpu - cpu)


def _child(argv: list[str]) -> None:
    kind, config, file, pos, expected, *rest = argv
    start = BinlogPosition(file, int(pos))
    if kind == "bare":
        result = bare_loop(Path(config), start, int(expected))
    else:
        result = centrale_capture(Path(config), start, int(expected), Path(rest[0]))
    print(json.dumps([result.rows, result.seconds, result.cpu_s]))


def _child_cmd(kind: str, site: Site, start: BinlogPosition, expected: int, outbox: Path) -> list[str]:
    args = [kind, str(site.config), start.file, str(start.pos), str(expected), str(outbox)]
    return [sys.executable, "-m", "bench.capture", CHILD_FLAG, *args]


def in_child(kind: str, site: Site, start: BinlogPosition, expected: int, outbox: Path) -> Timing:
    cmd = _child_cmd(kind, site, start, expected, outbox)
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=CHILD_TIMEOUT_S + 60, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{kind} reader failed ({out.returncode}):\n{out.stderr[-3000:]}")
    rows, seconds, cpu_s = json.loads(out.stdout.strip().splitlines()[-1])
    return Timing(int(rows), float(seconds), float(cpu_s))


# --- the C limit ----------------------------------------------------------------------------


def mariadb_binlog(site: Site, start: BinlogPosition, end: BinlogPosition, expected: int) -> float | None:
    """rows/s of ``mariadb-binlog -v --base64-output=decode-rows`` over the same files, to /dev/null."""
    if MARIADB_BINLOG is None:
        return None
    names = [str(r[0]) for r in site.server.sql("SHOW BINARY LOGS")]
    files = names[names.index(start.file) : names.index(end.file) + 1]
    binlog_dir = site.server.base / "binlog"
    cmd = [
        MARIADB_BINLOG,
        "--no-defaults",
        "-v",
        "--base64-output=decode-rows",
        f"--start-position={start.pos}",
        f"--stop-position={end.pos}",
        *(str(binlog_dir / f) for f in files),
    ]
    started = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return expected / (time.perf_counter() - started)


# --- the benchmark --------------------------------------------------------------------------


def median_ratio(centrale: Tally, baseline: Tally) -> float:
    return statistics.median(c / b for c, b in zip(centrale.rates, baseline.rates, strict=True))


def run() -> Report:
    segments = pick(8, 4)
    seg_rows = pick(25_000, 8_000)
    rows = segments * seg_rows
    report = Report(
        "capture",
        "binlog -> outbox rows/s vs a bare python-mysql-replication loop",
        params={
            "rows": rows,
            "rows per transaction": TXN_ROWS,
            "rounds": f"{segments} x {seg_rows:,} rows",
            "table": "sales + sale_lines",
        },
    )
    bare, centrale = Tally(), Tally()  # wall clock
    bare_cpu, centrale_cpu = Tally(), Tally()  # CPU time of the reader's process
    with servers_and_chain("capture") as (root, chain):
        site = chain.store(STORE)
        positions: list[BinlogPosition] = []
        started = time.perf_counter()
        for i in range(segments):
            with site.connect() as conn:
                positions.append(end_position(conn))
            write_tickets(site, seg_rows, first_ticket=1 + i * seg_rows // TXN_ROWS)
        with site.connect() as conn:
            positions.append(end_position(conn))
        write_rate = rows / (time.perf_counter() - started)
        write_tickets(site, TAIL_ROWS, first_ticket=1 + rows // TXN_ROWS)
        time.sleep(CATCH_UP_AGE_S + 1.5)  # every transaction read is now "old": capture is catching up
        workdir = Path(tempfile.mkdtemp(prefix="capture-", dir=root))
        for i in range(segments):
            for side in ("bare", "centrale") if i % 2 == 0 else ("centrale", "bare"):
                t = in_child(side, site, positions[i], seg_rows, workdir / f"outbox-{i}.db")
                (bare if side == "bare" else centrale).add(t.rows, t.seconds)
                (bare_cpu if side == "bare" else centrale_cpu).add(t.rows, t.cpu_s)
        c_rate = mariadb_binlog(site, positions[0], positions[-1], rows)
        profile = profile_capture(
            _child_cmd("centrale", site, positions[0], rows, workdir / "outbox-profile.db"),
            workdir,
            ROOT,
            CHILD_TIMEOUT_S,
        )
    start, end = positions[0], positions[-1]
    report.measures += [
        Measure(
            "capture rows per CPU-second",
            "rows/s",
            centrale_cpu.rate,
            bare_cpu.rate,
            "python-mysql-replication loop",
            target=f">= {TARGET:.1f}x",
            passed=centrale_cpu.rate / bare_cpu.rate >= TARGET,
        ),
        Measure("capture rows/s, wall clock", "rows/s", centrale.rate, bare.rate, "python-mysql-replication loop"),
    ]
    if c_rate is not None:
        report.measures.append(Measure("vs the C limit", "rows/s", centrale.rate, c_rate, "mariadb-binlog -v"))
    report.params["binlog bytes"] = end.pos - start.pos if end.file == start.file else "several files"
    report.notes += [
        f"writer: {write_rate:,.0f} rows/s (PyMySQL, 20-row transactions: 1 sales + 19 sale_lines rows, "
        "2 statements + commit each)",
        "both readers in a fresh interpreter each, timed inside it from the start of streaming (dump connection "
        "included); reading starts when the newest transaction is older than capture's catch-up age "
        f"({CATCH_UP_AGE_S:g} s), and {TAIL_ROWS:,} more rows follow the last segment",
        "bare: BinLogStreamReader(**cdc.reader.stream_settings(...)) -- blocking, heartbeats, only_schemas, "
        "only_tables, resume_stream, is_mariadb=False as Centrale's reader -- but only_events = the 3 rows "
        "events and the library's decoders as shipped; len(ev.rows) per event until the segment's rows",
        "Centrale: CdcService.run() in the main thread from an outbox checkpoint at the segment's start, until "
        f"the outbox commit that holds the segment's last row (catching up, it commits every {GROUP_MAX_ROWS:,} "
        f"rows or {GROUP_MAX_S:g} s; rows past the segment in that commit count)",
        "rows per CPU-second: rows over the CPU time (user + system) the reader's process used while it read "
        "them; on a quiet machine it equals the wall-clock rate (both readers are CPU-bound, and Centrale's "
        "outbox commits do not fsync), on a busy one the wall clock also counts other jobs' time slices",
        f"CPU time: {spread(centrale_cpu, bare_cpu)}, median {median_ratio(centrale_cpu, bare_cpu):.2f}x; "
        f"wall clock: {spread(centrale, bare)}, median {median_ratio(centrale, bare):.2f}x",
        *profile,
        f"C limit: `{Path(MARIADB_BINLOG or 'mariadb-binlog').name} -v --base64-output=decode-rows` over the "
        "whole binlog range, output to /dev/null",
        f"binlog files of {BINLOG_FILE_BYTES // 1024**2} MB (MariaDB's default) so no rotation in the range",
    ]
    return report


if __name__ == "__main__":
    if sys.argv[1:2] == [CHILD_FLAG]:
        _child(sys.argv[2:])
    else:
        main_for(run)
