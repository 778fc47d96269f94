"""The store's disk for the outbox fills up, or comes back read-only, while the tills sell.

Capture stops with one clear line naming the outbox, the problem and the fix; its checkpoint
stays before the first transaction it could not write; once the disk is fixed it resumes from
that checkpoint and head office ends equal to the store, row for row.

The faults are real: the outbox lives on its own small tmpfs (a real file system with a real
size limit), filled with a real file until the kernel says ENOSPC, or remounted read-only.
That needs mount rights (root in CI). Without them the full-disk test is skipped, and the
read-only one uses file permissions instead, which bind a non-root user.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from centrale.core.config import load
from sandbox.chain import Chain, Site
from sandbox.compare import compare_store, describe
from sandbox.processes import CentraleProcess
from sandbox.workload import StoreActivity

DISK_MB = 64
STOCK_TAKE_ROWS = 40_000  # one transaction well beyond SQLite's WAL (~4 MB before it is reused)


class Till:
    """Sells continuously in a background thread until stopped."""

    def __init__(self, site: Site, seed: int) -> None:
        self.site = site
        self.seed = seed
        self.stop_event = threading.Event()
        self.sold = 0
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            with self.site.connect() as conn:
                activity = StoreActivity(conn, seed=self.seed)
                while not self.stop_event.is_set():
                    activity.sell()
                    self.sold += 1
                    if self.sold % 10 == 0:
                        activity.punch()
                    time.sleep(0.01)
        except BaseException as exc:
            self.error = exc

    def __enter__(self) -> Till:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_event.set()
        self.thread.join(timeout=30)
        if self.error is not None:
            raise self.error


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, check=False)


@pytest.fixture
def outbox_disk(tmp_path: Path) -> Iterator[Path]:
    """A small tmpfs of its own for the outbox: a disk that can really fill up or go read-only."""
    where = tmp_path / "outbox-disk"
    where.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system for the outbox needs root (CAP_SYS_ADMIN)")
    res = _mount("-t", "tmpfs", "-o", f"size={DISK_MB}m,mode=0755", "centrale-outbox", str(where))
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({res.stderr.strip()}): no real small disk to fill")
    try:
        yield where
    finally:
        if subprocess.run(["umount", str(where)], capture_output=True, check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def status(chain: Chain, site: Site) -> dict:
    res = chain.centrale(site, "status", "--json")
    return json.loads(res.stdout)


def wait_equal(chain: Chain, site: Site, timeout_s: float = 120) -> None:
    cfg = load(site.config)
    deadline = time.monotonic() + timeout_s
    diffs = []
    while time.monotonic() < deadline:
        with site.connect() as s, chain.hq.connect() as h:
            diffs = compare_store(s, h, cfg.catalog, site.number, site.database)
        if all(d.equal for d in diffs):
            return
        time.sleep(0.5)
    raise AssertionError(describe(diffs))


def wait_for(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"not within {timeout_s}s: {what}"
        time.sleep(0.2)


def hq_count(chain: Chain, sql: str) -> int:
    return int(chain.hq.sql(sql)[0][0])


def fill(disk: Path) -> Path:
    """Another program fills the disk: write a file until the kernel says ENOSPC."""
    filler = disk / "other-program.dat"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        for size in (1 << 20, 4096, 1):
            try:
                while os.write(fd, b"\0" * size) == size:
                    pass
            except OSError:
                pass
    finally:
        os.close(fd)
    return filler


def stock_take(site: Site, rows: int) -> None:
    """An inventory count: one store transaction adjusting many articles' stock."""
    with site.connect() as conn, conn.cursor() as cur:
        cur.execute("BEGIN")
        for start in range(0, rows, 2000):
            n = min(2000, rows - start)
            cur.execute(
                "INSERT INTO stock_movements (article_id, quantity, kind, reference, moved_at) "
                f"SELECT 1 + seq % 8, 1 + seq % 5, 'adjustment', CONCAT('INV-', seq), NOW(6) "
                f"FROM seq_{start + 1}_to_{start + n}"
            )
        cur.execute("COMMIT")


