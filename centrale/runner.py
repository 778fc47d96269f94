"""`centrale run`: capture continuously, ship on the scheduler's tick, stop cleanly."""

from __future__ import annotations

import threading

from applier.service import ApplierService, CatchUp
from cdc.service import CdcService
from centrale import __version__
from centrale.actions import LiveActions
from centrale.config import Config
from centrale.console.server import ConsoleServer
from centrale.console.state import LiveConfig
from centrale.db import hq_params
from centrale.doctor import run_checks
from centrale.errors import CentraleError, ConfigError
from centrale.i18n import Lang, Msg
from centrale.log import get_logger
from centrale.outbox import OutboxStore
from centrale.report import StatusReporter, recorded_position
from centrale.scheduler import Ticker
from centrale.site import SiteLock, build_shipper, lock_path
from jobs.runner import JobsRunner

HANG_UP_AFTER_S = 5.0  # ticks at least this far apart do not keep a head-office connection open

log = get_logger("run")


def run_site(cfg: Config, stop: threading.Event, *, locale_lang: Lang = "en") -> None:
    """Run until ``stop`` is set. Refuses to start only for local faults."""
    if cfg.is_hq:
        raise CentraleError(Msg("err.run.at_hq"), hint=Msg("err.run.at_hq.hint"))
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
    capture_box = OutboxStore(cfg.outbox.path)
    ship_box = OutboxStore(cfg.outbox.path, keep_shipped_s=cfg.outbox.keep_shipped_s)
    shipper = build_shipper(cfg)
    ticker = Ticker()
    live = LiveConfig(cfg)
    console = _start_console(cfg, live, locale_lang)
    try:
        cdc = CdcService(cfg, capture_box, stop, lambda: recorded_position(hq_params(cfg.hq), cfg.site.store))
        cdc.prepare()
        catchup = CatchUp.from_settings(cfg.ship)
        applier = ApplierService(
            ship_box,
            shipper,
            cfg.ship.batch_rows,
            stop,
            catchup,
            hang_up_between_ticks=cfg.ship.interval_s >= HANG_UP_AFTER_S,
        )
        ticker.every(cfg.ship.interval_s, applier.tick, "ship")
        runner = JobsRunner(hq_params(cfg.hq), cfg.site.store, LiveActions(lambda: live.current), stop)
        ticker.every(cfg.jobs.interval_s, runner.tick, "jobs")
        ticker.every(cfg.jobs.interval_s, StatusReporter(cfg).tick, "report")
        ticker.start()
        log.info(
            "capturing %d tables; shipping every %gs in batches of %d rows; jobs every %gs",
            len(cfg.catalog.captured),
            cfg.ship.interval_s,
            cfg.ship.batch_rows,
            cfg.jobs.interval_s,
        )
        cdc.run()
    finally:
        stop.set()
        ticker.shutdown()
        if console is not None:
            console.stop()
        shipper.close()
        capture_box.close()
        ship_box.close()
        lock.release()
        log.info("Centrale stopped")


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
