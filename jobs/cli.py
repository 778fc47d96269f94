"""`centrale pull GROUP` and `centrale jobs add | list | retry`."""

from __future__ import annotations

import datetime as dt
import getpass

import pymysql
import typer

from centrale.codec import dumps
from centrale.commandline import Invocation, guarded
from centrale.config import Config
from centrale.db import connect, hq_params, parse_url
from centrale.errors import JobError
from jobs.pull import pull_group
from jobs.queue import ACTIONS, STATUSES, add_jobs, known_stores, list_jobs, retry_job

app = typer.Typer()

PULL_GROUPS = ("articles", "keyboards", "stores", "products", "customers")


@app.command()
def pull(
    ctx: typer.Context,
    group: str = typer.Argument(..., help=f"one of: {', '.join(PULL_GROUPS)}"),
    full: bool = typer.Option(False, "--full", help="compare every row, not only those changed since the last pull"),
) -> None:
    """Make this store's copy of a group's tables equal to head office's (customers: merge)."""
    inv: Invocation = ctx.obj

    def body() -> None:
        if group not in PULL_GROUPS:
            raise JobError(f"`{group}` cannot be pulled", hint=f"choose one of: {', '.join(PULL_GROUPS)}")
        result = pull_group(inv.config(), group, full=full)
        typer.echo(result.summary())

    guarded(body)


jobs_app = typer.Typer(help="Head office's jobs for the stores.", no_args_is_help=True)


def _jobs_connection(cfg: Config) -> pymysql.connections.Connection:
    """Head office's database: this site's own at head office, else [hq]."""
    params = parse_url(cfg.local.url.get_secret_value()) if cfg.is_hq else hq_params(cfg.hq)
    try:
        return connect(params, autocommit=False)
    except pymysql.err.MySQLError as exc:
        raise JobError(
            f"cannot reach head office {params.describe()}: {exc.args[-1]}", hint="see `centrale doctor`"
        ) from None


@jobs_app.command("add")
def jobs_add(
    ctx: typer.Context,
    action: str = typer.Argument(..., help=f"one of: {', '.join(ACTIONS)}"),
    store: list[int] = typer.Option(None, "--store", help="a target store (repeatable)"),
    all_stores: bool = typer.Option(False, "--all", help="every store head office knows"),
    since: str = typer.Option(None, help="push actions: only rows from this date on (YYYY-MM-DD)"),
    requested_by: str = typer.Option(getpass.getuser, "--by", help="who asks (recorded)"),
) -> None:
    """Ask stores to do something; a newer pending job of the same action supersedes the older."""
    inv: Invocation = ctx.obj

    def body() -> None:
        cfg = inv.config()
        if since:
            try:
                dt.date.fromisoformat(since)
            except ValueError:
                raise JobError(f"--since {since!r} is not a date", hint="use YYYY-MM-DD") from None
        with _jobs_connection(cfg) as conn:
            stores = list(store or [])
            if all_stores:
                stores = known_stores(conn, cfg.site.hq_store)
                if not stores:
                    raise JobError("head office knows no store yet", hint="use --store N, or fill the `stores` table")
            ids = add_jobs(
                conn,
                action,
                stores,
                params={"since": since} if since else {},
                requested_by=requested_by,
                ttl_h=cfg.jobs.ttl_h,
            )
        for s, i in zip(stores, ids, strict=True):
            typer.echo(f"job {i}: {action} for store {s} (pending)")

    guarded(body)


@jobs_app.command("list")
def jobs_list(
    ctx: typer.Context,
    store: int = typer.Option(None, "--store"),
    status: str = typer.Option(None, "--status", help=f"one of: {', '.join(STATUSES)}"),
    limit: int = typer.Option(100, min=1),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The jobs, newest first: whether and when each store did them."""
    inv: Invocation = ctx.obj

    def body() -> None:
        with _jobs_connection(inv.config()) as conn:
            found = list_jobs(conn, store=store, status=status, limit=limit)
        if as_json:
            typer.echo(dumps([j.as_dict() for j in found]).decode())
            return
        for j in found:
            when = j.finished_at or j.started_at or j.created_at
            typer.echo(
                f"{j.id:>6}  store {j.store:<5} {j.action:<15} {j.status:<10} {when:%Y-%m-%d %H:%M:%S}  "
                f"{j.rows_moved:>7} rows  {j.message[:80]}"
            )
        if not found:
            typer.echo("no job")

    guarded(body)


@jobs_app.command("retry")
def jobs_retry(ctx: typer.Context, job_id: int = typer.Argument(..., help="a failed or expired job")) -> None:
    """Ask again for a job that failed or expired (a new pending job; the old one stays)."""
    inv: Invocation = ctx.obj

    def body() -> None:
        cfg = inv.config()
        with _jobs_connection(cfg) as conn:
            new_id = retry_job(
                conn, job_id, requested_by=f"retry of {job_id} by {getpass.getuser()}", ttl_h=cfg.jobs.ttl_h
            )
        typer.echo(f"job {new_id}: retry of job {job_id} (pending)")

    guarded(body)
