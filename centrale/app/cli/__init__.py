"""The ``centrale`` command: the root app (``main``) and one module per command area."""
