"""Every character set the store's server knows crosses byte for byte: a column of each, filled
with every byte value (single-byte sets) or text of their own script (multi-byte sets), written
through the binlog and compared at head office by HEX."""

from __future__ import annotations

from centrale.core.config import load
from centrale.core.db import quote_ident
from sandbox.chain import Chain
from sandbox.inprocess import InProcessStore

SAMPLES = "Aé€ñ ¿Ü 日本語 한국어 中文 ♥ Ωмир 😀"  # encoded per charset; what a charset cannot hold is left out


def test_every_character_set_crosses_byte_for_byte(chain: Chain) -> None:
    site = chain.store(12)
    charsets = sorted(
        (str(name), int(maxlen))
        for name, maxlen in site.sql("SELECT CHARACTER_SET_NAME, MAXLEN FROM information_schema.CHARACTER_SETS")
        if name != "binary"
    )
    assert len(charsets) > 30
    columns = ", ".join(f"{quote_ident('c_' + cs)} TEXT CHARACTER SET {cs} NULL" for cs, _ in charsets)
    site.sql(f"CREATE TABLE texts (id INT PRIMARY KEY, {columns})")
    with open(site.config, "a", encoding="utf-8") as fh:
        fh.write('\n[tables.texts]\nkind = "aggregate"\ngroup = "sales"\n')
    cfg = load(site.config)
    every_byte = bytes(range(1, 256))
    with InProcessStore(cfg) as run, site.connect() as conn, conn.cursor() as cur:
        cur.execute("SET SESSION sql_mode = ''")  # a legacy POS server: what a set cannot hold is adjusted, not refused
        for i, (cs, maxlen) in enumerate(charsets):
            col = quote_ident("c_" + cs)
            if maxlen == 1:
                value = f"X'{every_byte.hex()}'"
            else:
                value = f"CONVERT(_utf8mb4 X'{SAMPLES.encode().hex()}' USING {cs})"
            cur.execute(f"INSERT INTO texts (id, {col}) VALUES ({i}, {value})")
            cur.execute(f"UPDATE texts SET {col} = CONCAT({col}, {col}) WHERE id = {i}")
        run.sync()
    hex_columns = ", ".join(f"HEX({quote_ident('c_' + cs)})" for cs, _ in charsets)
    at_store = site.sql(f"SELECT id, {hex_columns} FROM texts ORDER BY id")
    at_hq = chain.hq.sql(f"SELECT id, {hex_columns} FROM texts WHERE origin_store = 12 ORDER BY id")
    differing = [cs for i, (cs, _) in enumerate(charsets) if at_store[i] != at_hq[i]]
    assert differing == []
    assert at_store[[cs for cs, _ in charsets].index("latin1")][1 + [cs for cs, _ in charsets].index("latin1")] == (
        every_byte.hex().upper() * 2
    )
