"""`centrale outbox list | replay | skip`."""

from __future__ import annotations

import datetime as dt
import threading

import typer

from applier.service import ApplierService, CatchUp
from centrale.app.cli.options import Invocation, cli_help, guarded, translator
from centrale.app.cli.progress import progress_shown
from centrale.app.lifecycle import install_stop_handlers
from centrale.app.site import build_shipper
from centrale.core.codec import dumps, dumps_compact
from centrale.core.errors import ShipError
from centrale.core.i18n import Msg
from centrale.core.log import get_logger
from centrale.core.outbox import OutboxStore

# `outbox list`: the outbox's own words (seq, txn, op), as `--json` names them
ROW_LINE = "{seq:>10}  {txn:<10}  {at:<19}  {op:<6}  {table:<20}  {key}"

app = typer.Typer(help=cli_help("help.outbox"), no_args_is_help=True)


@app.command("list", help=cli_help("help.outbox.list"))
def list_rows(
    ctx: typer.Context,
    limit: int = typer.Option(50, min=1, help=cli_help("help.outbox.list.--limit")),
    after: int = typer.Option(0, help=cli_help("help.outbox.list.--after")),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    inv: Invocation = ctx.obj

    def body() -> None:
        cfg = inv.config()
        with OutboxStore(cfg.outbox.path) as outbox:
            rows = outbox.rows(limit=limit, after_seq=after)
        if as_json:
            typer.echo(
                dumps(
                    [
                        {
                            "seq": r.seq,
                            "txn": r.txn,
                            "table": r.table,
                            "op": r.op,
                            "row": dict(zip(r.columns, r.values, strict=True)),
                        }
                        for r in rows
                    ]
                ).decode()
            )
            return
        if rows:  # a header row, in the lines' own columns
            typer.echo(ROW_LINE.format(seq="seq", txn="txn", at="captured", op="op", table="table", key="key"))
        for r in rows:
            at = dt.datetime.fromtimestamp(r.captured_at).strftime("%Y-%m-%d %H:%M:%S")
            key = ", ".join(f"{c}={v!r}" for c, v in list(zip(r.columns, r.values, strict=True))[:3])
            typer.echo(ROW_LINE.format(seq=r.seq, txn=r.txn, at=at, op=r.op, table=r.table, key=key))
        if not rows:
            typer.echo(translator()("out.outbox.empty"))

    guarded(body)


@app.command(help=cli_help("help.outbox.replay"))
def replay(
    ctx: typer.Context,
    batch_rows: int = typer.Option(0, min=0, help=cli_help("help.outbox.replay.--batch-rows")),
    as_json: bool = typer.Option(False, "--json", help=cli_help("help.--json.progress")),
) -> None:
    inv: Invocation = ctx.obj

    def body() -> None:
        cfg = inv.config()
        stop = threading.Event()
        install_stop_handlers(stop)
        shipper = build_shipper(cfg)
        try:
            with OutboxStore(cfg.outbox.path, keep_shipped_s=cfg.outbox.keep_shipped_s) as outbox:
                # --batch-rows says exactly how big; otherwise catch-up batches while the backlog is large
                catchup = None if batch_rows else CatchUp.from_settings(cfg.ship)
                service = ApplierService(outbox, shipper, batch_rows or cfg.ship.batch_rows, stop, catchup)
                with progress_shown(as_json=as_json) as service.progress:
                    report = service.tick()
                left = outbox.stats().backlog
        finally:
            shipper.close()
        t = translator()
        if as_json:
            typer.echo(dumps_compact({"rows": report.rows, "batches": report.batches, "left": left}))
        else:
            typer.echo(t("out.replay.shipped", rows=report.rows, batches=report.batches, left=left))
        if report.failure is not None:
            hint = report.failure.hint_text if report.hint else None  # an outbox error: no shipping hint
            raise ShipError(report.failure.text, hint=hint or Msg("err.ship.failed.hint"))

    guarded(body)


@app.command(help=cli_help("help.outbox.skip"))
def skip(
    ctx: typer.Context,
    seq: int = typer.Argument(..., help=cli_help("help.outbox.skip.SEQ")),
    reason: str = typer.Option("skipped by operator", help=cli_help("help.outbox.skip.--reason")),
) -> None:
    inv: Invocation = ctx.obj

    def body() -> None:
        cfg = inv.config()
        with OutboxStore(cfg.outbox.path) as outbox:
            row = outbox.skip(seq, reason)
        get_logger("outbox").warning(
            "operator skipped outbox row seq %d (txn %d, %s %s): %s", row.seq, row.txn, row.op, row.table, reason
        )
        typer.echo(translator()("out.outbox.skipped", seq=row.seq, op=row.op, table=row.table))

    guarded(body)
