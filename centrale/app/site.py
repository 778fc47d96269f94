"""Wiring one site's parts from its configuration (the composition root's building blocks)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from applier.headoffice import HeadOfficeShipper
from cdc.service import CdcService
from centrale.app.report import recorded_position
from centrale.core.clock import server_offset
from centrale.core.config import Config
from centrale.core.db import connect, hq_params
from centrale.core.outbox import OutboxStore
from centrale.core.schema import TableDef, read_tables


def store_tables(cfg: Config) -> Callable[[list[str]], dict[str, TableDef]]:
    params = cfg.local.params

    def read(names: list[str]) -> dict[str, TableDef]:
        with connect(params) as conn:
            return read_tables(conn, params.database, names)

    return read


def store_clock(cfg: Config) -> Callable[[], float]:
    """The store server's clock against this machine's (``centrale.core.clock``)."""
    params = cfg.local.params

    def read() -> float:
        with connect(params) as conn:
            return server_offset(conn)

    return read


def build_shipper(cfg: Config, cls: type[HeadOfficeShipper] = HeadOfficeShipper) -> HeadOfficeShipper:
    """The store's head-office shipper (``cls``: a subclass, for instrumented benchmarks)."""
    return cls(
        hq_params(cfg.hq),
        store=cfg.site.store,
        store_name=cfg.site.name,
        hq_store=cfg.site.hq_store,
        origin_column=cfg.hq.origin_column,
        tables=cfg.catalog.captured,
        catalog=cfg.catalog,
        store_tables=store_tables(cfg),
        store_clock=store_clock(cfg),
    )


def build_capture(
    cfg: Config, outbox: OutboxStore, stop: threading.Event, *, ask_head_office: bool = True
) -> CdcService:
    """The store's binlog reader. A new outbox asks head office where it holds this store's binlog
    up to (``ask_head_office``; a benchmark or a test of capture alone starts without one)."""
    resume_from = (lambda: recorded_position(hq_params(cfg.hq), cfg.site.store)) if ask_head_office else None
    return CdcService(cfg.local, cfg.catalog, outbox, stop, server_id=cfg.reader_server_id, resume_from=resume_from)
