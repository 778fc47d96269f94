"""``cdc.translate``: the library's row values become the outbox's, by the table's definition and
by the column types the binlog's table map says the event was written with.

No server: each test builds the ``TableDef`` capture would read from information_schema and
hands ``Translator.translate`` rows shaped as python-mysql-replication hands them (``values``
and ``none_sources``; ``before_``/``after_`` for updates), with the library's traps as it
presents them: trailing zero bytes stripped, BIT as a string of 0/1, zero dates and empty SETs
as None (the library saying why in ``none_sources``), YEAR 0000 as 1900, TIMESTAMP 0 as the
epoch, an empty binary value as ''.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import uuid
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pymysqlreplication.constants import NONE_SOURCE

from cdc.translate import Translator, UnknownColumnsError
from centrale.core.catalog import Catalog, DeletePolicy, TableSpec
from centrale.core.changes import RowChange
from centrale.core.schema import ColumnDef, TableDef

TABLE = "t"


def col(name: str, column_type: str, *, generated: bool = False) -> ColumnDef:
    """A column as information_schema describes it (``data_type`` is ``column_type``'s word)."""
    data_type = column_type.partition("(")[0].split()[0].lower()
    return ColumnDef(name, data_type, column_type, True, None, None, generated=generated)


def translator(
    *columns: ColumnDef,
    key: tuple[str, ...] | None = None,
    on_delete: DeletePolicy = "delete",
    primary_key: tuple[str, ...] = ("id",),
) -> Translator:
    """A translator for one aggregate table ``t``: ``id INT`` (its primary key) and ``columns``."""
    spec = TableSpec(kind="aggregate", group="sales", key=key, on_delete=on_delete)
    tdef = TableDef(TABLE, (col("id", "int(11)"), *columns), primary_key)
    return Translator(Catalog.from_tables({TABLE: spec}), {TABLE: tdef})


def row(values: dict[str, Any], none_sources: dict[str, str] | None = None) -> dict[str, Any]:
    """A row of a write or delete event, as the library gives it: every None has a source."""
    sources = {c: NONE_SOURCE.NULL for c, v in values.items() if v is None}
    return {"values": values, "none_sources": {**sources, **(none_sources or {})}}


def inserted(t: Translator, values: dict[str, Any], none_sources: dict[str, str] | None = None, **kw: Any) -> Any:
    """The value of the last column of ``values`` once one inserted row is translated."""
    (change,) = t.translate("insert", TABLE, [row(values, none_sources)], **kw)
    assert change.op == "upsert" and change.columns == tuple(values)
    return change.values[-1]


def stripped(raw: bytes) -> bytes:
    """What the library hands over for a fixed-width binary value: its trailing zero bytes gone."""
    return raw.rstrip(b"\x00")


# --- UUID, INET6, INET4: raw bytes, trailing zeros stripped, to their text form -----------------


@given(st.binary(min_size=16, max_size=16))
@example(bytes(16))
@example(b"\x12" + bytes(15))
def test_a_uuid_is_padded_back_to_16_bytes_and_written_as_text(raw: bytes) -> None:
    t = translator(col("u", "uuid"))
    assert inserted(t, {"id": 1, "u": stripped(raw)}) == str(uuid.UUID(bytes=raw))


@given(st.binary(min_size=16, max_size=16))
@example(bytes(16))
@example(b"\x20\x01\x0d\xb8" + bytes(12))
def test_an_inet6_is_padded_back_to_16_bytes_and_written_compressed(raw: bytes) -> None:
    t = translator(col("a", "inet6"))
    assert inserted(t, {"id": 1, "a": stripped(raw)}) == ipaddress.IPv6Address(raw).compressed


@given(st.binary(min_size=4, max_size=4))
@example(bytes(4))
@example(b"\x0a\x00\x00\x00")
def test_an_inet4_is_padded_back_to_4_bytes_and_written_dotted(raw: bytes) -> None:
    t = translator(col("a", "inet4"))
    assert inserted(t, {"id": 1, "a": stripped(raw)}) == str(ipaddress.IPv4Address(raw))


def test_a_uuid_the_library_gives_as_text_is_read_as_its_latin1_bytes() -> None:
    raw = bytes(range(0xF0, 0x100))
    t = translator(col("u", "uuid"), col("a", "inet6"), col("b", "inet4"))
    (change,) = t.translate(
        "insert", TABLE, [row({"id": 1, "u": raw.decode("latin-1"), "a": "\xfe\x80", "b": "\x7f\x00\x00\x01"})]
    )
    assert change.values == (1, str(uuid.UUID(bytes=raw)), "fe80::", "127.0.0.1")


def test_null_uuid_inet6_inet4_and_binary_stay_null() -> None:
    t = translator(col("u", "uuid"), col("a", "inet6"), col("b", "inet4"), col("c", "binary(4)"))
    (change,) = t.translate("insert", TABLE, [row({"id": 1, "u": None, "a": None, "b": None, "c": None})])
    assert change.values == (1, None, None, None, None)


# --- BINARY(n): trailing zeros stripped, padded back to n ----------------------------------------


@given(st.integers(1, 255).flatmap(lambda n: st.tuples(st.just(n), st.binary(min_size=n, max_size=n))))
@example((4, b"ab\x00\x00"))
@example((1, b"\x00"))
def test_binary_n_is_padded_back_to_n_bytes(width_and_raw: tuple[int, bytes]) -> None:
    width, raw = width_and_raw
    t = translator(col("b", f"binary({width})"))
    assert inserted(t, {"id": 1, "b": stripped(raw)}) == raw


def test_binary_without_a_width_is_one_byte() -> None:
    t = translator(col("b", "binary"))
    assert inserted(t, {"id": 1, "b": b""}) == b"\x00"
    assert inserted(t, {"id": 1, "b": "a"}) == b"a"


def test_a_binary_key_is_padded_in_deletes_and_in_moves_too() -> None:
    t = translator(col("k", "binary(4)"), col("n", "int(11)"), key=("k",))
    (gone,) = t.translate("delete", TABLE, [row({"id": 1, "k": b"ab", "n": 5})])
    assert gone == RowChange(TABLE, "delete", ("k",), (b"ab\x00\x00",))
    update = {
        "before_values": {"id": 1, "k": b"ab", "n": 5},
        "before_none_sources": {},
        "after_values": {"id": 1, "k": b"ab\x00c", "n": 5},
        "after_none_sources": {},
    }
    moved = t.translate("update", TABLE, [update])
    assert moved == [
        RowChange(TABLE, "delete", ("k",), (b"ab\x00\x00",)),
        RowChange(TABLE, "upsert", ("id", "k", "n"), (1, b"ab\x00c", 5)),
    ]


# --- the other binary types: '' is b'' -----------------------------------------------------------


@pytest.mark.parametrize("column_type", ["varbinary(20)", "tinyblob", "blob", "mediumblob", "longblob"])
def test_an_empty_binary_value_given_as_text_becomes_empty_bytes(column_type: str) -> None:
    t = translator(col("b", column_type))
    empty = inserted(t, {"id": 1, "b": ""})
    assert empty == b"" and isinstance(empty, bytes)
    assert inserted(t, {"id": 1, "b": b"\x00ab\x00"}) == b"\x00ab\x00"  # anything else as it came
    assert inserted(t, {"id": 1, "b": None}) is None


# --- BIT: a string of 0/1 to its integer ---------------------------------------------------------


@given(st.integers(1, 64).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, 2**n - 1))))
@example((1, 0))
@example((64, 2**64 - 1))
def test_bit_given_as_a_string_of_digits_becomes_its_integer(width_and_value: tuple[int, int]) -> None:
    width, value = width_and_value
    t = translator(col("b", f"bit({width})"))
    converted = inserted(t, {"id": 1, "b": format(value, f"0{width}b")})
    assert converted == value and type(converted) is int


