"""`centrale init`'s first catalog for an unseen schema (centrale.core.proposal): a table's group
from its name whatever the naming style, its special columns from their names and types, a
customers table only with a key every store shares, and no guess at all from a name that says
nothing."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from centrale.core.proposal import GROUP_WORDS, guess_group, name_words, propose
from centrale.core.schema import ColumnDef, TableDef

GROUP_OF = {word: group for group, words in reversed(GROUP_WORDS) for word in words}
NEUTRAL = ["tbl", "pos", "data", "main", "daily", "archive", "v2", "old", "x"]


def col(name: str, data_type: str = "int", *, nullable: bool = False, generated: bool = False) -> ColumnDef:
    return ColumnDef(name, data_type, data_type, nullable, None, None, generated)


def table(name: str, *columns: ColumnDef, pk: tuple[str, ...] = ("id",)) -> TableDef:
    return TableDef(name, (col("id"), *columns), pk)


def styled(words: list[str], style: int) -> str:
    if style == 0:
        return "_".join(words)
    if style == 1:
        return "".join(w.capitalize() for w in words)
    if style == 2:
        return "-".join(w.upper() for w in words)
    return " ".join(words)


@given(
    word=st.sampled_from(sorted(GROUP_OF)),
    before=st.lists(st.sampled_from(NEUTRAL), max_size=2),
    after=st.lists(st.sampled_from(NEUTRAL), max_size=2),
    plural=st.booleans(),
    style=st.integers(0, 3),
)
def test_a_group_word_anywhere_in_a_name_gives_its_group_in_any_naming_style(
    word: str, before: list[str], after: list[str], plural: bool, style: int
) -> None:
    shown = word + "s" if plural and not word.endswith("s") else word
    assert guess_group(styled([*before, shown, *after], style)) == GROUP_OF[word]


@given(st.lists(st.sampled_from([*NEUTRAL, "config", "settings", "parametre", "log", "tmp"]), min_size=1, max_size=4))
def test_a_name_of_no_group_word_gives_no_guess(words: list[str]) -> None:
    assert guess_group("_".join(words)) is None
    assert propose(table("_".join(words))).spec is None


def test_the_first_group_in_order_wins_when_a_name_holds_two() -> None:
    assert guess_group("purchase_order_lines") == "stock"  # an order, but a supplier's
    assert guess_group("BonsCommande") == "stock"  # bon de commande: a purchase order
    assert guess_group("keyboard_keys") == "keyboards"
    assert guess_group("time_clock_punches") == "staff"
    assert guess_group("LignesTicket") == "sales"


def test_words_come_from_snake_camel_and_plural_names_alike() -> None:
    assert name_words("PurchaseOrderLines")[:2] == name_words("purchase_order_lines")[:2] == ["purchase", "order"]
    assert "magasin" in name_words("Magasins") and "touche" in name_words("touches")
    assert name_words("POSOrderLines")[:2] == ["pos", "order"]


def test_a_sales_table_gets_its_business_day_and_its_amount_not_its_modified_time() -> None:
    t = table(
        "Tickets",
        col("DateMaj", "datetime"),
        col("business_day", "date"),
        col("VendeurId"),
        col("MontantTTC", "decimal"),
    )
    spec = propose(t).spec
    assert spec is not None and (spec.kind, spec.group) == ("aggregate", "sales")
    assert (spec.since_column, spec.sum_column) == ("business_day", "MontantTTC")


def test_a_table_without_a_date_gets_no_since_nor_sum_column() -> None:
    spec = propose(table("sale_lines", col("quantity"), col("price", "decimal"))).spec
    assert spec is not None and spec.since_column is None and spec.sum_column is None


def test_a_reference_table_compares_by_its_modified_time() -> None:
    spec = propose(table("Articles", col("Libelle", "varchar"), col("DateMaj", "timestamp"))).spec
    assert spec is not None and (spec.kind, spec.group, spec.modified_column) == ("reference", "articles", "DateMaj")


def test_customers_are_shared_by_a_unique_not_null_key_other_than_their_own_id() -> None:
    t = table("Clients", col("Email", "varchar"), col("NumeroCarte", "varchar"), col("updated_at", "datetime"))
    spec = propose(t, [("id",), ("Email",), ("NumeroCarte",)]).spec
    assert spec is not None and spec.kind == "shared" and spec.key == ("NumeroCarte",)
    assert spec.modified_column == "updated_at"


def test_customers_without_a_chain_wide_key_are_left_out_saying_why() -> None:
    nullable = table("customers", col("email", "varchar", nullable=True))
    proposal = propose(nullable, [("id",), ("email",)])
    assert proposal.spec is None and proposal.why.key == "init.why.no_chain_key"
