"""Head office's SQL for a store's rows: the statements that apply them, per table layout
(``centrale.core.hqtables``). For a shared table with a ``modified_column``, an incoming row
replaces head office's only if it is strictly newer: head office wins ties.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from applier.operations import Operation
from centrale.core.codec import literal_lines
from centrale.core.db import quote_ident
from centrale.core.hqtables import Layout

VALUES_SLOT = "\x00values\x00"  # placeholder; identifiers cannot contain NUL (quote_ident refuses it)


@dataclass(frozen=True)
class _Template:
    head: str
    keep: tuple[int, ...]  # positions of the operation's columns that head office receives


class StatementBuilder:
    """Turns operations into SQL with inlined, escaped literals (several per round trip)."""

    def __init__(self, store: int, origin_column: str, layout_of: Callable[[str], Layout]) -> None:
        self.store = int(store)
        self.origin = origin_column
        self.layout_of = layout_of
        self._cache: dict[tuple[str, str, tuple[str, ...]], _Template] = {}

    def forget(self) -> None:
        """Templates are built from the tables' layouts: a layout changed."""
        self._cache.clear()

    def statements(self, op: Operation, literal: Callable[[Any], str]) -> list[str]:
        t = self._template(op)
        if op.kind == "upsert":
            prefix = f"({self.store},"
            keep = t.keep
            lines = literal_lines(op.stored) if op.stored is not None and len(keep) == len(op.columns) else None
            if lines is not None:  # every column goes, and the stored text is literal text: send it as it is
                values = prefix + lines[1:-1].decode().replace("]\n[", f"),{prefix}") + ")"
            else:
                values = ",".join(prefix + ",".join([literal(row[i]) for i in keep]) + ")" for row in op.rows)
            return [t.head.replace(VALUES_SLOT, values, 1)]
        cols = [quote_ident(op.columns[i]) for i in t.keep]
        return [
            t.head + " AND ".join(f"{c}={literal(row[i])}" for c, i in zip(cols, t.keep, strict=True))
            for row in op.rows
        ]

    def _template(self, op: Operation) -> _Template:
        cache_key = (op.table, op.kind, op.columns)
        got = self._cache.get(cache_key)
        if got is None:
            got = self._build(op)
            self._cache[cache_key] = got
        return got

    def _build(self, op: Operation) -> _Template:
        layout = self.layout_of(op.table)
        table = quote_ident(op.table)
        origin = quote_ident(self.origin)
        keep = tuple(i for i, c in enumerate(op.columns) if c not in layout.local)
        if op.kind == "delete":
            if not op.columns:  # a TRUNCATE at the store: every row the store sent (never on a shared table)
                return _Template(f"DELETE FROM {table} WHERE {origin}={self.store}", ())
            head = f"DELETE FROM {table} WHERE " + ("" if layout.shared else f"{origin}={self.store} AND ")
            return _Template(head, keep)
        names = [op.columns[i] for i in keep]
        cols = [quote_ident(c) for c in names]
        if layout.shared and layout.modified in names:
            m = quote_ident(layout.modified or "")
            newer = f"VALUES({m}) > {m}"
            guarded = [c for c in (origin, *cols) if c != m]
            updates = [f"{c}=IF({newer}, VALUES({c}), {c})" for c in guarded]
            updates.append(f"{m}=IF({newer}, VALUES({m}), {m})")  # last: earlier ones compare the old value
        else:
            updates = [f"{c}=VALUES({c})" for c in (origin, *cols) if layout.shared or c != origin]
        head = (
            f"INSERT INTO {table} ({origin}, {', '.join(cols)}) VALUES {VALUES_SLOT} "
            f"ON DUPLICATE KEY UPDATE {', '.join(updates)}"
        )
        return _Template(head, keep)
