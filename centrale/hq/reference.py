"""Head office's reference tables taken from a store (``hq init --tables-from URL --reference``):
for a head office that does not run the POS itself, the tables stores receive (articles,
keyboards, the store list, products) are created from that store's own definitions and filled
with its rows, so that head office's master copy starts as the store's and the first pull
changes nothing. From then on head office's copy is the one that counts.

A table head office already has is left alone: its rows are head office's. A table is created
and filled in one go: if the copy fails halfway, the table is dropped again, so that no later
run leaves it half full (a mirror pull would then delete at every store what it lacks).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pymysql
import pymysql.cursors

from centrale.core.collations import equivalent_collation, read_collations
from centrale.core.db import error_code, quote_ident
from centrale.core.errors import PreflightError
from centrale.core.hqtables import DEFINITION_REFUSED
from centrale.core.i18n import Msg
from centrale.core.log import get_logger
from centrale.core.schema import read_tables

log = get_logger("reference")

COPY_BATCH = 1000
# A foreign key names a parent that head office may hold in another layout, or not yet: pulls
# never need it there, and leaving it out lets the tables be created in any order.
_FOREIGN_KEY = re.compile(r"^\s*(?:CONSTRAINT\s+\S+\s+)?FOREIGN KEY\b", re.I)
_COLLATION = re.compile(r"\bCOLLATE[= ]\s*`?([A-Za-z0-9_]+)`?", re.I)


def definition_at_hq(table: str, ddl: str, known: dict[str, str]) -> str:
    """The store's ``SHOW CREATE TABLE`` as head office creates it: its foreign keys left out,
    each collation as head office names it (``equivalent_collation``)."""
    head, *body, tail = ddl.split("\n")
    kept = [line.rstrip().rstrip(",") for line in body if not _FOREIGN_KEY.match(line)]
    text = "\n".join([head.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1), ",\n".join(kept), tail])

    def translated(m: re.Match[str]) -> str:
        ours = equivalent_collation(m.group(1), known)
        if ours is None:
            raise PreflightError(
                Msg("err.hq.no_collation", table=table, column="-", collation=m.group(1)),
                hint=Msg("err.hq.no_collation.hint", table=table),
            )
        return m.group(0).replace(m.group(1), ours)

    return _COLLATION.sub(translated, text)


def copy_reference_tables(
    hq: pymysql.connections.Connection,
    database: str,
    store: pymysql.connections.Connection,
    store_database: str,
    tables: Iterable[str],
) -> list[tuple[str, int]]:
    """Create at head office each of ``tables`` it lacks, from the store's definition, with the
    store's rows. Returns (table, rows copied) for each one created."""
    wanted = list(tables)
    present = read_tables(hq, database, wanted)
    missing = [t for t in wanted if t not in present]
    defs = read_tables(store, store_database, missing)
    known = read_collations(hq) if defs else {}
    done = []
    for table in [t for t in missing if t in defs]:
        tdef = defs[table]
        if not tdef.primary_key:
            raise PreflightError(Msg("err.pull.no_key", table=table), hint=Msg("err.pull.no_key.hint", table=table))
        with store.cursor() as cur:
            cur.execute(f"SHOW CREATE TABLE {quote_ident(table)}")
            row = cur.fetchone()
        assert row is not None
        try:
            with hq.cursor() as cur:
                cur.execute(definition_at_hq(table, str(row[1]), known))
        except pymysql.err.MySQLError as exc:
            if error_code(exc) in DEFINITION_REFUSED:
                raise PreflightError(
                    Msg("err.hq.create_refused", table=table, error=exc.args[-1]),
                    hint=Msg("err.hq.create_refused.hint", table=table),
                ) from None
            raise
        columns = [c.name for c in tdef.columns if not c.generated]
        done.append((table, _copy(store, hq, table, columns, tdef.primary_key)))
        log.info("head office's %s created from the store's, %d rows copied", table, done[-1][1])
    return done


def _copy(
    store: pymysql.connections.Connection,
    hq: pymysql.connections.Connection,
    table: str,
    columns: list[str],
    key: tuple[str, ...],
) -> int:
    names = ", ".join(quote_ident(c) for c in columns)
    order = ", ".join(quote_ident(k) for k in key)
    insert = f"INSERT INTO {quote_ident(table)} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
    copied = 0
    try:
        with hq.cursor() as out, store.cursor(pymysql.cursors.SSCursor) as src:
            for cur in (out, src):
                cur.execute("SET SESSION time_zone = '+00:00'")  # TIMESTAMPs as the same instants
            hq.begin()
            src.execute(f"SELECT {names} FROM {quote_ident(table)} ORDER BY {order}")
            while rows := src.fetchmany(COPY_BATCH):
                out.executemany(insert, rows)
                copied += len(rows)
        hq.commit()
    except BaseException:
        hq.rollback()
        with hq.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {quote_ident(table)}")
        raise
    return copied
