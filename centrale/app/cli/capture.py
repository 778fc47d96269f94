"""`centrale snapshot` and `centrale push GROUP` (both queue current rows in the outbox)."""

from __future__ import annotations

import typer

from cdc.snapshot import push_group, take_snapshot
from centrale.app.cli.options import Invocation, cli_help, guarded, translator
from centrale.app.cli.progress import progress_shown
from centrale.core.actions import PUSH_GROUPS
from centrale.core.codec import dumps_compact
from centrale.core.outbox import OutboxStore

app = typer.Typer()


@app.command(help=cli_help("help.snapshot"))
def snapshot(
    ctx: typer.Context,
    names: list[str] = typer.Argument(None, help=cli_help("help.snapshot.NAMES")),
    as_json: bool = typer.Option(False, "--json", help=cli_help("help.--json.progress")),
) -> None:
    inv: Invocation = ctx.obj

    def body() -> None:
        cfg = inv.config()
        with OutboxStore(cfg.outbox.path) as outbox, progress_shown(as_json=as_json) as progress:
            results = take_snapshot(cfg, outbox, list(names or []), progress=progress)
        if as_json:
            typer.echo(
                dumps_compact([{"table": r.table, "rows": r.rows, "position": str(r.position)} for r in results])
            )
            return
        t = translator()
        for r in results:
            typer.echo(t("out.snapshot.table", table=r.table, n=r.rows, position=r.position))

    guarded(body)


@app.command(help=cli_help("help.push"))
def push(
    ctx: typer.Context,
    group: str = typer.Argument(..., help=cli_help("help.one_of", among=", ".join(PUSH_GROUPS))),
    since: str = typer.Option(None, help=cli_help("help.push.--since")),
    day: str = typer.Option(None, help=cli_help("help.push.--day")),
    as_json: bool = typer.Option(False, "--json", help=cli_help("help.--json.progress")),
) -> None:
    inv: Invocation = ctx.obj

    def body() -> None:
        with progress_shown(as_json=as_json) as progress:
            results = push_group(inv.config(), group, day or since, day=bool(day), progress=progress)
        if as_json:
            typer.echo(dumps_compact([{"table": r.table, "rows": r.rows} for r in results]))
            return
        rows = sum(r.rows for r in results)
        t = translator()
        detail = ", ".join(f"{r.table} {r.rows}" for r in results)
        typer.echo(t("out.push.queued", group=group, n=rows, detail=detail))
        typer.echo(t("out.push.next_tick"))

    guarded(body)
