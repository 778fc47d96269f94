"""Idle cost: CPU and RSS of `centrale run` on an idle store (targets: under 1% of a core, under
100 MB), against a bare idle Python that imports the same libraries, measured over the same window.

A throwaway head office and store (sample schema, a few reference rows), a snapshot, then
`centrale run` as a child process with the store settings a real store has by default
(``local.heartbeat_s``, ``ship.interval_s`` and ``jobs.interval_s`` are stated in the notes).
Once the snapshot has reached head office and a settling pause has passed, nothing is written
anywhere: the window then sees only what Centrale does on its own (binlog heartbeats, shipping
ticks that find nothing, jobs ticks that poll head office).

- CPU: user + system time from ``/proc/PID/stat`` (waited-for children included, and any live
  descendant's), its increase over the window divided by the window's length;
- RSS: ``VmRSS`` sampled every second during the window (descendants included), and the
  kernel's high-water mark ``VmHWM`` (since start, the snapshot's shipping included);
- the baseline: ``python -c 'import pymysql, pymysqlreplication, sqlalchemy, apscheduler'``
  then sleeping, started before the window and measured over the same one.

Run alone: ``python -m bench.idle`` (``BENCH_QUICK=1`` for a 15 s window).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import psutil

from bench.harness import STORE, Measure, Report, main_for, pick, servers_and_chain
from centrale.core.config import load
from sandbox.chain import Chain, Site
from sandbox.processes import CentraleProcess, stop_process
from sandbox.workload import seed_store

CPU_TARGET_PCT = 1.0
RSS_TARGET_MB = 100.0
SETTLE_S = 5.0
SAMPLE_EVERY_S = 1.0
SHIP_INTERVAL_S = 30.0  # ship.interval_s's default (the sandbox's configs ship every second)
CLK_TCK = os.sysconf("SC_CLK_TCK")
MB = 1024 * 1024
LIBRARIES = "pymysql, pymysqlreplication, sqlalchemy, apscheduler"
BARE_CODE = f"import time, {LIBRARIES}\ntime.sleep(3600)\n"


def _proc_ticks(pid: int) -> int:
    """utime + stime + cutime + cstime of one process, in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15])  # fields 14-17 of proc(5), counted from field 3


def _status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def _run_ns(pid: int) -> int:
    """Nanoseconds on a CPU of the process's live threads (the scheduler's count, finer than the
    10 ms ticks of /proc/PID/stat)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return total


def _switches(pid: int) -> int:
    """Context switches of every thread of a process: how often it wakes up, roughly."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            for line in (task / "status").read_text().splitlines():
                if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                    total += int(line.split()[1])
        except OSError:
            continue  # a thread that ended meanwhile
    return total


@dataclass
class Usage:
    """What one process (and its descendants) used over the window."""

    pid: int
    cpu_s: float = 0.0
    seconds: float = 0.0
    rss: list[int] = field(default_factory=list)  # bytes
    hwm: int = 0  # bytes
    switches: int = 0
    run_s: float = 0.0  # the same CPU time, from schedstat
    descendants: int = 0
    threads: int = 0
    _start: tuple[float, float, int, int] = (0.0, 0.0, 0, 0)

    def _cpu_now(self) -> float:
        ticks = _proc_ticks(self.pid)
        seconds = ticks / CLK_TCK
        try:
            kids = psutil.Process(self.pid).children(recursive=True)
        except psutil.Error:
            kids = []
        self.descendants = max(self.descendants, len(kids))
        for kid in kids:
            try:
                t = kid.cpu_times()
                seconds += t.user + t.system
            except psutil.Error:
                pass
        return seconds

    def begin(self) -> None:
        self._start = (time.monotonic(), self._cpu_now(), _switches(self.pid), _run_ns(self.pid))

    def sample(self) -> None:
        rss = _status_kb(self.pid, "VmRSS") * 1024
        with contextlib.suppress(psutil.Error):
            rss += sum(k.memory_info().rss for k in psutil.Process(self.pid).children(recursive=True))
        self.rss.append(rss)

    def end(self) -> None:
        t0, cpu0, sw0, ns0 = self._start
        self.seconds = time.monotonic() - t0
        self.cpu_s = self._cpu_now() - cpu0
        self.switches = _switches(self.pid) - sw0
        self.run_s = (_run_ns(self.pid) - ns0) / 1e9
        self.hwm = _status_kb(self.pid, "VmHWM") * 1024
        self.threads = len(list(Path(f"/proc/{self.pid}/task").iterdir()))

    @property
    def cpu_pct(self) -> float:
        return 100 * self.cpu_s / self.seconds if self.seconds else 0.0

    @property
    def rss_max(self) -> int:
        return max(self.rss, default=0)

    @property
    def rss_mean(self) -> float:
        return sum(self.rss) / len(self.rss) if self.rss else 0.0


def snapshot_rows(chain: Chain, site: Site) -> int:
    """`centrale snapshot` of every captured table: the rows queued."""
    *_progress, result = chain.centrale(site, "snapshot", "--json").stdout.splitlines()
    return sum(int(table["rows"]) for table in orjson.loads(result))


