"""Tills that keep selling: `python -m sandbox.tills URL [URL...]` (used by compose.yaml)."""

from __future__ import annotations

import argparse
import time

import pymysql

from centrale.db import connect, parse_url
from sandbox.workload import StoreActivity, seed_store


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
