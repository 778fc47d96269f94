"""`centrale snapshot`."""

from __future__ import annotations

import typer

from cdc.snapshot import take_snapshot
from centrale.commandline import Invocation, guarded
from centrale.outbox import OutboxStore

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
        for r in results:
            typer.echo(f"{r.table}: {r.rows} rows at binlog position {r.position}")

    guarded(body)
