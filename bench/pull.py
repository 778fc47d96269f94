"""Pull of a large reference table: `pull_group(cfg, "articles")` with 1% of 50,000 articles
changed at head office against a full ``mariadb-dump | mariadb`` copy of the same table into the
same store database, in one run (target: the pull takes at most 0.1x the dump copy's time, i.e.
is at least 10x faster).

The data: head office's ``articles`` filled with N realistic rows (accented labels, prices,
printers, VAT rates), then copied to the store by a first full pull (timed too). Each round
changes 1% of the rows at head office (label/price updates at keys spread over the whole range,
a few inserts and deletes) and times both the pull and the dump copy, alternating which goes
first; the change always comes just before the pull, so the pull always has 1% to move. After
each sync the store's copy is checked against head office's (count + a CRC32 sum of every row).

Run alone: ``python -m bench.pull`` (``BENCH_QUICK=1`` for a fast pass).
"""

from __future__ import annotations

import random
import shlex
import shutil
import subprocess
from decimal import Decimal
from typing import Any

import pymysql

from bench.harness import STORE, Measure, Report, Stopwatch, main_for, pick, servers_and_chain
from centrale.core.config import Config, load
from jobs.pull import PullResult, pull_group
from sandbox.chain import Chain, Site

TABLE = "articles"
GROUP = "articles"
TARGET = 0.1  # pull seconds / dump seconds
COLUMNS = ("id", "code", "label", "family", "price", "price_takeaway", "vat_rate", "printer", "printer_2", "active")
LABELS = (
    "Café crème", "Crème brûlée", "Pâté en croûte", "Bœuf bourguignon", "Gâteau à l'orange", "Thé glacé pêche",
    "Salade niçoise", "Crêpe au sucre", "Éclair au café", "Tarte aux pommes", "Croque-monsieur", "Quiche lorraine",
    "Jus d'orange pressé", "Chocolat chaud", "Mille-feuille", "Île flottante", "Pain aux céréales", "Galette des rois",
)  # fmt: skip
VARIANTS = ("", " (petit)", " (grand)", " maison", " à emporter", " sans gluten", " végétarien")
FAMILIES = ("Boissons chaudes", "Boissons fraîches", "Pâtisserie", "Plats", "Entrées", "Desserts", "Boulangerie")
PRINTERS = ("cuisine", "bar", "pâtisserie", "")
VATS = (Decimal("5.50"), Decimal("10.00"), Decimal("20.00"))
CENT = Decimal("0.01")


def cents(rng: random.Random, lo: int, hi: int) -> Decimal:
    return Decimal(rng.randint(lo, hi)).scaleb(-2)


def article(rng: random.Random, i: int) -> tuple[Any, ...]:
    price = cents(rng, 80, 4500)
    label = f"{LABELS[i % len(LABELS)]}{VARIANTS[i // len(LABELS) % len(VARIANTS)]} n°{i}"
    return (
        i, f"A{i:07d}", label, FAMILIES[i % len(FAMILIES)], price, (price * Decimal("0.95")).quantize(CENT),
        rng.choice(VATS), rng.choice(PRINTERS), rng.choice(("", "", "étiquettes")), int(rng.random() > 0.03),
    )  # fmt: skip


def insert(conn: pymysql.connections.Connection, rows: list[tuple[Any, ...]]) -> None:
    sql = f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"
    with conn.cursor() as cur:
        for i in range(0, len(rows), 1000):
            cur.executemany(sql, rows[i : i + 1000])


