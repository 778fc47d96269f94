"""What one console holds while it serves: the configuration it may change, its secret, the
store's running actions. One instance per app (``app.state.console``), never module-level."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from centrale.app.config_edit import set_values
from centrale.core.config import Config
from centrale.core.i18n import Lang

if TYPE_CHECKING:
    from centrale.app.console.tasks import ActionRunner


class LiveConfig:
    """The site's configuration, replaced whole when the console saves a change: readers get a
    consistent frozen ``Config``; `run`'s jobs see the new options at their next start."""

    def __init__(self, cfg: Config) -> None:
        self._cfg = cfg
        self._lock = threading.Lock()

    @property
    def current(self) -> Config:
        return self._cfg

    def set_values(self, pairs: list[tuple[str, str]]) -> Config:
        """Write the keys to the file (validated, all or nothing, comments kept), then use them."""
        with self._lock:
            new = set_values(self._cfg.source, pairs)
            self._cfg = new.model_copy(update={"warnings": ()})
            return self._cfg


@dataclass
class ConsoleState:
    live: LiveConfig
    locale_lang: Lang = "en"
    # Signs session cookies and CSRF tokens; new at each start, so a restart logs everyone out.
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    runner: ActionRunner | None = None  # a store's action buttons (made by build_app)

    @property
    def cfg(self) -> Config:
        return self.live.current

    def close(self) -> None:
        """Let a running action finish (a pull is one transaction: it commits or rolls back)."""
        if self.runner is not None:
            self.runner.shutdown()