def test_bit_given_as_anything_else_is_left_as_it_came() -> None:
    t = translator(col("b", "bit(8)"))
    assert inserted(t, {"id": 1, "b": 5}) == 5
    assert inserted(t, {"id": 1, "b": None}) is None


# --- SET: an empty set arrives as None -----------------------------------------------------------


def test_an_empty_set_becomes_the_empty_string_and_null_stays_null() -> None:
    t = translator(col("s", "set('a','b')"))
    assert inserted(t, {"id": 1, "s": None}, {"s": NONE_SOURCE.EMPTY_SET}) == ""
    assert inserted(t, {"id": 1, "s": None}) is None
    assert inserted(t, {"id": 1, "s": {"a", "b"}}) == {"a", "b"}


# --- zero dates ----------------------------------------------------------------------------------

ZERO_SOURCES = [NONE_SOURCE.OUT_OF_DATE_RANGE, NONE_SOURCE.OUT_OF_DATETIME_RANGE, NONE_SOURCE.OUT_OF_DATETIME2_RANGE]


@pytest.mark.parametrize("source", ZERO_SOURCES)
@pytest.mark.parametrize(
    ("column_type", "zero"),
    [
        ("date", "0000-00-00"),
        ("datetime", "0000-00-00 00:00:00"),
        ("datetime(6)", "0000-00-00 00:00:00"),
        ("timestamp", "0000-00-00 00:00:00"),
    ],
)
def test_a_zero_date_the_library_gives_as_none_becomes_the_zero_literal(
    column_type: str, zero: str, source: str
) -> None:
    t = translator(col("d", column_type))
    assert inserted(t, {"id": 1, "d": None}, {"d": source}) == zero


