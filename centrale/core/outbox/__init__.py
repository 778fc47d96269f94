"""The local outbox: an embedded SQLite file holding captured changes until head office has
them (see ``store.py`` for its invariants)."""

from centrale.core.outbox.records import Checkpoint, OutboxStats, PullState
from centrale.core.outbox.store import OutboxStore
from centrale.core.outbox.writer import SnapshotWriter

__all__ = ["Checkpoint", "OutboxStats", "OutboxStore", "PullState", "SnapshotWriter"]
