"""Centrale: store -> head office replication for a retail chain's POS databases.

Three layers, every arrow pointing down (``docs/architecture.md``; import-linter keeps them):

- ``centrale.app``: the face. The CLI, ``run``'s wiring, doctor, status, the actions, the console.
- the rooms: ``cdc`` (binlog -> outbox), ``applier`` (outbox -> head office), ``jobs`` (head
  office's jobs table, run at the store) and ``centrale.hq`` (head-office administration).
- ``centrale.core``: the shared nouns (configuration, catalog, database servers, outbox, change
  records, codec, errors, log, messages).
"""

from centrale.core import __version__

__all__ = ["__version__"]
