"""One exception tree, with messages written for the person running the command.

    CentraleError                 exit 1   base: message + optional hint naming the fix
     +-- ConfigError              exit 2   the TOML file or an override is wrong
     +-- PreflightError           exit 3   a start-up check failed (doctor)
     +-- SourceError              exit 4   the local database / binlog cannot be read
     |    +-- PositionLostError   exit 5   the checkpoint's binlog file was purged
     |    +-- CaptureStoppedError exit 9   an event capture cannot carry: named, with the fix
     +-- OutboxError              exit 6   the local outbox cannot be read or written
     +-- ShipError                exit 7   head office did not take a batch
     |    +-- TransientShipError          network, timeouts, deadlocks: retry later
     |    +-- BatchRejectedError          head office refused the data: hold the batch
     +-- JobError                 exit 8   a head-office job failed

Inner code raises; service loops decide between retry, hold and stop; only the CLI prints
(``error: ...`` / ``hint: ...``) and picks the exit code.

Message and hint are ``Msg`` values of the catalog (``centrale.core.i18n``): ``message`` and ``hint``
are their English text (for logs and the outbox's records), ``text`` and ``hint_text`` the
values the CLI renders in the user's language. tests/core/test_messages.py keeps every raise
translatable.
"""

from __future__ import annotations

from centrale.core.i18n import Lang, Text, render


class CentraleError(Exception):
    """Base of every error Centrale raises on purpose."""

    exit_code = 1

    def __init__(self, message: Text, hint: Text | None = None) -> None:
        super().__init__(str(message))
        self.text = message
        self.hint_text = hint
        self.message = str(message)
        self.hint = str(hint) if hint is not None else None

    def render(self, lang: Lang) -> tuple[str, str | None]:
        """Message and hint in ``lang``."""
        return render(self.text, lang), render(self.hint_text, lang) if self.hint_text is not None else None

    def __str__(self) -> str:
        return self.message


class ConfigError(CentraleError):
    exit_code = 2


class PreflightError(CentraleError):
    exit_code = 3


class SourceError(CentraleError):
    exit_code = 4


class PositionLostError(SourceError):
    exit_code = 5


class CaptureStoppedError(SourceError):
    """An event in the store's binlog that capture cannot carry exactly (a statement-logged
    change, an unknown event type, rows without their columns ...): capture stops on it rather
    than skip it, and the message names it, its binlog position and the fix."""

    exit_code = 9


class OutboxError(CentraleError):
    exit_code = 6


class ShipError(CentraleError):
    exit_code = 7


class TransientShipError(ShipError):
    """Head office could not be reached or asked us to retry; the batch is simply sent again."""


class HeadOfficeBehindError(TransientShipError):
    """Head office holds less than what was shipped before the batch: it went back (a backup put
    back); the store sends the rows it lacks again at its next tick."""


class BatchRejectedError(ShipError):
    """Head office refused the batch's data; it stays in the outbox and shipping holds.

    ``seq`` is the refused row's, when head office said which; ``applied_up_to`` and
    ``applied_rows`` say what of the batch went all the same: the whole transactions before the
    refused row's (they need not wait behind it: order only holds back what follows)."""

    def __init__(self, message: Text, hint: Text | None = None, *, seq: int | None = None) -> None:
        super().__init__(message, hint)
        self.seq = seq
        self.applied_up_to: int | None = None
        self.applied_rows = 0


class JobError(CentraleError):
    exit_code = 8


class JobInterruptedError(JobError):
    """A link (head office or the local database) went away mid-job: nothing is wrong with the
    job, which runs again whole at the next tick. Every job action is safe to repeat."""
