"""Shared rows (customers) are decided on head office's clock, not on store clocks taken as they
are (``centrale.core.clock``): a store whose server clock runs ten minutes ahead must not win every
conflict for those ten minutes, and a later change made at another store must not be lost,
neither at head office nor, after its pull, at the skewed store itself. Each database holds
times by its own server's clock; a time crossing is moved by the store's measured offset.

A store server's clock cannot be set wrong here (no libfaketime), so the skewed store's shipper
and pull read the store's clock, really, plus ten minutes, and its POS writes times ten minutes
ahead, as that server's NOW() would."""

from __future__ import annotations

import datetime as dt
import json
import re

from centrale.app.doctor import _clock_check
from centrale.app.report import StatusReporter
from centrale.app.site import build_shipper
from centrale.core.clock import clock_offset
from centrale.core.config import load
from jobs.pull import pull_group
from sandbox.chain import Chain, Site
from sandbox.inprocess import InProcessStore
from tests.app.console.conftest import console_client

AHEAD_S = 600
T0 = dt.datetime(2026, 11, 1, 10, 0, 0)


def _skewed_shipper(site: Site):  # type: ignore[no-untyped-def]
    shipper = build_shipper(load(site.config))
    real = shipper.clock.store_clock
    assert real is not None
    shipper.clock.store_clock = lambda: real() + AHEAD_S
    return shipper


def _change(site: Site, card: str, name: str, at: dt.datetime) -> None:
    site.sql("UPDATE customers SET first_name = %s, updated_at = %s WHERE card_number = %s", (name, at, card))


def test_a_later_change_wins_over_a_store_whose_clock_is_ten_minutes_ahead(chain: Chain) -> None:
    lyon, lille = chain.store(12), chain.store(13)  # Lyon's clock is ten minutes ahead
    with InProcessStore(lyon.config, shipper=_skewed_shipper(lyon)) as a, InProcessStore(lille.config) as b:
        for site in (lyon, lille):
            site.sql(
                "INSERT INTO customers (card_number, first_name, created_store, updated_at) "
                "VALUES ('C-1', 'first', %s, %s)",
                (site.number, T0),
            )
        b.sync()
        # At 11:00 (real time) Lyon changes the customer: its clock says 11:10.
        _change(lyon, "C-1", "Lyon at 11:00", T0 + dt.timedelta(hours=1, seconds=AHEAD_S))
        # Five seconds later Lille changes it again: the later change.
        _change(lille, "C-1", "Lille at 11:00:05", T0 + dt.timedelta(hours=1, seconds=5))
        assert a.sync().error is None
        assert b.sync().error is None
        assert chain.hq.sql("SELECT first_name, origin_store, updated_at FROM customers WHERE card_number='C-1'") == [
            ("Lille at 11:00:05", 13, T0 + dt.timedelta(hours=1, seconds=5))  # Lille's clock is right: as sent
        ]
        # Lyon's pull brings it the later change too: head office's time, on Lyon's clock, is newer.
        result = pull_group(load(lyon.config), "customers", measure=lambda store, hq: clock_offset(store, hq) + AHEAD_S)
        assert result.tables[0].kept_newer == 0
        assert lyon.sql("SELECT first_name, updated_at FROM customers WHERE card_number='C-1'") == [
            ("Lille at 11:00:05", T0 + dt.timedelta(hours=1, seconds=5 + AHEAD_S))
        ]
        # Lyon's own changes reach head office on head office's clock.
        _change(lyon, "C-1", "Lyon at 11:01", T0 + dt.timedelta(hours=1, minutes=1, seconds=AHEAD_S))
        assert a.sync().error is None
        assert chain.hq.sql("SELECT first_name, origin_store, updated_at FROM customers WHERE card_number='C-1'") == [
            ("Lyon at 11:01", 12, T0 + dt.timedelta(hours=1, minutes=1))
        ]
    # `status` at Lyon flags its clock (as measured by shipping); Lille's is not flagged.
    seen = json.loads(chain.centrale(lyon, "status", "--json").stdout)
    assert seen["clock_skewed"] and abs(seen["clock_offset_s"] - AHEAD_S) < 5
    assert "clock" in chain.centrale(lyon, "status").stdout
    assert not json.loads(chain.centrale(lille, "status", "--json").stdout)["clock_skewed"]
    # The store's report carries it to head office: its console flags Lyon, not Lille.
    for site in (lyon, lille):
        assert StatusReporter(load(site.config)).tick()
    ((reported,),) = chain.hq.sql("SELECT MAX(clock_offset_s) FROM centrale_progress WHERE store = 12")
    assert abs(reported - AHEAD_S) < 5
    with console_client(chain.hq.config) as client:
        page = client.get("/").text
    lyon_row = re.search(r'<tr data-store="12".*?</tr>', page, re.S)
    lille_row = re.search(r'<tr data-store="13".*?</tr>', page, re.S)
    assert lyon_row and lille_row
    assert 'data-color="amber"' in lyon_row.group(0) and "clock +600 s off" in lyon_row.group(0)
    assert "clock" not in lille_row.group(0) and 'data-color="green"' in lille_row.group(0)


def test_doctor_flags_a_store_clock_more_than_a_minute_off(chain: Chain) -> None:
    cfg = load(chain.store(12).config)
    (right,) = _clock_check(cfg, 0.0)  # head office's clock as this machine's: the same machine here
    assert right.status == "ok"
    (ahead,) = _clock_check(cfg, -float(AHEAD_S))  # head office's ten minutes behind the store's
    assert ahead.status == "warn" and "NTP" in str(ahead.hint)
