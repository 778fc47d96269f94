"""Head office's refusals of a batch, as the one line that names the row, the cause and the fix
(``BatchRejectedError``: shipping holds until the fix, and `status` shows it)."""

from __future__ import annotations

import re

import pymysql

from applier.shipper import Operation
from applier.writer import OversizedRowError
from centrale.changes import Batch
from centrale.db import error_code
from centrale.errors import BatchRejectedError
from centrale.i18n import Msg

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


def rejected(batch: Batch, exc: pymysql.err.MySQLError, origin_column: str | None = None) -> BatchRejectedError:
    op = getattr(exc, "centrale_op", None)
    where = Msg("err.ship.where_batch", first=batch.first_seq, last=batch.last_seq)
    if isinstance(op, Operation):
        where = Msg("err.ship.where_rows", first=op.first_seq, last=op.last_seq, table=op.table)
        at_row = re.search(r"at row (\d+)", str(exc.args[-1]))
        if at_row and 1 <= int(at_row.group(1)) <= len(op.seqs):
            where = Msg("err.ship.where_row", seq=op.seqs[int(at_row.group(1)) - 1], table=op.table)
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
    )
