"""`reconcile` and `verify`: this store's data compared with head office's copy."""

from __future__ import annotations

import datetime as dt

import typer

from centrale.app.cli.options import Invocation, cli_help, guarded, translator
from centrale.app.cli.progress import progress_shown
from centrale.core.clock import parse_day
from centrale.core.codec import dumps_compact
from centrale.core.errors import DiffersError
from centrale.core.i18n import Msg

app = typer.Typer()


@app.command(help=cli_help("help.reconcile"))
def reconcile(
    ctx: typer.Context,
    day: str = typer.Option(None, help=cli_help("help.reconcile.--day")),
    since: str = typer.Option(None, help=cli_help("help.reconcile.--since")),
    resend: bool = typer.Option(True, help=cli_help("help.reconcile.--resend")),
    as_json: bool = typer.Option(False, "--json", help=cli_help("help.--json.progress")),
) -> None:
    from centrale.app.actions import reconcile_lines

    inv: Invocation = ctx.obj

    def body() -> None:
        given = day or since
        start = parse_day(given) if given else dt.date.today() - dt.timedelta(days=7)
        end = start + dt.timedelta(days=1) if day else dt.date.today() + dt.timedelta(days=1)
        t = translator()
        with progress_shown(as_json=as_json) as progress:
            done = reconcile_lines(inv.config(), start, end, resend=resend, progress=progress)
        if as_json:  # one line, after the progress lines (which have a "progress" key)
            summary = {
                "since": start.isoformat(),
                "until": (end - dt.timedelta(days=1)).isoformat(),
                "rows_resent": done.rows,
                "left": done.left,
                "differences": [d.as_dict() for d in done.diffs],
            }
            typer.echo(dumps_compact(summary))
        else:
            for line in done.lines:
                typer.echo(t.text(line))
        if done.left:
            raise DiffersError(Msg("err.reconcile.differs", n=done.left), hint=Msg("err.reconcile.differs.hint"))

    guarded(body)


@app.command(help=cli_help("help.verify"))
def verify(
    ctx: typer.Context,
    tables: list[str] = typer.Argument(None, help=cli_help("help.verify.TABLES")),
    resend: bool = typer.Option(False, help=cli_help("help.verify.--resend")),
    as_json: bool = typer.Option(False, "--json", help=cli_help("help.--json.progress")),
) -> None:
    from centrale.app.actions import verify_lines

    inv: Invocation = ctx.obj

    def body() -> None:
        with progress_shown(as_json=as_json) as progress:
            done = verify_lines(inv.config(), tables or None, resend=resend, progress=progress)
        t = translator()
        if as_json:  # one line, after the progress lines (which have a "progress" key)
            typer.echo(dumps_compact(done.as_dict()))
        for line in [] if as_json else done.lines:
            typer.echo(t.text(line))
        if not done.settled:
            raise DiffersError(Msg("err.verify.differs"), hint=Msg("err.verify.differs.hint"))

    guarded(body)
