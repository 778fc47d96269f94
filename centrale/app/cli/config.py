"""`centrale config show|set`: the configuration in effect, and changing it in place."""

from __future__ import annotations

import typer

from centrale.app.cli.options import Invocation, cli_help, guarded, translator
from centrale.app.config_edit import set_values
from centrale.core.codec import dumps
from centrale.core.config import config_path, masked_view
from centrale.core.errors import ConfigError
from centrale.core.i18n import Msg

config_app = typer.Typer(help=cli_help("help.config"), no_args_is_help=True)


@config_app.command("show", help=cli_help("help.config.show"))
def config_show(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
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


@config_app.command("set", help=cli_help("help.config.set"))
def config_set(
    ctx: typer.Context,
    key_values: list[str] = typer.Argument(..., metavar="KEY VALUE [KEY VALUE ...]"),
) -> None:
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
