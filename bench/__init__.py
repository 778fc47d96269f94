"""Centrale's benchmarks: each measures Centrale against a bare baseline in the same run, on the
same data, and prints a markdown table of ratios with the issue's targets beside them.

- ``bench.capture``: binlog -> outbox rows/s vs a bare python-mysql-replication loop (>= 0.8x),
  with ``mariadb-binlog -v`` on the same binlog as the C limit;
- ``bench.applier``: outbox -> head office rows/s in 20-row batches vs bare PyMySQL
  ``executemany`` in 20-row transactions (>= 0.8x);
- ``bench.lag``: end-to-end lag of `centrale run` with ``ship.interval_s = 1`` (p99 < 2 s) against
  the polling floor, and its peak RSS (< 150 MB) against a bare Python with the MySQL libraries;
- ``bench.pull``: `pull articles` of 50,000 rows with 1% changed at head office against a full
  ``mariadb-dump | mariadb`` copy of the table (at least 10x faster, i.e. <= 0.1x the time), plus
  the first full pull against the same copy;
- ``bench.idle``: CPU (< 1% of a core) and RSS (< 100 MB) of `centrale run` on an idle store over
  60 s, against a bare idle Python that imports the same libraries;
- ``bench.stores``: 50, 100 and 200 simulated stores shipping to one head office (apply rate, lag,
  head-office CPU, lock waits, deadlocks, rows lost) against multi-source replication;
- ``bench.catchup``: a long outage's backlog drained into head office against a replica's SQL
  thread applying the same rows (>= 1.0x).

``python -m bench`` runs them all (``make bench``); ``python -m bench.NAME`` runs one;
``BENCH_QUICK=1`` makes a fast pass on small data. Results also go to
``bench/results/latest.json``. Verdicts are printed, never asserted: a benchmark only measures.
"""
