"""Value types that cross package lines: the whole contract between capture and shipping."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby, repeat
from operator import attrgetter
from typing import Any, Literal, NamedTuple, cast

from centrale.core.codec import decode_many

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

    @classmethod
    def parse(cls, text: str) -> BinlogPosition:
        """Back from ``str``: ``mariadb-bin.000012:4567``."""
        file, _, pos = text.rpartition(":")
        return cls(file, int(pos))


@dataclass(frozen=True, slots=True)
class CommitMark:
    """The event that ends a transaction at a binlog position, told apart from any other: where
    it starts, its timestamp and the server that wrote it. A binlog put back from a backup, or
    reset, can hold the same position again with other transactions before it; its event there
    (if one ends there at all) has another timestamp (``cdc.reader.commit_event_at`` reads it)."""

    start: int
    timestamp: int
    server_id: int

    def __str__(self) -> str:
        return f"{self.start}:{self.timestamp}:{self.server_id}"

    @classmethod
    def parse(cls, text: str) -> CommitMark:
        start, timestamp, server_id = (int(p) for p in text.split(":"))
        return cls(start, timestamp, server_id)


@dataclass(frozen=True, slots=True)
class Recorded:
    """A binlog position recorded for a store (by head office, or the outbox's checkpoint), and
    the event ending there when it is known."""

    position: BinlogPosition
    mark: CommitMark | None = None


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
class XaStep:
    """What a binlog group does to an XA transaction: ``prepare`` (its rows are kept aside under
    ``xid`` until it ends), then ``commit`` (they become a transaction, at the commit's place in
    the binlog) or ``rollback`` (they are dropped)."""

    verb: Literal["prepare", "commit", "rollback"]
    xid: str


@dataclass(frozen=True, slots=True)
class SourceTransaction:
    """All captured changes of one committed store transaction, and where it ended.

    With ``xa`` set, the group is a step of an XA transaction: a prepare's ``changes`` are kept
    aside, a commit's come from its prepare (``changes`` is empty). ``staged`` rows came before
    ``changes``: a large transaction's, written to the outbox while it was read (bounded memory)."""

    changes: tuple[RowChange, ...]
    end: BinlogPosition
    gtid: str | None = None
    timestamp: int = 0
    xa: XaStep | None = None
    staged: int = 0
    mark: CommitMark | None = None  # the event ending it, where the reader saw one (``CommitMark``)


class OutboxRow(NamedTuple):
    """A row change as stored in the outbox, numbered by ``seq`` within a capture ``txn``.

    A named tuple rather than a frozen dataclass: built in a third of the time, for the
    shippers and commands that want rows (a catch-up's batches stay runs, ``Run``)."""

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
class Run:
    """Consecutive rows (in seq order) of one table with the same kind and columns, held column by
    column: how a batch holds its rows.

    A catch-up reads a million rows; as runs they cost a few objects per run instead of several
    per row, and head office is sent the stored text (``stored``) without the values being
    decoded. ``values`` is None for rows read from the outbox: ``decoded()`` parses ``stored``
    when a value itself is needed (a delete's key, a value that needs escaping)."""

    table: str
    op: Op
    columns: tuple[str, ...]
    seqs: tuple[int, ...]
    txns: tuple[int, ...]
    captured: tuple[float, ...]
    stored: tuple[bytes | None, ...]
    values: tuple[tuple[Any, ...], ...] | None = None

    def decoded(self) -> tuple[tuple[Any, ...], ...]:
        if self.values is not None:
            return self.values
        return tuple(decode_many(cast(tuple[bytes, ...], self.stored)))


def runs_of(rows: Iterable[OutboxRow]) -> tuple[Run, ...]:
    """Rows (in seq order) cut into runs: a new run wherever the table, kind or columns change."""
    runs = []
    for (table, op, columns), group in groupby(rows, key=attrgetter("table", "op", "columns")):
        seqs, txns, _, _, _, values, captured, stored = zip(*group, strict=True)
        runs.append(Run(table, op, columns, seqs, txns, captured, stored, values))
    return tuple(runs)


class Batch:
    """Whole capture transactions shipped to head office in one head-office transaction.

    Held as runs (``Run``); ``rows`` builds the row objects when a shipper asks for them. Built
    from rows (``Batch(generation, rows)``) or, as the outbox reads it, from runs."""

    __slots__ = ("_len", "_rows", "follows", "generation", "runs")

    def __init__(self, generation: str, rows: Iterable[OutboxRow] = (), *, runs: Iterable[Run] | None = None) -> None:
        self.generation = generation
        # The last seq shipped before this batch (0: not said): head office holding less than
        # that lacks rows before it (it was put back from a backup) and refuses the batch.
        self.follows = 0
        self._rows: tuple[OutboxRow, ...] | None
        if runs is None:
            self._rows = tuple(rows)
            self.runs = runs_of(self._rows)
        else:
            self._rows = None
            self.runs = tuple(runs)
        self._len = sum(len(r.seqs) for r in self.runs)

    @property
    def rows(self) -> tuple[OutboxRow, ...]:
        if self._rows is None:
            rows: list[OutboxRow] = []
            for r in self.runs:
                n = len(r.seqs)
                rows += map(
                    OutboxRow,
                    r.seqs,
                    r.txns,
                    repeat(r.table, n),
                    repeat(r.op, n),
                    repeat(r.columns, n),
                    r.decoded(),
                    r.captured,
                    r.stored,
                )
            self._rows = tuple(rows)
        return self._rows

    @property
    def first_seq(self) -> int:
        return self.runs[0].seqs[0]

    @property
    def last_seq(self) -> int:
        return self.runs[-1].seqs[-1]

    @property
    def last_captured_at(self) -> float:
        """When capture stored the batch's last row (the rows after it are no older)."""
        return self.runs[-1].captured[-1]

    def after(self, seq: int) -> Batch:
        """The batch without its rows at or below ``seq`` (head office already has them)."""
        if not self.runs or seq < self.first_seq:
            return self
        return Batch(self.generation, [r for r in self.rows if r.seq > seq])

    def before_txn_of(self, seq: int) -> Batch | None:
        """The batch's whole transactions before the one holding row ``seq`` (None if none)."""
        rows = self.rows
        txn = next((r.txn for r in rows if r.seq == seq), None)
        head = [r for r in rows if r.seq < seq and r.txn != txn]
        return Batch(self.generation, head) if txn is not None and head else None

    def __len__(self) -> int:
        return self._len

    def __repr__(self) -> str:
        if not self.runs:
            return f"Batch({self.generation!r}, empty)"
        seqs = f"seq {self.first_seq}..{self.last_seq}"
        return f"Batch({self.generation!r}, {seqs}, {len(self)} rows, {len(self.runs)} runs)"


class StreamedBatch(Batch):
    """One capture transaction too large to hold in memory (a stock-take of a million rows): it
    still goes to head office in one head-office transaction, but its rows are read from the
    outbox piece by piece while they are sent (``pieces``).

    ``runs`` and ``rows`` read the whole transaction into memory: only for shippers that cannot
    stream (tests' in-memory shipper); head office's shipper streams."""

    __slots__ = ("_captured", "_first", "_last", "_pieces")

    def __init__(
        self,
        generation: str,
        *,
        first_seq: int,
        last_seq: int,
        rows: int,
        last_captured_at: float,
        pieces: Callable[[], Iterator[Batch]],
    ) -> None:
        self.generation = generation
        self.follows = 0
        self._rows = None
        self._first, self._last, self._len = first_seq, last_seq, rows
        self._captured = last_captured_at
        self._pieces = pieces

    def pieces(self) -> Iterator[Batch]:
        """The transaction's rows, a few thousand at a time, in seq order."""
        return self._pieces()

    @property
    def runs(self) -> tuple[Run, ...]:  # type: ignore[override]
        return tuple(run for piece in self.pieces() for run in piece.runs)

    @property
    def first_seq(self) -> int:
        return self._first

    @property
    def last_seq(self) -> int:
        return self._last

    @property
    def last_captured_at(self) -> float:
        return self._captured

    def after(self, seq: int) -> Batch:
        """One capture transaction: head office holds all of it or none of it."""
        return self if seq < self._first else Batch(self.generation)

    def __repr__(self) -> str:
        return f"StreamedBatch({self.generation!r}, seq {self._first}..{self._last}, {len(self)} rows)"
