"""`centrale pull GROUP` (and, with jobs, `centrale jobs ...`)."""

from __future__ import annotations

import typer

from centrale.commandline import Invocation, guarded
from jobs.pull import pull_group

app = typer.Typer()

PULL_GROUPS = ("articles", "keyboards", "stores", "products", "customers")


@app.command()
def pull(
    ctx: typer.Context,
    group: str = typer.Argument(..., help=f"one of: {', '.join(PULL_GROUPS)}"),
) -> None:
    """Make this store's copy of a group's tables equal to head office's (customers: merge)."""
    inv: Invocation = ctx.obj

    def body() -> None:
        from centrale.errors import JobError

        if group not in PULL_GROUPS:
            raise JobError(f"`{group}` cannot be pulled", hint=f"choose one of: {', '.join(PULL_GROUPS)}")
        result = pull_group(inv.config(), group)
        typer.echo(result.summary())

    guarded(body)
