"""Head office's bookkeeping tables (SQLAlchemy Core), and ``hq init``.

- ``centrale_hq``: one row with head office's own store number, which every store checks
  against its ``site.hq_store`` before shipping (the seed's "same head-office number").
- ``centrale_progress``: per store and outbox generation, the last applied outbox ``seq``.
  Each batch updates it in the same transaction as its rows: that is what makes a retried
  batch harmless.
- ``centrale_jobs``: what head office asks the stores to do, and whether and when they did it
  (the seed's jobs table).
- ``centrale_tombstones``: keys of reference rows deleted at head office, written by triggers
  (``centrale/hq/tombstones.py``), so that a store's pull finds deletions without comparing key sets;
  ``centrale_logged_tables`` lists the tables whose deletions are logged.
- ``centrale_accounts``: per-store head-office accounts and their store number
  (``centrale/hq/access.py``), which head office's views and triggers check each row against.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CHAR,
    BigInteger,
    Column,
    Double,
    Engine,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    create_engine,
    select,
    text,
)
from sqlalchemy.dialects.mysql import DATETIME
from sqlalchemy.pool import NullPool

from centrale.core.db import ConnParams, connect
from centrale.core.errors import PreflightError
from centrale.core.i18n import Msg

SCHEMA_VERSION = 1

metadata = MetaData()

hq_info = Table(
    "centrale_hq",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("hq_store", Integer, nullable=False),
    Column("name", String(100), nullable=False, default=""),
    Column("schema_version", Integer, nullable=False),
    Column("created_at", DATETIME(fsp=6), nullable=False),
    mysql_engine="InnoDB",
    mysql_charset="utf8mb4",
)

progress = Table(
    "centrale_progress",
    metadata,
    Column("store", Integer, primary_key=True, autoincrement=False),
    Column("generation", CHAR(32), primary_key=True),
    Column("last_seq", BigInteger, nullable=False, default=0),
    # The capture time of the row at last_seq: which outbox's rows head office holds, when a copy
    # of the file numbers other rows with the same seqs (applier/progress.py). Added by `hq init`.
    Column("last_mark", Double, nullable=True),
    Column("rows_applied", BigInteger, nullable=False, default=0),
    Column("batches", BigInteger, nullable=False, default=0),
    Column("store_name", String(100), nullable=False, default=""),
    Column("version", String(32), nullable=False, default=""),
    Column("first_at", DATETIME(fsp=6), nullable=True),
    Column("last_at", DATETIME(fsp=6), nullable=True),
    # What the store reports of itself every jobs.interval_s (centrale/app/report.py), so head office
    # sees backlog, lag and errors that never reach it as rows. Added by `hq init` when missing.
    Column("reported_at", DATETIME(fsp=6), nullable=True),
    Column("backlog", BigInteger, nullable=True),
    Column("backlog_age_s", Double, nullable=True),
    Column("capture_lag_s", Double, nullable=True),
    Column("last_error", String(1000), nullable=True),
    Column("clock_offset_s", Double, nullable=True),  # the store's clock ahead of head office's
    # The store's binlog position (and GTID) that head office holds everything before: a store
    # whose outbox was lost resumes capture there (centrale/core/outbox/positions.py).
    Column("store_position", String(600), nullable=True),
    Column("store_gtid", String(600), nullable=True),
    # The event ending at store_position (start:timestamp:server_id, centrale.core.changes.CommitMark):
    # the store's binlog holding that position again after a restore is told apart by it.
    Column("store_commit", String(64), nullable=True),
    mysql_engine="InnoDB",
    mysql_charset="utf8mb4",
)


# One running capture per store number (centrale/app/lease.py): who holds it, renewed while it runs.
leases = Table(
    "centrale_leases",
    metadata,
    Column("store", Integer, primary_key=True, autoincrement=False),
    Column("token", CHAR(32), nullable=False),
    Column("host", String(255), nullable=False),
    Column("folder", String(1000), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("taken_at", DATETIME(fsp=6), nullable=False),
    Column("renewed_at", DATETIME(fsp=6), nullable=False),
    mysql_engine="InnoDB",
    mysql_charset="utf8mb4",
)


jobs = Table(
    "centrale_jobs",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("store", Integer, nullable=False),
    Column("action", String(32), nullable=False),
    Column("params", String(1000), nullable=False, default="{}"),
    Column("requested_by", String(100), nullable=False, default=""),
    Column("created_at", DATETIME(fsp=6), nullable=False),
    Column("expires_at", DATETIME(fsp=6), nullable=False),
    Column("started_at", DATETIME(fsp=6), nullable=True),
    Column("finished_at", DATETIME(fsp=6), nullable=True),
    Column("status", String(12), nullable=False, default="pending"),
    Column("runner", String(100), nullable=False, default=""),
    Column("rows_moved", BigInteger, nullable=False, default=0),
    Column("message", Text, nullable=False, default=""),
    Index("centrale_jobs_store_status", "store", "status", "id"),
    mysql_engine="InnoDB",
    mysql_charset="utf8mb4",
)


tombstones = Table(
    "centrale_tombstones",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("tbl", String(64), nullable=False),
    Column("pk", String(2000), nullable=False),  # the deleted row's key, as a JSON array
    Column("deleted_at", DATETIME(fsp=6), nullable=False),
    Index("centrale_tombstones_tbl_id", "tbl", "id"),
    mysql_engine="InnoDB",
    mysql_charset="utf8mb4",
)


logged_tables = Table(
    "centrale_logged_tables",
    metadata,
    Column("tbl", String(64), primary_key=True),
    Column("installed_at", DATETIME(fsp=6), nullable=False),
    mysql_engine="InnoDB",
    mysql_charset="utf8mb4",
)


accounts = Table(
    "centrale_accounts",
    metadata,
    Column("account", String(80), primary_key=True),
    Column("store", Integer, nullable=False),
    Column("host", String(255), nullable=False, default="%"),
    Column("created_at", DATETIME(fsp=6), nullable=False),
    mysql_engine="InnoDB",
    mysql_charset="utf8mb4",
)

# The chain's stores as head office registered them (`hq add-store`): head office's status,
# console and /metrics list each one, those that never reported included, and a job is only
# asked of a store head office knows.
stores = Table(
    "centrale_stores",
    metadata,
    Column("store", Integer, primary_key=True, autoincrement=False),
    Column("name", String(100), nullable=False, default=""),
    Column("registered_at", DATETIME(fsp=6), nullable=False),
    mysql_engine="InnoDB",
    mysql_charset="utf8mb4",
)


def engine_for(params: ConnParams) -> Engine:
    """A SQLAlchemy engine over our own PyMySQL connections (one place builds connections)."""
    return create_engine("mysql+pymysql://", creator=lambda: connect(params, autocommit=False), poolclass=NullPool)


def init_hq(params: ConnParams, hq_store: int, name: str = "", *, force: bool = False) -> Msg:
    """Create the bookkeeping tables and record head office's store number. Idempotent."""
    engine = engine_for(params)
    try:
        metadata.create_all(engine)
        _add_missing_columns(engine, progress)
        with engine.begin() as conn:
            row = conn.execute(select(hq_info.c.hq_store).where(hq_info.c.id == 1)).first()
            if row is None:
                conn.execute(
                    hq_info.insert().values(
                        id=1,
                        hq_store=hq_store,
                        name=name,
                        schema_version=SCHEMA_VERSION,
                        created_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
                    )
                )
                return Msg("out.hq_init.done", database=params.database, store=hq_store)
            if int(row[0]) != hq_store:
                if not force:
                    raise PreflightError(
                        Msg("err.hq.other_number", database=params.database, number=row[0], store=hq_store),
                        hint=Msg("err.hq.other_number.hint"),
                    )
                conn.execute(hq_info.update().where(hq_info.c.id == 1).values(hq_store=hq_store, name=name))
                return Msg("out.hq_init.changed", old=row[0], store=hq_store)
            return Msg("out.hq_init.already", store=hq_store)
    finally:
        engine.dispose()


def _add_missing_columns(engine: Engine, table: Table) -> None:
    """Columns a newer Centrale added to a bookkeeping table created by an older one. Only
    nullable columns are ever added, so the ALTER is instant and old rows stay valid."""
    with engine.begin() as conn:
        have = {
            str(r[0])
            for r in conn.execute(
                text(
                    "SELECT COLUMN_NAME FROM information_schema.COLUMNS "
                    "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :t"
                ),
                {"t": table.name},
            )
        }
        for column in table.columns:
            if column.name not in have:
                ddl = column.type.compile(dialect=engine.dialect)
                conn.execute(text(f"ALTER TABLE `{table.name}` ADD COLUMN `{column.name}` {ddl} NULL"))