def seeded_with_outbox_at(chain: Chain, outbox: Path) -> Site:
    """Store 12 with its outbox at ``outbox``, seeded and snapshotted into it."""
    site = chain.store(12)
    chain.centrale(site, "config", "set", "outbox.path", str(outbox))
    return chain.seeded(site)


def log_lines(path: Path, needle: str) -> list[str]:
    text = path.read_text(errors="replace") if path.exists() else ""
    return [ln for ln in text.splitlines() if needle in ln]


def test_full_outbox_disk_pauses_capture_and_resumes_from_its_checkpoint(
    chain: Chain, tmp_path: Path, outbox_disk: Path
) -> None:
    outbox = outbox_disk / "outbox.db"
    site = seeded_with_outbox_at(chain, outbox)
    log = tmp_path / "run-12.log"
    proc = CentraleProcess(site.config, log).start().wait_capturing()
    try:
        with Till(site, seed=21) as till:
            wait_for(lambda: hq_count(chain, "SELECT COUNT(*) FROM sales WHERE origin_store=12") > 5, 60, "first sales")
            filler = fill(outbox_disk)
            stock_take(site, STOCK_TAKE_ROWS)

            # Capture stops with one clear line, no traceback (shipping, which fsyncs the outbox
            # before each tick, may say the same first, in its own line).
            paused = f"capture paused: outbox {outbox} is full (disk full"
            wait_for(lambda: bool(log_lines(log, paused)), 60, "capture's disk-full error in the log")
            line = log_lines(log, paused)[0]
            assert "free space on that disk; capture resumes by itself from its checkpoint" in line, line
            assert "Traceback" not in log.read_text(errors="replace")

            # `status` and `doctor` say it too, with the fix.
            st = status(chain, site)
            assert st["outbox_error"].startswith(f"outbox {outbox} is full (disk full"), st
            assert "free space on that disk" in st["outbox_error"]
            text = chain.centrale(site, "status").stdout
            assert f"outbox     outbox {outbox} is full (disk full" in text, text
            doctor = chain.centrale(site, "doctor", check=False)
            assert doctor.returncode == 3, doctor.stdout + doctor.stderr
            assert f"FAIL outbox: outbox {outbox} is full (disk full" in doctor.stdout, doctor.stdout
            assert "fix: free space on that disk; capture resumes by itself from its checkpoint" in doctor.stdout

            # The checkpoint does not move past what could not be written, while the till sells on.
            held = st["checkpoint"]
            sold = till.sold
            wait_for(lambda: till.sold > sold + 20, 30, "more sales during the fault")
            st = status(chain, site)
            assert st["checkpoint"] == held, (held, st)
            assert st["capture_behind_bytes"] != 0, st
            assert hq_count(chain, "SELECT COUNT(*) FROM stock_movements WHERE reference LIKE 'INV-%'") == 0
            assert proc.alive, log.read_text(errors="replace")[-3000:]

            filler.unlink()  # the fix: free space on that disk
            wait_for(lambda: status(chain, site)["checkpoint"] != held, 60, "capture resuming by itself")
            time.sleep(1.0)  # the till sells on after the fix
        assert till.sold > 50
        wait_equal(chain, site)
        assert proc.alive, log.read_text(errors="replace")[-3000:]
        assert log_lines(log, "capture resumed from its checkpoint")
        st = status(chain, site)
        assert st["outbox_error"] is None, st
        assert hq_count(chain, "SELECT COUNT(*) FROM stock_movements WHERE reference LIKE 'INV-%'") == STOCK_TAKE_ROWS
    finally:
        code = proc.terminate()
    assert code == 0, log.read_text(errors="replace")[-3000:]


def _read_only(outbox_dir: Path, mounted: bool) -> tuple[Callable[[], None], Callable[[], None], str]:
    """(break it, fix it, the reason users see) for an outbox folder."""
    if mounted:

        def remount(mode: str) -> None:
            res = _mount("-o", f"remount,{mode}", str(outbox_dir))
            assert res.returncode == 0, res.stderr

        return (lambda: remount("ro")), (lambda: remount("rw")), "read-only file system"

    files = [p for p in outbox_dir.iterdir() if p.is_file()]

    def lock() -> None:
        for p in files:
            p.chmod(0o444)
        outbox_dir.chmod(0o555)

    def unlock() -> None:
        outbox_dir.chmod(0o755)
        for p in files:
            p.chmod(0o644)

    return lock, unlock, f"permission denied on {outbox_dir}"


