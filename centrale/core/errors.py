"""One exception tree, with messages written for the person running the command, and the exit
codes it maps to (``ExitCode``: the table of docs/operations.md is printed from it).

    CentraleError                        base: message + optional hint naming the fix
     +-- UsageError            exit 64   the command line asks for what does not exist
     +-- ConfigError           exit 2    the TOML file or an override is wrong
     +-- PreflightError        exit 3    a start-up check failed, or the site already runs
     +-- SourceError           exit 4    the local database / binlog cannot be read
     |    +-- PositionLostError   exit 5 the checkpoint's binlog file was purged
     |    +-- CaptureStoppedError exit 9 an event capture cannot carry: named, with the fix
     +-- OutboxError           exit 6    the local outbox cannot be read or written
     +-- ShipError             exit 7    head office did not take a batch
     |    +-- TransientShipError         network, timeouts, deadlocks: retry later
     |    +-- BatchRejectedError         head office refused the data: hold the batch
     +-- JobError              exit 8    a head-office job (or a comparison) could not be done
     +-- DiffersError          exit 10   `verify` / `reconcile` found rows that differ

Inner code raises; service loops decide between retry, hold and stop; only the CLI prints
(``error: ...`` / ``hint: ...``) and picks the exit code. The base class is never raised itself
(tests/core/test_exit_codes.py): every error says which of these it is.

Message and hint are ``Msg`` values of the catalog (``centrale.core.i18n``): ``message`` and ``hint``
are their English text (for logs and the outbox's records), ``text`` and ``hint_text`` the
values the CLI renders in the user's language. tests/core/test_messages.py keeps every raise
translatable.
"""

from __future__ import annotations

import enum

from centrale.core.i18n import Lang, Text, render


class ExitCode(enum.IntEnum):
    """Every exit code of `centrale`, one per kind of failure, so that a script or a service
    manager can tell them apart. 64 and 70 are sysexits' EX_USAGE and EX_SOFTWARE; 130 is the
    shell's code for Ctrl-C."""

    OK = 0
    CONFIG = 2
    CHECK = 3
    SOURCE = 4
    POSITION_LOST = 5
    OUTBOX = 6
    SHIPPING = 7
    JOB = 8
    CAPTURE_STOPPED = 9
    DIFFERS = 10
    USAGE = 64
    UNEXPECTED = 70
    INTERRUPTED = 130


class CentraleError(Exception):
    """Base of every error Centrale raises on purpose; never raised itself."""

    exit_code: ExitCode = ExitCode.UNEXPECTED

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


class UsageError(CentraleError):
    """The command line names what does not exist: an action, a group, a status, a store, a
    date. Click's own usage errors (an unknown command or option) exit with the same code."""

    exit_code = ExitCode.USAGE


class ConfigError(CentraleError):
    exit_code = ExitCode.CONFIG


class PreflightError(CentraleError):
    exit_code = ExitCode.CHECK


class SourceError(CentraleError):
    exit_code = ExitCode.SOURCE


class PositionLostError(SourceError):
    exit_code = ExitCode.POSITION_LOST


class CaptureStoppedError(SourceError):
    """An event in the store's binlog that capture cannot carry exactly (a statement-logged
    change, an unknown event type, rows without their columns ...): capture stops on it rather
    than skip it, and the message names it, its binlog position and the fix."""

    exit_code = ExitCode.CAPTURE_STOPPED


class OutboxError(CentraleError):
    exit_code = ExitCode.OUTBOX


class ShipError(CentraleError):
    exit_code = ExitCode.SHIPPING


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
    exit_code = ExitCode.JOB


class JobInterruptedError(JobError):
    """A link (head office or the local database) went away mid-job: nothing is wrong with the
    job, which runs again whole at the next tick. Every job action is safe to repeat."""


class DiffersError(CentraleError):
    """`verify` or `reconcile` compared the store with head office and found rows that differ:
    not a failure to run, an answer a script must see."""

    exit_code = ExitCode.DIFFERS
