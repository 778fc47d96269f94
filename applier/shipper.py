"""The shipper interface: what the applier needs from a destination.

Contract (tested against every implementation in tests/applier/test_shipper_contract.py):
- ``ship(batch)`` applies the batch's rows in order, in one destination transaction that also
  records ``batch.last_seq`` for the batch's generation; rows at or below the recorded seq are
  skipped, so shipping a batch twice equals shipping it once;
- it raises TransientShipError when the destination could not be reached (nothing applied)
  and BatchRejectedError when the destination refused the data: nothing applied but, when the
  refused row is known, the batch's whole transactions before its own, said by the error's
  ``applied_up_to`` and ``applied_rows`` (never part of a transaction).

A shipper may also have ``prebuild(batch)``: CPU work for a batch done ahead, in the thread
that reads the outbox, while the previous batch is being shipped.

How a batch becomes statements is not the interface's business: ``applier.operations`` plans it,
``applier.writer`` writes it.
"""

from __future__ import annotations

from typing import Protocol

from centrale.core.changes import Batch


class Shipper(Protocol):
    def prepare(self) -> None:
        """Check the destination and create what is missing (tables, bookkeeping)."""

    def last_applied(self, generation: str) -> int:
        """The highest seq of this generation the destination has committed (0 if none)."""

    def ship(self, batch: Batch) -> int:
        """Apply one batch idempotently; return the number of rows newly applied."""

    def close(self) -> None: ...
