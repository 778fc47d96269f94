"""`centrale init store|hq`: a first configuration file for a site, from its database
(``centrale.app.init_site`` surveys, ``centrale.app.init_toml`` writes)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import typer

from centrale.app.cli.options import Invocation, cli_help, guarded, translator
from centrale.app.cli.site import echo_checks
from centrale.app.init_site import Survey, TableSurvey, left_out_check, survey_hq, survey_store
from centrale.app.init_toml import HqLines, SiteLines, hq_file, store_file
from centrale.core.codec import dumps
from centrale.core.config import config_path, load
from centrale.core.db import parse_url
from centrale.core.errors import ConfigError, UsageError
from centrale.core.i18n import Msg, Translator

init_app = typer.Typer(help=cli_help("help.init"), no_args_is_help=True)
# The options both commands take.
NAME = typer.Option("", "--name", help=cli_help("help.init.--name"))
OUT = typer.Option("", "--out", metavar="PATH", help=cli_help("help.init.--out"))
FORCE = typer.Option(False, "--force", help=cli_help("help.init.--force"))
AS_JSON = typer.Option(False, "--json", help=cli_help("help.init.--json"))


@init_app.command("store", help=cli_help("help.init.store"))
def init_store(
    ctx: typer.Context,
    url: str = typer.Argument(..., metavar="URL", help=cli_help("help.init.URL")),
    store: int = typer.Option(..., "--store", min=1, help=cli_help("help.init.--store")),
    name: str = NAME,
    hq_host: str = typer.Option(..., "--hq-host", metavar="HOST", help=cli_help("help.init.--hq-host")),
    hq_port: int = typer.Option(3306, "--hq-port", metavar="N", help=cli_help("help.init.--hq-port")),
    hq_database: str = typer.Option(
        "pos_hq_stores", "--hq-database", metavar="NAME", help=cli_help("help.init.--hq-database")
    ),
    hq_user: str = typer.Option("", "--hq-user", metavar="NAME", help=cli_help("help.init.--hq-user")),
    hq_store: int = typer.Option(1, "--hq-store", min=1, metavar="N", help=cli_help("help.init.--hq-store")),
    out: str = OUT,
    force: bool = FORCE,
    as_json: bool = AS_JSON,
) -> None:

    def written(t: Translator) -> tuple[Survey, str]:
        survey = survey_store(parse_url(url, what="URL"))
        site = SiteLines("store", store, name, hq_store, url)
        hq = HqLines(hq_host, hq_port, hq_database, hq_user or f"centrale_store_{store}")
        return survey, store_file(survey, site, hq, t, dt.date.today())

    _initialise(ctx.obj, Target(out, "store.toml", force, as_json), written)


@init_app.command("hq", help=cli_help("help.init.hq"))
def init_hq(
    ctx: typer.Context,
    url: str = typer.Argument(..., metavar="URL", help=cli_help("help.init.hq.URL")),
    store: int = typer.Option(1, "--store", min=1, help=cli_help("help.init.hq.--store")),
    name: str = NAME,
    catalog_from: str = typer.Option(
        "", "--catalog-from", metavar="PATH", help=cli_help("help.init.hq.--catalog-from")
    ),
    out: str = OUT,
    force: bool = FORCE,
    as_json: bool = AS_JSON,
) -> None:

    def written(t: Translator) -> tuple[Survey, str]:
        source = Path(catalog_from) if catalog_from else None
        survey = survey_hq(parse_url(url, what="URL"), load(source).catalog if source else None, source)
        site = SiteLines("hq", store, name, store, url)
        return survey, hq_file(survey.where, site, survey.tables, t, dt.date.today())

    _initialise(ctx.obj, Target(out, "hq.toml", force, as_json), written)


@dataclass(frozen=True)
class Target:
    """Where the file goes and how the result is said: the options both commands take."""

    out: str
    default: str
    force: bool
    as_json: bool

    def path(self, inv: Invocation) -> Path:
        """``--out``, else the file the other commands would read (--config,
        $CENTRALE_CONFIG), else ``default`` here; an existing file is kept unless ``--force``."""
        try:
            path = Path(self.out) if self.out else config_path(inv.config_flag)
        except ConfigError:
            path = Path(self.default)
        if path.exists() and not self.force:
            raise UsageError(Msg("err.init.exists", path=path), hint=Msg("err.init.exists.hint"))
        return path


def _initialise(inv: Invocation, target: Target, written: Callable[[Translator], tuple[Survey, str]]) -> None:
    def body() -> None:
        t = translator()
        path = target.path(inv)
        survey, text = written(t)
        _write(path, text)
        _report(survey, path, t, target.as_json)

    guarded(body)


def _write(path: Path, text: str) -> None:
    """Written beside, read back as `doctor` will read it, then put in place (0600: it holds
    the database's password)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.init")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    try:
        load(draft, env={})
    except ConfigError:
        draft.unlink()
        raise
    draft.replace(path)


def _report(survey: Survey, path: Path, t: Translator, as_json: bool) -> None:
    if as_json:
        typer.echo(dumps(_as_dict(survey, path)).decode())
        return
    typer.echo(t("init.out.tables", where=survey.where, n=len(survey.tables)))
    typer.echo(t("init.out.header"))
    for s in survey.tables:
        typer.echo(t("init.out.row", table=s.name, rows=s.rows, key=", ".join(s.key) or "-", what=_what(s, t)))
        for note in s.notes:
            typer.echo(t("init.out.note", note=t.text(note)))
    left = survey.left_out
    if left or survey.server:
        typer.echo("")
        echo_checks([*(left_out_check(s) for s in left), *survey.server], t)
    typer.echo("")
    typer.echo(t("init.out.wrote", path=path, tables=len(survey.catalog), left=len(left)))
    typer.echo(t("init.out.next", path=path))


def _what(s: TableSurvey, t: Translator) -> str:
    spec = s.proposal.spec
    if not s.included or spec is None:
        return t("init.out.left_out")
    return f"{spec.kind}, {spec.group}"


def _as_dict(survey: Survey, path: Path) -> dict[str, object]:
    return {
        "file": str(path),
        "where": survey.where,
        "tables": [
            {
                "table": s.name,
                "rows": s.rows,
                "key": list(s.key),
                "included": s.included,
                "proposal": s.proposal.spec.model_dump(exclude_defaults=True) if s.proposal.spec else None,
                "why": str(s.proposal.why),
                "problems": [{"message": str(c.message), "hint": str(c.hint) if c.hint else None} for c in s.problems],
                "notes": [str(n) for n in s.notes],
            }
            for s in survey.tables
        ],
        "server": [
            {"name": c.name, "status": c.status, "message": str(c.message), "hint": str(c.hint) if c.hint else None}
            for c in survey.server
        ],
    }
