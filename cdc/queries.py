"""What a statement in the binlog is, by its text: pure, tested without a server.

A row-based binlog still carries statements: transaction control (``BEGIN``, ``COMMIT``,
``ROLLBACK``, savepoints), XA, DDL, and the INSERT/UPDATE/DELETE of any session that set its own
``binlog_format`` to STATEMENT or MIXED. Capture used to treat every statement other than
BEGIN/COMMIT/ROLLBACK as DDL, which ended the transaction in the middle: a savepoint dropped the
rows written before it. Each kind has its own meaning here.

The server writes a statement as the client sent it: leading comments and whitespace, any case,
backquoted or qualified names. Only the first words decide the kind.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Kind = Literal[
    "begin",
    "commit",
    "rollback",
    "savepoint",
    "rollback_to",
    "release",
    "xa_start",
    "xa_end",
    "xa_commit",
    "xa_rollback",
    "dml",
    "truncate",
    "ddl",
]

_LEADING = re.compile(r"^(?:\s+|/\*(?!!)[\s\S]*?\*/|(?:#|--\s)[^\n]*(?:\n|$))*")
_VERSIONED = re.compile(r"^/\*!\d*\s*")  # /*!40101 SET ...*/ executable comments: their body counts
_NAME = r"(`(?:[^`]|``)+`|[\w$]+)"
_SAVEPOINT = re.compile(rf"^SAVEPOINT\s+{_NAME}", re.I)
_ROLLBACK_TO = re.compile(rf"^ROLLBACK\s+(?:WORK\s+)?TO\s+(?:SAVEPOINT\s+)?{_NAME}", re.I)
_RELEASE = re.compile(rf"^RELEASE\s+SAVEPOINT\s+{_NAME}", re.I)
_XA = re.compile(r"^XA\s+(START|BEGIN|END|COMMIT|ROLLBACK|PREPARE)\b\s*(.*)$", re.I | re.S)
_DML = re.compile(r"^(?:INSERT|REPLACE|UPDATE|DELETE|LOAD\s+(?:DATA|XML)|WITH|CALL|DO|HANDLER)\b", re.I)
_TRUNCATE = re.compile(rf"^TRUNCATE\s+(?:TABLE\s+)?{_NAME}(?:\s*\.\s*{_NAME})?", re.I)
_XA_KINDS: dict[str, Kind] = {
    "START": "xa_start",
    "BEGIN": "xa_start",
    "END": "xa_end",
    "PREPARE": "xa_end",
    "COMMIT": "xa_commit",
    "ROLLBACK": "xa_rollback",
}
_XID_PART = re.compile(r"\s*(X'([0-9A-Fa-f]*)'|'((?:[^'\\]|\\.|'')*)'|(\d+))\s*(?:,|$)")


@dataclass(frozen=True, slots=True)
class Statement:
    kind: Kind
    name: str = ""  # a savepoint's name, a truncated table's, an XA's xid
    schema: str = ""  # a TRUNCATE's qualified schema, when given


def _unquote(name: str) -> str:
    return name[1:-1].replace("``", "`") if name.startswith("`") else name


def strip_leading(query: str) -> str:
    """The statement without the comments and whitespace a client may put before it."""
    text = _LEADING.sub("", query, count=1)
    versioned = _VERSIONED.match(text)
    if versioned:
        text = text[versioned.end() :]
    return text


def classify(query: str) -> Statement:
    text = strip_leading(query)
    head = text[:12].upper()
    word = head.split(None, 1)[0].rstrip(";") if head.strip() else ""
    if word in ("BEGIN", "START") and _is_begin(text):
        return Statement("begin")
    if word == "COMMIT":
        return Statement("commit")
    if word == "ROLLBACK":
        m = _ROLLBACK_TO.match(text)
        return Statement("rollback_to", _unquote(m.group(1))) if m else Statement("rollback")
    if word == "SAVEPOINT":
        m = _SAVEPOINT.match(text)
        return Statement("savepoint", _unquote(m.group(1)) if m else "")
    if word == "RELEASE":
        m = _RELEASE.match(text)
        return Statement("release", _unquote(m.group(1)) if m else "")
    if word == "XA":
        m = _XA.match(text)
        if m:
            verb = m.group(1).upper()
            xid = canonical_xid(m.group(2))
            return Statement(_XA_KINDS[verb], xid)
    if word == "TRUNCATE":
        m = _TRUNCATE.match(text)
        if m:
            if m.group(2):
                return Statement("truncate", _unquote(m.group(2)), _unquote(m.group(1)))
            return Statement("truncate", _unquote(m.group(1)))
    if _DML.match(text):
        return Statement("dml")
    return Statement("ddl")


def _is_begin(text: str) -> bool:
    upper = text.upper()
    return upper.rstrip("; \n\t") == "BEGIN" or upper.startswith(("BEGIN WORK", "START TRANSACTION"))


def canonical_xid(text: str) -> str:
    """An XA statement's xid (``gtrid[, bqual[, formatID]]``, each quoted, hex or a number) as
    ``formatID:gtrid-hex:bqual-hex``, the form ``xid_key`` gives the XA PREPARE event's."""
    parts: list[bytes | int] = []
    rest = text.strip()
    rest = re.sub(r"\s+ONE\s+PHASE\s*$", "", rest, flags=re.I)
    rest = re.sub(r"\s+(SUSPEND|FOR\s+MIGRATE|JOIN|RESUME)\s*$", "", rest, flags=re.I)
    pos = 0
    while pos < len(rest) and len(parts) < 3:
        m = _XID_PART.match(rest, pos)
        if not m:
            break
        if m.group(2) is not None:
            parts.append(bytes.fromhex(m.group(2)))
        elif m.group(3) is not None:
            parts.append(m.group(3).replace("''", "'").encode())
        else:
            parts.append(int(m.group(4)))
        pos = m.end()
    gtrid = parts[0] if parts and isinstance(parts[0], bytes) else b""
    bqual = parts[1] if len(parts) > 1 and isinstance(parts[1], bytes) else b""
    fmt = parts[2] if len(parts) > 2 and isinstance(parts[2], int) else 1
    return xid_key(int(fmt), gtrid, bqual)


