"""The configuration file `centrale init` writes: every section a site needs, the proposed
catalog with a comment per table (what was guessed, its rows, its key), and every table left
out written as a commented entry with its problem and fix, so that the file alone tells the
integrator what to decide. Comments are in the language of the command's locale.

The text is built line by line (``tomlkit.item`` formats each value, so quoting is TOML's own)
and read back by ``centrale.core.config.load`` before it is written: a file that doctor would
refuse is never left on disk.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

import tomlkit

from centrale.app.init_site import Survey, TableSurvey, left_out_check
from centrale.core.catalog import TableSpec
from centrale.core.i18n import Translator

# The keys of a catalog entry, in the order the examples write them; defaults left out.
SPEC_KEYS = (
    "kind",
    "group",
    "key",
    "on_delete",
    "pull",
    "modified_column",
    "since_column",
    "sum_column",
    "price_columns",
    "printer_columns",
    "local_columns",
)
_DEFAULTS = TableSpec(kind="aggregate", group="sales")


@dataclass(frozen=True)
class SiteLines:
    role: str
    store: int
    name: str
    hq_store: int
    url: str  # local.url as given, password included: the file is written 0600


@dataclass(frozen=True)
class HqLines:
    host: str
    port: int
    database: str
    user: str


def _key(name: str) -> str:
    """A table's name as a TOML key: bare when TOML allows it, else quoted."""
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else _value(name)


def _value(v: object) -> str:
    return tomlkit.item(v).as_string()


def _comment(text: str) -> list[str]:
    return [f"# {line}".rstrip() for line in text.splitlines()]


def spec_lines(spec: TableSpec) -> list[str]:
    out = []
    for k in SPEC_KEYS:
        v = getattr(spec, k)
        if k in ("kind", "group") or (v != getattr(_DEFAULTS, k) and v is not None):
            out.append(f"{k} = {_value(list(v) if isinstance(v, tuple) else v)}")
    return out


def _table_block(t: TableSurvey, tr: Translator) -> list[str]:
    key = ", ".join(t.key) or "-"
    spec = t.proposal.spec
    if t.included and spec is not None:
        lines = _comment(tr("init.toml.table", why=tr.text(t.proposal.why), rows=t.rows, key=key))
        return [*lines, f"[tables.{_key(t.name)}]", *spec_lines(spec)]
    why = left_out_check(t)
    lines = _comment(tr("init.toml.left_out", why=tr.text(why.message), hint=tr.text(why.hint) if why.hint else "-"))
    entry = spec_lines(spec) if spec is not None else ['kind = "?"', 'group = "?"']
    return [*lines, f"# [tables.{_key(t.name)}]", *(f"# {line}" for line in entry)]


def store_file(survey: Survey, site: SiteLines, hq: HqLines, tr: Translator, today: dt.date) -> str:
    lines = [
        *_comment(tr("init.toml.header", command="centrale init store", where=survey.where, day=today.isoformat())),
        "",
        *_site(site),
        "",
        "[hq]",
        *_comment(tr("init.toml.hq")),
        f"host = {_value(hq.host)}",
        f"port = {hq.port}",
        f"database = {_value(hq.database)}",
        f"user = {_value(hq.user)}",
        *_comment(tr("init.toml.password")),
        "",
        *_comment(tr("init.toml.legend")),
        *_tables(survey.tables, tr),
    ]
    return "\n".join(lines) + "\n"


def hq_file(where: str, site: SiteLines, tables: Iterable[TableSurvey], tr: Translator, today: dt.date) -> str:
    lines = [
        *_comment(tr("init.toml.header", command="centrale init hq", where=where, day=today.isoformat())),
        "",
        *_site(site),
        "",
        "[console]",
        'host = "127.0.0.1"',
        "port = 8618",
        "",
        *_comment(tr("init.toml.legend_hq")),
        *_tables(list(tables), tr),
    ]
    return "\n".join(lines) + "\n"


def _site(site: SiteLines) -> list[str]:
    return [
        "[site]",
        f"role = {_value(site.role)}",
        f"store = {site.store}",
        f"name = {_value(site.name)}",
        f"hq_store = {site.hq_store}",
        "",
        "[local]",
        f"url = {_value(site.url)}",
    ]


def _tables(tables: list[TableSurvey], tr: Translator) -> list[str]:
    # Always written, even empty: a file without [tables] takes the sample schema's catalog.
    out: list[str] = ["[tables]"]
    for t in sorted(tables, key=lambda t: (not t.included, t.name)):
        out += ["", *_table_block(t, tr)]
    return out