def change(conn: pymysql.connections.Connection, rng: random.Random, n: int, rnd: int) -> tuple[int, int, int]:
    """Change 1% of ``n`` rows at head office: updates and deletes at random keys (so spread over
    the whole key range), inserts past the highest key. Returns (updated, inserted, deleted)."""
    k = n // 100
    ins = dels = max(1, k // 20)
    with conn.cursor() as cur:
        cur.execute(f"SELECT id FROM {TABLE}")
        ids = [int(r[0]) for r in cur.fetchall()]
        picked = rng.sample(ids, k - ins)
        upd, gone = picked[dels:], picked[:dels]
        cur.executemany(
            f"UPDATE {TABLE} SET label = %s, price = %s WHERE id = %s",
            [(f"{rng.choice(LABELS)} (recette {rnd + 1}) n°{i}", cents(rng, 80, 4500), i) for i in upd],
        )
        cur.execute(f"DELETE FROM {TABLE} WHERE id IN ({', '.join(['%s'] * len(gone))})", gone)
    top = max(ids)
    insert(conn, [article(rng, top + j) for j in range(1, ins + 1)])
    return len(upd), ins, len(gone)


def fingerprint(site: Site) -> tuple[int, int]:
    """Row count and a sum of per-row CRC32 over every column: independent of jobs.diff's hashes."""
    cols = ", ".join(f"COALESCE({c}, '∅')" for c in (*COLUMNS, "updated_at"))
    row = site.sql(f"SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT_WS(0x1f, {cols}))), 0) FROM {TABLE}")[0]
    return int(row[0]), int(row[1])


def check_equal(chain: Chain, after: str) -> bool:
    hq, st = fingerprint(chain.hq), fingerprint(chain.store(STORE))
    if hq != st:
        print(f"warning: after {after}, store {TABLE} {st} != head office {hq} (count, crc sum)", flush=True)
    return hq == st


def dump_command(chain: Chain) -> str:
    dump = shutil.which("mariadb-dump") or shutil.which("mysqldump")
    client = shutil.which("mariadb") or shutil.which("mysql")
    if not dump or not client:
        raise RuntimeError("mariadb-dump/mysqldump and mariadb/mysql are needed for the baseline")
    hq, st = chain.hq, chain.store(STORE)
    src = [dump, "--no-defaults", "--skip-triggers", "-h127.0.0.1", f"-P{hq.server.port}", "-uroot", hq.database, TABLE]
    dst = [client, "--no-defaults", "-h127.0.0.1", f"-P{st.server.port}", "-uroot", st.database]
    return f"set -o pipefail; {shlex.join(src)} | {shlex.join(dst)}"


def dump_copy(command: str) -> float:
    with Stopwatch() as sw:
        res = subprocess.run(command, shell=True, executable="/bin/bash", capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise RuntimeError(f"dump copy failed ({res.returncode}): {res.stderr[-2000:]}")
    return sw.seconds


def timed_pull(cfg: Config) -> tuple[float, PullResult]:
    with Stopwatch() as sw:
        result = pull_group(cfg, GROUP)
    return sw.seconds, result


def store_fks(chain: Chain) -> int:
    """Foreign keys of the store that reference articles (keyboard_keys, technical_sheets)."""
    st = chain.store(STORE)
    return int(
        st.sql(
            "SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS "
            "WHERE CONSTRAINT_SCHEMA = %s AND REFERENCED_TABLE_NAME = %s",
            (st.database, TABLE),
        )[0][0]
    )


def run() -> Report:
    n = pick(50_000, 10_000)
    rounds = pick(3, 2)
    report = Report(
        "pull",
        "pull of a large table with 1% changed vs a full mariadb-dump | mariadb copy",
        params={"rows": n, "table": TABLE, "changed per round": f"{n // 100:,} (1%)", "rounds": rounds},
    )
    rng = random.Random(20261128)
    pulls: list[float] = []
    dumps: list[float] = []
    moved: list[str] = []
    equal = True
    with servers_and_chain("pull") as (_root, chain):
        cfg = load(chain.store(STORE).config)
        command = dump_command(chain)
        fks = store_fks(chain)
        with chain.hq.connect() as conn:
            insert(conn, [article(rng, i) for i in range(1, n + 1)])
            with conn.cursor() as cur:  # a catalog is old; what a round changes is new
                cur.execute(f"UPDATE {TABLE} SET updated_at = UTC_TIMESTAMP(6) - INTERVAL 30 DAY + INTERVAL id SECOND")
        first_s, first = timed_pull(cfg)
        equal &= check_equal(chain, "the first full pull")
        with chain.hq.connect() as conn:
            for rnd in range(rounds):
                dump_first = rnd % 2 == 1
                if dump_first:
                    dumps.append(dump_copy(command))
                    equal &= check_equal(chain, f"dump copy {rnd + 1}")
                upd, ins, dels = change(conn, rng, n, rnd)
                seconds, result = timed_pull(cfg)
                pulls.append(seconds)
                equal &= check_equal(chain, f"pull {rnd + 1}")
                if not dump_first:
                    dumps.append(dump_copy(command))
                    equal &= check_equal(chain, f"dump copy {rnd + 1}")
                t = result.tables[0]
                moved.append(
                    f"round {rnd + 1} ({'dump' if dump_first else 'pull'} first): changed ~{upd} +{ins} -{dels}, "
                    f"pulled ~{t.updated} +{t.inserted} -{t.deleted}, {t.chunks_differing} of {t.chunks} chunks "
                    f"differing; pull {seconds:.3g} s, dump {dumps[-1]:.3g} s"
                )
        fks_after = store_fks(chain)
    if fks_after != fks:
        print(f"warning: the store had {fks} foreign keys to {TABLE}, {fks_after} after the dumps", flush=True)
    pull_s, dump_s = sum(pulls) / rounds, sum(dumps) / rounds
    ratio = pull_s / dump_s
    report.measures += [
        Measure(
            "sync time, 1% changed",
            "s",
            pull_s,
            dump_s,
            "mariadb-dump | mariadb, whole table",
            target=f"<= {TARGET:.1f}x",
            passed=ratio <= TARGET,
        ),
        Measure("first full pull (empty store)", "s", first_s, dump_s, "mariadb-dump | mariadb, whole table"),
    ]
    speedups = [d / p for p, d in zip(pulls, dumps, strict=True)]
    report.notes += [
        f"speed-up (dump seconds / pull seconds): {1 / ratio:.1f}x (target: at least {1 / TARGET:.0f}x); per round "
        f"{min(speedups):.1f}x to {max(speedups):.1f}x over {rounds} rounds; seconds are means per sync",
        *moved,
        f"first full pull: +{first.tables[0].inserted} rows, {first.tables[0].chunks} chunks, all differing",
        "Centrale: jobs.pull.pull_group(cfg, 'articles') with the store's config (connections, chunk sums on both "
        "sides, row hashes in differing chunks, fetch and apply in one store transaction)",
        f"dump: `{command.split('; ', 1)[1]}` via bash (pipefail): DROP TABLE + CREATE + extended INSERTs, under "
        "the dump's own `SET FOREIGN_KEY_CHECKS=0` header, so the store's keyboard_keys/technical_sheets foreign keys "
        f"to articles do not block it ({fks_after} of {fks} such keys still there after the dumps)",
        "every sync checked (count + SUM(CRC32) of all columns on both sides): "
        + ("store equal to head office each time" if equal else "MISMATCH, see the warnings above"),
    ]
    return report


if __name__ == "__main__":
    main_for(run)
