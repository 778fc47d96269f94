"""The Centrale side of one store count: simulated stores shipping to one head office."""

from __future__ import annotations

import shutil
import time
from collections import Counter

from bench.stores.figures import Outcome, Sample, Span, sample
from bench.stores.phases import Servers, measured, wait_for, worker_specs
from bench.stores.settings import BATCH_ROWS, DRAIN_POLL_S, DRAIN_TIMEOUT_S, FIRST_STORE, INTERVAL_S, TEMPLATE_DB
from bench.stores.workers import centrale_worker
from sandbox.chain import build_chain, write_store_config
from sandbox.mariadb import MariaDBServer


def centrale_side(servers: Servers, count: int, seed: int, hq: MariaDBServer) -> Outcome:
    started = time.perf_counter()
    hq_db = f"pos_hq_{count}"
    root = servers.root / f"centrale-{hq.name}-{count}"
    build_chain(root, hq, {}, hq_db=hq_db, interval_s=INTERVAL_S, batch_rows=BATCH_ROWS)  # `hq init`
    numbers = list(range(FIRST_STORE, FIRST_STORE + count))
    configs = {
        n: str(
            write_store_config(
                root / f"store{n}.toml",
                number=n,
                name=f"Magasin {n}",
                store=hq,  # [local] is the template database: what the shipper reads table definitions from
                hq=hq,
                hq_db=hq_db,
                store_db=TEMPLATE_DB,
                interval_s=INTERVAL_S,
                batch_rows=BATCH_ROWS,
            )
        )
        for n in numbers
    }
    specs = worker_specs("centrale", numbers, seed, configs=configs)
    with measured(hq, hq_db, centrale_worker, specs) as run:
        conn, pid, start, workers = run.conn, run.pid, run.start, run.workers

        def applied() -> int:
            with conn.cursor() as cur:
                cur.execute("SELECT COALESCE(SUM(rows_applied), 0) FROM centrale_progress")
                row = cur.fetchone()
            return int(row[0]) if row else 0

        workers.gather("ready")
        _t0, t_warm, t_sell_end, t_pause = run.begin()
        pids = [p.pid for p in workers.procs if p.pid]  # started with the workers

        def measure() -> tuple[Sample, int]:
            return sample(conn, pid, pids), applied()

        (s0, a0), (s1, a1) = run.steady(t_warm, t_sell_end, measure)
        total = sum(m[2] for m in workers.gather("burst"))  # every row sold, backlog included
        s2, a2 = measure()
        t_resume = time.time()  # the backlog's rows are shipped after this, whatever their date
        workers.send("resume")
        done = wait_for(lambda: applied() >= total, DRAIN_TIMEOUT_S, f"all {total} rows at head office", DRAIN_POLL_S)
        s3 = sample(conn, pid, pids)
        checked = run.check()
        results = checked.results
        rows = {n: k for r in results for n, k in r.rows.items()}
        with conn.cursor() as cur:
            cur.execute("SELECT store, SUM(rows_applied) FROM centrale_progress GROUP BY store")
            progress = {int(s): int(k) for s, k in cur.fetchall()}
    steady_lags = [
        lag
        for r in results
        for cap, done, lag in r.lags
        if t_warm <= cap < t_sell_end and done < min(t_pause, t_resume)
    ]
    steady_tickets = sum(1 for r in results for cap, _d, _l in r.lags if t_warm <= cap < t_sell_end)
    conflicts: Counter[int] = Counter()
    for r in results:
        conflicts.update(r.conflicts)
    outcome = Outcome(
        stores=count,
        steady=Span.between(s0, s1, a1 - a0),
        drain=Span.between(s2, s3, total - a2, done),
        whole=Span.between(start, s3, total),
        lags=steady_lags,
        unlagged=steady_tickets - len(steady_lags),
        late_p99=checked.late_p99,
        connections=s1.status.get("Threads_connected", 0),
        conflicts=dict(conflicts),
        tick_errors=[e for r in results for e in r.tick_errors],
        lost=checked.lost,
        extra=checked.extra,
        mismatched=checked.mismatched,
        progress_off=sum(1 for n, k in rows.items() if progress.get(n) != k),
        backlog=sum(r.backlog for r in results),
        rows=sum(rows.values()),
        setup_s=checked.setup_s,
    )
    hq.sql(f"DROP DATABASE IF EXISTS `{hq_db}`")
    hq.sql(f"DROP DATABASE IF EXISTS `{hq_db}_stores`")
    shutil.rmtree(root, ignore_errors=True)
    outcome.seconds = time.perf_counter() - started
    return outcome
