"""No password ever reaches a log, the outbox, `status`, `config show` or an error message."""

from __future__ import annotations

import time
from pathlib import Path

from centrale.core.config import load
from sandbox.chain import Chain
from sandbox.processes import CentraleProcess

LOCAL_PW = "Loc4l-Secret-9f2"
HQ_PW = "HQ-Secret-71bd"


def test_passwords_never_leak(chain: Chain, tmp_path: Path) -> None:
    site = chain.store(12)
    db = site.database
    site.server.sql(f"CREATE OR REPLACE USER 'capture'@'127.0.0.1' IDENTIFIED BY '{LOCAL_PW}'")
    site.server.sql("GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'capture'@'127.0.0.1'")
    site.server.sql(f"GRANT SELECT ON `{db}`.* TO 'capture'@'127.0.0.1'")
    chain.hq.server.sql(f"CREATE OR REPLACE USER 'store12'@'127.0.0.1' IDENTIFIED BY '{HQ_PW}'")
    chain.hq.server.sql(f"GRANT ALL ON `{chain.hq.database}`.* TO 'store12'@'127.0.0.1'")
    text = site.config.read_text()
    text = text.replace(
        f"mysql://root@127.0.0.1:{site.server.port}/", f"mysql://capture:{LOCAL_PW}@127.0.0.1:{site.server.port}/"
    )
    text = text.replace('user = "root"\npassword = ""', f'user = "store12"\npassword = "{HQ_PW}"')
    text = text.replace("[log]\n", '[log]\nlevel = "DEBUG"\n')
    site.config.write_text(text)
    assert load(site.config).hq.user == "store12"

    proc = CentraleProcess(site.config, tmp_path / "run.log").start().wait_capturing()
    try:
        site.sql("INSERT INTO salespeople (code, first_name) VALUES (%s, %s)", ("PW", f"not {HQ_PW[:4]}"))
        deadline = time.monotonic() + 30
        while chain.hq.sql("SHOW TABLES LIKE 'salespeople'") == [] or not chain.hq.sql(
            "SELECT 1 FROM salespeople WHERE origin_store=12"
        ):
            assert time.monotonic() < deadline, (tmp_path / "run.log").read_text()
            time.sleep(0.2)
    finally:
        proc.terminate()
    # Errors too: a wrong password and an unreachable head office.
    outputs = [
        chain.centrale(site, "status").stdout,
        chain.centrale(site, "status", "--json").stdout,
        chain.centrale(site, "config", "show").stdout,
        chain.centrale(site, "config", "show", "--json").stdout,
        chain.centrale(site, "doctor", check=False).stdout,
    ]
    chain.centrale(site, "config", "set", "hq.port", "1")
    res = chain.centrale(site, "outbox", "replay", check=False)
    outputs += [res.stdout, res.stderr]
    cfg = load(site.config)
    files = [*cfg.log.dir.glob("CentraleSrv_*.txt"), tmp_path / "run.log"]
    assert any("DEBUG" in f.read_text() or "INFO" in f.read_text() for f in files)
    outbox_bytes = b"".join(p.read_bytes() for p in cfg.outbox.path.parent.glob("outbox.db*"))
    for pw in (LOCAL_PW, HQ_PW):
        for out in outputs:
            assert pw not in out
        for f in files:
            assert pw not in f.read_text(), f
        assert pw.encode() not in outbox_bytes
