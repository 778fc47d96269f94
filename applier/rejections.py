"""Head office's refusals of a batch, as the one line that names the row, the cause and the fix
(``BatchRejectedError``: shipping holds until the fix, and `status` shows it)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pymysql

from applier.operations import Operation
from applier.writer import OversizedRowError
from centrale.core.changes import Batch
from centrale.core.db import error_code
from centrale.core.errors import BatchRejectedError
from centrale.core.i18n import Msg
from centrale.core.schema import TableDef

COLUMN_MISSING = 1054


def oversized(exc: OversizedRowError) -> BatchRejectedError:
    """A row larger than head office takes in one packet: named, with its size and the limit."""
    mb = 1024 * 1024
    return BatchRejectedError(
        Msg(
            "err.ship.oversized",
            seq=exc.op.first_seq,
            table=exc.op.table,
            size=f"{exc.size / mb:.1f}",
            limit=f"{exc.limit / mb:.1f}",
        ),
        hint=Msg("err.ship.oversized.hint", needed=-(-(exc.size + 1024 * 1024) // mb)),
    )


def rejected(
    batch: Batch,
    exc: pymysql.err.MySQLError,
    origin_column: str | None = None,
    key_of: Callable[[str], tuple[str, ...]] | None = None,
) -> BatchRejectedError:
    """The refusal, naming the row (its seq, table and key, ``key_of`` giving a table's key
    columns) when head office said which, else the rows or the batch; the server's own words
    name the column."""
    op = getattr(exc, "centrale_op", None)
    where = Msg("err.ship.where_batch", first=batch.first_seq, last=batch.last_seq)
    seq = None
    if isinstance(op, Operation):
        where = Msg("err.ship.where_rows", first=op.first_seq, last=op.last_seq, table=op.table)
        at_row = re.search(r"at row (\d+)", str(exc.args[-1]))
        if len(op.seqs) == 1 or (at_row and 1 <= int(at_row.group(1)) <= len(op.seqs)):
            i = int(at_row.group(1)) - 1 if at_row and len(op.seqs) > 1 else 0
            seq = op.seqs[i]
            key = _key_text(op, i, key_of)
            where = (
                Msg("err.ship.where_row_key", seq=seq, table=op.table, key=key)
                if key
                else Msg("err.ship.where_row", seq=seq, table=op.table)
            )
    code = error_code(exc)
    fix = Msg("err.ship.rejected.fix")
    if code == COLUMN_MISSING and origin_column and f"'{origin_column}'" in str(exc.args[-1]):
        # head office's own table in the store's layout (its POS's): `hq init --adopt` converts it
        fix = Msg("err.ship.rejected.origin_fix", column=origin_column)
    elif code == COLUMN_MISSING:
        fix = Msg("err.ship.rejected.column_fix")
    elif code in (1142, 1143, 1369, 1644):
        fix = Msg("err.ship.rejected.denied_fix")
    return BatchRejectedError(
        Msg("err.ship.rejected", where=where, code=code, error=exc.args[-1]),
        hint=Msg("err.ship.rejected.hint", fix=fix),
        seq=seq,
    )


def _key_text(op: Operation, i: int, key_of: Callable[[str], tuple[str, ...]] | None) -> str:
    """``id=7`` (the row's key as the store holds it), or '' when unknown."""
    if key_of is None:
        return ""
    try:
        key = key_of(op.table)
        row = op.rows[i]
        return ", ".join(f"{k}={row[op.columns.index(k)]!r}" for k in key if k in op.columns)
    except (LookupError, ValueError, pymysql.err.MySQLError, OSError):  # naming the key is a courtesy
        return ""


def dropped_column(
    exc: pymysql.err.MySQLError, store_tables: Callable[[list[str]], dict[str, TableDef]]
) -> tuple[str, str] | None:
    """(table, column) when head office refused rows for a column it lacks that the store no
    longer has either: rows captured before the store dropped it (the first ship after a POS
    upgrade), whose copy at head office goes without it. A column the store still has is not
    left out (it is added, or the batch is held naming the command that adds it)."""
    op = getattr(exc, "centrale_op", None)
    found = re.search(r"Unknown column '([^']+)'", str(exc.args[-1]))
    if not isinstance(op, Operation) or found is None or found.group(1) not in op.columns:
        return None
    tdef = store_tables([op.table]).get(op.table)
    if tdef is None or tdef.column(found.group(1)) is not None:
        return None
    return op.table, found.group(1)
