"""What both sides' runs share: worker processes, the timeline, polling, the servers, and the
head-office end of a run (its connection and samples, the start, the steady window, the check)."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

import pymysql

from bench.stores.figures import Sample, compare, head_office_figures, percentile, sample
from bench.stores.settings import INTERVAL_S, POLL_S, PROCESSES, STEADY_S, WARM_S
from bench.stores.tickets import sleep_until
from bench.stores.workers import WorkerResult, WorkerSpec
from sandbox.mariadb import MariaDBServer

T = TypeVar("T")

# --- orchestration --------------------------------------------------------------------------------


class Workers:
    """Worker processes (spawned, so no server connection or thread is inherited) and their pipes."""

    def __init__(self, target: Callable[[WorkerSpec, Connection], None], specs: list[WorkerSpec]) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.pipes: list[Connection] = []
        self.procs: list[multiprocessing.process.BaseProcess] = []
        for spec in specs:
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=target, args=(spec, child), name=f"{spec.side}-{spec.index}", daemon=True)
            proc.start()
            child.close()
            self.pipes.append(parent)
            self.procs.append(proc)

    def gather(self, expected: str, timeout: float = 180.0) -> list[tuple[Any, ...]]:
        out = []
        deadline = time.monotonic() + timeout
        for pipe, proc in zip(self.pipes, self.procs, strict=True):
            while not pipe.poll(0.2):
                if not proc.is_alive():
                    raise RuntimeError(f"worker {proc.name} died (exit code {proc.exitcode})")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"worker {proc.name} did not answer {expected!r} in {timeout:.0f} s")
            try:
                msg = pipe.recv()
            except EOFError:
                proc.join(timeout=5)
                raise RuntimeError(f"worker {proc.name} died (exit code {proc.exitcode})") from None
            if msg[0] != expected:
                raise RuntimeError(f"worker {proc.name} sent {msg[0]!r}, expected {expected!r}")
            out.append(msg)
        return out

    def send(self, *msg: Any) -> None:
        for pipe in self.pipes:
            pipe.send(msg)

    def close(self) -> None:
        """Close the pipes (a worker still waiting for an order then ends), wait, and terminate
        any of our own workers that did not end, by their handle."""
        for pipe in self.pipes:
            pipe.close()
        for proc in self.procs:
            proc.join(timeout=20)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=10)


def spread_stores(stores: list[int]) -> list[list[int]]:
    return [stores[i::PROCESSES] for i in range(min(PROCESSES, len(stores)))]


def worker_specs(
    side: str,
    stores: list[int],
    seed: int,
    *,
    configs: dict[int, str] | None = None,
    sources: dict[int, int] | None = None,
) -> list[WorkerSpec]:
    """One worker process's orders per part of ``stores`` (``spread_stores``), each with its own
    stores' configuration files (the Centrale side) or their sources' ports (the native side)."""
    return [
        WorkerSpec(
            side,
            i,
            part,
            seed,
            configs={n: configs[n] for n in part} if configs is not None else {},
            sources={n: sources[n] for n in part} if sources is not None else {},
        )
        for i, part in enumerate(spread_stores(stores))
    ]


def timeline(setup_done: float) -> tuple[float, float, float, float]:
    """t0 (selling and shipping start), t_warm (measuring starts), t_sell_end, t_pause (shipping
    stops: every store ticked at least once after its last steady ticket)."""
    t0 = setup_done + 0.5
    return t0, t0 + WARM_S, t0 + WARM_S + STEADY_S, t0 + WARM_S + STEADY_S + 1.5 * INTERVAL_S


def wait_for(check: Callable[[], bool], timeout: float, what: str, every: float = POLL_S) -> float:
    """Poll ``check`` every ``every`` s; return the wall time at the start of the poll that saw it true."""
    deadline = time.monotonic() + timeout
    while True:
        at = time.time()
        if check():
            return at
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(every)


@dataclass
class Servers:
    root: Path
    hq: MariaDBServer
    hq_pool: MariaDBServer  # the same head office with thread_handling=pool-of-threads
    sources: list[MariaDBServer]
    replica: MariaDBServer


@dataclass
class Checked:
    """What the workers reported at the end, and head office's rows checked against it."""

    results: list[WorkerResult]
    lost: int
    extra: int
    mismatched: list[str]

    @property
    def late_p99(self) -> float:
        return percentile([x for r in self.results for x in r.late], 0.99)

    @property
    def setup_s(self) -> float:
        return max(r.setup_s for r in self.results)


@dataclass
class Measured:
    """One side's run, seen from the server its rows go to (head office, or the native side's
    replica): a connection to it, its process, its figures before the workers start, the workers."""

    conn: pymysql.connections.Connection[Any]
    pid: int
    start: Sample
    workers: Workers

    def begin(self, then: Callable[[], object] | None = None) -> tuple[float, float, float, float]:
        """The timeline from now (``timeline``), ``then`` done, and sent to the workers: they sell
        (and ship) from its t0."""
        t0, t_warm, t_sell_end, t_pause = timeline(time.time())
        if then is not None:
            then()
        self.workers.send("start", t0, t_sell_end, t_pause)
        return t0, t_warm, t_sell_end, t_pause

    def steady(self, t_warm: float, t_sell_end: float, measure: Callable[[], T]) -> tuple[T, T]:
        """``measure()`` at the start of the steady window (``t_warm``) and at its end."""
        sleep_until(t_warm)
        first = measure()
        sleep_until(t_sell_end)
        return first, measure()

    def check(self) -> Checked:
        """The workers stopped and their results gathered; head office's rows per store and table
        against what their tills sold."""
        self.workers.send("stop")
        results: list[WorkerResult] = [m[1] for m in self.workers.gather("result")]
        expected = {n: f for r in results for n, f in r.figures.items()}
        return Checked(results, *compare(expected, head_office_figures(self.conn)))


@contextmanager
def measured(
    server: MariaDBServer, database: str, target: Callable[[WorkerSpec, Connection], None], specs: list[WorkerSpec]
) -> Iterator[Measured]:
    """A connection to ``server``'s ``database``, its first sample, then the workers started; the
    workers and the connection closed on leaving."""
    conn = server.connect(database)
    assert server.pid is not None
    pid = server.pid
    start = sample(conn, pid)
    workers = Workers(target, specs)
    try:
        yield Measured(conn, pid, start, workers)
    finally:
        workers.close()
        conn.close()
