"""The shipper contract, run against every shipper: applying a batch twice equals applying it
once, order is kept, overlapping batches apply only what is new, failures apply nothing."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from applier.headoffice import HeadOfficeShipper
from applier.memory import MemoryShipper
from centrale.core.catalog import Catalog, TableSpec
from centrale.core.changes import Batch, OutboxRow, Run
from centrale.core.codec import encode_values
from centrale.core.db import parse_url
from centrale.core.errors import BatchRejectedError
from centrale.core.schema import ColumnDef, TableDef
from sandbox.chain import Chain

GEN = "a" * 32
ITEMS = TableDef(
    "items",
    (
        ColumnDef("id", "int", "int(11)", False, None, None),
        ColumnDef("label", "varchar", "varchar(2000)", True, "utf8mb4", "utf8mb4_general_ci"),
        ColumnDef("qty", "decimal", "decimal(10,3)", True, None, None),
    ),
    ("id",),
)


def up(seq: int, id_: int, label: str, qty: str = "1.000", txn: int | None = None) -> OutboxRow:
    return OutboxRow(seq, txn or seq, "items", "upsert", ("id", "label", "qty"), (id_, label, qty))


def rm(seq: int, id_: int) -> OutboxRow:
    return OutboxRow(seq, seq, "items", "delete", ("id",), (id_,))


def items_shipper(chain: Chain) -> HeadOfficeShipper:
    """A head-office shipper for store 12 whose only table is ``items``."""
    return HeadOfficeShipper(
        parse_url(chain.hq.server.url(chain.hq.database)),
        store=12,
        store_name="Lyon",
        hq_store=1,
        origin_column="origin_store",
        tables=["items"],
        catalog=Catalog.from_tables({"items": TableSpec(kind="aggregate", group="sales", key=("id",))}),
        store_tables=lambda names: {"items": ITEMS},
    )


class Subject:
    def __init__(self, shipper: Any, read: Callable[[], dict[int, tuple[Any, ...]]]) -> None:
        self.shipper = shipper
        self.read = read


def read_back(batch: Batch) -> Batch:
    """The batch as the outbox reads it back: runs of stored values, not decoded."""
    runs = [
        Run(r.table, r.op, r.columns, r.seqs, r.txns, r.captured, tuple(encode_values(v) for v in r.decoded()))
        for r in batch.runs
    ]
    return Batch(batch.generation, runs=runs)


class AsReadFromOutbox:
    """The same shipper, given batches as the outbox reads them: runs of stored values
    (``Run.stored``), which head office is sent as they are when they can be, decoded only
    where a value itself is needed."""

    def __init__(self, inner: HeadOfficeShipper) -> None:
        self.inner = inner

    def ship(self, batch: Batch) -> int:
        return self.inner.ship(read_back(batch))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture(params=["memory", "headoffice", "headoffice-stored"])
def subject(request: pytest.FixtureRequest) -> Iterator[Subject]:
    if request.param == "memory":
        mem = MemoryShipper(12, keys=lambda t: ("id",))

        def read_mem() -> dict[int, tuple[Any, ...]]:
            return {k[1]: (r["label"], str(r["qty"])) for k, r in mem.tables.get("items", {}).items()}

        yield Subject(mem, read_mem)
        return
    chain: Chain = request.getfixturevalue("chain")
    shipper = items_shipper(chain)

    def read_hq() -> dict[int, tuple[Any, ...]]:
        rows = chain.hq.sql("SELECT id, label, qty FROM items WHERE origin_store = 12")
        return {r[0]: (r[1], str(r[2])) for r in rows}

    yield Subject(AsReadFromOutbox(shipper) if request.param == "headoffice-stored" else shipper, read_hq)
    shipper.close()


def test_applying_a_batch_twice_equals_applying_it_once(subject: Subject) -> None:
    batch = Batch(GEN, (up(1, 1, "a"), up(2, 2, "b"), up(3, 1, "a2")))
    assert subject.shipper.ship(batch) == 3
    first = subject.read()
    assert subject.shipper.ship(batch) == 0
    assert subject.read() == first == {1: ("a2", "1.000"), 2: ("b", "1.000")}
    assert subject.shipper.last_applied(GEN) == 3


def test_an_overlapping_batch_applies_only_the_new_rows(subject: Subject) -> None:
    subject.shipper.ship(Batch(GEN, tuple(up(i, i, f"v{i}") for i in range(1, 11))))
    again = Batch(GEN, tuple(up(i, i, f"second{i}") for i in range(5, 16)))
    assert subject.shipper.ship(again) == 5
    got = subject.read()
    assert got[5] == ("v5", "1.000") and got[15] == ("second15", "1.000")


def test_order_is_kept_within_a_batch_deletes_included(subject: Subject) -> None:
    subject.shipper.ship(Batch(GEN, (up(1, 1, "x"), rm(2, 1), up(3, 1, "back"), up(4, 2, "y"), rm(5, 2))))
    assert subject.read() == {1: ("back", "1.000")}


def test_generations_are_independent(subject: Subject) -> None:
    subject.shipper.ship(Batch(GEN, (up(1, 1, "old"),)))
    new_gen = "b" * 32
    assert subject.shipper.ship(Batch(new_gen, (up(1, 1, "new outbox, seq 1 again"),))) == 1
    assert subject.read()[1][0] == "new outbox, seq 1 again"


def test_values_that_look_like_sql_go_through_as_data(subject: Subject) -> None:
    nasty = ["'; DROP TABLE items; --", "back\\slash", 'quote"s', "%s %(x)s %%", "\x00nul", "é😀" * 300]
    rows = tuple(up(i + 1, i + 1, v) for i, v in enumerate(nasty))
    subject.shipper.ship(Batch(GEN, rows))
    assert [subject.read()[i + 1][0] for i in range(len(nasty))] == nasty


def test_a_large_batch_is_split_into_bounded_queries(subject: Subject) -> None:
    rows = tuple(up(i, i, "x" * 1900, txn=1) for i in range(1, 1601))  # ~3 MB of values, one txn
    assert subject.shipper.ship(Batch(GEN, rows)) == 1600
    assert len(subject.read()) == 1600


def test_head_office_applies_only_the_transactions_before_a_rejected_row(chain: Chain) -> None:
    """A refused row holds its own transaction and what follows; whole transactions before it
    in the batch are applied (and said so: ``applied_up_to``), a refused transaction never in part."""
    shipper = items_shipper(chain)
    try:
        shipper.ship(Batch(GEN, (up(1, 1, "ok"),)))
        bad_row = OutboxRow(4, 3, "items", "upsert", ("id", "label", "qty"), (4, "t", "1e12"))
        one_txn = Batch(
            GEN,
            (
                OutboxRow(2, 2, "items", "upsert", ("id", "label", "qty"), (2, "same", 1)),
                OutboxRow(3, 2, "items", "upsert", ("id", "label", "qty"), (3, "t", "1e12")),
            ),
        )
        with pytest.raises(BatchRejectedError) as err:
            shipper.ship(one_txn)
        assert "row seq 3 of table items (key id=3)" in err.value.message and "outbox skip" in (err.value.hint or "")
        assert err.value.applied_up_to is None
        assert sorted(r[0] for r in chain.hq.sql("SELECT id FROM items")) == [1]
        assert shipper.last_applied(GEN) == 1
        two_txns = Batch(GEN, (OutboxRow(3, 2, "items", "upsert", ("id", "label", "qty"), (3, "fine", 1)), bad_row))
        with pytest.raises(BatchRejectedError) as err:
            shipper.ship(two_txns)
        assert "row seq 4 of table items" in err.value.message
        assert (err.value.applied_up_to, err.value.applied_rows) == (3, 1)
        assert sorted(r[0] for r in chain.hq.sql("SELECT id FROM items")) == [1, 3]
        assert shipper.last_applied(GEN) == 3
    finally:
        shipper.close()


ops_strategy = st.lists(
    st.tuples(st.sampled_from(["upsert", "delete"]), st.integers(1, 6), st.text(max_size=8)), min_size=1, max_size=40
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ops=ops_strategy,
    cuts=st.lists(st.integers(1, 39), max_size=8),
    redeliver=st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20))),
)
def test_any_redelivery_of_batches_equals_applying_every_change_once(
    subject: Subject, ops: list[tuple[str, int, str]], cuts: list[int], redeliver: list[tuple[int, int]]
) -> None:
    """Property: batches cut anywhere, delivered in order, with any earlier range of batches
    sent again in between (a crash before the local ack, a late retry from a second shipper),
    leave head office as if each change had been applied exactly once."""
    import uuid

    if isinstance(subject.shipper, HeadOfficeShipper | AsReadFromOutbox):
        subject.shipper.ship(Batch("0" * 32, (rm(1, 999),)))  # make sure the table exists
    gen = uuid.uuid4().hex
    rows = tuple(up(i + 1, k, v) if op == "upsert" else rm(i + 1, k) for i, (op, k, v) in enumerate(ops))
    bounds = sorted({c for c in cuts if c < len(rows)} | {0, len(rows)})
    batches = [rows[a:b] for a, b in itertools.pairwise(bounds)]
    expected_before = subject.read()
    expected = {k: v for k, v in expected_before.items() if k not in {r.values[0] for r in rows}}
    for r in rows:
        if r.op == "upsert":
            expected[r.values[0]] = (r.values[1], "1.000")
        else:
            expected.pop(r.values[0], None)
    for i, b in enumerate(batches):
        subject.shipper.ship(Batch(gen, b))
        if i < len(redeliver):
            k = redeliver[i][1] % (i + 1)
            j = redeliver[i][0] % (k + 1)
            subject.shipper.ship(Batch(gen, tuple(r for bb in batches[j : k + 1] for r in bb)))
    assert subject.read() == expected
