"""Value types read from the outbox."""

from __future__ import annotations

from dataclasses import dataclass

from centrale.changes import BinlogPosition


@dataclass(frozen=True)
class Checkpoint:
    position: BinlogPosition
    gtid: str | None
    source_ts: int
    updated_at: float


@dataclass(frozen=True)
class OutboxStats:
    generation: str
    backlog: int
    oldest_captured_at: float | None
    last_seq: int
    last_shipped_seq: int
    last_shipped_at: float | None
    rows_shipped: int
    last_error: str | None
    last_error_at: float | None
    checkpoint: Checkpoint | None
    skipped: int


@dataclass(frozen=True)
class PullState:
    table: str
    hq_mark: str | None  # head office's greatest modified value when the last pull started
    store_mark: str | None  # the store's greatest modified value after the last pull
    full_at: float  # when the last full comparison ran (time.time())
    tomb_mark: int | None = None  # the greatest head-office tombstone id already applied
    seen: str | None = None  # rows the last pull looked at inside the next window (JSON)
