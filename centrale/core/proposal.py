"""A first catalog for a POS schema Centrale has never seen (``centrale init store``): each
table's direction and group guessed from its name, English or French, singular or plural, in
snake_case or CamelCase, and its special columns (the day ``push --since`` filters on, the
amount ``reconcile`` sums, the modified time pulls compare) from its columns' names and types.

A guess is a proposal, never a decision: ``centrale init`` writes it with a comment saying it was
guessed, then checks it the way ``doctor`` will; a table whose name says nothing is left out,
listed and written commented, never dropped without a word. Pure: tested without a server.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from centrale.core.catalog import Group, Kind, TableSpec
from centrale.core.i18n import Msg
from centrale.core.schema import ColumnDef, TableDef

# Words of a table's name -> its group, tried in this order: the first group with a word in
# the name wins ("purchase_order_lines" is stock, not sales; "keyboard_keys" keyboards). Each
# word is matched singular and plural (a trailing "s", "es" or "x" dropped).
_VOCABULARY: tuple[tuple[Group, str], ...] = (
    ("stock", "stock inventory inventaire movement mouvement mvt transfer transfert purchase achat "
              "supplier fournisseur receipt reception delivery livraison commande warehouse entrepot"),
    ("staff", "salesperson salespeople vendeur employee employe staff cashier caissier punch pointage "
              "timeclock clock shift badge"),
    ("keyboards", "keyboard clavier touche button bouton"),
    ("customers", "customer client member adherent loyalty fidelite partner"),
    ("sales", "sale vente ticket order payment paiement reglement encaissement invoice facture checkout "
              "caisse till tender line"),
    ("products", "product produit technical sheet fiche recipe recette ingredient nomenclature bom"),
    ("articles", "article item plu catalog catalogue price prix tarif"),
    ("stores", "store magasin shop boutique site outlet branch"),
)  # fmt: skip
GROUP_WORDS: tuple[tuple[Group, frozenset[str]], ...] = tuple((g, frozenset(w.split())) for g, w in _VOCABULARY)
RECEIVED_GROUPS: frozenset[str] = frozenset({"articles", "keyboards", "stores", "products"})

DATE_TYPES = frozenset({"date", "datetime", "timestamp"})
AMOUNT_TYPES = frozenset({"decimal", "numeric", "double", "float", "int", "bigint", "smallint", "mediumint"})
# A column's words that say it is the row's modified time (``updated_at``, ``DateMaj``,
# ``last_modified``, ``write_date``): not a day a row belongs to.
MODIFIED_WORDS = frozenset(["updated", "update", "modified", "modif", "modification", "maj", "changed", "write"])
DAY_WORDS = ("business_day", "day", "jour", "date", "_at", "time", "heure", "created", "opened")
AMOUNT_WORDS = ("total", "amount", "montant", "ttc", "quantity", "qty", "quantite", "price", "prix")
CHAIN_KEY_WORDS = ("card", "carte", "number", "numero", "code", "barcode", "email", "uuid", "guid")


@dataclass(frozen=True, slots=True)
class Proposal:
    """What ``init`` proposes for one table: a catalog entry, or none and why (``why``)."""

    table: str
    spec: TableSpec | None
    why: Msg


def snake(name: str) -> str:
    """``PurchaseOrderLines`` / ``purchase-order lines`` -> ``purchase_order_lines``;
    ``POSOrderLines`` -> ``pos_order_lines``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)  # POSOrder: POS_Order
    return "_".join(w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w)


def name_words(name: str) -> list[str]:
    """``PurchaseOrderLines`` / ``purchase_order_lines`` / ``tbl-bons_commande`` -> words,
    lower-case, each also without its plural ending."""
    out: list[str] = []
    for w in snake(name).split("_"):
        out.append(w)
        for ending in ("es", "s", "x"):
            if w.endswith(ending) and len(w) > len(ending) + 2:
                out.append(w[: -len(ending)])
    return out


def guess_group(name: str) -> Group | None:
    words = set(name_words(name))
    for group, vocabulary in GROUP_WORDS:
        if words & vocabulary:
            return group
    return None


def _named_like(columns: Sequence[ColumnDef], names: Sequence[str], types: frozenset[str]) -> str | None:
    """The first column, in ``names``' order of preference, whose name contains one of them."""
    for wanted in names:
        for c in columns:
            if c.data_type in types and not c.generated and wanted in snake(c.name):
                return c.name
    return None


def modified_column(tdef: TableDef) -> str | None:
    for c in tdef.columns:
        if c.data_type in DATE_TYPES and not c.generated and MODIFIED_WORDS & set(name_words(c.name)):
            return c.name
    return None


def since_column(tdef: TableDef) -> str | None:
    """The day a row belongs to: not its modified time (a sale edited later is still that day's)."""
    modified = modified_column(tdef)
    rest = [c for c in tdef.columns if c.name != modified]
    return _named_like(rest, DAY_WORDS, DATE_TYPES) or next(
        (c.name for c in rest if c.data_type in DATE_TYPES and not c.generated), None
    )


def _is_id(name: str) -> bool:
    lower = name.lower()
    return lower == "id" or lower.endswith(("_id", "_no", "_num")) or lower.startswith("id_")


def sum_column(tdef: TableDef) -> str | None:
    key = set(tdef.primary_key)
    columns = [c for c in tdef.columns if c.name not in key and not _is_id(c.name)]
    return _named_like(columns, AMOUNT_WORDS, AMOUNT_TYPES)


def chain_key(tdef: TableDef, unique_keys: Sequence[tuple[str, ...]]) -> tuple[str, ...] | None:
    """A customer's chain-wide key: a unique key of NOT NULL columns other than the primary key
    (the store's own auto-increment id differs from store to store), by preference one named
    like a card number, a code or an e-mail."""
    candidates = []
    for key in unique_keys:
        columns = [tdef.column(k) for k in key]
        if key != tdef.primary_key and all(c is not None and not c.nullable and not c.generated for c in columns):
            candidates.append(key)
    for word in CHAIN_KEY_WORDS:
        for key in candidates:
            if any(word in k.lower() for k in key):
                return key
    return candidates[0] if candidates else None


def propose(tdef: TableDef, unique_keys: Sequence[tuple[str, ...]] = ()) -> Proposal:
    """One table's catalog entry, guessed from its name and columns."""
    group = guess_group(tdef.name)
    if group is None:
        return Proposal(tdef.name, None, Msg("init.why.unknown_name"))
    kind: Kind = "reference" if group in RECEIVED_GROUPS else "shared" if group == "customers" else "aggregate"
    if kind == "shared":
        key = chain_key(tdef, unique_keys)
        if key is None:
            return Proposal(tdef.name, None, Msg("init.why.no_chain_key"))
        spec = TableSpec(kind=kind, group=group, key=key, modified_column=modified_column(tdef))
        return Proposal(tdef.name, spec, Msg("init.why.guessed", group=group))
    if kind == "reference":
        spec = TableSpec(kind=kind, group=group, modified_column=modified_column(tdef))
        return Proposal(tdef.name, spec, Msg("init.why.guessed", group=group))
    since = since_column(tdef)
    spec = TableSpec(kind=kind, group=group, since_column=since, sum_column=sum_column(tdef) if since else None)
    return Proposal(tdef.name, spec, Msg("init.why.guessed", group=group))


def propose_all(defs: Mapping[str, TableDef], unique_keys: Mapping[str, Sequence[tuple[str, ...]]]) -> list[Proposal]:
    return [propose(tdef, unique_keys.get(name, ())) for name, tdef in defs.items()]
