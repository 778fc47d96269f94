"""What every benchmark shares: quick mode, a stopwatch, result tables (markdown), the JSON file,
and throwaway servers that are always stopped.

Benchmarks only measure and print: no timed assertion anywhere. A verdict (PASS/FAIL against the
issue's target) is printed beside each figure for the reader, never raised.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sandbox.chain import Chain, build_chain, start_servers
from sandbox.mariadb import MariaDBServer

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
RESULTS_DIR = Path(__file__).resolve().parent / "results"
LATEST = RESULTS_DIR / "latest.json"
STORE = 12
# MariaDB's own default (1 GB): the sandbox's 1 MB files would add a rotation every few
# thousand rows, which no store sees. Both sides of every comparison read the same files.
BINLOG_FILE_BYTES = 1024**3


def pick(normal: int, quick: int) -> int:
    """The normal-mode size, or the quick one under BENCH_QUICK=1."""
    return quick if QUICK else normal


class Stopwatch:
    """``with Stopwatch() as sw: ...`` then ``sw.seconds`` (monotonic, wall time)."""

    def __init__(self) -> None:
        self.started = 0.0
        self.seconds = 0.0

    def __enter__(self) -> Stopwatch:
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started


@dataclass
class Tally:
    """Rows and seconds of one side, summed over interleaved rounds (so that both sides of a
    comparison share the machine's slow and fast moments)."""

    rows: int = 0
    seconds: float = 0.0
    rates: list[float] = field(default_factory=list)

    def add(self, rows: int, seconds: float) -> None:
        self.rows += rows
        self.seconds += seconds
        self.rates.append(rows / seconds)

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def spread(centrale: Tally, baseline: Tally) -> str:
    """Per-round ratios, for the notes: how much the machine's noise moves the ratio."""
    ratios = [c / b for c, b in zip(centrale.rates, baseline.rates, strict=True)]
    return f"per-round ratio {min(ratios):.2f}x to {max(ratios):.2f}x over {len(ratios)} rounds"


@dataclass
class Measure:
    """One line of a benchmark's table: Centrale's figure against a baseline from the same run."""

    metric: str
    unit: str
    centrale: float
    baseline: float
    baseline_label: str
    target: str = ""
    passed: bool | None = None
    ratio: float | None = None  # computed as centrale / baseline unless given

    def __post_init__(self) -> None:
        if self.ratio is None and self.baseline:
            self.ratio = self.centrale / self.baseline

    @property
    def verdict(self) -> str:
        return "—" if self.passed is None else ("PASS" if self.passed else "FAIL")


@dataclass
class Report:
    """A benchmark's result: parameters, measures and notes (settings that qualify the figures)."""

    name: str
    title: str
    params: dict[str, Any] = field(default_factory=dict)
    measures: list[Measure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def markdown(self) -> str:
        lines = [f"### {self.name}: {self.title}", ""]
        if self.params:
            lines += ["Parameters: " + ", ".join(f"{k} = {fmt(v)}" for k, v in self.params.items()), ""]
        lines += [
            "| metric | Centrale | bare baseline | ratio | target | result |",
            "|---|---:|---:|---:|---|---|",
        ]
        for m in self.measures:
            ratio = f"{m.ratio:.2f}x" if m.ratio is not None else "—"
            lines.append(
                f"| {m.metric} | {fmt(m.centrale)} {m.unit} | {fmt(m.baseline)} {m.unit} ({m.baseline_label}) "
                f"| {ratio} | {m.target or '—'} | {m.verdict} |"
            )
        if self.notes:
            lines += ["", *[f"- {n}" for n in self.notes]]
        mode = "quick mode (small data; figures are noisier)" if QUICK else "normal mode"
        lines += ["", f"_{mode}, {self.seconds:.1f} s wall time_", ""]
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for m, raw in zip(self.measures, out["measures"], strict=True):
            raw["verdict"] = m.verdict
        return out


def fmt(v: Any) -> str:
    if isinstance(v, float):
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        return f"{v:.3g}" if abs(v) < 10 else f"{v:.1f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def run_info() -> dict[str, Any]:
    return {
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "mode": "quick" if QUICK else "normal",
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }


def save(reports: list[Report], *, replace_all: bool) -> Path:
    """Write ``bench/results/latest.json`` atomically. A single benchmark run alone replaces only
    its own entry (each entry carries its own run info); ``python -m bench`` replaces the file."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    doc: dict[str, Any] = {"benchmarks": {}}
    if not replace_all and LATEST.exists():
        try:
            doc = json.loads(LATEST.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            doc = {"benchmarks": {}}
    info = run_info()
    if replace_all:
        doc["run"] = info
    for r in reports:
        doc.setdefault("benchmarks", {})[r.name] = {**info, **r.to_json()}
    tmp = LATEST.with_name(LATEST.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, LATEST)
    return LATEST


def timed(body: Callable[[], Report]) -> Report:
    with Stopwatch() as sw:
        report = body()
    report.seconds = sw.seconds
    return report


def main_for(body: Callable[[], Report]) -> None:
    """``python -m bench.NAME``: run one benchmark, print its table, update latest.json."""
    report = timed(body)
    print(report.markdown(), flush=True)
    print(f"results: {save([report], replace_all=False)}")


@contextmanager
def servers_and_chain(
    prefix: str, *, interval_s: float = 1.0, hq_options: dict[str, str] | None = None
) -> Iterator[tuple[Path, Chain]]:
    """A head office and one store on throwaway servers in a temp dir (``sandbox.chain.start_servers``,
    binlog files of BINLOG_FILE_BYTES), with the sample schema and configs
    (``sandbox.chain.build_chain``, ``ship.interval_s`` as given). Servers stop whatever happens."""
    root = Path(tempfile.mkdtemp(prefix=f"centrale-bench-{prefix}-"))
    started: list[MariaDBServer] = []
    try:
        hq, stores = start_servers(root, (STORE,), max_binlog_size=BINLOG_FILE_BYTES, hq_options=hq_options)
        started += [hq, *stores.values()]
        yield root, build_chain(root / "chain", hq, stores, interval_s=interval_s)
    finally:
        for s in reversed(started):
            try:
                s.stop()
            except RuntimeError as exc:  # a server that would not stop: say so, stop the others
                print(f"warning: {exc}", flush=True)
        shutil.rmtree(root, ignore_errors=True)


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process so far (/proc/PID/stat): a server's CPU over a window."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def durability(server: MariaDBServer) -> str:
    row = server.sql("SELECT @@innodb_flush_log_at_trx_commit, @@sync_binlog, @@log_bin")[0]
    return f"innodb_flush_log_at_trx_commit={row[0]}, sync_binlog={row[1]}, log_bin={'ON' if row[2] else 'OFF'}"
