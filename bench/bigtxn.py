"""One very large transaction: peak memory of `centrale run` capturing and shipping a stock-take of
N rows written in ONE store transaction (target: under 200 MB for 1,000,000 rows), against the
bare library decoding the same binlog events, measured in the same run.

- Centrale: `centrale run` as a child process (the sample schema, a store and a head office on
  throwaway servers) is capturing when the transaction is written: ``INSERT INTO stock_movements
  ... SELECT ... FROM seq_1_to_N`` in one transaction. The run ends when head office holds the N
  rows; the figure is the kernel's high-water mark of the process's resident memory (``VmHWM``),
  which covers capture (rows staged in the outbox file past a few thousand), the outbox commit,
  and shipping (the transaction read and sent piece by piece in one head-office transaction).
- Bare: a fresh interpreter runs python-mysql-replication over the same binlog range with
  Centrale's reader arguments but rows events only, reading every row (``len(ev.rows)``), and
  reports its own ``VmHWM``: what decoding these events costs with nothing kept.

Run alone: ``python -m bench.bigtxn`` (``BENCH_QUICK=1`` for 100,000 rows, ``BENCH_BIGTXN_ROWS=N`` for N).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.capture import bare_loop
from bench.harness import STORE, Measure, Report, main_for, pick, servers_and_chain
from cdc.binlog import end_position
from centrale.core.changes import BinlogPosition
from sandbox.chain import Chain, Site
from sandbox.processes import CentraleProcess

RSS_TARGET_MB = 200.0
MB = 1024
STOCK_TAKE = (
    "INSERT INTO stock_movements (article_id, quantity, kind, reference, moved_at) "
    "SELECT seq % 5000, CAST(seq % 13 AS SIGNED) - 6, 'adjustment', CONCAT('inventaire-', seq), NOW(6) "
    "FROM seq_1_to_{n}"
)


def _hwm_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _hq_rows(chain: Chain) -> int:
    return int(chain.hq.sql("SELECT COUNT(*) FROM stock_movements WHERE origin_store = %s", (STORE,))[0][0])


def centrale_run(chain: Chain, site: Site, rows: int, log_dir: Path) -> tuple[int, float, BinlogPosition]:
    """(peak KB, seconds from the commit to head office holding every row, start position)."""
    proc = CentraleProcess(site.config, log_dir / "run.log").start().wait_capturing(timeout_s=60)
    assert proc.proc is not None
    try:
        with site.connect() as conn:
            start = end_position(conn)
            with conn.cursor() as cur:
                cur.execute("BEGIN")
                cur.execute(STOCK_TAKE.format(n=rows))
                cur.execute("COMMIT")
        committed = time.monotonic()
        peak = 0
        while _hq_rows(chain) < rows:
            if not proc.alive:
                raise RuntimeError(f"centrale run exited:\n{proc.log_text()[-3000:]}")
            peak = max(peak, _hwm_kb(proc.proc.pid))
            if time.monotonic() - committed > 1800:
                raise TimeoutError("head office did not get the stock-take within 30 min")
            time.sleep(0.5)
        seconds = time.monotonic() - committed
        peak = max(peak, _hwm_kb(proc.proc.pid))
    finally:
        proc.terminate()
    return peak, seconds, start


def bare(config: Path, start: BinlogPosition, expected: int) -> dict[str, float]:
    """In a fresh interpreter: the library alone decodes the transaction's rows events
    (``bench.capture.bare_loop``, the capture benchmark's bare reader)."""
    timing = bare_loop(config, start, expected)
    return {"rows": timing.rows, "seconds": timing.seconds, "hwm_kb": _hwm_kb_self()}


def _hwm_kb_self() -> int:
    return _hwm_kb(os.getpid())


def run() -> Report:
    rows = int(os.environ.get("BENCH_BIGTXN_ROWS", "0")) or pick(1_000_000, 100_000)
    with servers_and_chain("bigtxn") as (root, chain):
        site = chain.store(STORE)
        chain.centrale(site, "snapshot")
        peak_kb, seconds, start = centrale_run(chain, site, rows, root)
        out = subprocess.run(
            [sys.executable, "-m", "bench.bigtxn", "bare", str(site.config), start.file, str(start.pos), str(rows)],
            capture_output=True,
            text=True,
            check=True,
            timeout=1800,
        )
        bare_figures = json.loads(out.stdout.strip().splitlines()[-1])
    peak_mb, bare_mb = peak_kb / MB, float(bare_figures["hwm_kb"]) / MB
    report = Report(
        "bigtxn",
        "one store transaction of N rows: peak memory of `centrale run` (capture and shipping)",
        params={"rows in the transaction": rows},
    )
    report.measures.append(
        Measure(
            "peak RSS",
            "MB",
            peak_mb,
            bare_mb,
            "python-mysql-replication decoding the same events, nothing kept",
            target=f"< {RSS_TARGET_MB:.0f} MB" if rows >= 1_000_000 else "",
            passed=peak_mb < RSS_TARGET_MB if rows >= 1_000_000 else None,
        )
    )
    report.measures.append(
        Measure(
            "commit to all rows at head office",
            "s",
            seconds,
            float(bare_figures["seconds"]),
            "the library's decoding alone",
        )
    )
    report.notes.append(
        "Centrale holds a few thousand rows of an open transaction in memory (the rest wait in the outbox "
        "file) and ships a transaction of 20,000 rows or more piece by piece (5,000 rows) inside one "
        "head-office transaction"
    )
    return report


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "bare":
        _, _, cfg_path, file, pos, expected = sys.argv
        print(json.dumps(bare(Path(cfg_path), BinlogPosition(file, int(pos)), int(expected))))
    else:
        main_for(run)
