"""The shipping loop: every tick, drain the outbox to head office in whole-transaction batches."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from applier.shipper import Shipper
from centrale.core.changes import Batch
from centrale.core.config import ShipSection
from centrale.core.errors import (
    BatchRejectedError,
    CentraleError,
    OutboxError,
    PreflightError,
    ShipError,
    TransientShipError,
)
from centrale.core.i18n import Msg
from centrale.core.log import get_logger
from centrale.core.outbox import OutboxStore
from centrale.core.outbox.notes import RESTORE_CHECK, check_after, restore_check
from centrale.core.progress import Report, Step, quiet

log = get_logger("applier")

PREFETCH_BATCHES = 64  # batches read from the outbox at once...
PREFETCH_ROWS = 2000  # ...unless they hold more rows than this (large catch-up batches)
QUEUED_READS = 2  # reads waiting for the worker thread, the one it ships included
CATCHUP_AFTER_TICKS = 4  # rows older than this many ticks: shipping is behind (catch-up batches)
ACK_EVERY_S = 1.0  # forget shipped rows locally at most this often (head office dedupes re-sends)...
MARK_TOLERANCE_S = 0.001  # head office's mark of its last row against this file's (applier.progress)
ACK_EVERY_ROWS = 10_000  # ...or once this many are shipped: a long drain deletes as it goes, not all at the end


@dataclass
class ShipReport:
    batches: int = 0
    rows: int = 0
    error: str | None = None
    hint: str | None = None
    held: bool = False
    failure: CentraleError | None = None  # the error itself, for the CLI to say in the user's language


@dataclass(frozen=True)
class CatchUp:
    """Larger batches while shipping is behind (a store back from an outage): the 20-row rule
    keeps head office's transactions short in normal operation, but 1,000,000 rows in 20-row
    transactions cost 50,000 commits and round trips, and hundreds of stores coming back at
    once in 20-row transactions swamp head office. Behind means more than ``after_rows``
    waiting, or rows waiting for longer than ``after_s`` (several ticks: head office was
    away); catch-up then lasts until no more than one ordinary batch is left. Batches still
    hold whole source transactions, so atomicity and order are the same."""

    after_rows: int
    batch_rows: int
    after_s: float = math.inf

    @classmethod
    def from_settings(cls, ship: ShipSection) -> CatchUp:
        """As `centrale run` ships: behind after ``CATCHUP_AFTER_TICKS`` ticks' worth of waiting."""
        return cls(ship.catchup_after_rows, ship.catchup_batch_rows, CATCHUP_AFTER_TICKS * ship.interval_s)


