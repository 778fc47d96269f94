"""The `centrale` command: a thin shell over library functions; mounts the rooms' commands."""

from __future__ import annotations

import datetime as dt
import os
import threading

import typer

from centrale.app.cli.capture import app as cdc_app
from centrale.app.cli.jobs import app as jobs_cli_app
from centrale.app.cli.jobs import jobs_app
from centrale.app.cli.options import CURRENT, Invocation, guarded, translator
from centrale.app.cli.ship import app as outbox_app
from centrale.app.config_edit import set_values
from centrale.core import __version__
from centrale.core.codec import dumps
from centrale.core.config import config_path, masked_view
from centrale.core.errors import ConfigError, PreflightError
from centrale.core.i18n import LOCALE_VARIABLES, Msg, language_from_locale

app = typer.Typer(
    help="Centrale: store -> head office replication for a chain's POS databases.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
config_app = typer.Typer(help="Show or change this site's configuration.", no_args_is_help=True)
hq_app = typer.Typer(help="Head-office administration.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(outbox_app, name="outbox")
app.add_typer(hq_app, name="hq")
app.add_typer(cdc_app)
app.add_typer(jobs_cli_app)
app.add_typer(jobs_app, name="jobs")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"centrale {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    config: str = typer.Option(None, "--config", "-c", help="site TOML file (or $CENTRALE_CONFIG)"),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True),
) -> None:
    locale = {name: os.environ.get(name, "") for name in LOCALE_VARIABLES}
    ctx.obj = Invocation(config_flag=config, lang=language_from_locale(locale))
    CURRENT.set(ctx.obj)


@config_app.command("show")
def config_show(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    """The configuration in effect (file + environment), secrets masked."""
    inv: Invocation = ctx.obj

    def body() -> None:
        view = masked_view(inv.config())
        if as_json:
            typer.echo(dumps(view).decode())
            return
        for section, values in view.items():
            if section == "tables":
                for name, spec in values.items():
                    typer.echo(f"[tables.{name}] " + ", ".join(f"{k} = {v}" for k, v in spec.items()))
                continue
            typer.echo(f"[{section}]")
            for k, v in values.items():
                typer.echo(f"  {k} = {v}")

    guarded(body)


@config_app.command("set")
def config_set(
    ctx: typer.Context,
    key_values: list[str] = typer.Argument(..., metavar="KEY VALUE [KEY VALUE ...]"),
) -> None:
    """Change keys (e.g. `hq.host 203.0.113.10`); several at once apply together. Comments stay."""
    inv: Invocation = ctx.obj

    def body() -> None:
        if len(key_values) % 2:
            raise ConfigError(Msg("err.cli.config_set_pairs"), hint=Msg("err.cli.config_set_pairs.hint"))
        pairs = list(zip(key_values[::2], key_values[1::2], strict=True))
        path = config_path(inv.config_flag)
        set_values(path, pairs)
        t = translator()
        for key, value in pairs:
            shown = "***" if "password" in key or key == "local.url" else value
            typer.echo(t("out.config_set.saved", key=key, value=shown, path=path))

    guarded(body)


@app.command()
def doctor(ctx: typer.Context) -> None:
    """Check this site: local database, binlog settings, catalog, outbox, head office."""
    from centrale.app.doctor import run_checks

    inv: Invocation = ctx.obj

    def body() -> None:
        t = translator()
        checks = run_checks(inv.config())
        for c in checks:
            name = t(f"check.{c.name}") if t.has(f"check.{c.name}") else c.name
            typer.echo(f"{t('doctor.' + c.status)} {name}: {t.text(c.message)}")
            if c.hint and c.status != "ok":
                typer.echo(t("doctor.fix", hint=t.text(c.hint)))
        failed = [c for c in checks if c.failed]
        if failed:
            raise PreflightError(Msg("doctor.failed", n=len(failed)), hint=failed[0].hint)
        typer.echo(t("doctor.passed"))

    guarded(body)


@app.command()
def run(ctx: typer.Context) -> None:
    """Capture the binlog continuously and ship to head office on every tick (Ctrl-C stops)."""
    from centrale.app.lifecycle import install_stop_handlers
    from centrale.app.runner import run_site

    inv: Invocation = ctx.obj

    def body() -> None:
        cfg = inv.config(verbose=True)
        stop = threading.Event()
        install_stop_handlers(stop)
        run_site(cfg, stop, locale_lang=inv.lang)

    guarded(body)


@app.command()
def status(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    """Version, store, head office or not, and the state of capture and shipping."""
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


@app.command()
def console(
    ctx: typer.Context,
    host: str = typer.Option(None, "--host", help="address to listen on (default console.host)"),
    port: int = typer.Option(None, "--port", help="port to listen on (default console.port)"),
) -> None:
    """Serve the web console in the foreground (head office, or a store without `run`)."""
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


@app.command()
def sync(ctx: typer.Context, what: str = typer.Argument(..., help="customers")) -> None:
    """Send this store's customers to head office, then receive the chain's."""
    from centrale.app.actions import sync_customers
    from centrale.core.errors import JobError

    inv: Invocation = ctx.obj

    def body() -> None:
        if what != "customers":
            raise JobError(Msg("err.cli.no_sync", what=what), hint=Msg("err.cli.no_sync.hint"))
        typer.echo(translator().text(sync_customers(inv.config())[1]))

    guarded(body)


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


@hq_app.command("init")
def hq_init(
    ctx: typer.Context,
    force: bool = typer.Option(False, help="change a recorded store number"),
    tables_from: str = typer.Option(
        "", "--tables-from", help="a store's database URL: create the captured tables head office lacks"
    ),
    adopt: bool = typer.Option(
        False,
        "--adopt",
        help="convert head office's own tables named like captured ones (its POS's) to head office's layout",
    ),
) -> None:
    """Prepare this head-office database: bookkeeping tables, its store number, delete log."""
    from centrale.hq.admin import init_head_office

    inv: Invocation = ctx.obj

    def body() -> None:
        t = translator()
        for line in init_head_office(inv.config(), force=force, tables_from=tables_from or None, adopt=adopt):
            typer.echo(t.text(line))

    guarded(body)


@hq_app.command("add-store")
def hq_add_store(
    ctx: typer.Context,
    store: int = typer.Argument(..., help="the store's number (its site.store)"),
    user: str = typer.Option("", "--user", help="account name (default centrale_store_N)"),
    host: str = typer.Option("%", "--host", help="where the store connects from: its address, or '%'"),
    rotate: bool = typer.Option(False, "--rotate", help="give an existing account a new password"),
    require_tls: bool = typer.Option(False, "--require-tls", help="refuse this account's unencrypted logins"),
) -> None:
    """Create a store's own head-office account: its rows only, reference tables read-only."""
    from centrale.hq.admin import add_store_account

    inv: Invocation = ctx.obj

    def body() -> None:
        acc = add_store_account(
            inv.config(), store, account=user or None, host=host, rotate=rotate, require_tls=require_tls
        )
        t = translator()
        done = "out.add_store.created" if acc.created else "out.add_store.rotated"
        typer.echo(t(done, account=acc.account, host=acc.host, store=acc.store))
        typer.echo(t("out.add_store.config"))
        typer.echo("[hq]")
        typer.echo(f'database = "{acc.database}"')
        typer.echo(f'user = "{acc.account}"')
        typer.echo(f'password = "{acc.password}"')

    guarded(body)


def entry() -> None:  # console_scripts entry point
    app(prog_name="centrale")


if __name__ == "__main__":
    entry()
