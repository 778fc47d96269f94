"""The table catalog: which tables Centrale synchronises, in which direction, keyed how.

The engine works on any schema through this catalog; ``schema/catalog.toml`` is the default for
the sample POS schema shipped in ``schema/pos_store.sql``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

Kind = Literal["aggregate", "reference", "shared"]
Group = Literal["sales", "stock", "staff", "customers", "articles", "keyboards", "stores", "products"]
DeletePolicy = Literal["ignore", "delete"]
PullPolicy = Literal["mirror", "keep"]

# A row written here inside a store transaction marks that transaction as applied by Centrale
# (a pull from head office): the binlog reader skips it, so received rows never echo back.
MARKER_TABLE = "centrale_marker"

CAPTURED_KINDS: frozenset[str] = frozenset({"aggregate", "shared"})


class TableSpec(BaseModel):
    """One catalog entry (``[tables.NAME]``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Kind
    group: Group
    key: tuple[str, ...] | None = None
    on_delete: DeletePolicy = "ignore"
    pull: PullPolicy = "mirror"
    price_columns: tuple[str, ...] = ()
    printer_columns: tuple[str, ...] = ()
    # Columns the store owns in a table head office sends (its stock, its shelf label): pulls
    # never change them in the store's rows; a new row gets head office's value.
    local_columns: tuple[str, ...] = ()
    modified_column: str | None = None
    since_column: str | None = None
    sum_column: str | None = None  # reconcile: the amount summed per business day


class Catalog(BaseModel):
    model_config = ConfigDict(frozen=True)

    tables: dict[str, TableSpec]
    # No [tables.*] in the file: the sample POS schema's catalog (schema/catalog.toml) is in use,
    # and doctor says so rather than ask to remove entries the file does not hold.
    sample: bool = False

    @classmethod
    def from_tables(cls, tables: Mapping[str, TableSpec], *, sample: bool = False) -> Catalog:
        for name, spec in tables.items():
            if not name or "\x00" in name or len(name) > 64 or name != name.strip():
                raise ValueError(f"table name {name!r} is not a valid MariaDB table name")
            if spec.key is not None and (not spec.key or len(set(spec.key)) != len(spec.key)):
                raise ValueError(f"tables.{name}.key must list distinct column names")
            if spec.kind == "shared" and not spec.key:
                raise ValueError(
                    f"tables.{name} is shared: set tables.{name}.key to its chain-wide key "
                    '(e.g. ["card_number"]), not the stores\' own ids'
                )
        return cls(tables=dict(tables), sample=sample)

    @property
    def captured(self) -> list[str]:
        """Tables the binlog reader captures: aggregate (store -> HQ) and shared (both ways)."""
        return [n for n, s in self.tables.items() if s.kind in CAPTURED_KINDS]

    def pulled(self, group: str) -> list[str]:
        """Tables a store receives from head office for a group: reference and shared ones."""
        return [n for n, s in self.tables.items() if s.group == group and s.kind in ("reference", "shared")]

    def spec(self, table: str) -> TableSpec:
        return self.tables[table]

    def select(self, names: Iterable[str]) -> list[str]:
        """Resolve TABLE or GROUP names to captured tables, in catalog order."""
        wanted: list[str] = []
        for name in names:
            if name in self.tables:
                hits = [name] if self.tables[name].kind in CAPTURED_KINDS else []
            else:
                hits = [t for t in self.captured if self.tables[t].group == name]
            if not hits:
                raise KeyError(name)
            wanted.extend(h for h in hits if h not in wanted)
        return wanted


def schema_dir() -> Path:
    """The shipped ``schema/`` folder (inside the wheel, or beside the package in a checkout)."""
    packaged = Path(__file__).parent / "shipped_schema"  # pyproject's force-include puts it there
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "schema"


def load_default_tables() -> dict[str, TableSpec]:
    raw = tomllib.loads((schema_dir() / "catalog.toml").read_text(encoding="utf-8"))
    try:
        return {name: TableSpec.model_validate(v) for name, v in raw["tables"].items()}
    except ValidationError as exc:  # pragma: no cover - the shipped file is tested
        raise ValueError(f"shipped schema/catalog.toml is invalid: {exc}") from None
