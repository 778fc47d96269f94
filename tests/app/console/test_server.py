"""The console as served by `centrale console` and by `centrale run`: a port already taken is
one line naming console.port, not a traceback; `run` goes on capturing without its console."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from sandbox.chain import Chain
from sandbox.processes import CentraleProcess, quiet_env, run_centrale, run_process
from sandbox.server import free_port
from tests.app.console.conftest import add_console_keys, wait_for


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


def test_centrale_console_on_a_taken_port_is_one_line_naming_the_key(chain: Chain, taken_port: int) -> None:
    res = run_centrale(chain.hq.config, "console", "--port", str(taken_port), timeout=60, env=quiet_env(LANG="C"))
    assert res.returncode == 2
    assert res.stderr.splitlines()[0] == f"error: console.port {taken_port} is already in use on 127.0.0.1"
    assert "Traceback" not in res.stderr and "console.port" in res.stderr.splitlines()[1]


@contextmanager
def store_run(chain: Chain, console_keys: str) -> Iterator[CentraleProcess]:
    """`centrale run` for store 12 with ``console_keys`` in its [console] section, capturing;
    on leaving, stopped, and it must stop cleanly (exit code 0)."""
    site = chain.store(12)
    add_console_keys(site.config, console_keys)
    proc = run_process(site, chain.root).wait_capturing()
    try:
        yield proc
    finally:
        assert proc.terminate() == 0


def test_run_goes_on_without_its_console_when_the_port_is_taken(chain: Chain, taken_port: int) -> None:
    with store_run(chain, f"port = {taken_port}") as proc:
        assert f"console not started: console.port {taken_port} is already in use" in proc.log_text()
        assert "Traceback" not in proc.log_text()


def test_run_serves_the_console_and_stops_it_with_itself(chain: Chain) -> None:
    port = free_port()
    with store_run(chain, f"port = {port}"):
        page = str(wait_for(lambda: _get(f"http://127.0.0.1:{port}/"), "the console answering"))
        assert "12 Lyon" in page
        assert 'data-part="capture" data-color="green"' in page  # `run` itself holds the site
    assert _get(f"http://127.0.0.1:{port}/") is None


def test_the_console_can_be_switched_off(chain: Chain) -> None:
    port = free_port()
    with store_run(chain, f"port = {port}\nenabled = false") as proc:
        assert "console" not in proc.log_text(since_start=True)
        assert _get(f"http://127.0.0.1:{port}/") is None


def _get(url: str) -> str | None:
    """The page's text, or None when nothing listens there."""
    try:
        with urllib.request.urlopen(url, timeout=10) as res:
            return str(res.read().decode())
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, ConnectionRefusedError):
            return None
        raise
