"""`centrale snapshot` and `centrale push GROUP` (both queue current rows in the outbox)."""

from __future__ import annotations

import typer

from cdc.snapshot import push_group, take_snapshot
from centrale.app.cli.options import Invocation, guarded, translator
from centrale.core.actions import PUSH_GROUPS
from centrale.core.outbox import OutboxStore

app = typer.Typer()


@app.command()
def snapshot(
    ctx: typer.Context,
    names: list[str] = typer.Argument(None, help="tables or groups; default: every captured table"),
) -> None:
    """Load the existing rows of captured tables into the outbox, aligned with the binlog."""
    inv: Invocation = ctx.obj

    def body() -> None:
        cfg = inv.config()
        with OutboxStore(cfg.outbox.path) as outbox:
            results = take_snapshot(cfg, outbox, list(names or []))
        t = translator()
        for r in results:
            typer.echo(t("out.snapshot.table", table=r.table, rows=r.rows, position=r.position))

    guarded(body)


@app.command()
def push(
    ctx: typer.Context,
    group: str = typer.Argument(..., help=f"one of: {', '.join(PUSH_GROUPS)}"),
    since: str = typer.Option(None, help="only rows from this date on (YYYY-MM-DD), in tables with a since_column"),
    day: str = typer.Option(None, help="only this date's rows (YYYY-MM-DD), in tables with a since_column"),
) -> None:
    """Queue a group's current rows for head office again (idempotent: upserts)."""
    inv: Invocation = ctx.obj

    def body() -> None:
        results = push_group(inv.config(), group, day or since, day=bool(day))
        rows = sum(r.rows for r in results)
        t = translator()
        detail = ", ".join(f"{r.table} {r.rows}" for r in results)
        typer.echo(t("out.push.queued", group=group, rows=rows, detail=detail))
        typer.echo(t("out.push.next_tick"))

    guarded(body)
