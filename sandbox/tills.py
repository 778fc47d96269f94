"""Tills that keep selling: `python -m sandbox.tills URL [URL...]` (used by compose.yaml), and
`Till`, one till selling in a background thread while a test breaks things around it."""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable
from typing import Any

import pymysql

from centrale.core.db import connect, parse_url
from sandbox.workload import StoreActivity, seed_store

Connect = Callable[[], "pymysql.connections.Connection[Any]"]


class Till:
    """Sells continuously (a ticket, a punch every tenth) in a background thread until stopped.

    ``connect`` opens the store database (e.g. ``site.connect``). When the store's own server
    goes away (restarted under the till), the till waits for it and sells on with a new
    connection, as a real till's software would; a ticket cut off half-way is rolled back by the
    server, so the store database stays the reference head office is compared with.

    ``pause_s`` between tickets: the default gives about fifteen tickets a second, far busier than a
    real shop, yet light enough for two stores, head office and the tests on two cores."""

    def __init__(self, connect: Connect, seed: int, pause_s: float = 0.05) -> None:
        self.connect = connect
        self.seed = seed
        self.pause_s = pause_s
        self.stop_event = threading.Event()
        self.sold = 0
        self.reconnects = 0
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            while not self.stop_event.is_set():
                try:
                    self._sell_until_stopped_or_disconnected()
                except (pymysql.err.OperationalError, pymysql.err.InterfaceError):
                    self.reconnects += 1
                    self.stop_event.wait(0.1)
        except BaseException as exc:  # surfaced by __exit__
            self.error = exc

    def _sell_until_stopped_or_disconnected(self) -> None:
        with self.connect() as conn:
            activity = StoreActivity(conn, seed=self.seed + 1000 * self.reconnects)
            while not self.stop_event.is_set():
                activity.sell()
                self.sold += 1
                if self.sold % 10 == 0:
                    activity.punch()
                time.sleep(self.pause_s)

    def __enter__(self) -> Till:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=60)
        if self.thread.is_alive():
            raise RuntimeError("till did not stop")
        if self.error is not None:
            raise self.error


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("urls", nargs="+", help="store databases, mysql://user:pass@host:port/db")
    parser.add_argument("--tickets-per-s", type=float, default=2.0)
    parser.add_argument("--seconds", type=float, default=0, help="0: forever")
    args = parser.parse_args(argv)
    tills = []
    for i, url in enumerate(args.urls):
        for _ in range(60):
            try:
                conn = connect(parse_url(url), autocommit=False)
                break
            except pymysql.err.OperationalError:
                time.sleep(1)
        else:
            raise SystemExit(f"cannot reach {parse_url(url).describe()}")
        seed_store(conn)
        tills.append(StoreActivity(conn, seed=i))
    started = time.monotonic()
    while not args.seconds or time.monotonic() - started < args.seconds:
        for till in tills:
            till.sell()
        time.sleep(1 / args.tickets_per_s)


if __name__ == "__main__":
    main()
