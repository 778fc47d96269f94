"""The core: the nouns every room shares, importing nothing else of the project.

Configuration (``config``), the table catalog (``catalog``), the database servers (``db``,
``schema``, ``hqtables``, ``hqidentity``), the outbox (``outbox``), the values that cross package
lines (``changes``), the codec (``codec``), the exception tree (``errors``), logging (``log``) and
the messages (``i18n``).
"""

__version__ = "0.2.0"
