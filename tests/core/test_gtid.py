"""GTID states: read as the servers print them, moved on one transaction at a time, compared."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from centrale.core.gtid import GtidError, MariadbGtidState, MysqlGtidSet, parse_state
from sandbox.mysql import MySQLServer

A = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
B = "4c9e3dfc-9d25-11e9-8d2e-0242ac1cfd7e"


def test_a_mysql_set_reads_as_the_server_prints_it_and_prints_back_the_same() -> None:
    text = f"{A}:1-5:7:9-12,\n{B}:1-3"
    state = MysqlGtidSet.parse(text)
    assert str(state) == f"{A}:1-5:7:9-12,{B}:1-3"
    assert MysqlGtidSet.parse(str(state)) == state


def test_a_mysql_set_grows_by_one_transaction_and_merges_neighbouring_intervals() -> None:
    state = MysqlGtidSet.parse(f"{A}:1-5:7")
    assert str(state.add(f"{A}:6")) == f"{A}:1-7"
    assert str(state.add(f"{B}:1")) == f"{A}:1-5:7,{B}:1"
    assert state.add(f"{A}:3") == state


def test_tagged_gtids_keep_their_tag_apart_from_the_untagged_ones() -> None:
    state = MysqlGtidSet.parse(f"{A}:1-3:night:1-2")
    assert str(state.add(f"{A}:night:3")) == f"{A}:1-3:night:1-3"
    assert str(state.add(f"{A}:4")) == f"{A}:1-4:night:1-2"
    assert not MysqlGtidSet.parse(f"{A}:night:1").within(MysqlGtidSet.parse(f"{A}:1"))


def test_within_is_inclusion_of_every_transaction() -> None:
    small, big = MysqlGtidSet.parse(f"{A}:2-3"), MysqlGtidSet.parse(f"{A}:1-5,{B}:1")
    assert small.within(big) and not big.within(small)
    assert MysqlGtidSet.parse("").within(small)
    assert not MysqlGtidSet.parse(f"{A}:4-6").within(big.add(f"{B}:2"))


@pytest.mark.parametrize(
    "text", ["nonsense", f"{A}", f"{A}:0", f"{A}:5-3", f"{A}:1-x", "3e11fa47:1", f"{A}:Tag-With-Dash:1"]
)
def test_a_mysql_set_that_is_not_one_is_refused_by_name(text: str) -> None:
    with pytest.raises(GtidError):
        MysqlGtidSet.parse(text)


def test_adding_more_than_one_transaction_is_refused() -> None:
    with pytest.raises(GtidError):
        MysqlGtidSet.parse(f"{A}:1").add(f"{A}:2-3")


def test_a_mariadb_state_keeps_the_last_gtid_of_each_domain_and_server() -> None:
    state = MariadbGtidState.parse("0-1-57,1-5-8")
    assert str(state.add("0-1-58")) == "0-1-58,1-5-8"
    assert str(state.add("0-2-58")) == "0-1-57,0-2-58,1-5-8"
    assert str(state.add("2-1-1")) == "0-1-57,1-5-8,2-1-1"


def test_a_gtid_list_event_reads_as_the_same_state() -> None:
    assert str(MariadbGtidState.parse("[0-2-9, 0-1-5,1-1-3]")) == "0-1-5,0-2-9,1-1-3"
    assert str(MariadbGtidState.parse("[]")) == ""


def test_a_mariadb_state_is_within_another_server_by_server() -> None:
    assert MariadbGtidState.parse("0-1-5").within(MariadbGtidState.parse("0-1-9,1-1-1"))
    assert not MariadbGtidState.parse("0-1-5").within(MariadbGtidState.parse("0-2-9"))  # another server
    assert not MariadbGtidState.parse("0-1-5,3-1-1").within(MariadbGtidState.parse("0-1-9"))
    assert not MariadbGtidState.parse("0-1-10").within(MariadbGtidState.parse("0-1-9"))


@pytest.mark.parametrize("text", ["0-1", "a-b-c", "0-1-2-3", "uuid:1"])
def test_a_mariadb_state_that_is_not_one_is_refused_by_name(text: str) -> None:
    with pytest.raises(GtidError):
        MariadbGtidState.parse(text)


def test_states_of_the_two_servers_never_compare_as_within_each_other() -> None:
    assert not MariadbGtidState.parse("").within(MysqlGtidSet.parse(""))
    assert not MysqlGtidSet.parse("").within(MariadbGtidState.parse(""))
    assert parse_state("mariadb", "0-1-2") == MariadbGtidState.parse("0-1-2")
    assert parse_state("mysql", f"{A}:1") == MysqlGtidSet.parse(f"{A}:1")


transactions = st.lists(st.tuples(st.sampled_from([A, B]), st.integers(1, 40)), max_size=60)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=transactions, more=transactions)
def test_sets_built_one_transaction_at_a_time_agree_with_mysql(
    mysql: MySQLServer, start: list[tuple[str, int]], more: list[tuple[str, int]]
) -> None:
    """MySQL's own reading of a GTID list (GTID_SUBTRACT of nothing prints it back normalised)
    and GTID_SUBSET are the reference."""
    ours = MysqlGtidSet.parse("")
    for uuid, n in start:
        ours = ours.add(f"{uuid}:{n}")
    other = ours
    for uuid, n in more:
        other = other.add(f"{uuid}:{n}")
    listed = ",".join(f"{uuid}:{n}" for uuid, n in start)  # MySQL reads a list as their union
    theirs = str(mysql.sql("SELECT GTID_SUBTRACT(%s, '')", args=(listed,))[0][0])
    assert MysqlGtidSet.parse(theirs) == ours
    assert str(ours) == re.sub(r"\s", "", theirs)  # printed as MySQL prints it
    both = mysql.sql(
        "SELECT GTID_SUBSET(%s, %s), GTID_SUBSET(%s, %s)", args=(str(ours), str(other), str(other), str(ours))
    )
    assert (ours.within(other), other.within(ours)) == (bool(both[0][0]), bool(both[0][1]))