@pytest.fixture
def outbox_dir(tmp_path: Path) -> Iterator[tuple[Path, bool]]:
    """A folder for the outbox that can be made read-only: its own tmpfs when this user may
    mount (root, for whom permissions do not stop writes), else a plain folder."""
    where = tmp_path / "outbox-disk"
    where.mkdir()
    mounted = False
    if os.geteuid() == 0:
        res = _mount("-t", "tmpfs", "-o", f"size={DISK_MB}m,mode=0755", "centrale-outbox", str(where))
        if res.returncode != 0:
            pytest.skip(f"root but cannot mount a tmpfs ({res.stderr.strip()}), and permissions do not bind root")
        mounted = True
    try:
        yield where, mounted
    finally:
        if mounted:
            if subprocess.run(["umount", str(where)], capture_output=True, check=False).returncode != 0:
                subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)
        else:
            where.chmod(0o755)


def test_read_only_outbox_disk_stops_capture_clearly_and_it_resumes_once_fixed(
    chain: Chain, tmp_path: Path, outbox_dir: tuple[Path, bool]
) -> None:
    """The store PC restarts with the outbox's disk read-only (or its folder not writable by
    the Centrale user). SQLite holds its files open, so a running capture keeps writing until
    it stops; what an operator meets is the next start: `run` refuses with one clear line,
    `doctor` and `status` name the problem, and once fixed capture resumes from its checkpoint."""
    folder, mounted = outbox_dir
    outbox = folder / "outbox.db"
    site = seeded_with_outbox_at(chain, outbox)
    log = tmp_path / "run-12.log"
    with Till(site, seed=22) as till:
        proc = CentraleProcess(site.config, log).start().wait_capturing()
        try:
            wait_for(lambda: hq_count(chain, "SELECT COUNT(*) FROM sales WHERE origin_store=12") > 5, 60, "first sales")
        finally:
            assert proc.terminate() == 0  # the store PC shuts down
        held = status(chain, site)["checkpoint"]
        break_it, fix_it, reason = _read_only(folder, mounted)
        break_it()
        try:
            sold = till.sold
            wait_for(lambda: till.sold > sold + 20, 30, "sales while Centrale cannot start")
            expected = f"outbox {outbox} is not writable ({reason})"

            doctor = chain.centrale(site, "doctor", check=False)
            assert doctor.returncode == 3, doctor.stdout + doctor.stderr
            assert f"FAIL outbox: {expected}" in doctor.stdout, doctor.stdout
            assert "capture then resumes from its checkpoint (start `centrale run` again" in doctor.stdout

            refused = chain.centrale(site, "run", check=False, timeout=60)
            assert refused.returncode == 6, refused.stdout + refused.stderr  # the outbox
            errors = [ln for ln in refused.stderr.splitlines() if ln.startswith("error: ")]
            assert errors == [f"error: {expected}"], refused.stderr
            assert "Traceback" not in refused.stderr

            st = chain.centrale(site, "status", check=False)
            assert st.returncode in (0, 6), st.stdout + st.stderr
            assert expected in st.stdout + st.stderr, st.stdout + st.stderr
            assert "Traceback" not in st.stderr
        finally:
            fix_it()
        assert status(chain, site)["checkpoint"] == held  # nothing was captured meanwhile
        proc = CentraleProcess(site.config, log).start().wait_capturing()
        try:
            assert log_lines(log, f"capture resumes from checkpoint {held}")
            time.sleep(1.0)  # the till sells on
        except BaseException:
            proc.terminate()
            raise
    try:
        wait_equal(chain, site)
    finally:
        code = proc.terminate()
    assert code == 0, log.read_text(errors="replace")[-3000:]
