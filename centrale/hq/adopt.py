"""Head office's own tables named like captured ones: `centrale hq init --adopt`.

A head office that runs the POS itself already holds ``sales``, ``sale_lines`` ... in the
store's shape, without ``origin_store``: ``hq init`` would create nothing (they exist) and store
accounts' views and shipping would then fail on the missing column. ``survey_tables`` tells,
for every catalog table head office has, whether it is in head office's layout
(centrale.core.hqtables) and, if not, what differs, the ALTER TABLE that converts it, or why that
cannot work; ``adopt_tables`` runs the conversions, all or none refused.

A conversion keeps head office's rows and its own POS working:
- aggregate: ``origin_store`` added first, NOT NULL DEFAULT head office's store number (the rows
  already there are head office's own, and so are those its POS goes on writing); primary key
  (origin_store, key); unique keys get origin_store first (a code is unique per store now); a
  plain index on the old key stays (the POS looks tickets up by id, an AUTO_INCREMENT column
  needs one); a foreign key to another aggregate table becomes per store, (origin_store,
  sale_id) -> sales (origin_store, id), so one store's lines never hang on another's ticket;
  foreign keys to other tables (head office's articles) stay as they are;
- shared: ``origin_store`` added NULL (head office's own changes), and a unique key on the
  catalog key when it has none (its primary key when the table has none);
- reference: head office's master copy already, left alone.
One ALTER TABLE per table (a foreign key on the table itself needs a second one: MariaDB
checks it against the table as it was), parents before the tables that refer to them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pymysql

from centrale.core.catalog import Catalog, TableSpec
from centrale.core.db import quote_ident
from centrale.core.errors import PreflightError
from centrale.core.i18n import Msg
from centrale.core.schema import TableDef
from centrale.hq.existing import Existing, read_existing

FK_RULES = frozenset({"RESTRICT", "CASCADE", "SET NULL", "NO ACTION", "SET DEFAULT"})
EXAMPLES = 5  # duplicate key values named in a refusal
PER_STORE_SUFFIX = "_per_store"


@dataclass(frozen=True)
class Target:
    """A captured table head office already has, with what head office's layout wants of it."""

    spec: TableSpec
    existing: Existing
    key: tuple[str, ...]  # the catalog key, else the store's (or head office's) primary key
    local: frozenset[str]  # a shared table's store-only ids: stores never send them
    carried: frozenset[str] | None  # the columns a store's rows carry (None: no store definition)

    @property
    def table(self) -> str:
        return self.existing.name

    @property
    def aggregate(self) -> bool:
        return self.spec.kind == "aggregate"


@dataclass(frozen=True)
class Conversion:
    table: str
    differences: tuple[Msg, ...]  # how the table differs from head office's layout
    statements: tuple[str, ...] = ()
    refusals: tuple[Msg, ...] = ()  # why it cannot be converted (then no statements)
    parents: frozenset[str] = frozenset()  # converted tables its new foreign keys refer to


@dataclass
class Survey:
    """Head office's catalog tables: those to convert, and those left as they are."""

    conversions: list[Conversion] = field(default_factory=list)
    reference: list[str] = field(default_factory=list)  # head office's own, sent to stores
    in_layout: list[str] = field(default_factory=list)

    @property
    def refusals(self) -> list[Msg]:
        return [r for c in self.conversions for r in c.refusals]


def joined(parts: Sequence[Msg]) -> Msg:
    """Several messages as one ("a; b; c"), each rendered in the reader's language."""
    out = parts[-1]
    for part in reversed(parts[:-1]):
        out = Msg("err.hq.adopt.and", first=part, rest=out)
    return out


def _names(columns: Sequence[str]) -> str | Msg:
    return ", ".join(columns) or Msg("out.none")


def _idents(columns: Sequence[str]) -> str:
    return ", ".join(quote_ident(c) for c in columns)


