"""`centrale hq init|add-store`: head-office administration (``centrale.hq``)."""

from __future__ import annotations

import typer

from centrale.app.cli.options import Invocation, guarded, translator

hq_app = typer.Typer(help="Head-office administration.", no_args_is_help=True)


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
