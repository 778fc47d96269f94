"""`reconcile` and `verify`: this store's data compared with head office's copy."""

from __future__ import annotations

import datetime as dt

import typer

from centrale.app.cli.options import Invocation, guarded, translator
from centrale.core.i18n import Msg

app = typer.Typer()


@app.command()
def reconcile(
    ctx: typer.Context,
    day: str = typer.Option(None, help="one business day (YYYY-MM-DD)"),
    since: str = typer.Option(None, help="from this day to today (default: the last 7 days)"),
    resend: bool = typer.Option(True, help="re-send the days head office is short of"),
) -> None:
    """Compare, per business day, tickets, totals and stock movements with head office."""
    from centrale.app.actions import reconcile_lines
    from centrale.core.errors import JobError

    inv: Invocation = ctx.obj

    def body() -> None:
        try:
            start = dt.date.fromisoformat(day or since) if (day or since) else dt.date.today() - dt.timedelta(days=7)
        except ValueError:
            raise JobError(Msg("err.date.bad", value=day or since), hint=Msg("err.date.bad.hint")) from None
        end = start + dt.timedelta(days=1) if day else dt.date.today() + dt.timedelta(days=1)
        t = translator()
        for line in reconcile_lines(inv.config(), start, end, resend=resend)[1]:
            typer.echo(t.text(line))

    guarded(body)


@app.command()
def verify(
    ctx: typer.Context,
    tables: list[str] = typer.Argument(None, help="tables or groups (default: every aggregate table)"),
    resend: bool = typer.Option(False, help="queue the store's rows head office lacks or holds differently"),
) -> None:
    """Compare this store's tables with head office's copy, row by row; name the differing keys."""
    from centrale.app.actions import verify_lines

    inv: Invocation = ctx.obj

    def body() -> None:
        settled, lines = verify_lines(inv.config(), tables or None, resend=resend)
        t = translator()
        for line in lines:
            typer.echo(t.text(line))
        if not settled:
            from centrale.core.errors import JobError

            raise JobError(Msg("err.verify.differs"), hint=Msg("err.verify.differs.hint"))

    guarded(body)
