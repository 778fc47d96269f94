"""Row values <-> bytes, with orjson. The only module that imports orjson.

Values are stored in the SQL-ready form head office will be given: JSON natives stay as they
are; Decimal becomes its exact plain-notation string; TIME (timedelta) becomes a signed
``HHH:MM:SS.ffffff`` string (PyMySQL's own escaping of negative timedeltas is wrong); sets
become MariaDB's comma-joined form; bytes are tagged ``{"$b": base64}``, which cannot collide
with a real value because no captured value is ever a JSON object (JSON columns arrive as text).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import orjson

_BYTES_TAG = "$b"


def format_timedelta(td: dt.timedelta) -> str:
    """MariaDB TIME literal for a timedelta, exact to the microsecond, negative included."""
    total_us = (td.days * 86_400 + td.seconds) * 1_000_000 + td.microseconds
    sign = "-" if total_us < 0 else ""
    total_us = abs(total_us)
    secs, us = divmod(total_us, 1_000_000)
    hours, rem = divmod(secs, 3600)
    minutes, seconds = divmod(rem, 60)
    return f"{sign}{hours:02d}:{minutes:02d}:{seconds:02d}.{us:06d}"


def _default(obj: Any) -> Any:
    if type(obj) is Decimal:  # the common case first: every DECIMAL column of every row
        text = str(obj)  # 4x faster than format(obj, "f"), and the same unless it has an exponent
        return text if "E" not in text else format(obj, "f")
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return {_BYTES_TAG: base64.b64encode(bytes(obj)).decode("ascii")}
    if isinstance(obj, Decimal):
        return format(obj, "f")
    if isinstance(obj, dt.timedelta):
        return format_timedelta(obj)
    if isinstance(obj, (set, frozenset)):
        return ",".join(sorted(obj))
    raise TypeError(f"cannot encode a {type(obj).__name__} value")


def encode_values(values: tuple[Any, ...] | list[Any]) -> bytes:
    return orjson.dumps(values, default=_default)


def _decode_one(v: Any) -> Any:
    if type(v) is dict:
        return base64.b64decode(v[_BYTES_TAG])
    return v


def decode_values(blob: bytes) -> tuple[Any, ...]:
    values = orjson.loads(blob)
    if b"{" not in blob:  # no tagged bytes anywhere: skip the walk (the common case)
        return tuple(values)
    return tuple(_decode_one(v) if type(v) is dict else v for v in values)


def decode_many(blobs: Sequence[bytes]) -> list[tuple[Any, ...]]:
    """``decode_values`` for many rows at once: one parse of the joined text (the outbox reads
    a thousand rows at a time), and the walk for tagged bytes only when there are some."""
    joined = b"[" + b",".join(blobs) + b"]"
    rows = orjson.loads(joined)
    if b"{" not in joined:
        return [tuple(r) for r in rows]
    return [tuple(_decode_one(v) if type(v) is dict else v for v in r) for r in rows]


def literal_lines(stored: Sequence[bytes]) -> bytes | None:
    """Rows' stored values, one ``[...]`` per line, when that text is also MariaDB's literal
    text for them; None when it is not.

    orjson's JSON is MariaDB's literal syntax for what capture stores (numbers, null,
    double-quoted strings whose escapes ``\\" \\\\ \\n \\r \\t \\b`` mean the same in both), so
    head office can be sent the stored bytes as they are, with no decoding and no escaping:
    the lean catch-up path. It is not when a value is tagged bytes (``{``), or a string holds
    a control character JSON writes as ``\\f`` or ``\\u00XX`` (MariaDB reads ``f`` and
    ``u00XX``). A raw line break never occurs inside JSON, so ``]`` line break ``[`` only
    ever separates rows. Checked on the joined text: one scan per operation, not per row.
    Head office's session must not set ANSI_QUOTES or NO_BACKSLASH_ESCAPES (the applier's
    session sets its sql_mode)."""
    text = b"\n".join(stored)
    if b"{" in text or b"\\u" in text or b"\\f" in text:
        return None
    return text


def encode_names(names: tuple[str, ...]) -> bytes:
    return orjson.dumps(names)


def decode_names(blob: bytes) -> tuple[str, ...]:
    return tuple(orjson.loads(blob))


def dumps(obj: Any) -> bytes:
    """General JSON for status output and logs (Decimal, bytes, sets handled as above)."""
    return orjson.dumps(obj, default=_default, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)


def dumps_compact(obj: Any) -> str:
    """Small JSON text (job parameters)."""
    return orjson.dumps(obj, default=_default).decode()


def loads(text: str | bytes) -> Any:
    return orjson.loads(text)


def json_line(record: dict[str, Any]) -> bytes:
    """One record as a line of JSON (a file of them is read back line by line): values as the
    outbox holds them, dates and times in ISO form."""
    return orjson.dumps(record, default=_default, option=orjson.OPT_NAIVE_UTC | orjson.OPT_APPEND_NEWLINE)
