"""`centrale pull GROUP` and `centrale jobs add | list | retry`."""

from __future__ import annotations

import getpass

import pymysql
import typer

from centrale.app.cli.options import Invocation, cli_help, guarded, translator
from centrale.app.cli.progress import progress_shown
from centrale.core.actions import ACTIONS, PULL_GROUPS
from centrale.core.clock import parse_day
from centrale.core.codec import dumps, dumps_compact
from centrale.core.config import Config
from centrale.core.db import connect, hq_params
from centrale.core.errors import JobError, UsageError
from centrale.core.i18n import Msg
from jobs.pull import pull_group
from jobs.queue import STATUSES, add_jobs, known_stores, list_jobs, retry_job

app = typer.Typer()


@app.command(help=cli_help("help.pull"))
def pull(
    ctx: typer.Context,
    group: str = typer.Argument(..., help=cli_help("help.one_of", among=", ".join(PULL_GROUPS))),
    full: bool = typer.Option(False, "--full", help=cli_help("help.pull.--full")),
    as_json: bool = typer.Option(False, "--json", help=cli_help("help.--json.progress")),
) -> None:
    inv: Invocation = ctx.obj

    def body() -> None:
        if group not in PULL_GROUPS:
            raise UsageError(Msg("err.pull.unknown", group=group), hint=Msg("err.choose", among=", ".join(PULL_GROUPS)))
        with progress_shown(as_json=as_json) as progress:
            result = pull_group(inv.config(), group, full=full, progress=progress)
        if as_json:
            typer.echo(dumps_compact(result.as_dict()))
            return
        typer.echo(translator().text(result.summary()))

    guarded(body)


@app.command(help=cli_help("help.sync"))
def sync(
    ctx: typer.Context,
    what: str = typer.Argument(..., help=cli_help("help.sync.WHAT")),
    as_json: bool = typer.Option(False, "--json", help=cli_help("help.--json.progress")),
) -> None:
    from centrale.app.actions import sync_customers

    inv: Invocation = ctx.obj

    def body() -> None:
        if what != "customers":
            raise UsageError(Msg("err.cli.no_sync", what=what), hint=Msg("err.cli.no_sync.hint"))
        with progress_shown(as_json=as_json) as progress:
            synced = sync_customers(inv.config(), progress=progress)
        if as_json:
            typer.echo(dumps_compact(synced.as_dict()))
            return
        typer.echo(translator().text(synced.summary()))

    guarded(body)


jobs_app = typer.Typer(help=cli_help("help.jobs"), no_args_is_help=True)


def _jobs_connection(cfg: Config) -> pymysql.connections.Connection:
    """Head office's database: this site's own at head office, else [hq]."""
    params = cfg.local.params if cfg.is_hq else hq_params(cfg.hq)
    try:
        return connect(params, autocommit=False)
    except pymysql.err.MySQLError as exc:
        raise JobError(
            Msg("err.jobs.hq_unreachable", where=params.describe(), error=exc.args[-1]),
            hint=Msg("err.doctor.see.hint"),
        ) from None


@jobs_app.command("add", help=cli_help("help.jobs.add"))
def jobs_add(
    ctx: typer.Context,
    action: str = typer.Argument(..., help=cli_help("help.one_of", among=", ".join(ACTIONS))),
    store: list[int] = typer.Option(None, "--store", help=cli_help("help.jobs.add.--store")),
    all_stores: bool = typer.Option(False, "--all", help=cli_help("help.jobs.add.--all")),
    since: str = typer.Option(None, help=cli_help("help.jobs.add.--since")),
    requested_by: str = typer.Option(getpass.getuser, "--by", show_default=False, help=cli_help("help.jobs.add.--by")),
    as_json: bool = typer.Option(False, "--json", help=cli_help("help.jobs.add.--json")),
) -> None:
    inv: Invocation = ctx.obj

    def body() -> None:
        cfg = inv.config()
        if since:
            parse_day(since)
        with _jobs_connection(cfg) as conn:
            stores = list(store or [])
            if all_stores:
                stores = known_stores(conn, cfg.site.hq_store)
                if not stores:
                    raise JobError(Msg("err.jobs.no_known_store"), hint=Msg("err.jobs.no_known_store.hint"))
            ids = add_jobs(
                conn,
                action,
                stores,
                params={"since": since} if since else {},
                requested_by=requested_by,
                ttl_h=cfg.jobs.ttl_h,
            )
        t = translator()
        if as_json:  # one line for a script: which job each store was asked
            typer.echo(
                dumps_compact([{"id": i, "store": s, "action": action} for s, i in zip(stores, ids, strict=True)])
            )
            return
        for s, i in zip(stores, ids, strict=True):
            typer.echo(t("out.jobs.added", id=i, action=action, store=s))

    guarded(body)


@jobs_app.command("list", help=cli_help("help.jobs.list"))
def jobs_list(
    ctx: typer.Context,
    store: int = typer.Option(None, "--store"),
    status: str = typer.Option(None, "--status", help=cli_help("help.one_of", among=", ".join(STATUSES))),
    limit: int = typer.Option(100, min=1),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    inv: Invocation = ctx.obj

    def body() -> None:
        with _jobs_connection(inv.config()) as conn:
            found = list_jobs(conn, store=store, status=status, limit=limit)
        if as_json:
            typer.echo(dumps([j.as_dict() for j in found]).decode())
            return
        t = translator()
        if found:  # a header row, in the lines' own columns
            names = dict(
                zip(
                    ("id", "store", "action", "status", "when", "rows", "message"),
                    t("out.jobs.columns").split("|"),
                    strict=True,
                )
            )
            typer.echo(t("out.jobs.line", **names).rstrip())
        for j in found:
            when = j.finished_at or j.started_at or j.created_at
            typer.echo(
                t(
                    "out.jobs.line",
                    id=j.id,
                    store=j.store,
                    action=j.action,
                    status=t(f"job.{j.status}"),
                    when=f"{when:%Y-%m-%d %H:%M:%S}",
                    rows=j.rows_moved,
                    message=j.message[:80],
                ).rstrip()
            )
        if not found:
            typer.echo(t("out.jobs.none"))

    guarded(body)


@jobs_app.command("retry", help=cli_help("help.jobs.retry"))
def jobs_retry(
    ctx: typer.Context,
    job_id: int = typer.Argument(..., help=cli_help("help.jobs.retry.JOB_ID")),
    as_json: bool = typer.Option(False, "--json", help=cli_help("help.jobs.retry.--json")),
) -> None:
    inv: Invocation = ctx.obj

    def body() -> None:
        cfg = inv.config()
        with _jobs_connection(cfg) as conn:
            new_id = retry_job(
                conn, job_id, requested_by=f"retry of {job_id} by {getpass.getuser()}", ttl_h=cfg.jobs.ttl_h
            )
        if as_json:
            typer.echo(dumps_compact({"id": new_id, "retry_of": job_id}))
            return
        typer.echo(translator()("out.jobs.retried", id=new_id, old=job_id))

    guarded(body)
