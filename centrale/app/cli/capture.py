"""`centrale snapshot` and `centrale push GROUP` (both queue current rows in the outbox)."""

from __future__ import annotations

import typer

from cdc.snapshot import push_group, take_snapshot
from centrale.app.cli.options import Invocation, cli_help, guarded, translator
from centrale.core.actions import PUSH_GROUPS
from centrale.core.outbox import OutboxStore

app = typer.Typer()


@app.command(help=cli_help("help.snapshot"))
def snapshot(
    ctx: typer.Context,
    names: list[str] = typer.Argument(None, help=cli_help("help.snapshot.NAMES")),
) -> None:
    inv: Invocation = ctx.obj

    def body() -> None:
        cfg = inv.config()
        with OutboxStore(cfg.outbox.path) as outbox:
            results = take_snapshot(cfg, outbox, list(names or []))
        t = translator()
        for r in results:
            typer.echo(t("out.snapshot.table", table=r.table, rows=r.rows, position=r.position))

    guarded(body)


@app.command(help=cli_help("help.push"))
def push(
    ctx: typer.Context,
    group: str = typer.Argument(..., help=cli_help("help.one_of", among=", ".join(PUSH_GROUPS))),
    since: str = typer.Option(None, help=cli_help("help.push.--since")),
    day: str = typer.Option(None, help=cli_help("help.push.--day")),
) -> None:
    inv: Invocation = ctx.obj

    def body() -> None:
        results = push_group(inv.config(), group, day or since, day=bool(day))
        rows = sum(r.rows for r in results)
        t = translator()
        detail = ", ".join(f"{r.table} {r.rows}" for r in results)
        typer.echo(t("out.push.queued", group=group, rows=rows, detail=detail))
        typer.echo(t("out.push.next_tick"))

    guarded(body)
