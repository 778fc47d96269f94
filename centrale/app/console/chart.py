"""Sales per store per hour as an inline SVG: one line per store over 24 hours. Drawn on the
server (no JavaScript library, nothing from the internet); labels are escaped."""

from __future__ import annotations

from decimal import Decimal
from html import escape

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 110, 12, 28
COLORS = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0a7b83", "#57606a")


def hourly_svg(series: dict[int, list[Decimal]], names: dict[int, str], title: str) -> str:
    """``series``: store -> 24 hourly sums. Returns the ``<svg>`` element's markup."""
    top_value = max((v for values in series.values() for v in values), default=Decimal(0))
    scale = float(top_value) or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(hour: int) -> float:
        return LEFT + plot_w * hour / 23

    def y(value: Decimal) -> float:
        return TOP + plot_h * (1 - float(value) / scale)

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" class="axis"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" class="axis"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end" class="tick">{escape(_amount(top_value))}</text>',
        f'<text x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end" class="tick">0</text>',
    ]
    for hour in range(0, 24, 3):
        parts.append(f'<text x="{x(hour):.1f}" y="{HEIGHT - 8}" text-anchor="middle" class="tick">{hour:02d}h</text>')
    for i, store in enumerate(sorted(series)):
        color = COLORS[i % len(COLORS)]
        points = " ".join(f"{x(h):.1f},{y(v):.1f}" for h, v in enumerate(series[store]))
        label = escape(f"{store} {names.get(store, '')}".strip())
        parts.append(
            f'<polyline data-store="{store}" points="{points}" fill="none" stroke="{color}" stroke-width="2"/>'
        )
        ly = TOP + 14 + 16 * i
        parts.append(f'<rect x="{WIDTH - RIGHT + 10}" y="{ly - 9}" width="10" height="10" fill="{color}"/>')
        parts.append(f'<text x="{WIDTH - RIGHT + 24}" y="{ly}" class="legend">{label}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _amount(value: Decimal) -> str:
    return f"{value:,.0f}".replace(",", " ")
