"""`centrale hq init|add-store`: head-office administration (``centrale.hq``)."""

from __future__ import annotations

import typer

from centrale.app.cli.options import Invocation, cli_help, guarded, translator
from centrale.core.codec import dumps_compact

hq_app = typer.Typer(help=cli_help("help.hq"), no_args_is_help=True)


@hq_app.command("init", help=cli_help("help.hq.init"))
def hq_init(
    ctx: typer.Context,
    force: bool = typer.Option(False, help=cli_help("help.hq.init.--force")),
    tables_from: str = typer.Option("", "--tables-from", help=cli_help("help.hq.init.--tables-from")),
    adopt: bool = typer.Option(
        False,
        "--adopt",
        help=cli_help("help.hq.init.--adopt"),
    ),
    reference: bool = typer.Option(False, "--reference", help=cli_help("help.hq.init.--reference")),
) -> None:
    from centrale.hq.admin import init_head_office

    inv: Invocation = ctx.obj

    def body() -> None:
        t = translator()
        for line in init_head_office(
            inv.config(), force=force, tables_from=tables_from or None, adopt=adopt, reference=reference
        ):
            typer.echo(t.text(line))

    guarded(body)


@hq_app.command("add-store", help=cli_help("help.hq.add-store"))
def hq_add_store(
    ctx: typer.Context,
    store: int = typer.Argument(..., help=cli_help("help.hq.add-store.STORE")),
    user: str = typer.Option("", "--user", help=cli_help("help.hq.add-store.--user")),
    host: str = typer.Option("%", "--host", help=cli_help("help.hq.add-store.--host")),
    rotate: bool = typer.Option(False, "--rotate", help=cli_help("help.hq.add-store.--rotate")),
    require_tls: bool = typer.Option(False, "--require-tls", help=cli_help("help.hq.add-store.--require-tls")),
    name: str = typer.Option("", "--name", help=cli_help("help.hq.add-store.--name")),
    no_account: bool = typer.Option(False, "--no-account", help=cli_help("help.hq.add-store.--no-account")),
    as_json: bool = typer.Option(False, "--json", help=cli_help("help.hq.add-store.--json")),
) -> None:
    from centrale.hq.admin import add_store_account, register_only

    inv: Invocation = ctx.obj

    def body() -> None:
        t = translator()
        if no_account:
            register_only(inv.config(), store, name)
            typer.echo(dumps_compact({"store": store}) if as_json else t("out.add_store.registered", store=store))
            return
        acc = add_store_account(
            inv.config(), store, account=user or None, host=host, rotate=rotate, require_tls=require_tls, name=name
        )
        if as_json:  # for a script setting up many stores: the store file's [hq] values, password included
            found = {"store": acc.store, "account": acc.account, "host": acc.host, "database": acc.database}
            typer.echo(dumps_compact({**found, "password": acc.password, "created": acc.created}))
            return
        done = "out.add_store.created" if acc.created else "out.add_store.rotated"
        typer.echo(t(done, account=acc.account, host=acc.host, store=acc.store))
        typer.echo(t("out.add_store.config"))
        typer.echo("[hq]")
        typer.echo(f'database = "{acc.database}"')
        typer.echo(f'user = "{acc.account}"')
        typer.echo(f'password = "{acc.password}"')

    guarded(body)
