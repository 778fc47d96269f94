"""The result type of start-up checks (``centrale doctor`` and the checks ``run`` makes first)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from centrale.core.errors import CentraleError, PreflightError
from centrale.core.i18n import Text

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: Status
    message: Text  # a catalog ``Msg``: doctor prints it in the user's language
    hint: Text | None = None
    remote: bool = False  # about head office or what it asks (jobs): a failure there does not stop `run`
    error: type[CentraleError] = PreflightError  # what `run` raises for it (its exit code)

    @property
    def failed(self) -> bool:
        return self.status == "fail"


def ok(name: str, message: Text, *, remote: bool = False) -> Check:
    return Check(name, "ok", message, remote=remote)


def fail(
    name: str,
    message: Text,
    hint: Text | None = None,
    *,
    remote: bool = False,
    error: type[CentraleError] = PreflightError,
) -> Check:
    return Check(name, "fail", message, hint, remote=remote, error=error)


def warn(name: str, message: Text, hint: Text | None = None, *, remote: bool = False) -> Check:
    return Check(name, "warn", message, hint, remote=remote)


def blamed(checks: list[Check], error: type[CentraleError]) -> list[Check]:
    """``checks`` with every failure's exit code that of ``error``: a group of checks about one
    thing (the store's server, the outbox) stops `run` with that thing's code."""
    return [replace(c, error=error) if c.failed else c for c in checks]
