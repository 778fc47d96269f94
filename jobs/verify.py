"""`centrale verify`: this store's tables against head office's copy of them, row by row.

The tool an integrator runs after any incident (a restore, a copied folder, a deleted file, a
week offline): chunked hashes as pulls compare (``jobs.diff``: only the chunks that differ move
their row hashes), on every aggregate table, head office's rows of this store only. It names
the keys head office lacks, holds differently, or holds and the store does not; the face then
re-sends the first two from the store (``cdc.snapshot.resend_rows``) when asked.

Shared tables (customers) are one chain-wide base merged from every store: a difference there
is another store's newer change as often as a loss, so they are left to `sync customers`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from centrale.core.config import Config
from centrale.core.db import connect, hq_params
from centrale.core.errors import JobError
from centrale.core.i18n import Msg
from centrale.core.progress import Report, Step, quiet
from centrale.core.schema import read_tables
from jobs.diff import diff_table

SHOWN_KEYS = 10


@dataclass
class TableCheck:
    table: str
    key: tuple[str, ...]
    missing: list[tuple[Any, ...]] = field(default_factory=list)  # at the store, not at head office
    different: list[tuple[Any, ...]] = field(default_factory=list)
    extra: list[tuple[Any, ...]] = field(default_factory=list)  # at head office only
    mirrors_deletes: bool = False  # on_delete = "delete": an extra row is a difference too

    def keys_text(self, keys: list[tuple[Any, ...]], limit: int = SHOWN_KEYS) -> str:
        """The first ``limit`` of ``keys``, named: ``id=4; id=9``."""
        return "; ".join(", ".join(f"{k}={v!r}" for k, v in zip(self.key, row, strict=True)) for row in keys[:limit])

    @property
    def equal(self) -> bool:
        return not (self.missing or self.different or (self.extra and self.mirrors_deletes))

    def as_dict(self) -> dict[str, Any]:
        """For `verify --json`: every differing key, each as a column -> value mapping."""

        def named(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
            return [dict(zip(self.key, row, strict=True)) for row in rows]

        return {
            "table": self.table,
            "equal": self.equal,
            "missing": named(self.missing),
            "different": named(self.different),
            "extra": named(self.extra),
            "extra_is_difference": self.mirrors_deletes,
        }


def verify(cfg: Config, names: list[str] | None = None, *, progress: Report = quiet) -> list[TableCheck]:
    """Compare each aggregate table (or those named) with head office's rows of this store.
    ``progress`` counts tables: their rows are hashed by the servers, chunk by chunk."""
    catalog = cfg.catalog
    try:
        tables = [
            t for t in (catalog.select(names) if names else catalog.captured) if catalog.spec(t).kind == "aggregate"
        ]
    except KeyError as exc:
        raise JobError(Msg("err.verify.unknown", name=exc.args[0]), hint=Msg("err.verify.unknown.hint")) from None
    local, remote = cfg.local.params, hq_params(cfg.hq)
    origin = cfg.hq.origin_column
    with connect(local) as store, connect(remote) as hq:
        for conn in (store, hq):
            with conn.cursor() as cur:
                cur.execute("SET time_zone = '+00:00'")  # TIMESTAMPs compared as the same instants
        mine, theirs = read_tables(store, local.database, tables), read_tables(hq, remote.database, tables)
        checks = []
        progress(Step("verify", 0, len(tables), unit="tables"))
        for table in tables:
            if table not in mine or table not in theirs:
                raise JobError(Msg("err.verify.no_table", table=table), hint=Msg("err.verify.no_table.hint"))
            spec = catalog.spec(table)
            key = spec.key or mine[table].primary_key
            at_hq = set(theirs[table].column_names)
            columns = [c.name for c in mine[table].columns if not c.generated and c.name in at_hq]
            d = diff_table(hq, store, table, key, columns, hq_scope=(f"`{origin}` = %s", [cfg.site.store]))
            check = TableCheck(table, tuple(key), mirrors_deletes=spec.on_delete == "delete")
            check.missing = sorted(d.to_delete)
            check.different = sorted(d.existing)
            check.extra = sorted(k for k in d.to_upsert if k not in d.existing)
            checks.append(check)
            progress(Step("verify", len(checks), len(tables), unit="tables"))
        progress(Step("verify", len(checks), len(tables), finished=True, unit="tables"))
    return checks
