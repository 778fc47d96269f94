"""Head-office administration: ``hq init``, per-store accounts, the delete log, adopting tables.

A room like ``cdc``, ``applier`` and ``jobs``: it imports the core and nothing else of the project.
"""