def survey_tables(
    hq: pymysql.connections.Connection,
    database: str,
    catalog: Catalog,
    origin: str,
    hq_store: int,
    store_defs: Callable[[list[str]], dict[str, TableDef]] | None = None,
) -> Survey:
    """Compare head office's catalog tables with head office's layout for them; ``store_defs``
    (a store's definitions, with ``--tables-from``) gives the key when the catalog names none
    and the columns stores send, else head office's own definitions do."""
    present = read_existing(hq, database, catalog.tables)
    captured = [t for t in catalog.captured if t in present]
    store = store_defs(captured) if store_defs is not None and captured else {}
    targets = [_target(catalog.spec(t), present[t], store.get(t), origin) for t in captured]
    differing = {t.table: d for t in targets if (d := _differences(t, origin))}
    per_store = _per_store_indexes(targets, differing, origin)
    survey = Survey(reference=[t for t, s in catalog.tables.items() if s.kind == "reference" and t in present])
    for target in targets:
        if target.table not in differing:
            survey.in_layout.append(target.table)
            continue
        conversion = _conversion(hq, database, target, differing[target.table], origin, hq_store, per_store)
        survey.conversions.append(conversion)
    survey.conversions = _parents_first(survey.conversions)
    return survey


def _target(spec: TableSpec, existing: Existing, store_def: TableDef | None, origin: str) -> Target:
    pk = existing.tdef.primary_key
    if spec.key:
        key = spec.key
    elif store_def is not None:
        key = store_def.primary_key
    else:
        key = pk[1:] if spec.kind == "aggregate" and pk[:1] == (origin,) else pk
    store_pk = store_def.primary_key if store_def is not None else pk
    local = frozenset(set(store_pk) - set(key)) if spec.kind == "shared" else frozenset()
    carried = None
    if store_def is not None:
        carried = frozenset(c.name for c in store_def.columns if not c.generated) - local
    return Target(spec, existing, tuple(key), local, carried)


def _differences(target: Target, origin: str) -> list[Msg]:
    tdef, table = target.existing.tdef, target.table
    out = []
    if tdef.column(origin) is None:
        out.append(Msg("err.hq.adopt.no_origin", table=table, column=origin))
    if target.aggregate:
        wanted = (origin, *target.key)
        if tdef.column(origin) is not None and tdef.primary_key != wanted:
            out.append(Msg("err.hq.adopt.key", table=table, key=_names(tdef.primary_key), wanted=_names(wanted)))
    elif not target.existing.unique_on(target.key):
        out.append(Msg("err.hq.adopt.no_unique", table=table, key=_names(target.key)))
    return out


def _per_store_indexes(
    targets: list[Target], differing: dict[str, list[Msg]], origin: str
) -> dict[str, list[tuple[str, ...]]]:
    """Every aggregate table's indexes once converted: where a per-store foreign key may point."""
    out: dict[str, list[tuple[str, ...]]] = {}
    for t in targets:
        if not t.aggregate:
            continue
        ex = t.existing
        if t.table not in differing:
            out[t.table] = [ex.tdef.primary_key, *(ix.columns for ix in ex.indexes)]
            continue
        after = [(origin, *t.key)]
        after += [ix.columns if origin in ix.columns or not ix.unique else (origin, *ix.columns) for ix in ex.indexes]
        out[t.table] = after
    return out


def _conversion(
    hq: pymysql.connections.Connection,
    database: str,
    target: Target,
    differences: list[Msg],
    origin: str,
    hq_store: int,
    per_store: dict[str, list[tuple[str, ...]]],
) -> Conversion:
    table = target.table
    refusals = _refusals(hq, target, origin)
    if refusals:
        return Conversion(table, tuple(differences), refusals=tuple(refusals))
    if not target.aggregate:
        return Conversion(table, tuple(differences), (_shared_sql(target, origin),))
    statements, parents, fk_refusals = _aggregate_sql(database, target, origin, hq_store, per_store)
    if fk_refusals:
        return Conversion(table, tuple(differences), refusals=tuple(fk_refusals))
    return Conversion(table, tuple(differences), tuple(statements), parents=frozenset(parents - {table}))


def _new_key(target: Target, origin: str) -> tuple[tuple[str, ...], bool] | None:
    """The unique key the conversion adds, and whether it is the primary key (None: none)."""
    ex = target.existing
    if target.aggregate:
        return ((origin, *target.key) if ex.tdef.column(origin) is not None else target.key), True
    if ex.unique_on(target.key):
        return None
    return target.key, not ex.tdef.primary_key


