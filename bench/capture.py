"""Capture throughput: Centrale's binlog -> outbox loop against a bare python-mysql-replication
loop over the same binlog, in the same run (target: at least 0.7x), and ``mariadb-binlog -v``
decoding the same bytes (the C limit, for scale).

The data: N rows written in 20-row transactions, each a ticket (one ``sales`` row and 19
``sale_lines`` rows) on the sample schema. Every reader starts from the binlog position taken
before the writes and stops when it has seen all N rows.

Run alone: ``python -m bench.capture`` (``BENCH_QUICK=1`` for a fast pass).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

from pymysqlreplication import BinLogStreamReader
from pymysqlreplication.row_event import WriteRowsEvent

from bench.harness import (
    BINLOG_FILE_BYTES,
    STORE,
    Measure,
    Report,
    Stopwatch,
    Tally,
    main_for,
    pick,
    servers_and_chain,
    spread,
)
from cdc.binlog import end_position
from centrale.changes import BinlogPosition
from centrale.config import load
from centrale.outbox import OutboxStore
from sandbox.chain import Site

TXN_ROWS = 20
TARGET = 0.7
BARE_FLAG = "--bare-loop"
MARIADB_BINLOG = shutil.which("mariadb-binlog") or shutil.which("mysqlbinlog")


def write_tickets(site: Site, rows: int) -> None:
    """``rows`` rows in 20-row transactions: 1 sale + 19 lines each, committed one by one."""
    now = dt.datetime(2024, 5, 17, 12, 0, 0)
    with site.connect() as conn:
        conn.autocommit(False)
        with conn.cursor() as cur:
            for t in range(rows // TXN_ROWS):
                cur.execute(
                    "INSERT INTO sales (ticket_no, business_day, opened_at, closed_at, salesperson_id, total, status) "
                    "VALUES (%s, %s, %s, %s, %s, %s, 'paid')",
                    (t + 1, now.date(), now, now, 1 + t % 3, Decimal("42.90")),
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


def bare_loop(port: int, start: BinlogPosition, expected: int) -> tuple[int, float]:
    """python-mysql-replication alone (non-blocking, inserts only, rows decoded) from ``start``
    until ``expected`` rows: (rows, seconds)."""
    stream = BinLogStreamReader(
        connection_settings={"host": "127.0.0.1", "port": port, "user": "root", "passwd": ""},
        server_id=4_000_000_001,
        blocking=False,
        resume_stream=True,
        is_mariadb=False,
        log_file=start.file,
        log_pos=start.pos,
        only_events=[WriteRowsEvent],
        enable_logging=False,
    )
    rows = 0
    try:
        with Stopwatch() as sw:
            for ev in stream:
                rows += len(ev.rows)
                if rows >= expected:
                    break
    finally:
        stream.close()
    return rows, sw.seconds


def bare_loop_in_child(site: Site, start: BinlogPosition, expected: int) -> tuple[int, float]:
    """``bare_loop`` in a fresh interpreter: importing cdc.reader patches the library's decoders
    (TIME2, DATE, DATETIME2) for the whole process, and the baseline must be the library as shipped."""
    args = [site.server.port, start.file, start.pos, expected]
    cmd = [sys.executable, "-m", "bench.capture", BARE_FLAG, *map(str, args)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parent.parent)
    rows, seconds = json.loads(out.stdout.strip().splitlines()[-1])
    return int(rows), float(seconds)


def _bare_child(argv: list[str]) -> None:
    port, file, pos, expected = argv
    if "cdc.reader" in sys.modules:
        raise RuntimeError("cdc.reader is loaded: the bare loop would run patched decoders")
    print(json.dumps(bare_loop(int(port), BinlogPosition(file, int(pos)), int(expected))))


def centrale_capture(site: Site, start: BinlogPosition, expected: int, outbox_path: Path) -> tuple[int, float]:
    """CdcService from an outbox checkpoint at ``start`` until it has committed ``expected`` rows
    to the outbox (it may have committed a few more by then: they count): (rows, seconds)."""
    from cdc.service import CdcService  # here, not at the top: see bare_loop_in_child

    cfg = load(site.config)
    stop = threading.Event()
    with OutboxStore(outbox_path) as outbox:
        outbox.set_checkpoint(start)
        cdc = CdcService(cfg, outbox, stop)
        cdc.prepare()
        thread = threading.Thread(target=cdc.run, name="capture", daemon=True)
        deadline = time.monotonic() + 600
        with Stopwatch() as sw:
            thread.start()
            while cdc.stats.rows_captured < expected and thread.is_alive() and time.monotonic() < deadline:
                time.sleep(0.005)
        rows = cdc.stats.rows_captured
        stop.set()
        thread.join(60)
        if outbox.stats().backlog < expected:
            print(f"warning: the outbox holds {outbox.stats().backlog} rows, expected {expected}", flush=True)
    outbox_path.unlink(missing_ok=True)
    return rows, sw.seconds


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
    with Stopwatch() as sw:
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return expected / sw.seconds


def run() -> Report:
    segments = pick(5, 3)
    seg_rows = pick(40_000, 10_000)
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
    bare, centrale = Tally(), Tally()
    with servers_and_chain("capture") as (root, chain):
        site = chain.store(STORE)
        positions: list[BinlogPosition] = []
        with Stopwatch() as sw:
            for _ in range(segments):
                with site.connect() as conn:
                    positions.append(end_position(conn))
                write_tickets(site, seg_rows)
        with site.connect() as conn:
            positions.append(end_position(conn))
        write_rate = rows / sw.seconds
        # Each round reads one segment with both readers, in alternating order.
        for i in range(segments):
            for side in ("bare", "centrale") if i % 2 == 0 else ("centrale", "bare"):
                if side == "bare":
                    bare.add(*bare_loop_in_child(site, positions[i], seg_rows))
                else:
                    centrale.add(*centrale_capture(site, positions[i], seg_rows, root / f"outbox-{i}.db"))
        c_rate = mariadb_binlog(site, positions[0], positions[-1], rows)
    start, end = positions[0], positions[-1]
    report.measures.append(
        Measure(
            "capture rows/s",
            "rows/s",
            centrale.rate,
            bare.rate,
            "python-mysql-replication loop",
            target=f">= {TARGET:.1f}x",
            passed=centrale.rate / bare.rate >= TARGET,
        )
    )
    if c_rate is not None:
        report.measures.append(Measure("vs the C limit", "rows/s", centrale.rate, c_rate, "mariadb-binlog -v"))
    report.params["binlog bytes"] = end.pos - start.pos if end.file == start.file else "several files"
    report.notes += [
        f"writer: {write_rate:,.0f} rows/s (PyMySQL, 20-row transactions: 1 sales + 19 sale_lines rows, "
        "2 statements + commit each)",
        "bare: BinLogStreamReader(blocking=False, resume_stream=True, is_mariadb=False, "
        "only_events=[WriteRowsEvent]) from the segment's start position, len(ev.rows) per event, in its own "
        "interpreter (cdc.reader's decoder patches not loaded); timed inside it, start-up excluded",
        "Centrale: CdcService.run() in a thread (blocking reader, heartbeats, all captured tables) from an "
        "outbox checkpoint set to the same position, timed until stats.rows_captured reaches the segment's rows",
        spread(centrale, bare),
        f"C limit: `{Path(MARIADB_BINLOG or 'mariadb-binlog').name} -v --base64-output=decode-rows` over the "
        "whole binlog range, output to /dev/null",
        f"binlog files of {BINLOG_FILE_BYTES // 1024**2} MB (MariaDB's default) so no rotation in the range",
    ]
    return report


if __name__ == "__main__":
    if sys.argv[1:2] == [BARE_FLAG]:
        _bare_child(sys.argv[2:])
    else:
        main_for(run)
