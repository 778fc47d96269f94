"""``python -m bench``: every benchmark in turn, a summary table, and bench/results/latest.json."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable

from bench import applier, bigtxn, capture, catchup, idle, lag, pull, stores
from bench.harness import QUICK, Report, Stopwatch, fmt, save, timed

BENCHMARKS: list[tuple[str, Callable[[], Report]]] = [
    ("capture", capture.run),
    ("applier", applier.run),
    ("lag", lag.run),
    ("pull", pull.run),
    ("idle", idle.run),
    ("stores", stores.run),
    ("catchup", catchup.run),
    ("bigtxn", bigtxn.run),
]


def summary(reports: list[Report], seconds: float) -> str:
    lines = [
        f"## Centrale benchmarks ({'quick' if QUICK else 'normal'} mode, {seconds:.0f} s)",
        "",
        "| benchmark | metric | Centrale | bare baseline | ratio | target | result |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for r in reports:
        for m in r.measures:
            if not m.target:
                continue
            ratio = f"{m.ratio:.2f}x" if m.ratio is not None else "—"
            lines.append(
                f"| {r.name} | {m.metric} | {fmt(m.centrale)} {m.unit} | {fmt(m.baseline)} {m.unit} | {ratio} "
                f"| {m.target} | {m.verdict} |"
            )
    return "\n".join(lines) + "\n"


def main() -> int:
    reports: list[Report] = []
    crashed: list[str] = []
    with Stopwatch() as sw:
        for name, body in BENCHMARKS:
            print(f"running {name}...", file=sys.stderr, flush=True)
            try:
                report = timed(body)
            except Exception:
                traceback.print_exc()
                crashed.append(name)
                continue
            reports.append(report)
            print(report.markdown(), flush=True)
    print(summary(reports, sw.seconds), flush=True)
    print(f"results: {save(reports, replace_all=True)}")
    if crashed:
        print(f"error: benchmark(s) {', '.join(crashed)} did not run to the end", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
