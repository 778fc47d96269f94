"""Head office under many stores: 50, 100 and 200 simulated stores ship to one head-office MariaDB
with the real applier, against MariaDB multi-source replication of the same tickets into one server.

What a store is here: its own outbox file (``OutboxStore``), its own store number and
configuration, its own ``ApplierService`` + ``HeadOfficeShipper`` (20-row batches, a tick every
second, as `centrale run` wires them), and a till that appends realistic tickets to the outbox as
capture would (a sale header, 1-5 lines each with a stock movement and the article's new stock
level, a payment, the header's update; sandbox.workload.StoreActivity's shape), one ticket every
``TICKET_EVERY_S`` seconds per store. No store MariaDB: capture is measured by bench.capture, and
200 store servers do not fit on two cores. The stores run in ``PROCESSES`` worker processes
(``spawn``; 4, or 2 in quick mode), each with one till thread for its stores and one shipping
thread per store.

Each store count runs these phases, on both sides in turn:
1. steady: every store sells and ships for ``STEADY_S`` seconds (after ``WARM_S`` of warm-up):
   head-office apply rate, lag (a ticket's capture -> its batch committed at head office), head
   office's CPU, InnoDB row-lock waits and deadlocks;
2. backlog: head office "unreachable" (shipping paused; for the native side, the replica's SQL
   threads stopped) while each store sells ``BURST_TICKETS`` more tickets (appended at once,
   and dated as capture would have dated them, sold ``TICKET_EVERY_S`` apart across the outage:
   shipping sees it is behind and catches up, as after a real outage);
3. drain: head office is back and every store ships its backlog at once (the thundering herd
   after an outage): head office's apply capacity in rows/s, its CPU and lock figures;
4. check: per store and table, row counts and sums at head office equal what the store sold;
   ``centrale_progress.rows_applied`` equals the rows the store's outbox held.
The largest chain then runs once more against a second head-office server that differs only by
``thread_handling=pool-of-threads``.

The native peer: ``SOURCES`` MariaDB servers with binlog (ROW), each holding the tickets of a
quarter of the stores, replicated into one replica by named multi-source connections
(``CHANGE MASTER 'srcK' ...``, ``START ALL SLAVES``, GTID, one domain per source). Sources and
replica hold head office's table shapes (``origin_store`` first in the key, the same DDL as the
shipper creates), so the replica applies the same rows into the same tables. The tills run the
same tickets as SQL at the sources (one transaction per ticket); lag is a ticket's commit at its
source -> the first poll (every ``POLL_S``) of the replica's ``@@gtid_slave_pos`` that shows it.

Run alone: ``python -m bench.stores`` (``BENCH_QUICK=1`` for 10/20/40 stores and shorter phases).
"""

from bench.stores.orchestration import run

__all__ = ["run"]
