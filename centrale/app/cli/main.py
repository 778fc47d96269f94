"""The `centrale` command's root: its options, and every command area mounted (one module each:
``site``, ``config``, ``capture``, ``ship``, ``jobs``, ``compare``, ``hq``). Each command calls one
library function and prints its result; only this package picks exit codes (``options.guarded``)."""

from __future__ import annotations

import os
from typing import Any

import typer
from typer._click.exceptions import UsageError as ClickUsageError  # typer >= 0.23 carries its own click
from typer.core import TyperArgument, TyperGroup, TyperOption

from centrale.app.cli.capture import app as cdc_app
from centrale.app.cli.compare import app as compare_app
from centrale.app.cli.config import config_app
from centrale.app.cli.hq import hq_app
from centrale.app.cli.init import init_app
from centrale.app.cli.jobs import app as jobs_cli_app
from centrale.app.cli.jobs import jobs_app
from centrale.app.cli.options import CURRENT, Invocation, cli_help
from centrale.app.cli.ship import app as outbox_app
from centrale.app.cli.site import app as site_app
from centrale.core import __version__
from centrale.core.errors import ExitCode
from centrale.core.i18n import LOCALE_VARIABLES, language_from_locale

# --help shows a placeholder per value (`--since DATE`), never Python's types (`<str>`,
# `<list[int]>`, `<bool>` for a flag), which typer 0.29 prints in the type column: by the
# option's name, else its name in capitals; nothing for a flag or an argument (already named).
METAVARS = {
    "since": "DATE",
    "day": "DATE",
    "by": "NAME",
    "requested_by": "NAME",
    "user": "NAME",
    "name": "NAME",
    "store": "N",
    "limit": "N",
    "port": "N",
    "batch_rows": "N",
    "after": "SEQ",
    "job_id": "ID",
    "config": "PATH",
    "tables_from": "URL",
    "reason": "TEXT",
}


def _placeholder(param: Any, ctx: Any) -> str | None:
    if isinstance(param, TyperArgument) or getattr(param, "is_flag", False) or not param.name:
        return None
    return str(param.metavar or METAVARS.get(param.name, param.name.upper()))


TyperOption.display_type_rich = _placeholder  # type: ignore[method-assign,assignment]
TyperArgument.display_type_rich = _placeholder  # type: ignore[method-assign,assignment]


class _CentraleGroup(TyperGroup):
    """The root command, whose usage errors (an unknown command or option, a missing argument,
    a value of the wrong type) exit with ``ExitCode.USAGE`` instead of click's 2, which is the
    configuration's code here. Every subcommand is parsed within the root's ``invoke``."""

    def make_context(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        try:
            return super().make_context(*args, **kwargs)
        except ClickUsageError as exc:
            exc.exit_code = ExitCode.USAGE  # type: ignore[misc]
            raise

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ClickUsageError as exc:
            exc.exit_code = ExitCode.USAGE  # type: ignore[misc]
            raise


app = typer.Typer(
    cls=_CentraleGroup,
    help=cli_help("help.centrale"),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(config_app, name="config")
app.add_typer(outbox_app, name="outbox")
app.add_typer(hq_app, name="hq")
app.add_typer(init_app, name="init")
app.add_typer(site_app)
app.add_typer(cdc_app)
app.add_typer(jobs_cli_app)
app.add_typer(compare_app)
app.add_typer(jobs_app, name="jobs")


def _commands_panel(typer_app: typer.Typer, title: str) -> None:
    """Every command under the catalog's title: typer's own "Commands" is not translatable."""
    for command in typer_app.registered_commands:
        command.rich_help_panel = title
    for group in typer_app.registered_groups:
        group.rich_help_panel = title
        if group.typer_instance is not None:
            _commands_panel(group.typer_instance, title)


_commands_panel(app, cli_help("help.panel.commands"))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"centrale {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    config: str = typer.Option(None, "--config", "-c", help=cli_help("help.--config")),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True),
) -> None:
    locale = {name: os.environ.get(name, "") for name in LOCALE_VARIABLES}
    ctx.obj = Invocation(config_flag=config, lang=language_from_locale(locale))
    CURRENT.set(ctx.obj)


def entry() -> None:  # console_scripts entry point
    app(prog_name="centrale")


if __name__ == "__main__":
    entry()
