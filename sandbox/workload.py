"""Simulated store activity on the sample schema: tickets with lines and payments, stock
movements, time-clock punches. Each ticket is one transaction, as a till writes it."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pymysql

ARTICLES = [
    ("CAF", "Café", Decimal("1.80")),
    ("CRO", "Croissant", Decimal("1.20")),
    ("PAC", "Pain au chocolat", Decimal("1.40")),
    ("BAG", "Baguette", Decimal("1.10")),
    ("SAN", "Sandwich jambon-beurre", Decimal("4.50")),
    ("TAR", "Tarte aux pommes", Decimal("3.20")),
    ("JUS", "Jus d'orange pressé", Decimal("3.90")),
    ("THE", "Thé vert 🍵", Decimal("2.10")),
]


def seed_store(conn: pymysql.connections.Connection) -> None:
    """Articles and salespeople a store needs before selling (idempotent)."""
    with conn.cursor() as cur:
        for i, (code, label, price) in enumerate(ARTICLES, start=1):
            cur.execute(
                "INSERT IGNORE INTO articles (id, code, label, price, price_takeaway) VALUES (%s,%s,%s,%s,%s)",
                (i, code, label, price, price),
            )
            cur.execute("INSERT IGNORE INTO stock_levels (article_id, quantity) VALUES (%s, 1000)", (i,))
        for i, name in enumerate(["Camille", "Hugo", "Léa"], start=1):
            cur.execute(
                "INSERT IGNORE INTO salespeople (id, code, first_name) VALUES (%s,%s,%s)", (i, f"V{i:02d}", name)
            )
    conn.commit()


class StoreActivity:
    """Writes realistic transactions to one store database."""

    def __init__(self, conn: pymysql.connections.Connection, seed: int = 0) -> None:
        self.conn = conn
        self.rng = random.Random(seed)
        self.ticket_no = 0
        with conn.cursor() as cur:
            cur.execute("SELECT COALESCE(MAX(ticket_no), 0) FROM sales")
            row = cur.fetchone()
            self.ticket_no = int(row[0]) if row else 0

    def sell(self) -> Decimal:
        """One ticket: header, 1-5 lines, a payment, stock movements and levels. Returns its total."""
        rng = self.rng
        now = dt.datetime.now()
        self.ticket_no += 1
        lines = [rng.choice(ARTICLES) for _ in range(rng.randint(1, 5))]
        with self.conn.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute(
                "INSERT INTO sales (ticket_no, business_day, opened_at, salesperson_id, status) "
                "VALUES (%s, %s, %s, %s, 'open')",
                (self.ticket_no, now.date(), now, rng.randint(1, 3)),
            )
            sale_id = cur.lastrowid
            total = Decimal("0")
            for n, (code, label, price) in enumerate(lines, start=1):
                qty = Decimal(rng.randint(1, 3))
                amount = price * qty
                total += amount
                article_id = next(i for i, a in enumerate(ARTICLES, start=1) if a[0] == code)
                cur.execute(
                    "INSERT INTO sale_lines (sale_id, line_no, article_id, label, quantity, unit_price, amount, "
                    "vat_rate) VALUES (%s,%s,%s,%s,%s,%s,%s,%s)",
                    (sale_id, n, article_id, label, qty, price, amount, Decimal("10.00")),
                )
                cur.execute(
                    "INSERT INTO stock_movements (article_id, quantity, kind, reference, moved_at) "
                    "VALUES (%s, %s, 'sale', %s, %s)",
                    (article_id, -qty, f"T{self.ticket_no}", now),
                )
                cur.execute("UPDATE stock_levels SET quantity = quantity - %s WHERE article_id = %s", (qty, article_id))
            cur.execute(
                "INSERT INTO sale_payments (sale_id, method, amount, paid_at) VALUES (%s, %s, %s, %s)",
                (sale_id, rng.choice(["cash", "card", "card", "voucher"]), total, now),
            )
            cur.execute(
                "UPDATE sales SET total=%s, status='paid', closed_at=%s WHERE id=%s",
                (total, dt.datetime.now(), sale_id),
            )
            cur.execute("COMMIT")
        return total

    def punch(self) -> None:
        with self.conn.cursor() as cur:
            cur.execute(
                "INSERT INTO time_clock_punches (salesperson_id, punched_at, kind) VALUES (%s, %s, %s)",
                (self.rng.randint(1, 3), dt.datetime.now(), self.rng.choice(["in", "out", "break_start", "break_end"])),
            )
        self.conn.commit()


def totals(conn: pymysql.connections.Connection, origin: int | None = None) -> tuple[int, Decimal]:
    """(ticket count, sales total) of paid tickets, at a store or for one store at head office."""
    with conn.cursor() as cur:
        if origin is None:
            cur.execute("SELECT COUNT(*), COALESCE(SUM(total), 0) FROM sales WHERE status='paid'")
        else:
            cur.execute(
                "SELECT COUNT(*), COALESCE(SUM(total), 0) FROM sales WHERE status='paid' AND origin_store=%s",
                (origin,),
            )
        row = cur.fetchone()
    assert row is not None
    return int(row[0]), Decimal(row[1])
