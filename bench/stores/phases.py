"""What both sides' runs share: worker processes, the timeline, polling, the servers."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench.stores.settings import INTERVAL_S, POLL_S, PROCESSES, STEADY_S, WARM_S
from bench.stores.workers import WorkerSpec
from sandbox.mariadb import MariaDBServer

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
