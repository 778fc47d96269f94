"""MySQL's binary JSON (a JSON column's value in a row event) as the text MySQL itself prints.

MySQL stores JSON parsed, in its own binary format (``json_binary.h``), and a SELECT prints it
back in one canonical text: keys in stored order, ``", "`` and ``": "`` between items, doubles in
the shortest form that reads back (``1e15``, ``0.00001``, ``2.0``), DATE/TIME/DECIMAL values
kept inside JSON as opaque scalars (``"2020-02-03"``, ``"12:00:01.500000"``, ``1.50``), other
opaque values as ``"base64:typeNN:..."``. Capture carries that text, so the binlog's value is
byte for byte what a snapshot's SELECT reads, and what any head office takes as JSON.

The library's own decoder cannot be used: it turns DATE into a datetime (the two print
differently), drops the bytes of an opaque value it does not know (``errors="ignore"``), and
returns None for a value it finds short. This one raises ``MySQLJsonError`` instead, which stops
capture at the event with the position and the fix.
"""

from __future__ import annotations

import base64
import json
import math
import struct
from decimal import Decimal

# Value types of the binary format.
SMALL_OBJECT, LARGE_OBJECT, SMALL_ARRAY, LARGE_ARRAY = 0x00, 0x01, 0x02, 0x03
LITERAL, INT16, UINT16, INT32, UINT32, INT64, UINT64, DOUBLE, STRING = range(0x04, 0x0D)
OPAQUE = 0x0F
LITERALS = {0x00: "null", 0x01: "true", 0x02: "false"}

# Field types an opaque value names (MySQL's enum_field_types).
DECIMAL, NEWDECIMAL = 0, 246
TIMESTAMP, DATE, TIME, DATETIME = 7, 10, 11, 12

MAX_DECPT_FOR_F_FORMAT = 15  # my_gcvt: DBL_DIG; beyond it (either way) the exponent form is taken
GCVT_WIDTH = 34  # MY_GCVT_MAX_FIELD_WIDTH = DBL_DIG + 4 + max(5, MAX_DECPT_FOR_F_FORMAT)
DIG2BYTES = (0, 1, 1, 2, 2, 3, 3, 4, 4, 4)


class MySQLJsonError(ValueError):
    """A binary JSON value this renderer cannot print as MySQL does (corrupt or unknown)."""


def render(data: bytes) -> str:
    """The text MySQL prints for the binary JSON document ``data`` (its type byte first)."""
    if not data:
        raise MySQLJsonError("an empty JSON document")
    return _value(data[0], data, 1)


def _value(kind: int, doc: bytes, at: int) -> str:
    """The value of type ``kind`` stored at ``at`` (in its container's entry, for an inlined one)."""
    if kind in (SMALL_OBJECT, LARGE_OBJECT, SMALL_ARRAY, LARGE_ARRAY):
        return _container(
            doc, at, large=kind in (LARGE_OBJECT, LARGE_ARRAY), is_object=kind in (SMALL_OBJECT, LARGE_OBJECT)
        )
    if kind == LITERAL:
        return LITERALS.get(_byte(doc, at), "") or _bad(f"literal {_byte(doc, at):#x}")
    fixed = {INT16: "<h", UINT16: "<H", INT32: "<i", UINT32: "<I", INT64: "<q", UINT64: "<Q"}
    if kind in fixed:
        return str(_unpack(fixed[kind], doc, at))
    if kind == DOUBLE:
        return format_double(float(_unpack("<d", doc, at)))
    if kind == STRING:
        length, at = _varlen(doc, at)
        return _quote(_utf8(_slice(doc, at, length)))
    if kind == OPAQUE:
        field_type = _byte(doc, at)
        length, at = _varlen(doc, at + 1)
        return _opaque(field_type, _slice(doc, at, length))
    raise MySQLJsonError(f"unknown JSON value type {kind:#x}")


