"""Text columns decoded by the character set the store's server gives them, byte for byte.

python-mysql-replication decodes text with Python's codec of the same name, which is not the
server's: MariaDB's and MySQL's ``latin1`` is cp1252 with the five bytes cp1252 leaves undefined
(0x81, 0x8D, 0x8F, 0x90, 0x9D) mapped to the C1 controls, so Python's cp1252 fails on them and
capture died on every restart at the same event. Collation ids the library does not know
(MariaDB's newer ones) were decoded as UTF-8 whatever their charset.

Here the server itself is the reference. At start-up ``ServerCharsets.load`` asks it:
- which character set each collation id belongs to (information_schema.COLLATIONS);
- for every single-byte character set, what each of the 256 bytes is in Unicode, and whether
  that character converts back to the same byte (``CONVERT`` both ways, one query per charset).

Decoding then follows the server's own tables: a text value becomes the Unicode text that head
office (through its utf8mb4 connection) converts back to exactly the same bytes. A value that
cannot make that round trip (a byte the charset leaves undefined, such as 0x81 in cp1250, or a
multi-byte charset whose mapping Python does not share exactly: sjis, gbk, big5 ...) is carried
as its raw bytes instead, which head office stores as they are into a column of the same
character set (``hq init --tables-from`` creates them so). Nothing is ever dropped or replaced.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Decoder = Callable[[bytes], "str | bytes"]


def _raw(raw: bytes) -> str | bytes:
    return raw


def _codec(name: str) -> Decoder:
    def decode(raw: bytes) -> str | bytes:
        try:
            return raw.decode(name)
        except UnicodeDecodeError:
            return raw

    return decode


# Character sets whose Unicode mapping is Unicode itself: Python's codec is exact.
_UNICODE_CODECS = {
    "utf8": "utf-8",
    "utf8mb3": "utf-8",
    "utf8mb4": "utf-8",
    "ucs2": "utf-16-be",
    "utf16": "utf-16-be",
    "utf16le": "utf-16-le",
    "utf32": "utf-32-be",
}
BINARY = "binary"


@dataclass
class ServerCharsets:
    """What the store's server says about its character sets (see the module docstring)."""

    collations: dict[int, str] = field(default_factory=dict)  # collation id -> charset name
    single_byte: dict[str, dict[int, str]] = field(default_factory=dict)  # charset -> translate table
    unsafe_bytes: dict[str, bytes] = field(default_factory=dict)  # charset -> bytes without a round trip
    _decoders: dict[str | None, Decoder] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, conn: Any) -> ServerCharsets:
        """Read the server's collations and its single-byte character sets' tables."""
        found = cls()
        with conn.cursor() as cur:
            cur.execute("SELECT ID, CHARACTER_SET_NAME FROM information_schema.COLLATIONS WHERE ID IS NOT NULL")
            found.collations = {int(i): str(cs) for i, cs in cur.fetchall()}
            cur.execute("SELECT CHARACTER_SET_NAME FROM information_schema.CHARACTER_SETS WHERE MAXLEN = 1")
            names = sorted(str(r[0]) for r in cur.fetchall())
            for name in names:
                if name == BINARY or name in _UNICODE_CODECS:
                    continue
                found._load_single_byte(cur, name)
        return found

    def _load_single_byte(self, cur: Any, name: str) -> None:
        # HEX of each byte's character in UTF-8, and of that character converted back.
        parts = []
        for b in range(256):
            lit = f"CONVERT(_binary X'{b:02X}' USING {name})"
            parts.append(f"HEX(CONVERT({lit} USING utf8mb4)), HEX(CONVERT(CONVERT({lit} USING utf8mb4) USING {name}))")
        cur.execute("SELECT " + ", ".join(parts))
        row = cur.fetchone()
        table: dict[int, str] = {}
        unsafe = bytearray()
        for b in range(256):
            utf8_hex, back_hex = row[2 * b], row[2 * b + 1]
            if utf8_hex is None or back_hex is None or bytes.fromhex(str(back_hex)) != bytes([b]):
                unsafe.append(b)
                continue
            text = bytes.fromhex(str(utf8_hex)).decode("utf-8")
            if len(text) != 1:
                unsafe.append(b)
                continue
            if text != chr(b):
                table[b] = text
        self.single_byte[name] = table
        self.unsafe_bytes[name] = bytes(unsafe)

    def charset_of(self, collation_id: int) -> str | None:
        return self.collations.get(collation_id)

    def carried_as_text(self, charset: str) -> bool:
        """Whether values of ``charset`` cross as text (else as their raw bytes)."""
        return charset in _UNICODE_CODECS or charset in self.single_byte

    def decode(self, raw: bytes, charset: str | None) -> str | bytes:
        """``raw`` as text the way the server reads it, or ``raw`` itself when text would not
        convert back to the same bytes at head office."""
        return self.decoder(charset)(raw)

    def decoder(self, charset: str | None) -> Decoder:
        """``decode`` for one character set, made once (the hot path: every text value)."""
        got = self._decoders.get(charset)
        if got is None:
            got = self._decoders[charset] = self._make_decoder(charset)
        return got

    def _make_decoder(self, charset: str | None) -> Decoder:
        if charset is None or charset == BINARY:
            return _raw
        codec = _UNICODE_CODECS.get(charset)
        if codec is not None:
            return _codec(codec)
        table = self.single_byte.get(charset)
        if table is None:
            return _raw
        unsafe = self.unsafe_bytes[charset]

        def single_byte(raw: bytes) -> str | bytes:
            if unsafe and len(raw.translate(None, unsafe)) != len(raw):
                return raw
            return raw.decode("latin-1").translate(table) if table else raw.decode("latin-1")

        return single_byte
