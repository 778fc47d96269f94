"""`centrale init store|hq`: look at a POS database Centrale has never seen, list its tables with
their keys and problems, and propose a catalog (centrale.core.proposal) that passes the checks
`doctor` makes, by making them: a table a check fails is left out of the catalog, its entry
written commented with the problem and the fix, and listed. Nothing is left out unsaid.

The file itself is written by ``centrale.app.init_toml``; this module only surveys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pymysql

from cdc.capture_checks import capture_checks
from cdc.preflight import binlog_checks, catalog_checks
from centrale.core.catalog import MARKER_TABLE, Catalog, TableSpec
from centrale.core.checks import Check, warn
from centrale.core.db import ConnParams, connect_store
from centrale.core.i18n import Msg, Text
from centrale.core.proposal import Proposal, propose
from centrale.core.schema import TableDef, list_tables, read_tables, row_estimates, unique_keys
from centrale.hq.checks import head_office_server_checks
from jobs.action_checks import action_checks, keyless

# Centrale's own tables in a store's database: never proposed, never listed as left out.
OWN_TABLES = frozenset({MARKER_TABLE})
# A reader's server id for the survey's binlog checks: only its uniqueness among replicas is
# checked, and `run` picks the real one (local.reader_server_id or derived from the store).
SURVEY_SERVER_ID = 4_000_000_000


@dataclass
class TableSurvey:
    """One table or view as ``init`` found it."""

    name: str
    rows: int
    key: tuple[str, ...]
    proposal: Proposal
    problems: list[Check] = field(default_factory=list)  # failures: the table is left out
    notes: list[Text] = field(default_factory=list)  # worth knowing, not blocking

    @property
    def included(self) -> bool:
        return self.proposal.spec is not None and not self.problems


@dataclass
class Survey:
    where: str
    database: str
    tables: list[TableSurvey]
    server: list[Check]  # the server's settings and the account's privileges, as doctor says them

    @property
    def catalog(self) -> dict[str, TableSpec]:
        return {t.name: t.proposal.spec for t in self.tables if t.included and t.proposal.spec is not None}

    @property
    def left_out(self) -> list[TableSurvey]:
        return [t for t in self.tables if not t.included]


def survey_store(params: ConnParams) -> Survey:
    """The store's tables, each proposed or left out with why, and the server's problems."""
    with connect_store(params) as conn:
        kinds = {t: k for t, k in list_tables(conn, params.database).items() if t not in OWN_TABLES}
        bases = [t for t, k in kinds.items() if k == "BASE TABLE"]
        defs = read_tables(conn, params.database, bases)
        uniques = unique_keys(conn, params.database)
        rows = row_estimates(conn, params.database, bases)
        tables = [_table(kinds[t], defs.get(t), t, rows.get(t, 0), uniques.get(t, [])) for t in kinds]
        _check_proposals(conn, params.database, tables, defs)
        catalog = Catalog.from_tables({t.name: t.proposal.spec for t in tables if t.included and t.proposal.spec})
        server = binlog_checks(conn, SURVEY_SERVER_ID)
        if catalog.tables:
            server += [c for c in capture_checks(conn, params.database, catalog) if not c.name.startswith("table ")]
            server += action_checks(conn, params.database, catalog)
    return Survey(params.describe(), params.database, tables, [c for c in server if c.status != "ok"])


def _table(kind: str, tdef: TableDef | None, name: str, rows: int, uniques: list[tuple[str, ...]]) -> TableSurvey:
    if tdef is None:  # a view (its rows reach the binlog as its tables'), or a system table
        return TableSurvey(name, 0, (), Proposal(name, None, Msg("init.why.view", kind=kind.lower())))
    proposal = propose(tdef, uniques)
    spec = proposal.spec
    key = (spec.key if spec else None) or tdef.primary_key
    survey = TableSurvey(name, rows, key, proposal)
    generated = [c.name for c in tdef.columns if c.generated]
    if generated:
        survey.notes.append(Msg("init.note.generated", columns=", ".join(generated)))
    if not tdef.transactional:
        survey.notes.append(Msg("init.note.engine"))
    if spec is None and not tdef.primary_key:
        survey.notes.append(Msg("chk.table.no_key", table=name))
    return survey


def _check_proposals(
    conn: pymysql.connections.Connection, database: str, tables: list[TableSurvey], defs: dict[str, TableDef]
) -> None:
    """Run doctor's table checks on the proposal; each table a failure names is left out with
    it. A table head office sends needs a key too (a pull matches rows by it)."""
    proposed = {t.name: t.proposal.spec for t in tables if t.proposal.spec is not None}
    if not proposed:
        return
    catalog = Catalog.from_tables(proposed)
    failures = [c for c in catalog_checks(conn, database, catalog) if c.failed]
    failures += [c for c in capture_checks(conn, database, catalog) if c.failed and c.name.startswith("table ")]
    by_table = {t.name: t for t in tables}
    for check in failures:
        table = by_table.get(check.name.removeprefix("table "))
        if table is not None:
            table.problems.append(check)
    for name, spec in proposed.items():
        if spec.kind == "reference" and not (spec.key or defs[name].primary_key):
            by_table[name].problems.append(keyless(f"pull-{spec.group}", name))
    for t in tables:
        if t.proposal.spec is not None and not t.problems and t.proposal.spec.kind != "reference" and t.rows == 0:
            t.notes.append(Msg("init.note.empty"))


def left_out_check(t: TableSurvey) -> Check:
    """Why a table is not in the catalog, and what to do, as doctor's lines say it."""
    problem = t.problems[0] if t.problems else None
    if problem is not None:
        return warn(f"table {t.name}", problem.message, problem.hint)
    hint = Msg("init.why.view.hint") if t.proposal.why.key == "init.why.view" else Msg("init.why.hint", table=t.name)
    return warn(f"table {t.name}", t.proposal.why, hint)


def survey_hq(params: ConnParams, catalog: Catalog | None, source: Path | None) -> Survey:
    """Head office's database against the stores' catalog (``source``'s, a store's file):
    which tables it holds already, which `hq init --tables-from` will create, which reference
    tables its POS must hold; without a catalog, its own tables proposed as a store's are
    (a head office that runs the POS itself). And what its server must allow."""
    with connect_store(params) as conn:
        server = head_office_server_checks(conn)
        if catalog is None:
            kinds = {t: k for t, k in list_tables(conn, params.database).items() if not t.startswith("centrale_")}
            bases = [t for t, k in kinds.items() if k == "BASE TABLE"]
            defs = read_tables(conn, params.database, bases)
            rows = row_estimates(conn, params.database, bases)
            uniques = unique_keys(conn, params.database)
            tables = [_table(kinds[t], defs.get(t), t, rows.get(t, 0), uniques.get(t, [])) for t in kinds]
        else:
            defs = read_tables(conn, params.database, catalog.tables)
            rows = row_estimates(conn, params.database, catalog.tables)
            specs = catalog.tables.items()
            tables = [_catalog_table(name, spec, defs.get(name), rows[name], source) for name, spec in specs]
    return Survey(params.describe(), params.database, tables, [c for c in server if c.status != "ok"])


def _catalog_table(name: str, spec: TableSpec, tdef: TableDef | None, rows: int, source: Path | None) -> TableSurvey:
    key = spec.key or (tdef.primary_key if tdef else ())
    survey = TableSurvey(name, rows, key, Proposal(name, spec, Msg("init.why.copied", path=source)))
    if tdef is None:
        survey.notes.append(Msg("init.note.hq_create" if spec.kind != "reference" else "init.note.hq_reference"))
    return survey
