"""Library rows -> our change records. Pure: no I/O, so it is tested without a server.

Conversions (each fixes a library trap, see ../shared/MARIADB-NOTES.md):
- UUID / INET6 / INET4 arrive as raw bytes with trailing zero bytes stripped: re-padded to 16
  (4) and turned into their text form, which head office parses back to the same bytes;
- BINARY(n) arrives with its trailing zero bytes stripped too: re-padded to n, so that a key
  compares equal at head office (where 'ab' is not X'61620000');
- BIT arrives as a string of 0/1: turned into its integer;
- an empty SET arrives as None: turned back into '';
- zero dates arrive as None (DATE, DATETIME) or 1970-01-01 00:00:00 (TIMESTAMP): turned back
  into MariaDB's zero literal;
- an empty BLOB/BINARY arrives as the str '': turned into b'';
- YEAR 0000 arrives as 1900 (the library adds 1900 to the stored byte): turned back into 0.

Which conversion a column needs is decided by the type it had when the event was written (the
binlog's table map, as ``families``: ``cdc.reader.column_families``) where that says enough, and
by today's definition for what it cannot tell (UUID or INET6 versus BINARY(16)). A column whose
type changed while capture was behind (BIT to INT, YEAR to INT, DATETIME to TIMESTAMP ...) is
so read as it was written, not as it is now.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from centrale.core.catalog import Catalog
from centrale.core.changes import RowChange
from centrale.core.schema import BINARY_TYPES, TableDef

Converter = Callable[[Any], Any]

_ZERO_SOURCES = frozenset({"out of date range", "out of datetime range", "out of datetime2 range"})
_EPOCH = dt.datetime(1970, 1, 1)


def _as_bytes(v: Any) -> bytes:
    return v if isinstance(v, bytes) else str(v).encode("latin-1")


def _uuid(v: Any) -> Any:
    return None if v is None else str(uuid.UUID(bytes=_as_bytes(v).ljust(16, b"\x00")))


def _inet6(v: Any) -> Any:
    return None if v is None else ipaddress.IPv6Address(_as_bytes(v).ljust(16, b"\x00")).compressed


def _inet4(v: Any) -> Any:
    return None if v is None else str(ipaddress.IPv4Address(_as_bytes(v).ljust(4, b"\x00")))


def _padded(length: int) -> Converter:
    def pad(v: Any) -> Any:
        return None if v is None else _as_bytes(v).ljust(length, b"\x00")

    return pad


def _bit(v: Any) -> Any:
    return int(v, 2) if isinstance(v, str) else v


def _binary(v: Any) -> Any:
    return b"" if v == "" else v


def _year(v: Any) -> Any:
    return 0 if v == 1900 else v  # 1900 is outside YEAR's range (1901-2155, or 0000)


def _timestamp(v: Any) -> Any:
    return "0000-00-00 00:00:00" if v == _EPOCH else v


# What a data type looks like in the binlog's table map (cdc.reader.column_families).
_FAMILY_OF_TYPE: dict[str, str] = {
    "bit": "bit",
    "timestamp": "timestamp",
    "year": "year",
    "date": "date",
    "datetime": "datetime",
    "set": "set",
    "uuid": "binary",
    "inet6": "binary",
    "inet4": "binary",
    **dict.fromkeys(BINARY_TYPES, "binary"),
}

_CONVERTERS: dict[str, Converter] = {
    "uuid": _uuid,
    "inet6": _inet6,
    "inet4": _inet4,
    "bit": _bit,
    "timestamp": _timestamp,
    "year": _year,
    **{t: _binary for t in BINARY_TYPES},
}
_NONE_REPLACEMENT: dict[str, dict[str, Any]] = {
    "set": {"empty set": ""},
    "date": dict.fromkeys(_ZERO_SOURCES, "0000-00-00"),
    "datetime": dict.fromkeys(_ZERO_SOURCES, "0000-00-00 00:00:00"),
    "timestamp": dict.fromkeys(_ZERO_SOURCES, "0000-00-00 00:00:00"),
}
# A family's own conversion, for a column whose type today is of another family.
_FAMILY_CONVERTERS: dict[str, Converter] = {"bit": _bit, "timestamp": _timestamp, "year": _year, "binary": _binary}


def _binary_width(column_type: str) -> int:
    """n of ``binary(n)``."""
    return int(column_type.partition("(")[2].partition(")")[0] or 1)


def _as_written(today: str | None, family: str | None) -> str | None:
    """The data type to convert by: today's when the event's family agrees with it (or is not
    known), else the family itself (a type change the event predates)."""
    if family is None or (today is not None and _FAMILY_OF_TYPE.get(today, "other") == family):
        return today
    return family


@dataclass(frozen=True, slots=True)
class _Shape:
    columns: tuple[str, ...]  # the columns carried (the event's, less generated ones)
    converters: tuple[tuple[int, Converter], ...]  # by position in the event
    none_fixes: tuple[tuple[int, str, dict[str, Any]], ...]
    key_idx: tuple[int, ...]  # by position in ``columns``
    keep: tuple[int, ...] | None = None  # the event's positions carried, when not all


class UnknownColumnsError(Exception):
    """The binlog names columns our cached definition does not know (refresh and retry), or
    lacks the table's key columns (an event written before a key column was renamed, or with
    ``binlog_row_metadata=MINIMAL``: no names at all)."""

    def __init__(self, table: str, columns: tuple[str, ...] = ()) -> None:
        super().__init__(table)
        self.table = table
        self.columns = columns


class Translator:
    """Turns row events of captured tables into RowChange records, per the catalog."""

    def __init__(self, catalog: Catalog, tables: dict[str, TableDef]) -> None:
        self.catalog = catalog
        self.tables = dict(tables)
        self._shapes: dict[tuple[str, tuple[str, ...], tuple[str, ...] | None], _Shape] = {}
        self.lenient: set[str] = set()

    def update_tables(self, tables: dict[str, TableDef], *, lenient: set[str] | None = None) -> None:
        """New definitions after DDL; ``lenient`` tables accept columns the definition lacks."""
        self.tables.update(tables)
        self.lenient = set(lenient or ())
        self._shapes.clear()

    def key_columns(self, table: str) -> tuple[str, ...]:
        spec = self.catalog.spec(table)
        if spec.key:
            return spec.key
        return self.tables[table].primary_key

    def _shape(self, table: str, columns: tuple[str, ...], families: tuple[str, ...] | None = None) -> _Shape:
        got = self._shapes.get((table, columns, families))
        if got is not None:
            return got
        tdef = self.tables.get(table)
        if tdef is None:
            raise UnknownColumnsError(table, columns)
        types = {c.name: c.data_type for c in tdef.columns}
        widths = {c.name: _binary_width(c.column_type) for c in tdef.columns if c.data_type == "binary"}
        unknown = tuple(c for c in columns if c not in types)
        if unknown and table not in self.lenient:
            # An event written before a column was dropped or renamed: no conversion for it.
            raise UnknownColumnsError(table, unknown)
        written = [
            _as_written(types.get(c), families[i] if families is not None and i < len(families) else None)
            for i, c in enumerate(columns)
        ]
        converters = tuple(
            (i, _padded(widths[c]) if t == "binary" and c in widths else _CONVERTERS.get(t) or _FAMILY_CONVERTERS[t])
            for i, (c, t) in enumerate(zip(columns, written, strict=True))
            if t in _CONVERTERS or t in _FAMILY_CONVERTERS
        )
        none_fixes = tuple(
            (i, c, _NONE_REPLACEMENT[t])
            for i, (c, t) in enumerate(zip(columns, written, strict=True))
            if t in _NONE_REPLACEMENT
        )
        key = self.key_columns(table)
        # Generated columns (VIRTUAL or STORED) are left out, as snapshots and head office's
        # tables (created from the store's definition) leave them out: the store computes them.
        generated = {c.name for c in tdef.columns if c.generated} - set(key)
        keep = tuple(i for i, c in enumerate(columns) if c not in generated)
        carried = tuple(columns[i] for i in keep)
        key_idx = tuple(carried.index(k) for k in key if k in carried)
        if len(key_idx) != len(key):
            raise UnknownColumnsError(table, tuple(k for k in key if k not in columns))
        shape = _Shape(carried, converters, none_fixes, key_idx, keep if len(keep) != len(columns) else None)
        self._shapes[(table, columns, families)] = shape
        return shape

    @staticmethod
    def _values(shape: _Shape, values: dict[str, Any], none_sources: dict[str, str]) -> tuple[Any, ...]:
        if not shape.converters and not none_sources and shape.keep is None:
            return tuple(values.values())  # nothing to convert, no None to explain: the common case
        out = list(values.values())
        for i, fn in shape.converters:
            out[i] = fn(out[i])
        if none_sources:
            for i, name, fixes in shape.none_fixes:
                if out[i] is None:
                    src = none_sources.get(name)
                    if src in fixes:
                        out[i] = fixes[src]
        if shape.keep is not None:
            return tuple(out[i] for i in shape.keep)
        return tuple(out)

    def translate(
        self, kind: str, table: str, rows: list[dict[str, Any]], families: tuple[str, ...] | None = None
    ) -> list[RowChange]:
        """Convert one row event (``families``: its columns' types as written, when known).
        Deletes of ``on_delete = "ignore"`` tables are dropped here."""
        if not rows:
            return []
        spec = self.catalog.spec(table)
        out: list[RowChange] = []
        if kind == "insert":
            # The hot path (every sale): one comprehension, no per-value work in the common case.
            shape = self._shape(table, tuple(rows[0]["values"]), families)
            columns, values = shape.columns, self._values
            return [RowChange(table, "upsert", columns, values(shape, r["values"], r["none_sources"])) for r in rows]
        if kind == "update":
            shape = self._shape(table, tuple(rows[0]["after_values"]), families)
            key_cols = tuple(shape.columns[i] for i in shape.key_idx)
            for r in rows:
                after = self._values(shape, r["after_values"], r["after_none_sources"])
                before = self._values(shape, r["before_values"], r["before_none_sources"])
                old_key = tuple(before[i] for i in shape.key_idx)
                if old_key != tuple(after[i] for i in shape.key_idx):
                    out.append(RowChange(table, "delete", key_cols, old_key))
                out.append(RowChange(table, "upsert", shape.columns, after))
        elif kind == "delete":
            if spec.on_delete == "ignore":
                return []
            shape = self._shape(table, tuple(rows[0]["values"]), families)
            for r in rows:
                vals = self._values(shape, r["values"], r["none_sources"])
                key_cols = tuple(shape.columns[i] for i in shape.key_idx)
                out.append(RowChange(table, "delete", key_cols, tuple(vals[i] for i in shape.key_idx)))
        return out
