"""TLS to head office (MariaDB or MySQL): verified against the CA it is given, refused when it cannot be verified,
never silently plaintext when required; client certificates for accounts that demand them."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from centrale.core.config import load
from centrale.core.db import connect, hq_params
from sandbox.chain import Chain, chain_on
from sandbox.inprocess import InProcessStore
from sandbox.mariadb import MariaDBServer
from sandbox.mysql import MySQLServer, ensure_mysql
from sandbox.server import LocalServer
from sandbox.tls import Certs, make_ca, make_certs
from tests.conftest import Servers

pytestmark = pytest.mark.local_servers
_n = itertools.count(1)


@pytest.fixture(scope="module", params=["mariadb", "mysql"])
def tls_hq(request: pytest.FixtureRequest, servers: Servers) -> Iterator[tuple[LocalServer, Certs]]:
    """A head office that demands TLS, with a certificate from the tests' CA: MariaDB or MySQL."""
    certs = make_certs(servers.root / f"certs-{request.param}")
    options = {
        "ssl_ca": str(certs.ca),
        "ssl_cert": str(certs.server_cert),
        "ssl_key": str(certs.server_key),
        "require_secure_transport": "ON",
    }
    server: LocalServer
    if request.param == "mariadb":
        server = MariaDBServer("tlshq", servers.root, server_id=51, extra_options=options).start()
    else:
        ensure_mysql()
        server = MySQLServer("tlsmyhq", servers.root, server_id=52, extra_options=options).start()
    yield server, certs
    server.destroy()


@pytest.fixture
def tls_chain(tls_hq: tuple[LocalServer, Certs], servers: Servers, tmp_path: Path) -> Iterator[Chain]:
    server, _ = tls_hq
    n = next(_n)
    with chain_on(tmp_path, server, {12: servers.stores[12]}, hq_db=f"tlshq_{n}", store_db=f"tlspos_{n}") as chain:
        yield chain


def test_shipping_over_tls_with_the_certificate_verified(tls_chain: Chain, tls_hq: tuple[LocalServer, Certs]) -> None:
    site = tls_chain.store(12)
    tls_chain.centrale(site, "config", "set", "hq.ssl_ca", f'"{tls_hq[1].ca}"')
    doctor = tls_chain.centrale(site, "doctor")
    assert "certificate verified" in doctor.stdout and "TLS " in doctor.stdout
    with connect(hq_params(load(site.config).hq)) as conn, conn.cursor() as cur:
        cur.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
        assert cur.fetchone()[1]  # an encrypted session
    with InProcessStore(site.config) as run:
        site.sql("INSERT INTO salespeople (code, first_name) VALUES ('T', 'Tess')")
        assert run.sync().rows == 1
    assert tls_chain.hq.sql("SELECT code FROM salespeople") == [("T",)]


def test_a_certificate_from_another_ca_is_refused(tls_chain: Chain, tmp_path: Path) -> None:
    site = tls_chain.store(12)
    other_ca, _ = make_ca(tmp_path / "other", "Someone else")
    tls_chain.centrale(site, "config", "set", "hq.ssl_ca", f'"{other_ca}"')
    res = tls_chain.centrale(site, "doctor", check=False)
    assert res.returncode == 3
    assert "certificate" in res.stdout and "not signed by hq.ssl_ca" in res.stdout
    # A new outbox waits for head office to say where capture starts; the snapshot starts it here.
    tls_chain.centrale(site, "snapshot")
    with InProcessStore(site.config) as run:
        queued = run.ship_box.stats().backlog  # the snapshot's rows
        site.sql("INSERT INTO salespeople (code, first_name) VALUES ('X', 'never sent')")
        report = run.sync()
        assert report.error and run.ship_box.stats().backlog == queued + 1


def test_the_certificate_must_name_the_host_unless_told_otherwise(
    tls_chain: Chain, tls_hq: tuple[LocalServer, Certs]
) -> None:
    site = tls_chain.store(12)
    tls_chain.centrale(site, "config", "set", "hq.ssl_ca", f'"{tls_hq[1].ca}"')
    tls_chain.centrale(site, "config", "set", "hq.host", "localhost")  # the certificate names 127.0.0.1
    assert tls_chain.centrale(site, "doctor", check=False).returncode == 3
    tls_chain.centrale(site, "config", "set", "hq.verify_hostname", "false")
    assert tls_chain.centrale(site, "doctor").returncode == 0


def test_an_account_that_requires_a_client_certificate(tls_chain: Chain, tls_hq: tuple[LocalServer, Certs]) -> None:
    server, certs = tls_hq
    server.sql("DROP USER IF EXISTS 'store12'@'127.0.0.1'")
    server.sql("CREATE USER 'store12'@'127.0.0.1' IDENTIFIED BY 'pw-store12' REQUIRE X509")
    server.sql(f"GRANT ALL ON `{tls_chain.hq.database}`.* TO 'store12'@'127.0.0.1'")
    site = tls_chain.store(12)
    for key, value in (("hq.user", "store12"), ("hq.password", "pw-store12"), ("hq.ssl_ca", f'"{certs.ca}"')):
        tls_chain.centrale(site, "config", "set", key, value)
    refused = tls_chain.centrale(site, "doctor", check=False)
    assert refused.returncode == 3 and "Access denied" in refused.stdout
    tls_chain.centrale(
        site, "config", "set", "hq.ssl_cert", f'"{certs.client_cert}"', "hq.ssl_key", f'"{certs.client_key}"'
    )
    assert tls_chain.centrale(site, "doctor").returncode == 0


def test_require_tls_refuses_a_head_office_without_tls(chain: Chain) -> None:
    site = chain.store(12)  # the session's head office offers no TLS at all
    chain.centrale(site, "config", "set", "hq.require_tls", "true")
    res = chain.centrale(site, "doctor", check=False)
    assert res.returncode == 3 and "does not offer TLS" in res.stdout