def _container(doc: bytes, at: int, *, large: bool, is_object: bool) -> str:
    """An object or array: its count and size, key entries, value entries, then the data;
    offsets count from the container's first byte."""
    word = "<I" if large else "<H"
    step = 4 if large else 2
    count = int(_unpack(word, doc, at))
    size = int(_unpack(word, doc, at + step))
    if at + size > len(doc):
        raise MySQLJsonError(f"a container of {size} bytes in a document of {len(doc)}")
    keys_at = at + 2 * step
    values_at = keys_at + (count * (step + 2) if is_object else 0)
    items = []
    for i in range(count):
        entry = values_at + i * (1 + step)
        kind = _byte(doc, entry)
        if kind in (LITERAL, INT16, UINT16) or (large and kind in (INT32, UINT32)):
            value = _value(kind, doc, entry + 1)
        else:
            value = _value(kind, doc, at + int(_unpack(word, doc, entry + 1)))
        if is_object:
            key_entry = keys_at + i * (step + 2)
            key_at = at + int(_unpack(word, doc, key_entry))
            key_length = int(_unpack("<H", doc, key_entry + step))
            items.append(f"{_quote(_utf8(_slice(doc, key_at, key_length)))}: {value}")
        else:
            items.append(value)
    return ("{" + ", ".join(items) + "}") if is_object else ("[" + ", ".join(items) + "]")


def format_double(d: float) -> str:
    """A double as MySQL prints it in JSON: ``my_gcvt(d, MY_GCVT_ARG_DOUBLE, 34)`` (strings/dtoa.cc),
    then ``.0`` after a form with neither point nor exponent. The digits are the shortest that
    read back (Python's repr has the same); the choice between the fixed and the exponent form
    is my_gcvt's, condition for condition."""
    shortest = Decimal(repr(abs(d))).normalize().as_tuple()
    digits = "".join(str(x) for x in shortest.digits)
    decpt = len(digits) + int(shortest.exponent)  # where the point goes: 0.00123 -> "123", -2
    sign = "-" if math.copysign(1.0, d) < 0 else ""
    if digits == "0":
        return f"{sign}0.0"
    n = len(digits)
    width = GCVT_WIDTH - (1 if d < 0 else 0)
    exp_len = 1 + (decpt >= 101 or decpt <= -99) + (decpt >= 11 or decpt <= -9)
    fixed_length = n - decpt + 2 if decpt <= 0 else (n + 1 if decpt < n else decpt)
    have_space = fixed_length <= width
    force_e = decpt <= 0 and width <= 2 - decpt and width >= 3 + exp_len
    fits = have_space or (decpt <= width and (decpt >= -1 or (decpt == -2 and (n > 1 or not force_e))) and not force_e)
    fixed = fits and (
        not have_space or (decpt >= -MAX_DECPT_FOR_F_FORMAT + 1 and (decpt <= MAX_DECPT_FOR_F_FORMAT or n > decpt))
    )
    if not fixed:
        return f"{sign}{digits[0]}{'.' + digits[1:] if n > 1 else ''}e{decpt - 1}"
    if decpt <= 0:
        return f"{sign}0.{'0' * -decpt}{digits}"
    if decpt >= n:
        return f"{sign}{digits}{'0' * (decpt - n)}.0"
    return f"{sign}{digits[:decpt]}.{digits[decpt:]}"


def _opaque(field_type: int, data: bytes) -> str:
    if field_type in (DECIMAL, NEWDECIMAL):
        if len(data) < 2:
            raise MySQLJsonError("a JSON decimal without its precision and scale")
        return decode_decimal(data[2:], precision=data[0], scale=data[1])
    if field_type in (DATE, DATETIME, TIMESTAMP, TIME):
        if len(data) < 8:
            raise MySQLJsonError(f"a JSON temporal value of {len(data)} bytes")
        packed = int.from_bytes(data[:8], "little", signed=True)
        return _quote(_time(packed) if field_type == TIME else _datetime(packed, with_time=field_type != DATE))
    return _quote(f"base64:type{field_type}:{base64.b64encode(data).decode()}")


