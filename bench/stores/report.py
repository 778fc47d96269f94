"""The benchmark's report: the measures, the per-size tables and the notes."""

from __future__ import annotations

from bench.harness import (
    Measure,
)
from bench.stores.figures import Outcome
from bench.stores.settings import INTERVAL_S, POLL_S, PROCESSES, SOURCES, STORE_COUNTS
from sandbox.mariadb import MariaDBServer


def summary_line(c: Outcome, n: Outcome) -> str:
    return (
        f"steady {c.steady.rate:,.0f} vs {n.steady.rate:,.0f} rows/s, drain {c.drain.rate:,.0f} vs "
        f"{n.drain.rate:,.0f} rows/s, lag p99 {c.lag(0.99):.2f} vs {n.lag(0.99):.3f} s, "
        f"deadlocks {c.whole.deadlocks}, lost {c.lost} ({c.seconds:.0f} s + {n.seconds:.0f} s)"
    )


def deadlock_lines(hq: MariaDBServer) -> list[str]:
    try:
        text = hq.error_log.read_text(errors="replace")
    except OSError:
        return []
    return [ln for ln in text.splitlines() if "DEADLOCK" in ln.upper()][:5]


def deadlocks(o: Outcome) -> int:
    """Deadlocks over the whole run: InnoDB's count, or the 1213s the shippers met if more."""
    return max(o.whole.deadlocks, o.conflicts.get(1213, 0))


def measures(c: Outcome, n: Outcome) -> list[Measure]:
    pooled = c.label != "Centrale"
    k = f"{c.stores} stores" + (", head office thread pool" if pooled else "")
    peer = "multi-source replica"
    first = [] if pooled else [Measure(f"{k}: steady apply rate", "rows/s", c.steady.rate, n.steady.rate, peer)]
    return [
        *first,
        Measure(f"{k}: drain apply rate (capacity)", "rows/s", c.drain.rate, n.drain.rate, peer),
        *([] if pooled else [Measure(f"{k}: lag p50", "s", c.lag(0.5), n.lag(0.5), peer)]),
        Measure(f"{k}: lag p99", "s", c.lag(0.99), n.lag(0.99), peer),
        Measure(
            f"{k}: head-office CPU per 1000 rows, steady",
            "ms",
            c.steady.cpu_ms_per_krow,
            n.steady.cpu_ms_per_krow,
            peer,
        ),
        Measure(
            f"{k}: head-office CPU per 1000 rows, drain", "ms", c.drain.cpu_ms_per_krow, n.drain.cpu_ms_per_krow, peer
        ),
        Measure(f"{k}: deadlocks", "", deadlocks(c), deadlocks(n), peer, target="= 0", passed=deadlocks(c) == 0),
        Measure(
            f"{k}: rows lost or doubled",
            "rows",
            c.lost + c.extra,
            n.lost + n.extra,
            peer,
            target="= 0",
            passed=not (c.lost or c.extra or c.mismatched or c.progress_off or c.backlog),
        ),
    ]


def _table(c: Outcome, n: Outcome) -> str:
    def row(metric: str, a: str, b: str) -> str:
        return f"| {metric} | {a} | {b} |"

    def cores(x: float) -> str:
        return f"{100 * x:.0f} % of a core"

    def locks(o: Outcome) -> str:
        return " / ".join(f"{s.lock_waits} ({s.lock_ms} ms)" for s in (o.steady, o.drain, o.whole))

    title = f"{c.stores} stores ({c.rows:,} rows Centrale, {n.rows:,} native; {c.seconds:.0f} s + {n.seconds:.0f} s)"
    if c.label != "Centrale":
        title = f"{c.stores} stores again, head office on MariaDB's thread pool (same tickets; {c.seconds:.0f} s)"
    lines = [
        title + ":",
        "",
        f"| | {c.label} | multi-source replica |",
        "|---|---:|---:|",
        row("steady apply rate", f"{c.steady.rate:,.0f} rows/s", f"{n.steady.rate:,.0f} rows/s"),
        row("lag p50 / p99", f"{c.lag(0.5):.3f} / {c.lag(0.99):.3f} s", f"{n.lag(0.5):.3f} / {n.lag(0.99):.3f} s"),
        row("head-office CPU, steady", cores(c.steady.cpu_share), cores(n.steady.cpu_share)),
        row(
            "head-office CPU per 1000 rows, steady / drain",
            f"{c.steady.cpu_ms_per_krow:.0f} / {c.drain.cpu_ms_per_krow:.0f} ms",
            f"{n.steady.cpu_ms_per_krow:.0f} / {n.drain.cpu_ms_per_krow:.0f} ms",
        ),
        row(
            "drain of the backlog",
            f"{c.drain.rows:,} rows in {c.drain.seconds:.2f} s = {c.drain.rate:,.0f} rows/s",
            f"{n.drain.rows:,} rows in {n.drain.seconds:.2f} s = {n.drain.rate:,.0f} rows/s",
        ),
        row("head-office CPU during the drain", cores(c.drain.cpu_share), cores(n.drain.cpu_share)),
        row(
            "simulated stores' CPU, steady / drain",
            f"{cores(c.steady.clients_cpu_s / c.steady.seconds)} / {cores(c.drain.clients_cpu_s / c.drain.seconds)}",
            "— (tills at the sources)",
        ),
        row("row-lock waits (time): steady / drain / whole run", locks(c), locks(n)),
        row(
            "deadlocks, whole run; errors shippers retried",
            f"{c.whole.deadlocks}; {_codes(c.conflicts)}",
            f"{n.whole.deadlocks}; —",
        ),
        row(
            "rows lost / extra; tables differing",
            f"{c.lost} / {c.extra}; {len(c.mismatched)}",
            f"{n.lost} / {n.extra}; {len(n.mismatched)}",
        ),
        row(
            "progress rows off; ticks failed; outbox rows left",
            f"{c.progress_off}; {len(c.tick_errors)}; {c.backlog}",
            "—",
        ),
        row("connections open at head office, steady", str(c.connections), str(n.connections)),
        row("tills' schedule slip p99", f"{c.late_p99 * 1000:.0f} ms", f"{n.late_p99 * 1000:.0f} ms"),
    ]
    if c.unlagged or n.unlagged:
        lines.append(row("steady tickets without a lag figure", str(c.unlagged), str(n.unlagged)))
    return "\n".join(lines)


