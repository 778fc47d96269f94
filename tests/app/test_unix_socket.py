"""A store whose POS server is reached through its Unix socket (`local.url` ending in
`?unix_socket=/path`, the server on the same PC with networking off): doctor, the snapshot,
capture from the binlog and shipping all go through the socket, and a URL option Centrale does
not apply is refused, naming it, instead of being ignored."""

from __future__ import annotations

import os
from pathlib import Path

from sandbox.chain import Chain
from sandbox.inprocess import InProcessStore
from sandbox.processes import run_centrale


def centrale(config: Path, *args: str) -> str:
    res = run_centrale(config, *args, env={**os.environ, "LANG": "C.UTF-8", "COLUMNS": "200"})
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


def test_a_store_reached_through_its_unix_socket_captures_and_ships(chain: Chain) -> None:
    lyon = chain.store(12)
    url = f"mysql://root@localhost/{lyon.database}?unix_socket={lyon.server.socket_path}"
    centrale(lyon.config, "config", "set", "local.url", url)
    doctor = centrale(lyon.config, "doctor")
    assert f"root@localhost:{lyon.server.socket_path}/{lyon.database}" in doctor, doctor
    assert "all checks passed" in doctor, doctor
    centrale(lyon.config, "snapshot")
    with InProcessStore(lyon.config) as run:
        lyon.sql("INSERT INTO salespeople (code, first_name) VALUES ('S', 'Solène')")
        run.sync()
    found = chain.hq.sql("SELECT first_name FROM salespeople WHERE code = 'S' AND origin_store = 12")
    assert found == [("Solène",)]


def test_an_option_of_the_url_that_centrale_does_not_apply_is_refused(chain: Chain) -> None:
    lyon = chain.store(12)
    url = lyon.server.url(lyon.database) + "?charset=latin1"
    res = run_centrale(lyon.config, "config", "set", "local.url", url, env={**os.environ, "LANG": "C.UTF-8"})
    assert res.returncode == 2, res.stdout + res.stderr
    assert "asks for charset, which Centrale does not apply" in res.stderr, res.stderr