def xid_key(format_id: int, gtrid: bytes, bqual: bytes) -> str:
    return f"{format_id}:{gtrid.hex()}:{bqual.hex()}"


def names_table(query: str, tables: Iterable[str]) -> list[str]:
    """Which of ``tables`` a statement's text names (a whole word, quoted or not, any case)."""
    text = query.lower()
    found = []
    for t in tables:
        if re.search(rf"(?<![\w$]){re.escape(t.lower())}(?![\w$])", text):
            found.append(t)
    return found


_QUALIFIED = re.compile(rf"{_NAME}(?:\s*\.\s*{_NAME})?")
_RENAME_TABLE = re.compile(r"^RENAME\s+TABLES?\s+(?:IF\s+EXISTS\s+)?(.*)$", re.I | re.S)
_DROP_TABLE = re.compile(r"^DROP\s+TABLES?\s+(?:IF\s+EXISTS\s+)?(.*?)(?:\s+(?:RESTRICT|CASCADE))?\s*$", re.I | re.S)
_ALTER_TABLE = re.compile(
    rf"^ALTER\s+(?:ONLINE\s+)?(?:IGNORE\s+)?TABLE\s+(?:IF\s+EXISTS\s+)?({_QUALIFIED.pattern})(.*)$", re.I | re.S
)
_ALTER_RENAME = re.compile(
    rf"(?:^|,)\s*RENAME\s+(?!COLUMN\b|INDEX\b|KEY\b)(?:TO\s+|AS\s+)?({_QUALIFIED.pattern})", re.I | re.S
)
_EXCHANGE = re.compile(
    rf"EXCHANGE\s+PARTITION\s+(?:`(?:[^`]|``)+`|[\w$]+)\s+WITH\s+TABLE\s+({_QUALIFIED.pattern})", re.I | re.S
)

Qualified = tuple[str | None, str]  # (schema or None, table)


def _names(text: str) -> list[Qualified]:
    out: list[Qualified] = []
    for m in _QUALIFIED.finditer(text):
        first, second = m.group(1), m.group(2)
        if first.upper() in ("TO", "WAIT", "NOWAIT"):
            continue
        out.append((_unquote(first), _unquote(second)) if second else (None, _unquote(first)))
    return out


def table_ddl(query: str) -> tuple[Literal["replace", "drop"], list[Qualified]] | None:
    """What a DDL statement does to whole tables: ``replace`` (RENAME TABLE, ALTER TABLE ...
    RENAME, EXCHANGE PARTITION: a name then holds rows the binlog never showed as rows) or
    ``drop`` (DROP TABLE), with the tables it names; None for any other statement."""
    text = strip_leading(query)
    m = _RENAME_TABLE.match(text)
    if m:
        return "replace", _names(re.sub(r"\s+(?:WAIT\s+\d+|NOWAIT)\s*$", "", m.group(1), flags=re.I))
    m = _DROP_TABLE.match(text)
    if m and not re.match(r"^DROP\s+TEMPORARY\b", text, re.I):
        body = re.sub(r"/\*.*?\*/", "", m.group(1), flags=re.S)
        return "drop", _names(re.sub(r"\s+(?:WAIT\s+\d+|NOWAIT)\b", "", body, flags=re.I))
    m = _ALTER_TABLE.match(text)
    if m:
        target = _names(m.group(1))
        rest = m.group(m.lastindex or 1)
        others = [_names(x.group(1))[0] for x in (*_ALTER_RENAME.finditer(rest), *_EXCHANGE.finditer(rest))]
        if others:
            return "replace", target + others
    return None
