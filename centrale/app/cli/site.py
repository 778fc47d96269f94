"""This site's life: `doctor` before, `run` always, `status` and `console` to watch it."""

from __future__ import annotations

import threading

import typer

from centrale.app.cli.options import Invocation, cli_help, guarded, translator
from centrale.core.checks import Check
from centrale.core.codec import dumps
from centrale.core.errors import PreflightError
from centrale.core.i18n import Msg, Translator

app = typer.Typer()


def echo_checks(checks: list[Check], t: Translator) -> None:
    """Doctor's lines: one per check, and its fix under each that is not ok."""
    for c in checks:
        name = t(f"check.{c.name}") if t.has(f"check.{c.name}") else c.name
        typer.echo(f"{t('doctor.' + c.status)} {name}: {t.text(c.message)}")
        if c.hint and c.status != "ok":
            typer.echo(t("doctor.fix", hint=t.text(c.hint)))


@app.command(help=cli_help("help.doctor"))
def doctor(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    from centrale.app.doctor import run_checks

    inv: Invocation = ctx.obj

    def body() -> None:
        t = translator()
        checks = run_checks(inv.config())
        if as_json:  # for scripts: in English, as the log says them; the exit code as below
            found = [
                {"name": c.name, "status": c.status, "message": str(c.message), "hint": str(c.hint) if c.hint else None}
                for c in checks
            ]
            typer.echo(dumps({"passed": not any(c.failed for c in checks), "checks": found}).decode())
        if not as_json:
            echo_checks(checks, t)
        failed = [c for c in checks if c.failed]
        if failed:
            raise PreflightError(Msg("doctor.failed", n=len(failed)), hint=failed[0].hint)
        if not as_json:
            typer.echo(t("doctor.passed"))

    guarded(body)


@app.command(help=cli_help("help.run"))
def run(ctx: typer.Context) -> None:
    from centrale.app.lifecycle import install_stop_handlers
    from centrale.app.runner import run_site

    inv: Invocation = ctx.obj

    def body() -> None:
        cfg = inv.config(verbose=True)
        stop = threading.Event()
        install_stop_handlers(stop)
        run_site(cfg, stop, locale_lang=inv.lang)

    guarded(body)


@app.command(help=cli_help("help.status"))
def status(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    from centrale.app.status import site_status, status_lines

    inv: Invocation = ctx.obj

    def body() -> None:
        st = site_status(inv.config())
        if as_json:
            typer.echo(dumps(st).decode())
            return
        for line in status_lines(st, translator()):
            typer.echo(line)

    guarded(body)


@app.command(help=cli_help("help.console"))
def console(
    ctx: typer.Context,
    host: str = typer.Option(None, "--host", help=cli_help("help.console.--host")),
    port: int = typer.Option(None, "--port", help=cli_help("help.console.--port")),
) -> None:
    from centrale.app.console.server import ConsoleServer
    from centrale.app.lifecycle import install_stop_handlers
    from centrale.core.config import with_console

    inv: Invocation = ctx.obj

    def body() -> None:
        cfg = with_console(inv.config(verbose=True), host=host, port=port)
        stop = threading.Event()
        install_stop_handlers(stop)
        server = ConsoleServer(cfg, locale_lang=inv.lang)
        server.start()
        try:
            typer.echo(translator()("console.listening", where=server.where))
            stop.wait()
        finally:
            server.stop()

    guarded(body)


@app.command(help=cli_help("help.tray"))
def tray(ctx: typer.Context) -> None:
    from centrale.app.lifecycle import install_stop_handlers
    from centrale.app.tray import Tray, load_toolkit

    inv: Invocation = ctx.obj

    def body() -> None:
        cfg = inv.config()
        toolkit = load_toolkit()
        stop = threading.Event()
        install_stop_handlers(stop)
        Tray(cfg, inv.lang, toolkit, stop=stop).run()

    guarded(body)
