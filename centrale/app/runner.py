"""`centrale run`: capture continuously, ship on the scheduler's tick, stop cleanly."""

from __future__ import annotations

import threading

import pymysql

from applier.service import ApplierService, CatchUp
from centrale.app.actions import LiveActions
from centrale.app.console.server import ConsoleServer
from centrale.app.console.state import LiveConfig
from centrale.app.doctor import run_checks
from centrale.app.lease import RENEW_S, TTL_S, Holder, release, take
from centrale.app.report import StatusReporter
from centrale.app.restorecheck import restore_checker
from centrale.app.scheduler import Ticker
from centrale.app.site import build_capture, build_shipper
from centrale.app.sitelock import SiteLock, lock_path
from centrale.core import __version__
from centrale.core.config import Config
from centrale.core.db import hq_params
from centrale.core.errors import CentraleError, ConfigError, PreflightError
from centrale.core.i18n import Lang, Msg
from centrale.core.log import get_logger
from centrale.core.outbox import OutboxStore
from jobs.runner import JobsRunner

HANG_UP_AFTER_S = 5.0  # ticks at least this far apart do not keep a head-office connection open

log = get_logger("run")


def run_site(cfg: Config, stop: threading.Event, *, locale_lang: Lang = "en") -> None:
    """Run until ``stop`` is set. Refuses to start only for local faults."""
    if cfg.is_hq:
        raise ConfigError(Msg("err.run.at_hq"), hint=Msg("err.run.at_hq.hint"))
    log.info("Centrale %s starting for store %s (%s)", __version__, cfg.site.store, cfg.site.name)
    for check in run_checks(cfg):
        if check.status == "ok":
            continue
        if check.failed and not check.remote:
            # "outbox: outbox /x is full", no: the message often names its subject already
            named = str(check.message).startswith(check.name)
            message = check.message if named else Msg("err.run.check", name=check.name, message=check.message)
            raise check.error(message, hint=check.hint)
        log.warning("%s: %s%s", check.name, check.message, f" (hint: {check.hint})" if check.hint else "")
    lock = SiteLock(lock_path(cfg))
    lock.acquire()
    lease = _Lease(cfg, stop)
    try:
        lease.take_at_start()
    except CentraleError:
        lock.release()
        raise
    capture_box = OutboxStore(cfg.outbox.path)
    ship_box = OutboxStore(cfg.outbox.path, keep_shipped_s=cfg.outbox.keep_shipped_s)
    shipper = build_shipper(cfg)
    ticker = Ticker()
    live = LiveConfig(cfg)
    console = _start_console(cfg, live, locale_lang)
    try:
        cdc = build_capture(cfg, capture_box, stop)
        cdc.prepare()
        catchup = CatchUp.from_settings(cfg.ship)
        applier = ApplierService(
            ship_box,
            shipper,
            cfg.ship.batch_rows,
            stop,
            catchup,
            hang_up_between_ticks=cfg.ship.interval_s >= HANG_UP_AFTER_S,
            check_restored=restore_checker(cfg, ship_box),
        )
        ticker.every(cfg.ship.interval_s, applier.tick, "ship")
        runner = JobsRunner(hq_params(cfg.hq), cfg.site.store, LiveActions(lambda: live.current), stop)
        ticker.every(cfg.jobs.interval_s, runner.tick, "jobs")
        ticker.every(cfg.jobs.interval_s, StatusReporter(cfg).tick, "report")
        ticker.every(min(RENEW_S, cfg.ship.interval_s), lease.tick, "lease")
        ticker.start()
        log.info(
            "capturing %d tables; shipping every %gs in batches of %d rows; jobs every %gs",
            len(cfg.catalog.captured),
            cfg.ship.interval_s,
            cfg.ship.batch_rows,
            cfg.jobs.interval_s,
        )
        cdc.run()
        if lease.lost is not None:
            raise lease.lost
    finally:
        stop.set()
        ticker.shutdown()
        if console is not None:
            console.stop()
        shipper.close()
        capture_box.close()
        ship_box.close()
        lease.release()
        lock.release()
        log.info("Centrale stopped")


class _Lease:
    """This process's lease on its store number at head office (``centrale.app.lease``)."""

    def __init__(self, cfg: Config, stop: threading.Event) -> None:
        self.params = hq_params(cfg.hq)
        self.store = cfg.site.store
        self.me = Holder.this_process(cfg.outbox.path.parent)
        self.stop = stop
        self.held = False
        self.lost: CentraleError | None = None
        self._warned = False

    def _taken_by(self) -> Holder | None:
        try:
            other = take(self.params, self.store, self.me)
        except pymysql.err.MySQLError as exc:
            if not self._warned:
                self._warned = True
                hint = " (run `centrale hq init` at head office)" if exc.args and exc.args[0] == 1146 else ""
                log.warning("no lease on store %s at head office yet: %s%s", self.store, exc.args[-1], hint)
            return None
        self.held = self.held or other is None
        return other

    def _refusal(self, other: Holder) -> PreflightError:
        return PreflightError(
            Msg(
                "err.run.lease_taken",
                store=self.store,
                host=other.host,
                folder=other.folder,
                pid=other.pid,
                age=other.age_s,
                here=f"{self.me.host}:{self.me.folder}",
            ),
            hint=Msg("err.run.lease_taken.hint", ttl=TTL_S),
        )

    def take_at_start(self) -> None:
        other = self._taken_by()
        if other is not None:
            raise self._refusal(other)

    def tick(self) -> None:
        """Renew; a lease another process holds now (this one was cut off longer than its life,
        and a copy started) stops this one."""
        other = self._taken_by()
        if other is not None and self.lost is None:
            self.lost = self._refusal(other)
            self.held = False
            log.error("%s; hint: %s", self.lost.message, self.lost.hint)
            self.stop.set()

    def release(self) -> None:
        if self.held:
            release(self.params, self.store, self.me)


def _start_console(cfg: Config, live: LiveConfig, locale_lang: Lang) -> ConsoleServer | None:
    """The console is a convenience: when it cannot start (its port is taken), capture and
    shipping run anyway and the log says why in one line."""
    if not cfg.console.enabled:
        return None
    try:
        console = ConsoleServer(cfg, locale_lang=locale_lang, live=live).start()
    except ConfigError as exc:
        log.warning("console not started: %s (hint: %s)", exc.message, exc.hint)
        return None
    log.info("console on http://%s/", console.where)
    return console
