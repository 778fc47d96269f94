"""Centrale: store -> head office replication for a retail chain's POS databases.

The core package holds what every room shares: configuration, the table catalog, database
connections, the outbox, change records, the codec, errors and logging. The rooms (``cdc``,
``applier``, later ``jobs``) import this package and never each other.
"""

__version__ = "0.2.0"
