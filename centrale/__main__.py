"""``python -m centrale``: the same command as the ``centrale`` script."""

from centrale.app.cli.main import entry

entry()
