"""The many-stores benchmark's sizes, phases and table shapes (BENCH_QUICK shrinks them)."""

from __future__ import annotations

from decimal import Decimal

from bench.harness import (
    QUICK,
)

STORE_COUNTS = (10, 20, 40) if QUICK else (50, 100, 200)
PROCESSES = 2 if QUICK else 4
SOURCES = 4
TICKET_EVERY_S = 2.0  # per store: a rush hour with several tills, far above a chain's real mean
INTERVAL_S = 1.0  # ship.interval_s (production default: 30 s)
BATCH_ROWS = 20
WARM_S = 0.5 if QUICK else 2.0
STEADY_S = 3.5 if QUICK else 12.0
BURST_TICKETS = 10 if QUICK else 25  # per store, sold while head office is away
POLL_S = 0.02
DRAIN_POLL_S = 0.005
DRAIN_TIMEOUT_S = 120.0
FIRST_STORE = 101
TEMPLATE_DB = "pos_template"  # the sample store schema: what store_tables() reads
NATIVE_DB = "pos_hq"
TABLES = ("sales", "sale_lines", "sale_payments", "stock_movements", "stock_levels")
SUM_COLUMN = {
    "sales": "total",
    "sale_lines": "amount",
    "sale_payments": "amount",
    "stock_movements": "quantity",
    "stock_levels": "quantity",
}
SALES_COLS = (
    "id",
    "ticket_no",
    "business_day",
    "opened_at",
    "closed_at",
    "salesperson_id",
    "customer_card",
    "total",
    "status",
)
LINE_COLS = ("id", "sale_id", "line_no", "article_id", "label", "quantity", "unit_price", "amount", "vat_rate")
PAYMENT_COLS = ("id", "sale_id", "method", "amount", "paid_at")
MOVEMENT_COLS = ("id", "article_id", "quantity", "kind", "reference", "moved_at")
LEVEL_COLS = ("article_id", "quantity", "updated_at")
CENT = Decimal("0.01")
MILLI = Decimal("0.001")

Figures = dict[str, tuple[int, Decimal]]  # table -> (rows, sum of its amount column)
