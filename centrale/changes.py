"""Value types that cross package lines: the whole contract between capture and shipping."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

Op = Literal["upsert", "delete"]


@dataclass(frozen=True, slots=True, order=True)
class BinlogPosition:
    """A point in the store's binlog: the end of a transaction we have fully captured."""

    file: str
    pos: int

    @property
    def sort_key(self) -> tuple[str, int, int]:
        """Binlog files sort by their numeric suffix, then by offset."""
        base, _, num = self.file.rpartition(".")
        return (base, int(num) if num.isdigit() else -1, self.pos)

    def __str__(self) -> str:
        return f"{self.file}:{self.pos}"


@dataclass(frozen=True, slots=True)
class RowChange:
    """One row's new state (upsert, full row) or disappearance (delete, key columns only).

    ``values`` follows ``columns``. An update that changes a row's key is captured as a delete
    of the old key followed by an upsert, whatever the table's delete policy: it is a move.
    """

    table: str
    op: Op
    columns: tuple[str, ...]
    values: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class SourceTransaction:
    """All captured changes of one committed store transaction, and where it ended."""

    changes: tuple[RowChange, ...]
    end: BinlogPosition
    gtid: str | None = None
    timestamp: int = 0


class OutboxRow(NamedTuple):
    """A row change as stored in the outbox, numbered by ``seq`` within a capture ``txn``.

    A named tuple rather than a frozen dataclass: a catch-up reads a million of them, and a
    tuple is built in a third of the time."""

    seq: int
    txn: int
    table: str
    op: Op
    columns: tuple[str, ...]
    values: tuple[Any, ...]
    captured_at: float = 0.0
    # The values as the outbox stores them (codec's JSON): when that is also MariaDB literal
    # text (codec.literal_lines), the applier sends it as it is instead of escaping each value.
    stored: bytes | None = None


@dataclass(frozen=True, slots=True)
class Batch:
    """Whole capture transactions shipped to head office in one head-office transaction."""

    generation: str
    rows: tuple[OutboxRow, ...] = field(default_factory=tuple)

    @property
    def first_seq(self) -> int:
        return self.rows[0].seq

    @property
    def last_seq(self) -> int:
        return self.rows[-1].seq

    def __len__(self) -> int:
        return len(self.rows)
