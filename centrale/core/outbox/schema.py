"""The outbox file's SQLite schema, and how SQLite errors become OutboxErrors."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

from centrale.core.errors import OutboxError
from centrale.core.i18n import Msg
from centrale.core.outbox.disk import full_error, probe
from centrale.core.outbox.gtidstate import SCHEMA as GTID_SCHEMA
from centrale.core.outbox.positions import SCHEMA as POSITIONS_SCHEMA
from centrale.core.outbox.retention import SCHEMA as RETENTION_SCHEMA
from centrale.core.outbox.xa import XA_SCHEMA

# 2: prepared XA transactions (centrale.core.outbox.xa); 3: shipped rows kept (retention), rows'
# binlog positions (positions); 4: the events ending them (positions.commit_marks); 5: the
# checkpoint's GTID state (gtidstate)
SCHEMA_VERSION = 5

_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS shapes (
    id INTEGER PRIMARY KEY, tbl TEXT NOT NULL, columns BLOB NOT NULL, UNIQUE (tbl, columns));
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    txn INTEGER NOT NULL,
    shape INTEGER NOT NULL REFERENCES shapes(id),
    op TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
    data BLOB NOT NULL,
    captured_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoint (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    log_file TEXT NOT NULL, log_pos INTEGER NOT NULL, gtid TEXT,
    source_ts INTEGER NOT NULL DEFAULT 0, updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS shipping (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_shipped_seq INTEGER NOT NULL DEFAULT 0, last_shipped_at REAL,
    rows_shipped INTEGER NOT NULL DEFAULT 0, syncs INTEGER NOT NULL DEFAULT 0,
    last_error TEXT, last_error_at REAL);
CREATE TABLE IF NOT EXISTS fences (
    tbl TEXT PRIMARY KEY, log_file TEXT NOT NULL, log_pos INTEGER NOT NULL, taken_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS skipped (
    seq INTEGER PRIMARY KEY, txn INTEGER NOT NULL, tbl TEXT NOT NULL, op TEXT NOT NULL,
    data BLOB NOT NULL, reason TEXT NOT NULL, skipped_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS pull_state (
    tbl TEXT PRIMARY KEY, hq_mark TEXT, store_mark TEXT, full_at REAL NOT NULL, tomb_mark INTEGER, seen TEXT);
INSERT OR IGNORE INTO shipping (id) VALUES (1);
"""
    + XA_SCHEMA
    + RETENTION_SCHEMA
    + POSITIONS_SCHEMA
    + GTID_SCHEMA
)


def _outbox_error(path: Path, exc: sqlite3.Error) -> OutboxError:
    """One line naming the outbox, what is wrong and the fix (the disk is looked at when SQLite
    only says it could not write)."""
    msg = str(exc)
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name == "SQLITE_FULL":
        return full_error(path)
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_PERM")) or (
        "readonly" in msg or "unable to open" in msg or "disk" in msg
    ):
        found = probe(path)
        if found is not None:
            return found
    if "readonly" in msg or "unable to open" in msg:
        hint = Msg("err.outbox.sqlite.readonly.hint", folder=path.parent)
    elif "disk" in msg and ("full" in msg or "I/O" in msg):
        hint = Msg("err.outbox.sqlite.disk.hint", path=path)
    elif "locked" in msg:
        hint = Msg("err.outbox.sqlite.locked.hint")
    else:
        hint = Msg("err.outbox.sqlite.other.hint", path=path)
    return OutboxError(Msg("err.outbox.sqlite", path=path, error=msg), hint=hint)


def init_meta(db: sqlite3.Connection, path: Path) -> str:
    """The outbox's generation (made when the file is created); refuses a file written by a newer
    Centrale, and records this version's schema in an older file (its new tables are created by
    ``_SCHEMA``, which only adds)."""
    row = db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
    if row:
        version = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if version and int(version[0]) > SCHEMA_VERSION:
            raise OutboxError(Msg("err.outbox.newer", path=path, version=version[0]), hint=Msg("err.outbox.newer.hint"))
        if not version or int(version[0]) < SCHEMA_VERSION:
            db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        return str(row[0])
    generation = uuid.uuid4().hex
    db.execute("INSERT INTO meta VALUES ('generation', ?)", (generation,))
    db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    return generation


def rotate_generation(db: sqlite3.Connection) -> str:
    """A new generation for this file (inside the caller's write transaction): its rows, waiting
    or to come, get a name head office has never seen, so it applies them all. For an outbox
    older than what head office holds of it (put back from a backup, or copied): under the old
    name, its new rows would reuse seqs head office takes for rows it already has."""
    generation = uuid.uuid4().hex
    db.execute("UPDATE meta SET value = ? WHERE key = 'generation'", (generation,))
    db.execute("UPDATE shipping SET last_shipped_seq = 0 WHERE id = 1")
    return generation
