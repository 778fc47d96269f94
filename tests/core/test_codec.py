"""The outbox codec: row values survive the trip through the outbox bit for bit.

``encode_values`` / ``decode_values`` store a captured row in the outbox; what comes back is
handed to head office as SQL parameters. So JSON natives must come back identical (type
included: an int must not turn into a float), bytes must come back as the same bytes, and the
values MariaDB types that JSON lacks (DECIMAL, TIME) must be stored in an exact SQL-ready text.
"""

from __future__ import annotations

import datetime as dt
import math
import struct
from decimal import Decimal
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from centrale.core.codec import decode_values, encode_values, format_timedelta

MIN_INT = -(2**63)  # BIGINT
MAX_INT = 2**64 - 1  # BIGINT UNSIGNED

# MariaDB's TIME range: -838:59:59.999999 .. 838:59:59.999999
MAX_TIME_US = (838 * 3600 + 59 * 60 + 59) * 1_000_000 + 999_999

ints = st.integers(min_value=MIN_INT, max_value=MAX_INT)
floats = st.floats(allow_nan=False, allow_infinity=False)
texts = st.text(alphabet=st.characters(exclude_categories=["Cs"]))  # any unicode but surrogates
blobs = st.binary()
scalars = st.one_of(st.none(), ints, floats, texts, blobs)


def same(a: Any, b: Any) -> bool:
    """Equal and of the same type; floats compared by their bits (so -0.0 != 0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", b)
    return bool(a == b)


@given(st.lists(scalars, max_size=20))
@example([])
@example([None, 0, MIN_INT, MAX_INT, -0.0, 5e-324, "", b"", b"\x00", b"\x00\x00", "\x00"])
@example(["$b", '{"$b": "AA=="}', b'{"$b": "AA=="}'])  # text that looks like the bytes tag stays text
def test_values_round_trip_with_their_types(values: list[Any]) -> None:
    decoded = decode_values(encode_values(values))
    assert isinstance(decoded, tuple)
    assert len(decoded) == len(values)
    for got, want in zip(decoded, values, strict=True):
        assert same(got, want), (got, want)


@given(ints)
@example(MIN_INT)
@example(MAX_INT)
@example(2**63)  # above BIGINT, only BIGINT UNSIGNED holds it
def test_every_bigint_signed_or_unsigned_stays_an_exact_int(n: int) -> None:
    (got,) = decode_values(encode_values((n,)))
    assert type(got) is int
    assert got == n


@given(blobs)
@example(b"")
@example(b"\x00" * 16)
@example(b"\x01" + b"\x00" * 15)  # trailing zero bytes, as in BINARY(16) / UUID / INET6
def test_bytes_come_back_as_the_same_bytes(b: bytes) -> None:
    (got,) = decode_values(encode_values((b,)))
    assert type(got) is bytes
    assert got == b


def plain(d: Decimal) -> str:
    """Reference: the plain (never scientific) notation of a finite Decimal, every digit kept."""
    sign, digits, exponent = d.as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    if exponent >= 0:
        whole, frac = text + "0" * exponent, ""
    else:
        text = text.rjust(-exponent + 1, "0")
        whole, frac = text[:exponent], text[exponent:]
    whole = whole.lstrip("0") or "0"  # 0E+1 is "0", not "00"
    return ("-" if sign else "") + whole + (f".{frac}" if frac else "")


decimals = st.builds(
    lambda sign, digits, exponent: Decimal((sign, tuple(digits), exponent)),
    st.integers(0, 1),
    st.lists(st.integers(0, 9), min_size=1, max_size=65),  # DECIMAL has at most 65 digits
    st.integers(-40, 40),
)


@given(decimals)
@example(Decimal("99999999999999999999999999999999999.999999999999999999999999999999"))  # DECIMAL(65,30) max
@example(Decimal("-0.000000000000000000000000000001"))
@example(Decimal("1E+30"))
@example(Decimal("1.500"))  # trailing zeros are digits too
@example(Decimal("-0"))
def test_decimal_is_stored_as_its_exact_plain_notation(d: Decimal) -> None:
    (got,) = decode_values(encode_values((d,)))
    assert got == plain(d)
    assert "e" not in got.lower()
    assert Decimal(got) == d


def time_literal(negative: bool, hours: int, minutes: int, seconds: int, micros: int) -> str:
    """Reference: how MariaDB writes a TIME(6) value, e.g. ``-838:59:59.999999``."""
    zero = hours == minutes == seconds == micros == 0
    sign = "-" if negative and not zero else ""
    return f"{sign}{hours:02d}:{minutes:02d}:{seconds:02d}.{micros:06d}"


@given(
    st.booleans(),
    st.integers(0, 838),
    st.integers(0, 59),
    st.integers(0, 59),
    st.integers(0, 999_999),
)
@example(True, 838, 59, 59, 999_999)  # the lower limit
@example(False, 838, 59, 59, 999_999)  # the upper limit
@example(True, 1, 2, 3, 450_000)  # the value the library reads back as -01:02:03.550
@example(True, 0, 0, 0, 1)
@example(True, 0, 0, 0, 0)  # "-00:00:00" is zero: no sign
@example(False, 100, 0, 0, 0)  # more than a day
def test_format_timedelta_writes_the_time_literal(
    negative: bool, hours: int, minutes: int, seconds: int, micros: int
) -> None:
    td = dt.timedelta(hours=hours, minutes=minutes, seconds=seconds, microseconds=micros)
    if negative:
        td = -td
    want = time_literal(negative, hours, minutes, seconds, micros)
    assert format_timedelta(td) == want
    (stored,) = decode_values(encode_values((td,)))
    assert stored == want


@given(st.integers(-MAX_TIME_US, MAX_TIME_US))
def test_format_timedelta_is_exact_to_the_microsecond(us: int) -> None:
    """Read back by the rules MariaDB uses for a TIME literal, the text is the same duration."""
    text = format_timedelta(dt.timedelta(microseconds=us))
    sign = -1 if text.startswith("-") else 1
    hms, _, frac = text.lstrip("-").partition(".")
    h, m, s = (int(p) for p in hms.split(":"))
    assert len(frac) == 6
    assert 0 <= m < 60 and 0 <= s < 60 and h <= 838
    assert sign * ((h * 3600 + m * 60 + s) * 1_000_000 + int(frac)) == us


def test_a_set_is_stored_in_mariadb_comma_form() -> None:
    (got,) = decode_values(encode_values(({"b", "a", "😀"},)))
    assert sorted(got.split(",")) == ["a", "b", "😀"]
    (empty,) = decode_values(encode_values((set(),)))
    assert empty == ""


def test_a_float_is_never_rounded() -> None:
    for f in (0.1 + 0.2, 1.100000023841858, -1.7976931348623157e308, 5e-324, math.pi):
        (got,) = decode_values(encode_values((f,)))
        assert same(got, f)