@pytest.mark.parametrize("column_type", ["date", "datetime", "timestamp", "set('a')"])
def test_a_real_null_or_another_none_stays_null(column_type: str) -> None:
    t = translator(col("d", column_type))
    assert inserted(t, {"id": 1, "d": None}) is None
    assert inserted(t, {"id": 1, "d": None}, {"d": NONE_SOURCE.COLS_BITMAP}) is None


def test_a_zero_timestamp_the_library_gives_as_the_epoch_becomes_the_zero_literal() -> None:
    t = translator(col("ts", "timestamp(6)"))
    assert inserted(t, {"id": 1, "ts": dt.datetime(1970, 1, 1)}) == "0000-00-00 00:00:00"
    later = dt.datetime(1970, 1, 1, 0, 0, 1)
    assert inserted(t, {"id": 1, "ts": later}) == later


def test_the_epoch_in_a_datetime_is_a_real_date() -> None:
    t = translator(col("d", "datetime"))
    assert inserted(t, {"id": 1, "d": dt.datetime(1970, 1, 1)}) == dt.datetime(1970, 1, 1)


# --- YEAR: 0000 arrives as 1900 ------------------------------------------------------------------


@given(st.sampled_from([1900, *range(1901, 2156)]))
@example(1900)
@example(1901)
def test_year_0000_given_as_1900_becomes_0_and_every_other_year_stays(year: int) -> None:
    t = translator(col("y", "year(4)"))
    assert inserted(t, {"id": 1, "y": year}) == (0 if year == 1900 else year)


# --- what the event was written with, against today's definition ---------------------------------


def test_a_column_written_as_bit_and_now_an_int_is_read_as_the_bit_it_was() -> None:
    t = translator(col("b", "int(11)"))
    assert inserted(t, {"id": 1, "b": "101"}, families=("other", "bit")) == 5
    assert inserted(t, {"id": 1, "b": "101"}) == "101"  # no table map: today's type decides


def test_a_column_written_as_year_and_now_an_int_is_read_as_the_year_it_was() -> None:
    t = translator(col("y", "smallint(6)"))
    assert inserted(t, {"id": 1, "y": 1900}, families=("other", "year")) == 0
    assert inserted(t, {"id": 1, "y": 1900}, families=("other", "other")) == 1900


