"""What test_i18n.py takes from the console's fixtures, which live in tests/app/console/conftest.py
(the console's tests moved there; test_i18n.py is placed later)."""

from __future__ import annotations

from tests.app.console.conftest import add_console_keys, console_client

__all__ = ["add_console_keys", "console_client"]
