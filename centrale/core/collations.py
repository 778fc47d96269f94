"""Which collation head office declares for a store column, when the two servers differ.

A table head office creates from a store's definition keeps each column's collation. MySQL 8's
default, ``utf8mb4_0900_ai_ci`` (UCA 9.0.0), is unknown to MariaDB before 11.4.5, and MariaDB's
``utf8mb4_uca1400_*`` (UCA 14.0.0) and ``*_nopad_*`` collations are unknown to MySQL: creating
the table failed ("Unknown collation"), and shipping stopped. Head office now takes the same
collation where it knows it, else the nearest it has:

- the same weights family on the other server (``_0900_`` <-> ``_uca1400_``, same accent and
  case sensitivity);
- for an accent- and case-insensitive one, the older UCA 5.2.0 (``utf8mb4_unicode_520_ci``),
  then ``_unicode_ci``;
- for an accent- or case-sensitive one (``_as_cs``, ``_bin``), the character set's binary
  collation: two values the store tells apart stay apart at head office, so a key unique at
  the store never collides there.

The values themselves are never touched: only how head office compares them. What was chosen
is returned for the log; a collation with no equivalent is refused, naming the column.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pymysql

# utf8mb4_0900_ai_ci, utf8mb4_fr_0900_as_cs (MySQL); utf8mb4_uca1400_ai_ci, utf8mb4_uca1400_french_nopad_as_ci
# (MariaDB 11): the language tailoring is left behind, the sensitivities are kept.
_UCA = re.compile(
    r"(?P<cs>[a-z0-9]+)_(?:[a-z_]+?_)?(?P<uca>0900|uca1400)_(?:[a-z_]+?_)?(?:nopad_)?(?P<rest>ai_ci|as_ci|as_cs|ai_cs|bin)"
)


def read_collations(conn: pymysql.connections.Connection) -> dict[str, str]:
    """Every collation the server knows, with its character set."""
    with conn.cursor() as cur:
        cur.execute("SELECT COLLATION_NAME, CHARACTER_SET_NAME FROM information_schema.COLLATIONS")
        return {str(name): str(charset) for name, charset in cur.fetchall()}


def equivalent_collation(collation: str, known: Mapping[str, str]) -> str | None:
    """``collation`` if the server knows it, else the nearest one it knows (see the module's
    docstring), else None."""
    if collation in known:
        return collation
    for candidate in _candidates(collation):
        if candidate in known:
            return candidate
    return None


def _candidates(collation: str) -> list[str]:
    found = _UCA.fullmatch(collation)
    if found is not None:
        cs, rest = found["cs"], found["rest"]
        other = "uca1400" if found["uca"] == "0900" else "0900"
        same_family = [f"{cs}_{other}_{rest}"] if rest != "bin" else [f"{cs}_{other}_bin"]
        if rest == "ai_ci":
            return [*same_family, f"{cs}_unicode_520_ci", f"{cs}_unicode_ci"]
        return [*same_family, f"{cs}_bin"]
    if "_nopad_" in collation:  # MariaDB's NO PAD variants: the PAD SPACE one, then the binary one
        charset = collation.split("_", 1)[0]
        return [collation.replace("_nopad_", "_"), f"{charset}_bin"]
    return []