def decode_decimal(data: bytes, *, precision: int, scale: int) -> str:
    """MySQL's binary DECIMAL (groups of nine digits in four bytes, the sign in the first bit,
    a negative value's bytes inverted), as MySQL prints it: every digit of the scale."""
    intg = precision - scale
    intg0, intg0x = divmod(intg, 9)
    frac0, frac0x = divmod(scale, 9)
    size = intg0 * 4 + DIG2BYTES[intg0x] + frac0 * 4 + DIG2BYTES[frac0x]
    if len(data) < size or size == 0:
        raise MySQLJsonError(f"a JSON decimal({precision},{scale}) in {len(data)} bytes")
    raw = bytearray(data[:size])
    negative = not raw[0] & 0x80
    raw[0] ^= 0x80
    if negative:
        raw = bytearray(b ^ 0xFF for b in raw)
    at = 0

    def group(n: int, width: int) -> str:
        nonlocal at
        value = int.from_bytes(raw[at : at + n], "big")
        at += n
        return f"{value:0{width}d}"

    whole = (group(DIG2BYTES[intg0x], intg0x) if intg0x else "") + "".join(group(4, 9) for _ in range(intg0))
    fraction = "".join(group(4, 9) for _ in range(frac0)) + (group(DIG2BYTES[frac0x], frac0x) if frac0x else "")
    text = (whole.lstrip("0") or "0") + (f".{fraction}" if scale else "")
    return f"-{text}" if negative and text.strip("0.") else text


def _datetime(packed: int, *, with_time: bool) -> str:
    """MySQL's packed DATETIME (``TIME_to_longlong_datetime_packed``)."""
    micro, ymdhms = packed % (1 << 24), packed >> 24
    ymd, hms = ymdhms >> 17, ymdhms % (1 << 17)
    day, ym = ymd % (1 << 5), ymd >> 5
    date = f"{ym // 13:04d}-{ym % 13:02d}-{day:02d}"
    if not with_time:
        return date
    return f"{date} {hms >> 12:02d}:{(hms >> 6) % 64:02d}:{hms % 64:02d}.{micro:06d}"


def _time(packed: int) -> str:
    """MySQL's packed TIME (``TIME_to_longlong_time_packed``): negative values are negated."""
    sign, packed = ("-", -packed) if packed < 0 else ("", packed)
    micro, hms = packed % (1 << 24), packed >> 24
    return f"{sign}{(hms >> 12) % (1 << 10):02d}:{(hms >> 6) % 64:02d}:{hms % 64:02d}.{micro:06d}"


def _quote(text: str) -> str:
    """A JSON string as MySQL writes it: the escapes JSON requires, nothing else escaped."""
    return json.dumps(text, ensure_ascii=False)


def _utf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MySQLJsonError(f"a JSON string that is not UTF-8 ({exc.reason})") from None


def _varlen(doc: bytes, at: int) -> tuple[int, int]:
    """A length in 7-bit groups, low group first (the high bit says another follows)."""
    length = shift = 0
    while True:
        byte = _byte(doc, at)
        at += 1
        length |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return length, at
        shift += 7
        if shift > 28:
            raise MySQLJsonError("a JSON length of more than five bytes")


def _byte(doc: bytes, at: int) -> int:
    if at >= len(doc):
        raise MySQLJsonError(f"a JSON document ends at byte {len(doc)}, before byte {at}")
    return doc[at]


def _slice(doc: bytes, at: int, length: int) -> bytes:
    if at + length > len(doc):
        raise MySQLJsonError(f"a JSON value of {length} bytes at byte {at} runs past the document's {len(doc)}")
    return doc[at : at + length]


def _unpack(fmt: str, doc: bytes, at: int) -> int | float:
    size = struct.calcsize(fmt)
    value: int | float = struct.unpack(fmt, _slice(doc, at, size))[0]
    return value


def _bad(what: str) -> str:
    raise MySQLJsonError(f"a JSON {what} MySQL does not write")
