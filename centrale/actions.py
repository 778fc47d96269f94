"""The store's actions (the seed's action screen), wired from the rooms for the jobs runner
and the CLI: pulls come from ``jobs``, pushes (re-sends through the outbox) from ``cdc``."""

from __future__ import annotations

from cdc.snapshot import push_group
from centrale.config import Config
from jobs.pull import pull_group
from jobs.runner import Action


def pull(cfg: Config, group: str) -> tuple[int, str]:
    result = pull_group(cfg, group)
    return result.rows_moved, result.summary()


def push(cfg: Config, group: str, since: str | None = None) -> tuple[int, str]:
    results = push_group(cfg, group, since)
    rows = sum(r.rows for r in results)
    detail = ", ".join(f"{r.table} {r.rows}" for r in results)
    return rows, f"push {group}: {rows} rows queued for head office ({detail})"


def sync_customers(cfg: Config) -> tuple[int, str]:
    """Send this store's customers, then receive the chain's (newer change wins both ways)."""
    sent, _ = push(cfg, "customers")
    received, summary = pull(cfg, "customers")
    return sent + received, f"sync customers: {sent} sent, {summary}"


def store_actions(cfg: Config) -> dict[str, Action]:
    """Every job action this store can run, by name."""

    def puller(group: str) -> Action:
        return lambda job: pull(cfg, group)

    def pusher(group: str) -> Action:
        return lambda job: push(cfg, group, str(job.params["since"]) if job.params.get("since") else None)

    actions = {f"pull-{g}": puller(g) for g in ("articles", "keyboards", "stores", "products", "customers")}
    actions.update({f"push-{g}": pusher(g) for g in ("customers", "stock", "staff", "sales")})
    actions["sync-customers"] = lambda job: sync_customers(cfg)
    return actions