class ApplierService:
    """Ships in batches of at most ``batch_rows`` rows (a larger transaction goes alone, whole);
    with ``catchup``, batches of ``catchup.batch_rows`` while more than ``catchup.after_rows``
    rows wait."""

    def __init__(
        self,
        outbox: OutboxStore,
        shipper: Shipper,
        batch_rows: int,
        stop: threading.Event,
        catchup: CatchUp | None = None,
        *,
        hang_up_between_ticks: bool = False,
        check_restored: Callable[[], object] | None = None,
    ) -> None:
        """``check_restored`` is the comparison `run` makes before an outbox found to be an earlier
        copy ships again (``centrale.app.restorecheck``); without it such an outbox waits."""
        self.outbox = outbox
        self.check_restored = check_restored
        self.shipper = shipper
        self.batch_rows = batch_rows
        self.stop = stop
        # With ticks tens of seconds apart, a store holding its head-office connection in between
        # would make head office hold one per store: 500 stores exceed MariaDB's default
        # max_connections (151). A reconnect per tick costs far less.
        self.hang_up = hang_up_between_ticks
        self.catchup = catchup if catchup and catchup.batch_rows > batch_rows else None
        self._lock = threading.Lock()
        self._prepared = False
        self._catching_up = False
        self._noted_offset: float | None = None
        self.progress: Report = quiet  # `outbox replay` shows it (centrale/app/cli/progress.py)
        self._total: int | None = None

    def _rows_per_batch(self, waiting: int, waited_s: float) -> int:
        """``waiting`` is an upper bound of the rows left (seq numbers can have gaps), and
        ``waited_s`` how long the next row has waited at least."""
        c = self.catchup
        # Once started, catch-up lasts until the backlog is shipped: its last rows in 20-row
        # batches would cost as long as the rest of it.
        behind = c is not None and (waiting > c.after_rows or waited_s > c.after_s)
        big = behind or (self._catching_up and waiting > self.batch_rows)
        if big != self._catching_up:
            self._catching_up = big
            if big:
                assert c is not None
                log.info(
                    "catching up: up to %d rows waiting for %.0f s, batches of %d rows", waiting, waited_s, c.batch_rows
                )
            else:
                log.info("caught up: batches of %d rows again", self.batch_rows)
        return self.catchup.batch_rows if big and self.catchup else self.batch_rows

    def tick(self, max_batches: int | None = None) -> ShipReport:
        """Ship while there is a backlog (or ``max_batches``); one tick at a time."""
        if not self._lock.acquire(blocking=False):
            return ShipReport()
        try:
            return self._drain(max_batches)
        finally:
            self._note_clock()
            if self.hang_up:
                self.shipper.close()
            self._lock.release()

    def _catch_up_with_head_office(self) -> int | None:
        """Head office holds less than this store shipped (it was put back from a backup): the
        kept shipped rows it lacks go back in the queue (``centrale.core.outbox.retention``); those
        purged before are named, with the command that refills them, in the log and `status`.
        An outbox copy, or a binlog found replaced, has head office's rows compared first
        (``check_restored``); returns the seq above which nothing ships until then."""
        applied = getattr(self.shipper, "last_applied", None)  # optional (applier.shipper)
        if applied is None:
            return None
        pending = self.outbox.noted(RESTORE_CHECK)  # found before, not compared yet
        if pending is not None:
            after = check_after(pending)
            if self.outbox.oldest()[0] <= after:  # the rows before the comparison go first
                return after
            self._check_restored(pending)
        seqs = self.outbox.seqs()
        marked = getattr(self.shipper, "last_applied_mark", None)  # and which row that was (applier.progress)
        theirs, mark = (
            marked(self.outbox.generation) if marked is not None else (int(applied(self.outbox.generation)), None)
        )
        ours = self.outbox.captured_at_of(theirs) if mark is not None and theirs <= seqs.issued else None
        if theirs > seqs.issued or (ours is not None and mark is not None and abs(ours - mark) > MARK_TOLERANCE_S):
            # Head office holds rows this outbox never issued, or other rows under the same seqs:
            # the file was put back from a backup or copied. Its new rows would be taken for rows
            # head office has.
            old, new = self.outbox.generation, self.outbox.new_generation()
            log.warning(
                "head office holds rows up to seq %d of this outbox (generation %s) that it did not issue "
                "(it issued %d%s): it was put back from a backup or copied; its waiting rows go again as "
                "generation %s",
                theirs,
                old,
                seqs.issued,
                ", other rows under the same seqs" if theirs <= seqs.issued else "",
                new,
            )
            found = restore_check(0, f"an earlier copy of the outbox: generation {old} -> {new}")
            self.outbox.note(RESTORE_CHECK, found)
            self._check_restored(found)
            return None
        mine = seqs.shipped
        if theirs >= mine:
            return None
        back = self.outbox.reship_after(theirs)
        log.warning(
            "head office holds this store's rows up to seq %d only, %d were shipped (put back from a backup?): "
            "%d kept rows are sent again",
            theirs,
            mine,
            back.rows,
        )
        if back.lost_from is not None:
            lost = Msg("err.ship.hq_gap", first=back.lost_from, last=back.lost_to, n=back.rows)
            self.outbox.note("hq_gap", f"{lost}; {Msg('err.ship.hq_gap.hint')}")
            log.error("%s; hint: %s", lost, Msg("err.ship.hq_gap.hint"))
        return None

    @staticmethod
    def _held(synced: int, hold: int | None) -> int:
        return synced if hold is None else min(synced, hold)

    def _check_restored(self, why: str) -> None:
        """Before an earlier copy's rows ship: head office's rows compared with the store's, those
        about to change saved (``check_restored``). Until it succeeds, nothing ships."""
        log.warning("%s", Msg("log.restore.found", why=why.split(" ", 1)[-1]))
        try:
            if self.check_restored is None:
                raise TransientShipError(Msg("err.ship.restore_pending", error="`centrale run` compares them"))
            self.check_restored()
        except TransientShipError:
            raise
        except CentraleError as exc:
            raise TransientShipError(
                Msg("err.ship.restore_pending", error=exc.message), hint=Msg("err.ship.restore_pending.hint")
            ) from None
        self.outbox.note(RESTORE_CHECK, None)

    def _note_clock(self) -> None:
        """The store's clock offset the shipper measured, kept for `status` and the report to
        head office (``centrale.core.clock``); written when it moved by half a second or more."""
        offset = getattr(getattr(self.shipper, "clock", None), "offset", None)
        if offset is None or (self._noted_offset is not None and abs(offset - self._noted_offset) < 0.5):
            return
        try:
            self.outbox.note("clock_offset", f"{offset:.3f}")
            self._noted_offset = offset
        except OutboxError as exc:
            log.warning("could not note the store's clock offset: %s", exc.message)

    def _drain(self, max_batches: int | None) -> ShipReport:
        """Read the outbox while head office applies what was read before: a worker thread ships
        the reads in order (one head-office transaction per batch) while this thread reads and
        prepares the next ones, so a long backlog costs the larger of the two instead of their
        sum. Up to ``QUEUED_READS`` reads wait for the worker, which goes from one to the next
        without waiting for this thread. Shipping stays strictly sequential: after a failure
        the worker ships nothing more (a later batch would leave a gap at head office), what
        was read ahead is dropped, and the outbox is only ever touched from this thread."""
        report = ShipReport()
        acked_seq = read_seq = queued = 0
        shipped = _Progress()
        last_ack = time.monotonic()
        waiting: deque[Future[_Shipped]] = deque()
        halt = threading.Event()
        try:
            if not self._prepared:
                # Head-office tables exist from the first tick on, not only after the first row:
                # a pull of shared data from another store may need them before that.
                self.shipper.prepare()
                self._prepared = True
            hold = self._catch_up_with_head_office()
            follows = self.outbox.seqs().shipped  # head office holds everything up to it
            synced = self._held(self.outbox.sync(), hold)
            first, next_captured_at = self.outbox.oldest()
            self._total = self.outbox.stats().backlog if self.progress is not quiet else None
            prebuild = getattr(self.shipper, "prebuild", None)  # optional (applier.shipper)
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="centrale-ship") as pool:
                while not self.stop.is_set() and not halt.is_set():
                    waited_s = time.time() - next_captured_at if next_captured_at is not None else 0.0
                    rows_per_batch = self._rows_per_batch(synced - max(read_seq, first - 1), waited_s)
                    # Memory holds a few reads' batches at most, whatever the backlog and batch size.
                    prefetch = max(1, min(PREFETCH_BATCHES, PREFETCH_ROWS // max(1, rows_per_batch)))
                    want = prefetch if max_batches is None else min(prefetch, max_batches - queued)
                    batches = (
                        self.outbox.claim_batches(
                            rows_per_batch, after_seq=read_seq, up_to_seq=synced, max_batches=want
                        )
                        if want > 0
                        else []
                    )
                    if not batches:
                        if want <= 0:
                            break
                        newest = self._held(self.outbox.sync(), hold)
                        if newest == synced:
                            break
                        synced = newest
                        continue
                    for batch in batches:  # each says what it follows (``Batch.follows``)
                        batch.follows, follows = follows, batch.last_seq
                    if prebuild is not None:
                        for batch in batches:  # while the worker ships earlier reads
                            prebuild(batch)
                    read_seq = batches[-1].last_seq
                    next_captured_at = batches[-1].last_captured_at  # the next rows are no older
                    queued += len(batches)
                    while len(waiting) >= QUEUED_READS or (waiting and waiting[0].done()):
                        self._account(waiting.popleft().result(), report, shipped)
                    waiting.append(pool.submit(self._ship_all, batches, halt))
                    if shipped.unacked >= ACK_EVERY_ROWS or (
                        shipped.unacked and time.monotonic() - last_ack >= ACK_EVERY_S
                    ):  # while it ships
                        self.outbox.ack(shipped.seq, shipped.unacked)
                        acked_seq, shipped.unacked, last_ack = shipped.seq, 0, time.monotonic()
                while waiting:  # the reads on their way (after a failure or a stop, they ship nothing)
                    self._account(waiting.popleft().result(), report, shipped)
            if shipped.seq > acked_seq:
                self.outbox.ack(shipped.seq, shipped.unacked)
                if report.error is not None:  # the ack cleared the error; this tick's failure still stands
                    self.outbox.record_error(f"{report.error} [{report.hint}]" if report.held else report.error)
        except (TransientShipError, PreflightError) as exc:
            self._failed(exc, report)
        except OutboxError as exc:
            report.error, report.failure = exc.message, exc
            log.error("outbox error while shipping: %s%s", exc.message, f": {exc.hint}" if exc.hint else "")
        finally:
            halt.set()
        if report.batches:
            log.info("shipped %d rows in %d batches", report.rows, report.batches)
        self.progress(Step("replay", report.rows, self._total, finished=True))
        return report

    def _ship_all(self, batches: list[Batch], halt: threading.Event) -> _Shipped:
        """In the worker: ship each batch in order; stop at the first failure (and ship nothing
        more this tick: ``halt``) or at ``stop``."""
        done = _Shipped()
        for batch in batches:
            if self.stop.is_set() or halt.is_set():
                break
            try:
                done.shipped.append((batch, self.shipper.ship(batch)))
            except (ShipError, PreflightError) as exc:
                halt.set()
                done.error = exc
                break
            except BaseException:  # a bug: the reads queued behind this one must not ship either
                halt.set()
                raise
        return done

    def _account(self, done: _Shipped, report: ShipReport, shipped: _Progress) -> None:
        """Count what the worker shipped of one read."""
        for batch, applied in done.shipped:
            report.batches += 1
            report.rows += applied
            shipped.seq = batch.last_seq
            shipped.unacked += len(batch)
        self.progress(Step("replay", report.rows, self._total))
        if isinstance(done.error, BatchRejectedError) and done.error.applied_up_to is not None:
            report.rows += done.error.applied_rows  # the transactions before the refused row went
            shipped.seq = done.error.applied_up_to
            shipped.unacked += done.error.applied_rows
        if done.error is not None:
            self._failed(done.error, report)

    def _failed(self, exc: CentraleError, report: ShipReport) -> None:
        """Record why shipping stopped, in the report and the outbox (for `status`)."""
        report.error, report.hint, report.failure = exc.message, exc.hint, exc
        if isinstance(exc, BatchRejectedError):
            report.held = True
            self.outbox.record_error(f"{exc.message} [{exc.hint}]")
            log.error("shipping held: %s; hint: %s", exc.message, exc.hint)
        else:  # the fix too, when there is one: `status` and head office's console show this line
            self.outbox.record_error(f"{exc.message} [{exc.hint}]" if exc.hint else exc.message)
            log.warning("shipping paused: %s%s", exc.message, f" (hint: {exc.hint})" if exc.hint else "")


@dataclass
class _Progress:
    """How far the worker has shipped this tick, and how many of those rows are not acked yet."""

    seq: int = 0
    unacked: int = 0


@dataclass
class _Shipped:
    """What the worker did with one read's batches: those applied (with rows newly applied)
    and, if it stopped early, why."""

    shipped: list[tuple[Batch, int]] = field(default_factory=list)
    error: CentraleError | None = None