def _refusals(hq: pymysql.connections.Connection, target: Target, origin: str) -> list[Msg]:
    """Why the table cannot take head office's layout: no key, key columns it lacks, columns
    stores' rows would leave empty, key values that are missing or not unique."""
    table, tdef = target.table, target.existing.tdef
    if not target.key:
        return [Msg("err.hq.adopt.no_key", table=table)]
    lacking = [k for k in target.key if tdef.column(k) is None]
    if lacking:
        return [Msg("err.hq.adopt.lacks_key", table=table, columns=", ".join(lacking))]
    out = []
    unfilled = [
        c.name
        for c in tdef.columns
        if c.name != origin
        and c.name not in target.existing.optional
        and (c.name in target.local or (target.carried is not None and c.name not in target.carried))
    ]
    if unfilled:
        out.append(Msg("err.hq.adopt.unfilled", table=table, columns=", ".join(unfilled)))
    new_key = _new_key(target, origin)
    if new_key is None:
        return out
    columns, primary = new_key
    nullable = [c for c in columns if (col := tdef.column(c)) is not None and col.nullable]
    if primary and nullable:
        n = _count(hq, f"SELECT COUNT(*) FROM {quote_ident(table)} WHERE " + _any_null(nullable))
        if n:
            out.append(Msg("err.hq.adopt.null_key", table=table, n=n, key=", ".join(nullable)))
    if not target.existing.unique_within(columns):
        n, examples = _duplicates(hq, table, columns, skip_nulls=not primary)
        if n:
            out.append(Msg("err.hq.adopt.duplicates", table=table, n=n, key=", ".join(columns), values=examples))
    return out


def _any_null(columns: Sequence[str]) -> str:
    return " OR ".join(f"{quote_ident(c)} IS NULL" for c in columns)


def _count(hq: pymysql.connections.Connection, sql: str) -> int:
    with hq.cursor() as cur:
        cur.execute(sql)
        row = cur.fetchone()
    return int(row[0]) if row else 0


def _duplicates(
    hq: pymysql.connections.Connection, table: str, columns: Sequence[str], *, skip_nulls: bool
) -> tuple[int, str]:
    """How many key values more than one row holds, and the first few of them."""
    cols = _idents(columns)
    where = f" WHERE NOT ({_any_null(columns)})" if skip_nulls else ""
    grouped = f"FROM {quote_ident(table)}{where} GROUP BY {cols} HAVING COUNT(*) > 1"
    n = _count(hq, f"SELECT COUNT(*) FROM (SELECT 1 {grouped}) d")
    if not n:
        return 0, ""
    with hq.cursor() as cur:
        cur.execute(f"SELECT {cols} {grouped} ORDER BY {cols} LIMIT {EXAMPLES}")
        rows = cur.fetchall()
    shown = [str(r[0]) if len(r) == 1 else "(" + ", ".join(str(v) for v in r) + ")" for r in rows]
    return n, ", ".join(shown)


def _shared_sql(target: Target, origin: str) -> str:
    parts = []
    if target.existing.tdef.column(origin) is None:
        parts.append(f"ADD COLUMN {quote_ident(origin)} INT NULL DEFAULT NULL FIRST")
    new_key = _new_key(target, origin)
    if new_key is not None:
        columns, primary = new_key
        parts.append(f"ADD {'PRIMARY' if primary else 'UNIQUE'} KEY ({_idents(columns)})")
    return f"ALTER TABLE {quote_ident(target.table)} " + ", ".join(parts)


