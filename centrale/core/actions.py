"""The store actions head office can ask for: the one list of their names.

The seed's action screen names what a store does on demand: get articles, keyboards, stores and
products from head office, send and receive customers, send stock, staff and sales again,
reconcile. Head office asks for them through its jobs table (``jobs.queue`` checks the name),
the CLI and the console offer them, and the store's runner maps each name to the code that does
it (``centrale.app.actions.store_actions``, checked against this list by the tests).
"""

from __future__ import annotations

from centrale.core.catalog import Group

# Head office -> store: reference groups, and the chain's customers.
PULL_GROUPS: tuple[Group, ...] = ("articles", "keyboards", "stores", "products", "customers")
# Store -> head office again (capture sends them anyway; these re-send): aggregates and customers.
PUSH_GROUPS: tuple[Group, ...] = ("customers", "stock", "staff", "sales")
SYNC_CUSTOMERS = "sync-customers"
RECONCILE = "reconcile"

ACTIONS: tuple[str, ...] = (
    *(f"pull-{g}" for g in PULL_GROUPS),
    *(f"push-{g}" for g in PUSH_GROUPS),
    SYNC_CUSTOMERS,
    RECONCILE,
)

# The seed's action screen, in its order: the store page's buttons (each labelled ``action.<name>``).
SCREEN: tuple[str, ...] = (
    "pull-articles",
    "pull-keyboards",
    "pull-stores",
    SYNC_CUSTOMERS,
    "pull-products",
    "push-stock",
    "push-staff",
    RECONCILE,
)