def _codes(codes: dict[int, int]) -> str:
    return ", ".join(f"{n} x error {code}" for code, n in sorted(codes.items())) or "none"


def notes(outcomes: list[tuple[Outcome, Outcome]], settings: dict[str, str], deadlocks: list[str]) -> list[str]:
    out = [
        f"durability, identical on both sides: head office {settings['head office']}; replica {settings['replica']}, "
        "log_slave_updates=ON (it binlogs what it applies, as head office binlogs Centrale's batches), "
        "relay log and master info at MariaDB's defaults (sync every 10,000 events); InnoDB buffer pool 64 MB; "
        "MariaDB 10.11 on the same 2-core machine as the simulated stores",
        f"Centrale: {PROCESSES} spawned worker processes, stores spread round-robin; per process one till thread "
        "(appends each ticket to its store's outbox as capture would: rows + checkpoint in one SQLite commit) "
        "and one shipping thread per store running ApplierService.tick() every ship.interval_s with the real "
        "HeadOfficeShipper (root account at head office, tables created by the first store's first tick); each "
        "store's outbox, configuration and store number are its own",
        f"native: {SOURCES} source servers (binlog ROW/FULL, one GTID domain each), stores spread round-robin; "
        "one replica with named connections src0..src3 (CHANGE MASTER 'srcK' ... MASTER_USE_GTID=slave_pos, "
        "START ALL SLAVES), slave_parallel_threads=0: one SQL thread per connection; tables of head office's "
        "shape (origin_store first in the primary key) created on every server outside the binlog; the same "
        f"tickets run at the sources by {PROCESSES} worker processes, one transaction and round trip per ticket. "
        "One source server per store, as in a real chain, does not fit on 2 cores",
        "steady apply rate: rows head office applied in the steady window (Centrale: centrale_progress.rows_applied; "
        "native: row events of the transactions @@gtid_slave_pos shows applied); both sides keep up, so it equals "
        "the offered load. Drain: every store's backlog shipped at once (native: the SQL threads restarted), "
        "rows / seconds until head office has them all: the capacity figure the ratio compares",
        f"lag: Centrale, a ticket's outbox commit -> its batch's COMMIT returned at head office (dominated by the "
        f"{INTERVAL_S:g} s tick; production default 30 s); native, the COMMIT at its source -> the first "
        f"{POLL_S * 1000:.0f} ms poll of the replica's @@gtid_slave_pos showing it",
        "head-office CPU: utime + stime of mariadbd (/proc/PID/stat) over the window; lock figures: "
        "Innodb_row_lock_waits, Innodb_row_lock_time, Innodb_deadlocks deltas; 'errors shippers retried' counts "
        "MariaDB errors met by any shipping attempt (a 1213 deadlock is retried inside ship())",
        "rows lost or doubled: per store and table, rows and the sum of the amount column at head office against "
        "what the store sold; plus stores whose centrale_progress.rows_applied differs from their outbox rows, "
        "and rows left in the outboxes",
        f"the largest chain runs a second time, same tickets, against a second head-office server identical but for "
        f"thread_handling=pool-of-threads (MariaDB's default is one thread per connection): with {STORE_COUNTS[-1]} "
        "stores draining at once, head office's cost per row is what changes",
        "each store's shipper (1 s ticks, under 5 s) keeps its head-office connection open between ticks, "
        "so head office holds one "
        "connection per store (the table's 'connections' row): its max_connections (MariaDB's default 151; these "
        "servers 300) must exceed the number of stores, or the stores beyond it never ship",
    ]
    out += [_table(c, n) for c, n in outcomes]
    problems = [f"{c.stores} stores: {m}" for c, _n in outcomes for m in c.mismatched[:3]]
    problems += [f"{c.stores} stores: {e}" for c, _n in outcomes for e in c.tick_errors[:3]]
    if problems:
        out.append("problems seen: " + "; ".join(problems))
    if deadlocks:
        out.append("head office's error log: " + " | ".join(deadlocks))
    return out