def _aggregate_sql(
    database: str, target: Target, origin: str, hq_store: int, per_store: dict[str, list[tuple[str, ...]]]
) -> tuple[list[str], set[str], list[Msg]]:
    """The ALTER TABLE (two with a foreign key on the table itself), the converted tables its
    foreign keys refer to, and the foreign keys that cannot be made per store."""
    ex, o = target.existing, quote_ident(origin)
    parts = []
    if ex.tdef.column(origin) is None:
        parts.append(f"ADD COLUMN {o} INT NOT NULL DEFAULT {int(hq_store)} FIRST")
    if ex.tdef.primary_key:
        parts.append("DROP PRIMARY KEY")
    parts.append(f"ADD PRIMARY KEY ({_idents((origin, *target.key))})")
    for ix in ex.indexes:
        if ix.unique and origin not in ix.columns:
            name = quote_ident(ix.name)
            parts += [f"DROP INDEX {name}", f"ADD UNIQUE KEY {name} ({_idents((origin, *ix.columns))})"]
    parts += _lookup_indexes(target, origin)
    later: list[str] = []
    parents: set[str] = set()
    refusals = []
    for fk in ex.foreign_keys:
        parent = per_store.get(fk.parent) if fk.parent_schema == database else None
        if parent is None or origin in fk.columns:
            continue  # to head office's own tables (articles), or per store already: kept
        wanted = (origin, *fk.parent_columns)
        rules = (fk.on_delete.upper(), fk.on_update.upper())
        if not any(ix[: len(wanted)] == wanted for ix in parent) or not set(rules) <= FK_RULES:
            refusals.append(
                Msg(
                    "err.hq.adopt.foreign_key",
                    table=target.table,
                    name=fk.name,
                    parent=fk.parent,
                    columns=", ".join(fk.parent_columns),
                )
            )
            continue
        name = fk.name[: 64 - len(PER_STORE_SUFFIX)] + PER_STORE_SUFFIX
        clauses = [
            f"DROP FOREIGN KEY {quote_ident(fk.name)}",
            f"ADD CONSTRAINT {quote_ident(name)} FOREIGN KEY ({_idents((origin, *fk.columns))}) "
            f"REFERENCES {quote_ident(fk.parent)} ({_idents(wanted)}) ON DELETE {rules[0]} ON UPDATE {rules[1]}",
        ]
        (later if fk.parent == target.table else parts).extend(clauses)
        parents.add(fk.parent)
    table = quote_ident(target.table)
    statements = [f"ALTER TABLE {table} " + ", ".join(parts)]
    if later:
        statements.append(f"ALTER TABLE {table} " + ", ".join(later))
    return statements, parents, refusals


def _lookup_indexes(target: Target, origin: str) -> list[str]:
    """Plain indexes that keep the old key and the AUTO_INCREMENT column indexed once
    origin_store leads the primary key (MariaDB needs the latter; the POS's lookups by id and
    foreign keys of head office's other tables need the former)."""
    ex = target.existing
    kept = [ix.columns for ix in ex.indexes if not ix.unique or origin in ix.columns]
    kept.append((origin, *target.key))
    wanted = [ex.tdef.primary_key, (ex.auto_increment,) if ex.auto_increment else ()]
    out = []
    for prefix in dict.fromkeys(p for p in wanted if p):
        if not any(k[: len(prefix)] == prefix for k in kept):
            out.append(f"ADD KEY ({_idents(prefix)})")
            kept.append(prefix)
    return out


def _parents_first(conversions: list[Conversion]) -> list[Conversion]:
    """Converted tables in an order where a per-store foreign key's table comes after the one
    it refers to (which must have origin_store in its key by then)."""
    todo = list(conversions)
    done: list[Conversion] = []
    names = {c.table for c in conversions}
    while todo:
        placed = {c.table for c in done}
        ready = [c for c in todo if (c.parents & names) <= placed] or todo[:1]
        done.append(ready[0])
        todo.remove(ready[0])
    return done


def layout_error(survey: Survey, origin: str, hq_store: int) -> PreflightError:
    """Head office has same-named tables in another layout: name them and ``--adopt``."""
    differences = [d for c in survey.conversions for d in c.differences]
    return PreflightError(
        Msg("err.hq.other_layout", tables=joined(differences)),
        hint=Msg("err.hq.other_layout.hint", column=origin, store=hq_store),
    )


def adopt_tables(hq: pymysql.connections.Connection, survey: Survey) -> list[str]:
    """Convert the surveyed tables, parents first; nothing at all when one cannot be converted.
    Returns the tables converted."""
    if survey.refusals:
        raise PreflightError(
            Msg("err.hq.cannot_adopt", tables=joined(survey.refusals)), hint=Msg("err.hq.cannot_adopt.hint")
        )
    done: list[str] = []
    with hq.cursor() as cur:
        for conversion in survey.conversions:
            try:
                for statement in conversion.statements:
                    cur.execute(statement)
            except pymysql.err.MySQLError as exc:
                raise PreflightError(
                    Msg("err.hq.adopt_failed", table=conversion.table, error=exc.args[-1]),
                    hint=Msg("err.hq.adopt_failed.hint", done=", ".join(done) or Msg("out.none")),
                ) from None
            done.append(conversion.table)
    return done
