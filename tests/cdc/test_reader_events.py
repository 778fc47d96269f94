"""Event types the library does not parse are skipped only when they cannot matter; any other
stops capture, named."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from cdc.events import GtidSeen, Unreadable
from cdc.reader import _unparsed
from centrale.core.changes import BinlogPosition

POS = BinlogPosition("mariadb-bin.000007", 4242)


def event(event_type: int, flags: int = 0) -> SimpleNamespace:
    return SimpleNamespace(packet=SimpleNamespace(event_type=event_type, flags=flags))


@pytest.mark.parametrize("event_type", [9, 11, 36, 37, 41])
def test_events_that_carry_nothing_capture_needs_are_skipped(event_type: int) -> None:
    assert _unparsed(event(event_type), POS) is None


@pytest.mark.parametrize("event_type", [34, 42], ids=["anonymous", "tagged"])
def test_a_transaction_whose_gtid_capture_cannot_read_says_so(event_type: int) -> None:
    """MySQL's anonymous transactions and tagged GTIDs: the transaction is read as any other, and
    the GTID state is lost (the state at the next checkpoint would leave it out)."""
    assert _unparsed(event(event_type), POS) == GtidSeen(None)


def test_an_event_the_server_marks_ignorable_is_skipped() -> None:
    assert _unparsed(event(250, flags=0x80), POS) is None


@pytest.mark.parametrize(
    ("event_type", "key"),
    [
        (26, "err.capture.incident"),
        (40, "err.capture.payload"),
        (172, "err.capture.unknown_event"),
        (250, "err.capture.unknown_event"),
    ],
)
def test_any_other_stops_capture_naming_it(event_type: int, key: str) -> None:
    got = _unparsed(event(event_type), POS)
    assert isinstance(got, Unreadable) and got.position == POS and got.what.key == key
    assert got.fix.key == key + ".hint"
