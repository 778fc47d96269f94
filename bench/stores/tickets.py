"""Realistic tickets: what a till sells, as outbox rows (Centrale) and as SQL (the native peer)."""

from __future__ import annotations

import datetime as dt
import heapq
import random
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bench.stores.settings import (
    CENT,
    LEVEL_COLS,
    LINE_COLS,
    MILLI,
    MOVEMENT_COLS,
    PAYMENT_COLS,
    SALES_COLS,
    TABLES,
    TICKET_EVERY_S,
    Figures,
)
from centrale.core.changes import RowChange
from sandbox.workload import ARTICLES

# --- the tickets ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One row of a ticket: the change capture would write to the outbox, and the statement a
    till runs at a native source (head office's table shapes, ``origin_store`` first)."""

    change: RowChange
    sql: str
    args: tuple[Any, ...]


def _insert(store: int, table: str, columns: tuple[str, ...], values: tuple[Any, ...]) -> Step:
    cols = ", ".join(("origin_store", *columns))
    marks = ", ".join(["%s"] * (len(columns) + 1))
    return Step(
        RowChange(table, "upsert", columns, values), f"INSERT INTO {table} ({cols}) VALUES ({marks})", (store, *values)
    )


class Till:
    """Tickets of one store, as sandbox.workload.StoreActivity sells them, with the store's own ids
    (as its auto-increments would give them) and running figures of what it sold."""

    def __init__(self, store: int, seed: int) -> None:
        self.store = store
        self.rng = random.Random(seed * 100_003 + store)
        self.ids: Counter[str] = Counter()
        self.ticket_no = 0
        self.levels = {i: Decimal("1000.000") for i in range(1, len(ARTICLES) + 1)}
        self.sold: dict[str, list[Any]] = {t: [0, Decimal(0)] for t in TABLES if t != "stock_levels"}
        self.rows = 0

    def _next(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def _count(self, table: str, amount: Decimal) -> None:
        self.sold[table][0] += 1
        self.sold[table][1] += amount

    def opening(self) -> list[Step]:
        """The store's stock levels, as a snapshot would load them before the day starts."""
        now = dt.datetime.now()
        steps = [_insert(self.store, "stock_levels", LEVEL_COLS, (a, q, now)) for a, q in self.levels.items()]
        self.rows += len(steps)
        return steps

    def ticket(self) -> list[Step]:
        """Header, 1-5 lines (each: the line, a stock movement, the stock level), a payment, and
        the header's update to paid: one store transaction."""
        rng, store = self.rng, self.store
        now = dt.datetime.now()
        self.ticket_no += 1
        sale_id = self._next("sales")
        seller = rng.randint(1, 3)
        header = (sale_id, self.ticket_no, now.date(), now, None, seller, None, Decimal("0.00"), "open")
        steps = [_insert(store, "sales", SALES_COLS, header)]
        total = Decimal("0.00")
        for line_no in range(1, rng.randint(1, 5) + 1):
            article = rng.randint(1, len(ARTICLES))
            _code, label, price = ARTICLES[article - 1]
            qty = Decimal(rng.randint(1, 3)).quantize(MILLI)
            amount = (price * qty).quantize(CENT)
            total += amount
            line = (self._next("sale_lines"), sale_id, line_no, article, label, qty, price, amount, Decimal("10.00"))
            steps.append(_insert(store, "sale_lines", LINE_COLS, line))
            self._count("sale_lines", amount)
            move = (self._next("stock_movements"), article, -qty, "sale", f"T{self.ticket_no}", now)
            steps.append(_insert(store, "stock_movements", MOVEMENT_COLS, move))
            self._count("stock_movements", -qty)
            self.levels[article] -= qty
            level = self.levels[article]
            steps.append(
                Step(
                    RowChange("stock_levels", "upsert", LEVEL_COLS, (article, level, now)),
                    "UPDATE stock_levels SET quantity=%s, updated_at=%s WHERE origin_store=%s AND article_id=%s",
                    (level, now, store, article),
                )
            )
        method = rng.choice(["cash", "card", "card", "voucher"])
        steps.append(
            _insert(store, "sale_payments", PAYMENT_COLS, (self._next("sale_payments"), sale_id, method, total, now))
        )
        self._count("sale_payments", total)
        closed = dt.datetime.now()
        paid = (sale_id, self.ticket_no, now.date(), now, closed, seller, None, total, "paid")
        steps.append(
            Step(
                RowChange("sales", "upsert", SALES_COLS, paid),
                "UPDATE sales SET closed_at=%s, total=%s, status='paid' WHERE origin_store=%s AND id=%s",
                (closed, total, store, sale_id),
            )
        )
        self._count("sales", total)
        self.rows += len(steps)
        return steps

    def figures(self) -> Figures:
        out: Figures = {t: (int(n), Decimal(s)) for t, (n, s) in self.sold.items()}
        out["stock_levels"] = (len(self.levels), sum(self.levels.values(), Decimal(0)))
        return out


def schedule(stores: list[int], t0: float, until: float, seed: int) -> Iterator[tuple[float, int]]:
    """(when, store) of every ticket sold from ``t0`` to ``until``: each store one ticket in each
    TICKET_EVERY_S slot, at a random point of it (so stores are out of phase with each other and
    with the shipping ticks)."""
    rng = random.Random(seed)
    heap = [(t0 + rng.random() * TICKET_EVERY_S, s, 0) for s in stores]
    heapq.heapify(heap)
    while heap:
        at, store, k = heapq.heappop(heap)
        if at >= until:
            continue
        yield at, store
        heapq.heappush(heap, (t0 + (k + 1 + rng.random()) * TICKET_EVERY_S, store, k + 1))


def sleep_until(at: float) -> float:
    """Sleep until wall time ``at``; return how late we woke (s)."""
    delay = at - time.time()
    if delay > 0:
        time.sleep(delay)
    return max(0.0, time.time() - at)
