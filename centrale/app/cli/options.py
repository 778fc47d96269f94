"""What every command shares, without typer: loading the configuration once per invocation,
setting up logging, turning errors into ``error:`` / ``hint:`` lines and an exit code, and the
language of the commands' --help texts.

Only the CLI prints and exits; everything below it raises.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeVar

from centrale.core import config as config_mod
from centrale.core.config import Config
from centrale.core.db import explain
from centrale.core.errors import CentraleError, ExitCode
from centrale.core.i18n import Lang, Translator, language_from_locale
from centrale.core.log import get_logger, logging_ready, setup_logging

T = TypeVar("T")


@dataclass
class Invocation:
    """Per-process state of one command line: the --config flag, the language of the locale
    (read by the root callback; ``help_lang`` reads it for --help, the only other place that
    looks at LANG/LC_*) and the loaded config."""

    config_flag: str | None = None
    lang: Lang = "en"
    _cfg: Config | None = field(default=None, repr=False)

    def config(self, *, verbose: bool = False) -> Config:
        if self._cfg is None:
            cfg = config_mod.load(config_mod.config_path(self.config_flag))
            secrets = [cfg.hq_password(), cfg.local.params.password]
            setup_logging(
                cfg.log.dir,
                cfg.log.level,
                secrets=[s for s in secrets if s],
                stderr=sys.stderr if verbose else None,
            )
            for w in cfg.warnings:
                print(Translator(self.lang)("cli.warning", message=w), file=sys.stderr)
                get_logger("config").warning(w)
            self._cfg = cfg
        return self._cfg


# The command line being run, set by the root callback: ``guarded`` is called by every room's
# commands with only their body, so the language is found here rather than threaded through
# each of them (as click finds its current context). Outside a command line: English.
CURRENT: ContextVar[Invocation | None] = ContextVar("centrale_invocation", default=None)


def translator() -> Translator:
    """The running command's language."""
    inv = CURRENT.get()
    return Translator(inv.lang if inv is not None else "en")


@functools.cache
def help_lang() -> Lang:
    """The language of --help, read from the locale once: typer takes a command's and an
    option's help as a plain string when the command is declared, before any callback runs."""
    return language_from_locale(os.environ)


def cli_help(key: str, /, **values: object) -> str:
    """A --help text of the catalog (``help.<command>``, ``help.<command>.<--option|ARGUMENT>``)."""
    return Translator(help_lang())(key, **values)


def guarded(fn: Callable[[], T]) -> T:
    """Run a command body; map CentraleError to its message, hint and exit code."""
    t = translator()
    try:
        try:
            return fn()
        except Exception as exc:
            explained = explain(exc)
            if explained is None:
                raise
            # A database error the set-up causes (a privilege, a table, a database) that no
            # caller mapped: what doctor's checks find, so their exit code.
            raise explained from None
    except CentraleError as exc:
        message, hint = exc.render(t.lang)
        print(t("cli.error", message=message), file=sys.stderr)
        if hint:
            print(t("cli.hint", message=hint), file=sys.stderr)
        if logging_ready():  # the day's log file: there is none before the configuration loads
            get_logger("cli").error("%s%s", exc.message, f" (hint: {exc.hint})" if exc.hint else "")
        raise SystemExit(exc.exit_code) from None
    except KeyboardInterrupt:
        raise SystemExit(ExitCode.INTERRUPTED) from None
    except Exception as exc:  # the traceback goes to the log file, a clear line to the user
        get_logger("cli").error("unexpected error:\n%s", traceback.format_exc())
        print(t("cli.unexpected", kind=type(exc).__name__, message=exc), file=sys.stderr)
        print(t("cli.unexpected_hint"), file=sys.stderr)
        raise SystemExit(ExitCode.UNEXPECTED) from None