def test_a_column_written_as_datetime_and_now_a_timestamp_keeps_its_epoch() -> None:
    t = translator(col("d", "timestamp"))
    epoch = dt.datetime(1970, 1, 1)
    assert inserted(t, {"id": 1, "d": epoch}, families=("other", "datetime")) == epoch
    assert inserted(t, {"id": 1, "d": epoch}, families=("other", "timestamp")) == "0000-00-00 00:00:00"
    zero = {"d": NONE_SOURCE.OUT_OF_DATETIME2_RANGE}
    assert inserted(t, {"id": 1, "d": None}, zero, families=("other", "datetime")) == "0000-00-00 00:00:00"


def test_a_column_written_as_a_timestamp_and_now_a_datetime_turns_the_epoch_to_zero() -> None:
    t = translator(col("d", "datetime"))
    assert inserted(t, {"id": 1, "d": dt.datetime(1970, 1, 1)}, families=("other", "timestamp")) == (
        "0000-00-00 00:00:00"
    )


def test_a_column_written_as_a_set_and_now_text_keeps_its_empty_set() -> None:
    t = translator(col("s", "varchar(20)"))
    assert inserted(t, {"id": 1, "s": None}, {"s": NONE_SOURCE.EMPTY_SET}, families=("other", "set")) == ""
    assert inserted(t, {"id": 1, "s": None}, {"s": NONE_SOURCE.EMPTY_SET}, families=("other", "other")) is None


def test_a_column_written_as_binary_and_now_text_turns_empty_text_to_bytes() -> None:
    t = translator(col("b", "varchar(20)"))
    assert inserted(t, {"id": 1, "b": ""}, families=("other", "binary")) == b""
    assert inserted(t, {"id": 1, "b": ""}, families=("other", "other")) == ""


def test_a_binary_16_column_is_told_apart_from_a_uuid_by_todays_definition() -> None:
    raw = b"\x01" * 8 + bytes(8)
    families = ("other", "binary")  # the table map says "binary" for both
    assert inserted(translator(col("u", "uuid")), {"id": 1, "u": stripped(raw)}, families=families) == str(
        uuid.UUID(bytes=raw)
    )
    assert inserted(translator(col("u", "binary(16)")), {"id": 1, "u": stripped(raw)}, families=families) == raw


def test_a_column_written_as_an_int_and_now_bit_is_left_as_it_was_written() -> None:
    t = translator(col("b", "bit(8)"))
    assert inserted(t, {"id": 1, "b": 7}, families=("other", "other")) == 7


# --- the values nothing converts, and the row's shape --------------------------------------------

plain_values = st.one_of(
    st.none(),
    st.integers(-(2**63), 2**64 - 1),
    st.text(),
    st.floats(allow_nan=False),
    st.binary(),
    st.datetimes(),
)


@given(st.lists(plain_values, min_size=1, max_size=8))
def test_values_of_types_without_a_trap_are_carried_as_they_came(values: list[Any]) -> None:
    types = ["int(11)", "varchar(255)", "double", "decimal(10,2)", "text", "json", "enum('a')", "time"]
    columns = [col(f"c{i}", types[i % len(types)]) for i in range(len(values))]
    t = translator(*columns)
    given_values = {"id": 1, **{c.name: v for c, v in zip(columns, values, strict=True)}}
    (change,) = t.translate("insert", TABLE, [row(given_values)])
    assert change == RowChange(TABLE, "upsert", tuple(given_values), tuple(given_values.values()))


def test_generated_columns_are_left_out_unless_in_the_key() -> None:
    t = translator(col("g", "int(11)", generated=True), col("n", "int(11)"), col("k", "int(11)", generated=True))
    t_keyed = translator(col("g", "int(11)", generated=True), col("k", "int(11)", generated=True), key=("k",))
    (change,) = t.translate("insert", TABLE, [row({"id": 1, "g": 2, "n": 3, "k": 4})])
    assert change == RowChange(TABLE, "upsert", ("id", "n"), (1, 3))
    (keyed,) = t_keyed.translate("insert", TABLE, [row({"id": 1, "g": 2, "k": 4})])
    assert keyed == RowChange(TABLE, "upsert", ("id", "k"), (1, 4))


