"""An in-memory shipper with head office's semantics: for tests, dry runs and benchmarks.

It honours the same contract as HeadOfficeShipper (idempotent per generation and seq, rows
keyed by origin store + key), so the contract suite runs against both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from applier.operations import plan
from applier.progress import behind
from centrale.core.changes import Batch
from centrale.core.errors import TransientShipError
from centrale.core.i18n import Msg


class MemoryShipper:
    def __init__(self, store: int, keys: Callable[[str], tuple[str, ...]]) -> None:
        self.store = store
        self.keys = keys
        self.tables: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {}
        self.progress: dict[str, int] = {}
        self.batches: list[Batch] = []
        self.down = False

    def prepare(self) -> None:
        if self.down:
            raise TransientShipError(Msg("err.ship.memory_down"))

    def last_applied(self, generation: str) -> int:
        return self.progress.get(generation, 0)

    def prebuild(self, batch: Batch) -> None:
        """Nothing to build ahead in memory."""

    def ship(self, batch: Batch) -> int:
        if self.down:
            raise TransientShipError(Msg("err.ship.memory_down"))
        last = self.progress.get(batch.generation, 0)
        gap = behind(self.store, last, batch)
        if gap is not None:
            raise gap
        todo = batch.after(last)
        staged = {t: dict(rows_) for t, rows_ in self.tables.items()}
        for op in plan(todo.runs):
            table = staged.setdefault(op.table, {})
            key_cols = self.keys(op.table)
            if op.kind == "delete" and not op.columns:  # a TRUNCATE at the store: all it sent
                for key in [k for k in table if k[0] == self.store]:
                    del table[key]
                continue
            for values in op.rows:
                row = dict(zip(op.columns, values, strict=True))
                key = (self.store, *(row[k] for k in key_cols))
                if op.kind == "upsert":
                    table[key] = row
                else:
                    table.pop(key, None)
        self.tables = staged
        self.progress[batch.generation] = max(last, batch.last_seq)
        self.batches.append(batch)
        return len(todo)

    def close(self) -> None:
        pass
