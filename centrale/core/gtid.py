"""A store server's GTID state at a point of its binlog: which transactions lie before it.

File and position name a point of *one* server's binlog; a GTID state names it on any server
that holds the same history (a replica promoted after the store's server died, the database
moved to a new machine by replication). Capture keeps the state of its checkpoint so that it can
find the same point on such a server (``cdc.gtidsearch``), as Debezium resumes by GTID set.

The two servers count differently:

- MySQL: a set of ``source_uuid[:tag]:interval`` (``3e11fa47-...:1-5:7-9,4c9e...:1-3``; tags
  since 8.3, ``uuid:tag:1-4``); a state is every transaction before the point, so it only grows,
  one transaction number at a time.
- MariaDB: ``domain-server-sequence``; a state is the last sequence number of each domain and
  server (``@@gtid_binlog_state``, a binlog file's ``Gtid_list``): a transaction replaces its
  domain and server's entry.

Both are values: parsed from the server's own text, compared, advanced by one transaction's
GTID, printed back in the server's form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from centrale.core.server import Family

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_TAG = re.compile(r"^[a-z_][a-z0-9_]{0,31}$")
_INTERVAL = re.compile(r"^(\d+)(?:-(\d+))?$")
_MARIADB_GTID = re.compile(r"^(\d+)-(\d+)-(\d+)$")


class GtidError(ValueError):
    """A text that is not a GTID or a GTID state of the server's kind."""


def _join(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, merged intervals (``1-3`` and ``4-6`` make ``1-6``)."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(intervals):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


@dataclass(frozen=True)
class MysqlGtidSet:
    """A MySQL GTID set: ``(uuid, tag)`` -> sorted disjoint intervals (the tag ``""`` untagged)."""

    sids: dict[tuple[str, str], tuple[tuple[int, int], ...]] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> MysqlGtidSet:
        """``@@gtid_executed``, a ``Previous_gtids`` event's text, or one GTID (``uuid:7``)."""
        found: dict[tuple[str, str], list[tuple[int, int]]] = {}
        for part in re.sub(r"\s+", "", text).lower().split(","):
            if not part:
                continue
            uuid, *rest = part.split(":")
            if not _UUID.match(uuid) or not rest:
                raise GtidError(f"not a MySQL GTID set: {text!r}")
            tag = ""
            for piece in rest:
                interval = _INTERVAL.match(piece)
                if interval is None:
                    if not _TAG.match(piece):
                        raise GtidError(f"not a MySQL GTID set: {text!r}")
                    tag = piece
                    continue
                lo = int(interval.group(1))
                hi = int(interval.group(2) or lo)
                if lo < 1 or hi < lo:
                    raise GtidError(f"not a MySQL GTID interval: {piece!r} in {text!r}")
                found.setdefault((uuid, tag), []).append((lo, hi))
        return cls({sid: tuple(_join(ivs)) for sid, ivs in found.items()})

    def add(self, gtid: str) -> MysqlGtidSet:
        """This set and one more transaction (``uuid:n`` or ``uuid:tag:n``)."""
        one = MysqlGtidSet.parse(gtid)
        if sum(hi - lo + 1 for ivs in one.sids.values() for lo, hi in ivs) != 1:
            raise GtidError(f"not one MySQL GTID: {gtid!r}")
        return self.union(one)

    def union(self, other: MysqlGtidSet) -> MysqlGtidSet:
        sids = {sid: list(ivs) for sid, ivs in self.sids.items()}
        for sid, ivs in other.sids.items():
            sids.setdefault(sid, []).extend(ivs)
        return MysqlGtidSet({sid: tuple(_join(ivs)) for sid, ivs in sids.items()})

    def within(self, other: GtidState) -> bool:
        """Every transaction of this set is in ``other``."""
        if not isinstance(other, MysqlGtidSet):
            return False
        for sid, ivs in self.sids.items():
            theirs = other.sids.get(sid, ())
            for lo, hi in ivs:
                if not any(a <= lo and hi <= b for a, b in theirs):
                    return False
        return True

    def __str__(self) -> str:
        """MySQL's own form: sources in uuid order, untagged intervals first, then each tag."""
        out = []
        for uuid in sorted({u for u, _ in self.sids}):
            pieces = [uuid]
            for tag in sorted(t for u, t in self.sids if u == uuid):
                if tag:
                    pieces.append(tag)
                pieces.extend(f"{lo}" if lo == hi else f"{lo}-{hi}" for lo, hi in self.sids[(uuid, tag)])
            out.append(":".join(pieces))
        return ",".join(out)


@dataclass(frozen=True)
class MariadbGtidState:
    """A MariaDB binlog state: (domain, server id) -> the sequence number of its last transaction,
    as ``@@gtid_binlog_state`` and a ``Gtid_list`` event print it (``0-1-57,0-2-9,1-5-8``). Not
    the position (one GTID per domain): two servers whose positions agree may still differ by a
    transaction one of them wrote itself, which the state shows."""

    last: dict[tuple[int, int], int] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> MariadbGtidState:
        """``@@gtid_binlog_state``, a ``Gtid_list`` event's text (``[0-1-5,0-2-9]``), or one GTID."""
        last: dict[tuple[int, int], int] = {}
        for part in re.sub(r"[\s\[\]]+", "", text).split(","):
            if not part:
                continue
            found = _MARIADB_GTID.match(part)
            if found is None:
                raise GtidError(f"not a MariaDB GTID state: {text!r}")
            domain, server, seq = (int(x) for x in found.groups())
            last[(domain, server)] = max(seq, last.get((domain, server), 0))
        return cls(last)

    def add(self, gtid: str) -> MariadbGtidState:
        """This state after one more transaction (``domain-server-seq``)."""
        found = _MARIADB_GTID.match(gtid.strip())
        if found is None:
            raise GtidError(f"not a MariaDB GTID: {gtid!r}")
        domain, server, seq = (int(x) for x in found.groups())
        return MariadbGtidState({**self.last, (domain, server): seq})

    def union(self, other: MariadbGtidState) -> MariadbGtidState:
        keys = self.last.keys() | other.last.keys()
        return MariadbGtidState({k: max(self.last.get(k, 0), other.last.get(k, 0)) for k in keys})

    def within(self, other: GtidState) -> bool:
        """Every server of every domain here is at or before its place in ``other``."""
        if not isinstance(other, MariadbGtidState):
            return False
        return all(key in other.last and seq <= other.last[key] for key, seq in self.last.items())

    def __str__(self) -> str:
        return ",".join(f"{d}-{s}-{n}" for (d, s), n in sorted(self.last.items()))


GtidState = MysqlGtidSet | MariadbGtidState


def parse_state(family: Family, text: str) -> GtidState:
    """A GTID state in the server's own text."""
    return MariadbGtidState.parse(text) if family == "mariadb" else MysqlGtidSet.parse(text)
