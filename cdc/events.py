"""The binlog as capture sees it: plain events, each with what the capture loop needs to decide.

``cdc.reader`` makes them from python-mysql-replication's events; ``cdc.assembler`` turns them
into whole source transactions. Every event the server writes becomes one of these or is
dropped by the reader for a stated reason (see ``cdc.reader``): none disappears unseen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from centrale.core.changes import BinlogPosition, CommitMark
from centrale.core.i18n import Msg


@dataclass(slots=True)
class StreamStart:
    """A new dump connection began (ours or the library's silent reconnect)."""

    position: BinlogPosition


@dataclass(slots=True)
class Rotate:
    """The server moved to a new binlog file; a transaction boundary."""

    position: BinlogPosition


@dataclass(slots=True)
class TxnBegin:
    """A transaction's first event (MariaDB's GTID event, or a BEGIN statement)."""

    gtid: str | None
    timestamp: int


@dataclass(slots=True)
class GtidSeen:
    """MySQL's GTID event, before a transaction's first event: its GTID (None: an anonymous
    transaction, logged without one). MariaDB's GTID event is the transaction's ``TxnBegin``."""

    gtid: str | None


@dataclass(slots=True)
class Rows:
    kind: str  # "insert" | "update" | "delete"
    table: str
    rows: list[dict[str, Any]]
    position: BinlogPosition  # the end of the rows event, to name it in a message
    families: tuple[str, ...] | None = None  # the columns' types as written (cdc.reader.column_families)


@dataclass(slots=True)
class TxnEnd:
    """COMMIT (an XID event, a COMMIT statement, ``XA COMMIT ... ONE PHASE``)."""

    position: BinlogPosition
    timestamp: int
    mark: CommitMark | None = None


@dataclass(slots=True)
class Rollback:
    """A transaction logged and then rolled back: only a non-transactional table's changes
    (MyISAM, Aria) stay, since those cannot be rolled back."""

    position: BinlogPosition
    timestamp: int
    mark: CommitMark | None = None


@dataclass(slots=True)
class Savepoint:
    name: str


@dataclass(slots=True)
class RollbackTo:
    """``ROLLBACK TO SAVEPOINT``: logged only when a non-transactional table changed after the
    savepoint (otherwise the server drops the rolled-back rows from the binlog itself)."""

    name: str
    position: BinlogPosition


@dataclass(slots=True)
class XaPrepare:
    """``XA PREPARE``: the XA transaction's rows end here, but it commits (or rolls back) later,
    in a group of its own, possibly after a restart of the server."""

    xid: str
    position: BinlogPosition
    timestamp: int
    mark: CommitMark | None = None


@dataclass(slots=True)
class XaFinish:
    """``XA COMMIT`` (``commit``) or ``XA ROLLBACK`` of a prepared XA transaction."""

    xid: str
    commit: bool
    position: BinlogPosition
    timestamp: int
    mark: CommitMark | None = None


@dataclass(slots=True)
class StatementDml:
    """An INSERT/UPDATE/DELETE (or LOAD DATA) logged as a statement, not as rows: written by a
    session whose ``binlog_format`` was STATEMENT or MIXED. Its rows are not in the binlog."""

    position: BinlogPosition
    schema: str
    query: str
    known: bool = True  # False: a statement-logged LOAD DATA, whose text (and target) is not read


@dataclass(slots=True)
class Truncate:
    position: BinlogPosition
    schema: str
    table: str
    timestamp: int
    mark: CommitMark | None = None


@dataclass(slots=True)
class Ddl:
    """Any other statement (DDL): a transaction of its own."""

    position: BinlogPosition
    schema: str
    query: str
    timestamp: int
    mark: CommitMark | None = None


@dataclass(slots=True)
class Heartbeat:
    """The server is idle at ``position`` (its binlog end): a chance to commit, checkpoint
    and check for a stop request."""

    position: BinlogPosition


@dataclass(slots=True)
class Unreadable:
    """An event capture cannot carry: a type it does not know, or one it cannot read. Capture
    stops on it; ``what`` says which, ``fix`` what the store's DBA can do."""

    position: BinlogPosition
    what: Msg
    fix: Msg


ReaderEvent = (
    StreamStart
    | Rotate
    | TxnBegin
    | GtidSeen
    | Rows
    | TxnEnd
    | Rollback
    | Savepoint
    | RollbackTo
    | XaPrepare
    | XaFinish
    | StatementDml
    | Truncate
    | Ddl
    | Heartbeat
    | Unreadable
)
