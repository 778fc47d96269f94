"""How capture's GTID state follows the stream: a transaction counts once it has ended."""

from __future__ import annotations

from cdc.gtids import GtidTrack
from centrale.core.changes import BinlogPosition, CommitMark
from centrale.core.outbox.gtidstate import GtidRecord

U = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
START = GtidRecord(BinlogPosition("b.000001", 100), "mysql", "1/x", f"{U}:1-5")
END = BinlogPosition("b.000001", 400)
MARK = CommitMark(369, 1_700_000_000, 1)


def test_a_transaction_counts_once_it_has_ended() -> None:
    track = GtidTrack("mysql", START)
    track.began(f"{U}:6")
    rec = track.record(BinlogPosition("b.000001", 200))
    assert rec is not None and rec.state == f"{U}:1-5"  # the open one is not before any checkpoint
    track.ended(END, MARK)
    rec = track.record(END)
    assert rec is not None and rec.state == f"{U}:1-6"
    assert (rec.last_gtid, rec.last_end, rec.last_mark, rec.server) == (f"{U}:6", END, MARK, "1/x")


def test_a_transaction_whose_end_the_stream_does_not_show_counts_at_the_next_one() -> None:
    track = GtidTrack("mysql", START)
    track.began(f"{U}:6")
    track.began(f"{U}:7")
    track.ended(END, MARK)
    rec = track.record(END)
    assert rec is not None and rec.state == f"{U}:1-7" and rec.last_gtid == f"{U}:7"


def test_a_transaction_without_a_gtid_loses_the_state() -> None:
    track = GtidTrack("mysql", START)
    track.began(None)
    assert track.record(END) is not None  # not ended yet
    track.ended(END, MARK)
    assert track.record(END) is None
    track.began(f"{U}:9")
    track.ended(END, MARK)
    assert track.record(END) is None  # lost until capture works it out again


def test_an_end_without_its_event_names_no_last_transaction() -> None:
    """A DDL logged without a mark: the state moves on, and no proof is kept of an older one."""
    track = GtidTrack("mysql", START)
    track.began(f"{U}:6")
    track.ended(END, MARK)
    track.began(f"{U}:7")
    track.ended(END, None)
    rec = track.record(END)
    assert rec is not None and rec.state == f"{U}:1-7" and rec.last_gtid == f"{U}:7" and rec.last_mark is None


def test_no_state_to_start_from_is_no_state() -> None:
    track = GtidTrack("mariadb", None)
    track.began("0-1-5")
    track.ended(END, MARK)
    assert track.record(END) is None


def test_a_record_of_the_other_server_kind_is_not_taken() -> None:
    assert GtidTrack("mariadb", START).record(END) is None


def test_mariadb_states_follow_domain_and_server() -> None:
    track = GtidTrack("mariadb", GtidRecord(BinlogPosition("b.000001", 4), "mariadb", "1/", "0-1-5,0-2-3"))
    track.began("0-1-6")
    track.ended(END, MARK)
    rec = track.record(END)
    assert rec is not None and rec.state == "0-1-6,0-2-3"
