"""`make demo`: a head office and two stores on throwaway MariaDB servers, about a minute of
simulated sales through `centrale run`, then per-store totals at head office next to the stores'
own. Everything it starts, it stops."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

from centrale.core.config import load
from sandbox.chain import Chain, build_chain, start_servers
from sandbox.compare import compare_store
from sandbox.processes import CentraleProcess
from sandbox.server import free_port
from sandbox.workload import ARTICLES, StoreActivity, totals


def say(msg: str) -> None:
    print(f"[demo] {msg}", flush=True)


def sell(chain: Chain, number: int, stop: threading.Event, rate: float) -> None:
    site = chain.store(number)
    with site.connect() as conn:
        till = StoreActivity(conn, seed=number)
        n = 0
        while not stop.is_set():
            till.sell()
            n += 1
            if n % 20 == 0:
                till.punch()
            stop.wait(1 / rate)


def seed_head_office(chain: Chain) -> None:
    """Head office's reference data: the chain's stores and its articles, one price changed."""
    chain.hq.sql("INSERT INTO stores (id, name, is_hq) VALUES (1, 'Siège', 1), (12, 'Lyon', 0), (13, 'Lille', 0)")
    for i, (code, label, price) in enumerate(ARTICLES, start=1):
        new_price = Decimal("1.30") if code == "CRO" else price
        chain.hq.sql(
            "INSERT INTO articles (id, code, label, price, price_takeaway) VALUES (%s, %s, %s, %s, %s)",
            (i, code, label, new_price, new_price),
        )


def _same_totals(chain: Chain, number: int) -> bool:
    with chain.store(number).connect() as s, chain.hq.connect() as h:
        return totals(s) == totals(h, number)


def main() -> int:
    seconds = float(os.environ.get("DEMO_SECONDS", "60"))
    root = Path(tempfile.mkdtemp(prefix="centrale-demo-"))
    say(f"starting a head office and two stores (MariaDB, binlog ROW/FULL) in {root}")
    hq, stores = start_servers(root, (12, 13))
    procs: list[CentraleProcess] = []
    ok = False
    try:
        chain = build_chain(root, hq, stores, interval_s=2, extra="\n[jobs]\ninterval_s = 2\n")
        consoles = {site.number: free_port() for site in chain.stores}  # two stores on one machine
        for site in chain.stores:
            site.config.write_text(site.config.read_text() + f"\n[console]\nport = {consoles[site.number]}\n")
        for site in chain.stores:
            chain.seeded(site)
            procs.append(CentraleProcess(site.config, root / f"centrale-store{site.number}.log").start())
        for p in procs:
            p.wait_capturing()
        say(f"`centrale run` is capturing at stores 12 (Lyon) and 13 (Lille); selling for {seconds:.0f}s")
        say(
            "their consoles: "
            + ", ".join(f"store {n} http://127.0.0.1:{port}/" for n, port in consoles.items())
            + f"; head office's: `centrale --config {chain.hq.config} console` (http://127.0.0.1:8618/)"
        )
        seed_head_office(chain)
        for action in ("pull-stores", "pull-articles"):
            chain.centrale(chain.hq, "jobs", "add", action, "--all", "--by", "demo")
        say("head office changed the price of croissants and asked every store to pull articles and stores")
        stop = threading.Event()
        tills = [threading.Thread(target=sell, args=(chain, n, stop, r)) for n, r in ((12, 6.0), (13, 4.0))]
        for t in tills:
            t.start()
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            time.sleep(min(10, seconds - (time.monotonic() - started)))
            parts = []
            for site in chain.stores:
                st = json.loads(chain.centrale(site, "status", "--json").stdout)
                parts.append(f"store {site.number}: backlog {st['backlog']}, shipped {st['rows_shipped']} rows")
            say(f"t+{time.monotonic() - started:4.0f}s  " + "; ".join(parts))
        stop.set()
        for t in tills:
            t.join()
        say("tills closed; waiting for the last batches to reach head office")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(_same_totals(chain, s.number) for s in chain.stores):
            time.sleep(0.5)
        print()
        print(f"{'store':<14}{'tickets':>9}{'sales total':>14}   {'at head office':>14}{'total':>14}   rows")
        all_equal = True
        with chain.hq.connect() as h:
            for site in chain.stores:
                with site.connect() as s:
                    n_s, t_s = totals(s)
                    n_h, t_h = totals(h, site.number)
                    diffs = compare_store(s, h, load(site.config).catalog, site.number, site.database)
                equal = n_s == n_h and t_s == t_h and all(d.equal for d in diffs)
                all_equal &= equal
                rows = sum(d.store_rows for d in diffs)
                label = f"{site.number} {site.name}"
                print(
                    f"{label:<14}{n_s:>9}{t_s:>14}   {n_h:>14}{t_h:>14}   "
                    f"{rows} rows {'identical' if equal else 'DIFFERENT'}"
                )
        print()
        jobs = json.loads(chain.centrale(chain.hq, "jobs", "list", "--json").stdout)
        for j in sorted(jobs, key=lambda j: j["id"]):
            print(f"job {j['id']}: {j['action']:<14} store {j['store']}  {j['status']:<8} {j['message']}")
        prices = {s.number: s.sql("SELECT price FROM articles WHERE code = 'CRO'")[0][0] for s in chain.stores}
        say(f"croissant price at the stores after the pull: {prices} (head office: 1.30)")
        all_equal &= all(j["status"] == "done" for j in jobs) and set(prices.values()) == {Decimal("1.30")}
        print()
        say("head office equals every store, row for row" if all_equal else "MISMATCH (see above)")
        ok = all_equal
    finally:
        for p in procs:
            p.terminate()
        for server in [hq, *stores.values()]:
            server.stop()
        if ok:
            shutil.rmtree(root, ignore_errors=True)
            say("stopped everything it started")
        else:
            say(f"stopped the servers; logs kept in {root}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