def test_an_update_keeping_its_key_is_an_upsert_and_one_moving_it_a_delete_then_an_upsert() -> None:
    t = translator(col("n", "int(11)"))

    def update(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
        return {"before_values": before, "before_none_sources": {}, "after_values": after, "after_none_sources": {}}

    same = t.translate("update", TABLE, [update({"id": 1, "n": 2}, {"id": 1, "n": 3})])
    assert same == [RowChange(TABLE, "upsert", ("id", "n"), (1, 3))]
    moved = t.translate("update", TABLE, [update({"id": 1, "n": 2}, {"id": 7, "n": 2})])
    assert moved == [RowChange(TABLE, "delete", ("id",), (1,)), RowChange(TABLE, "upsert", ("id", "n"), (7, 2))]


def test_an_updates_before_image_is_converted_before_keys_are_compared() -> None:
    t = translator(col("k", "binary(2)"), key=("k",))
    update = {
        "before_values": {"id": 1, "k": b"a"},
        "before_none_sources": {},
        "after_values": {"id": 2, "k": b"a\x00"},
        "after_none_sources": {},
    }
    assert t.translate("update", TABLE, [update]) == [RowChange(TABLE, "upsert", ("id", "k"), (2, b"a\x00"))]


def test_deletes_carry_the_key_only_or_nothing_where_head_office_ignores_them() -> None:
    values = {"id": 1, "n": 2}
    assert translator(col("n", "int(11)")).translate("delete", TABLE, [row(values)]) == [
        RowChange(TABLE, "delete", ("id",), (1,))
    ]
    assert translator(col("n", "int(11)"), key=("n",)).translate("delete", TABLE, [row(values)]) == [
        RowChange(TABLE, "delete", ("n",), (2,))
    ]
    assert translator(col("n", "int(11)"), on_delete="ignore").translate("delete", TABLE, [row(values)]) == []


def test_an_event_without_rows_translates_to_nothing() -> None:
    t = translator(col("n", "int(11)"))
    assert [t.translate(kind, TABLE, []) for kind in ("insert", "update", "delete")] == [[], [], []]


def test_columns_the_definition_lacks_stop_translation_unless_the_table_is_lenient() -> None:
    t = translator(col("n", "int(11)"))
    with pytest.raises(UnknownColumnsError) as err:
        t.translate("insert", TABLE, [row({"id": 1, "n": 2, "new": "x"})])
    assert (err.value.table, err.value.columns) == (TABLE, ("new",))
    t.update_tables({}, lenient={TABLE})
    assert t.translate("insert", TABLE, [row({"id": 1, "n": 2, "new": ""})]) == [
        RowChange(TABLE, "upsert", ("id", "n", "new"), (1, 2, ""))
    ]


def test_a_table_without_a_definition_or_an_event_without_its_key_is_unknown() -> None:
    t = translator(col("n", "int(11)"))
    spec = TableSpec(kind="aggregate", group="sales")
    undefined = Translator(Catalog.from_tables({"other": spec}), {})  # in the catalog, not (yet) at the store
    with pytest.raises(UnknownColumnsError) as missing:
        undefined.translate("insert", "other", [row({"id": 1})])
    assert missing.value.table == "other"
    with pytest.raises(UnknownColumnsError) as keyless:
        t.translate("insert", TABLE, [row({"n": 2})])
    assert keyless.value.columns == ("id",)


def test_new_definitions_after_ddl_change_the_conversion() -> None:
    t = translator(col("b", "int(11)"))
    assert inserted(t, {"id": 1, "b": "11"}) == "11"
    t.update_tables({TABLE: TableDef(TABLE, (col("id", "int(11)"), col("b", "bit(2)")), ("id",))})
    assert inserted(t, {"id": 1, "b": "11"}) == 3


def test_every_row_of_an_event_is_converted() -> None:
    t = translator(col("y", "year"), col("b", "bit(4)"))
    rows = [row({"id": i, "y": 1900 + i, "b": format(i, "04b")}) for i in range(5)]
    changes = t.translate("insert", TABLE, rows)
    assert [c.values for c in changes] == [(0, 0, 0), *((i, 1900 + i, i) for i in range(1, 5))]
