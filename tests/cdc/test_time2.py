"""``cdc.library_fixes.decode_time2`` reads MariaDB's TIME2 binlog format exactly, negative fractions included.

python-mysql-replication reads ``-01:02:03.450`` back as ``-01:02:03.550``; Centrale replaces its
decoder. The reference encoder below follows the server's C code (sql/compat56.cc, identical to
MySQL's ``TIME_to_longlong_time_packed`` and ``my_time_packed_to_binary``), so a round trip
through it checks the decoder against the format as written, not against our own reading of it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cdc.library_fixes import decode_time2

TIMEF_INT_OFS = 0x800000
TIMEF_OFS = 0x800000000000
MAX_TIME_US = (838 * 3600 + 59 * 60 + 59) * 1_000_000 + 999_999  # 838:59:59.999999


def c_div(a: int, b: int) -> int:
    """C's integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def c_mod(a: int, b: int) -> int:
    """C's ``%`` (the result has the sign of the dividend)."""
    return a - c_div(a, b) * b


def time_to_packed(td: dt.timedelta) -> int:
    """TIME_to_longlong_time_packed: ``(hh << 12 | mm << 6 | ss) << 24`` plus microseconds, negated if negative."""
    total_us = (td.days * 86_400 + td.seconds) * 1_000_000 + td.microseconds
    neg = total_us < 0
    secs, micros = divmod(abs(total_us), 1_000_000)
    hours, rest = divmod(secs, 3600)
    minutes, seconds = divmod(rest, 60)
    hms = (hours << 12) | (minutes << 6) | seconds
    packed = (hms << 24) + micros
    return -packed if neg else packed


def encode_time2(td: dt.timedelta, fsp: int) -> bytes:
    """my_time_packed_to_binary: the bytes a TIME(fsp) value has in a row event."""
    nr = time_to_packed(td)
    int_part = nr >> 24  # MY_PACKED_TIME_GET_INT_PART: arithmetic shift, i.e. floor
    frac_part = c_mod(nr, 1 << 24)  # MY_PACKED_TIME_GET_FRAC_PART: C remainder, signed
    head = (TIMEF_INT_OFS + int_part).to_bytes(3, "big")  # mi_int3store
    if fsp in (1, 2):
        # (unsigned char)(char)(frac / 10000): a negative fraction is stored as 0x100 - f
        return head + (c_div(frac_part, 10_000) & 0xFF).to_bytes(1, "big")
    if fsp in (3, 4):
        # mi_int2store(frac / 100): a negative fraction is stored as 0x10000 - f
        return head + (c_div(frac_part, 100) & 0xFFFF).to_bytes(2, "big")
    if fsp in (5, 6):
        return (nr + TIMEF_OFS).to_bytes(6, "big")  # mi_int6store
    return head


def truncated(us: int, fsp: int) -> dt.timedelta:
    """A TIME(fsp) value: the duration cut to ``fsp`` fractional digits, toward zero."""
    unit = 10 ** (6 - fsp)
    sign = -1 if us < 0 else 1
    return dt.timedelta(microseconds=sign * (abs(us) // unit * unit))


# Bytes a MariaDB 10.11 server wrote into a row event for these values.
SERVER_BYTES = [
    (-dt.timedelta(hours=1, minutes=2, seconds=3, milliseconds=450), 3, "7fef7cee6c"),
    (-dt.timedelta(microseconds=1), 6, "7fffffffffff"),
    (dt.timedelta(0), 0, "800000"),
    (-dt.timedelta(hours=838, minutes=59, seconds=59, milliseconds=900), 1, "4b9104a6"),
    (-dt.timedelta(microseconds=100), 4, "7fffffffff"),
]


@pytest.mark.parametrize(("value", "fsp", "raw"), SERVER_BYTES)
def test_decode_time2_reads_bytes_written_by_the_server(value: dt.timedelta, fsp: int, raw: str) -> None:
    assert encode_time2(value, fsp).hex() == raw  # the reference encoder is faithful
    assert decode_time2(bytes.fromhex(raw), fsp) == value


@pytest.mark.parametrize("fsp", range(7))
def test_limits_and_negative_fractions(fsp: int) -> None:
    cases = [
        MAX_TIME_US,
        -MAX_TIME_US,
        0,
        1,
        -1,
        -(3_723_450_000),  # -01:02:03.450
        -(838 * 3600 + 59 * 60 + 58) * 1_000_000 - 999_999,  # -838:59:58.999999
        (100 * 3600) * 1_000_000 + 500_000,  # 100:00:00.5, more than a day
        -86_400_000_000,  # exactly minus one day
    ]
    for us in cases:
        v = truncated(us, fsp)
        assert decode_time2(encode_time2(v, fsp), fsp) == v, (us, fsp)


@given(st.integers(0, 6), st.integers(-MAX_TIME_US, MAX_TIME_US))
@example(3, -3_723_450_000)
@example(1, -100_000)
@example(2, -10_000)
@example(4, -100)
@example(5, -10)
@example(6, -1)
def test_decode_time2_reads_back_every_time_in_range(fsp: int, us: int) -> None:
    v = truncated(us, fsp)
    raw = encode_time2(v, fsp)
    assert len(raw) == 3 + (fsp + 1) // 2
    assert decode_time2(raw, fsp) == v