def wait_shipped(chain: Chain, rows: int, child: CentraleProcess, timeout_s: float = 120) -> None:
    """Until head office has applied ``rows`` rows of this store (the snapshot)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and child.alive:
        try:
            got = chain.hq.sql("SELECT COALESCE(SUM(rows_applied), 0) FROM centrale_progress WHERE store=%s", STORE)
        except Exception:  # head office has no progress table before the first tick: not yet
            got = [(0,)]
        if int(got[0][0]) >= rows:
            return
        time.sleep(0.5)
    raise RuntimeError(f"`centrale run` did not ship the snapshot's {rows} rows; see {child.log_path}")


def run() -> Report:
    window = pick(60, 15)
    report = Report("idle", "CPU and RSS of `centrale run` on an idle store", params={"window": f"{window} s"})
    with servers_and_chain("idle", interval_s=SHIP_INTERVAL_S) as (root, chain):
        site = chain.store(STORE)
        # The sandbox beats every 0.5 s for quick tests; a store runs with the default.
        text = site.config.read_text()
        site.config.write_text("\n".join(ln for ln in text.splitlines() if not ln.startswith("heartbeat_s")) + "\n")
        cfg = load(site.config)
        report.params |= {
            "local.heartbeat_s": cfg.local.heartbeat_s,
            "ship.interval_s": cfg.ship.interval_s,
            "jobs.interval_s": cfg.jobs.interval_s,
        }
        with site.connect() as conn:
            seed_store(conn)
        rows = snapshot_rows(chain, site)
        child = CentraleProcess(site.config, root / "centrale-run.log").start()
        bare_proc = subprocess.Popen([sys.executable, "-c", BARE_CODE], stdin=subprocess.DEVNULL)
        try:
            child.wait_capturing(60)
            wait_shipped(chain, rows, child)
            time.sleep(SETTLE_S)
            assert child.proc is not None
            centrale, bare = Usage(child.proc.pid), Usage(bare_proc.pid)
            for u in (centrale, bare):
                u.begin()
            end_at = time.monotonic() + window
            while time.monotonic() < end_at:
                time.sleep(min(SAMPLE_EVERY_S, max(0.0, end_at - time.monotonic())))
                for u in (centrale, bare):
                    u.sample()
            for u in (centrale, bare):
                u.end()
            alive = child.alive
        finally:
            code = child.terminate()
            stop_process(bare_proc, 30)
        if not alive or code:
            tail = child.log_text()[-2000:]
            print(f"warning: `centrale run` exited with {code}:\n{tail}", flush=True)
    label = f"python -c 'import {LIBRARIES}' + sleep"
    report.measures += [
        Measure(
            "CPU while idle",
            "% of a core",
            centrale.cpu_pct,
            bare.cpu_pct,
            label,
            target=f"< {CPU_TARGET_PCT:g}% of a core",
            passed=centrale.cpu_pct < CPU_TARGET_PCT,
        ),
        Measure(
            "RSS while idle (max of samples)",
            "MB",
            centrale.rss_max / MB,
            bare.rss_max / MB,
            label,
            target=f"< {RSS_TARGET_MB:.0f} MB",
            passed=centrale.rss_max / MB < RSS_TARGET_MB,
        ),
        Measure("peak RSS since start (VmHWM)", "MB", centrale.hwm / MB, bare.hwm / MB, label),
    ]
    report.notes += [
        f"the store: sample schema seeded with a few reference rows, snapshot of {rows} rows shipped before the "
        f"window, then a {SETTLE_S:g} s pause; nothing written during the window",
        f"`centrale run` with the defaults a store runs with: binlog heartbeat every {cfg.local.heartbeat_s:g} s, "
        f"shipping tick every {cfg.ship.interval_s:g} s, jobs tick (polls head office) every "
        f"{cfg.jobs.interval_s:g} s",
        f"CPU: {centrale.cpu_s:.2f} s of user + system time in {centrale.seconds:.1f} s for Centrale "
        f"({centrale.threads} threads, {centrale.descendants} child processes), {bare.cpu_s:.2f} s for the "
        f"baseline; /proc/PID/stat, {CLK_TCK} ticks a second (the scheduler's finer count, "
        f"/proc/PID/task/*/schedstat: {centrale.run_s:.3f} s, i.e. {100 * centrale.run_s / centrale.seconds:.3f}% "
        f"of a core, and {bare.run_s:.3f} s)",
        f"wake-ups (context switches, all threads): {centrale.switches / centrale.seconds:.1f}/s for Centrale, "
        f"{bare.switches / bare.seconds:.1f}/s for the baseline",
        f"RSS: {len(centrale.rss)} VmRSS samples, {SAMPLE_EVERY_S:g} s apart; Centrale's mean "
        f"{centrale.rss_mean / MB:.1f} MB; VmHWM also counts start-up and the snapshot's shipping",
    ]
    if window < max(cfg.ship.interval_s, cfg.jobs.interval_s):
        report.notes.append(f"quick mode: a {window} s window may see no shipping or jobs tick")
    return report


if __name__ == "__main__":
    main_for(run)
