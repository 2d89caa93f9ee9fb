"""generate and spec_from_catalog: types, constraints, keys, reproducibility."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from sqltest_core import Pool, open_pool
from sqltest_core.connectors import Column, ForeignKey, Table
from sqltest_core.errors import ConfigError, DependencyCycleError
from sqltest_core.testing._catalog_spec import spec_from_catalog
from sqltest_core.testing._generate import ColumnSpec, TableSpec, generate

ALL_TYPES = (
    ColumnSpec("id", pa.int64(), nullable=False, unique=True),
    ColumnSpec("i8", pa.int8()),
    ColumnSpec("i16", pa.int16(), null_ratio=0.5),
    ColumnSpec("i32", pa.int32(), nullable=False),
    ColumnSpec("u8", pa.uint8()),
    ColumnSpec("f32", pa.float32()),
    ColumnSpec("f64", pa.float64(), min=-1.0, max=1.0),
    ColumnSpec("dec", pa.decimal128(6, 2)),
    ColumnSpec("wide", pa.decimal128(30, 4)),
    ColumnSpec("s", pa.string(), length=(2, 5)),
    ColumnSpec("ls", pa.large_string()),
    ColumnSpec("b", pa.bool_()),
    ColumnSpec("d", pa.date32(), min=dt.date(2024, 1, 1), max="2024-01-31"),
    ColumnSpec("ts", pa.timestamp("us")),
    ColumnSpec("tz", pa.timestamp("ms", tz="UTC")),
    ColumnSpec("tm", pa.time64("us")),
    ColumnSpec("t32", pa.time32("s")),
)


def one(columns: tuple[ColumnSpec, ...], rows: int, seed: int = 1) -> pa.Table:
    return generate([TableSpec("t", columns, rows)], seed=seed)["t"]


def test_every_type_is_generated_with_its_schema() -> None:
    table = one(ALL_TYPES, 5000)
    assert table.num_rows == 5000
    assert table.schema == TableSpec("t", ALL_TYPES, 0).schema
    table.validate(full=True)
    for spec in ALL_TYPES:
        column = table.column(spec.name)
        if spec.nullable:
            share = column.null_count / 5000
            assert abs(share - spec.null_ratio) < 0.03, spec.name
        else:
            assert column.null_count == 0, spec.name


def test_bounds_and_lengths_are_respected() -> None:
    table = one(ALL_TYPES, 5000)
    f64 = pc.min_max(table["f64"]).as_py()
    assert -1.0 <= f64["min"] and f64["max"] < 1.0
    days = pc.min_max(table["d"]).as_py()
    assert days == {"min": dt.date(2024, 1, 1), "max": dt.date(2024, 1, 31)}
    lengths = pc.min_max(pc.utf8_length(table["s"])).as_py()
    assert lengths == {"min": 2, "max": 5}
    dec = pc.min_max(table["dec"]).as_py()
    assert Decimal("-9999.99") <= dec["min"] and dec["max"] <= Decimal("9999.99")
    i8 = pc.min_max(table["i8"]).as_py()
    assert i8 == {"min": -128, "max": 127}
    wide = pc.min_max(table["wide"]).as_py()
    assert Decimal(-(10**6)) <= wide["min"] < 0 < wide["max"] <= Decimal(10**6)
    stamps = pc.min_max(table["tz"]).as_py()
    assert stamps["min"] >= dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    assert stamps["max"] <= dt.datetime(2031, 1, 1, tzinfo=dt.UTC)


def test_same_seed_same_bytes_other_seed_other_values() -> None:
    first = one(ALL_TYPES, 2000, seed=42)
    assert first.equals(one(ALL_TYPES, 2000, seed=42))
    assert not first.equals(one(ALL_TYPES, 2000, seed=43))


def test_adding_a_column_leaves_the_others_unchanged() -> None:
    base = one(ALL_TYPES[:3], 100)
    more = one((*ALL_TYPES[:3], ColumnSpec("extra", pa.int8())), 100)
    assert more.select(base.column_names).equals(base)


@pytest.mark.parametrize(
    "spec",
    [
        ColumnSpec("k", pa.int16(), nullable=False, unique=True),
        ColumnSpec("k", pa.int64(), unique=True, min=0, max=10**15),
        ColumnSpec("k", pa.int8(), nullable=False, unique=True, min=0, max=99),
        ColumnSpec("k", pa.string(), nullable=False, unique=True, length=(2, 2)),
        ColumnSpec("k", pa.decimal128(4, 1), nullable=False, unique=True),
        ColumnSpec("k", pa.date32(), nullable=False, unique=True),
        ColumnSpec("k", pa.timestamp("s"), nullable=False, unique=True),
        ColumnSpec("k", pa.float64(), nullable=False, unique=True, min=0, max=1),
        ColumnSpec(
            "k", pa.int32(), nullable=False, unique=True, values=tuple(range(200))
        ),
    ],
)
def test_unique_columns_are_unique(spec: ColumnSpec) -> None:
    rows = 100
    column = one((spec,), rows).column("k")
    non_null = column.drop_null()
    assert len(pc.unique(non_null)) == len(non_null) >= 80


@pytest.mark.parametrize(
    ("spec", "rows", "message"),
    [
        (
            ColumnSpec("k", pa.bool_(), unique=True),
            3,
            "needs 3 distinct values, bool has 2",
        ),
        (ColumnSpec("k", pa.int8(), unique=True, min=1, max=5), 6, "the range has 5"),
        (
            ColumnSpec("k", pa.string(), unique=True, length=(1, 1)),
            63,
            "the range has 62",
        ),
        (ColumnSpec("k", pa.int8(), unique=True, values=(1, 2)), 3, "2 to draw from"),
        (ColumnSpec("k", pa.int8(), min=0, max=300), 1, "outside the range of int8"),
        (ColumnSpec("k", pa.int8(), min=5, max=1), 1, "min 5 is above max 1"),
        (ColumnSpec("k", pa.int8(), values=("x",)), 1, "value set is not int8"),
        (ColumnSpec("k", pa.decimal128(4, 2), min="0.001"), 1, "more than 2 decimal"),
        (ColumnSpec("k", pa.list_(pa.int8())), 1, "no generator for type list"),
        (ColumnSpec("k", pa.string(), length=(3, 1)), 1, r"bad string length range"),
    ],
)
def test_impossible_specs_are_errors(spec: ColumnSpec, rows: int, message: str) -> None:
    with pytest.raises(ConfigError, match=rf"t\.k: .*{message}"):
        one((spec,), rows)


def test_value_sets_are_respected() -> None:
    spec = ColumnSpec("c", pa.string(), values=("red", "green", "blue"), null_ratio=0.2)
    column = one((spec,), 3000).column("c")
    assert set(column.drop_null().to_pylist()) == {"red", "green", "blue"}
    assert 450 < column.null_count < 750


def test_foreign_keys_draw_from_the_parent_in_topological_order() -> None:
    users = TableSpec(
        "users",
        (
            ColumnSpec(
                "id", pa.int32(), nullable=False, unique=True, min=100, max=10**6
            ),
        ),
        50,
    )
    orders = TableSpec(
        "orders",
        (
            ColumnSpec("id", pa.int64(), nullable=False, unique=True),
            ColumnSpec("user_id", pa.int64(), references=("users", "id")),
        ),
        1000,
    )
    lines = TableSpec(
        "lines",
        (
            ColumnSpec(
                "order_id", pa.int64(), nullable=False, references=("orders", "id")
            ),
        ),
        3000,
    )
    tables = generate([lines, orders, users], seed=3)
    assert list(tables) == ["lines", "orders", "users"]
    user_ids = set(tables["users"]["id"].to_pylist())
    order_users = tables["orders"]["user_id"]
    assert set(order_users.drop_null().to_pylist()) <= user_ids
    assert order_users.null_count > 0
    assert set(tables["lines"]["order_id"].to_pylist()) <= set(
        tables["orders"]["id"].to_pylist()
    )
    assert tables["lines"]["order_id"].null_count == 0


def test_self_reference_draws_from_its_own_table() -> None:
    staff = TableSpec(
        "staff",
        (
            ColumnSpec("boss", pa.int32(), references=("staff", "id")),
            ColumnSpec("id", pa.int32(), nullable=False, unique=True),
        ),
        200,
    )
    table = generate([staff], seed=1)["staff"]
    assert table.column_names == ["boss", "id"]
    assert set(table["boss"].drop_null().to_pylist()) <= set(table["id"].to_pylist())


def test_one_to_one_reference_is_unique() -> None:
    parent = TableSpec(
        "p", (ColumnSpec("id", pa.int32(), nullable=False, unique=True),), 10
    )
    child = TableSpec(
        "c",
        (
            ColumnSpec(
                "pid", pa.int32(), nullable=False, unique=True, references=("p", "id")
            ),
        ),
        10,
    )
    tables = generate([parent, child], seed=5)
    assert sorted(tables["c"]["pid"].to_pylist()) == sorted(
        tables["p"]["id"].to_pylist()
    )


def test_reference_cycles_and_unknown_references_are_errors() -> None:
    a = TableSpec("a", (ColumnSpec("x", pa.int8(), references=("b", "y")),), 1)
    b = TableSpec("b", (ColumnSpec("y", pa.int8(), references=("a", "x")),), 1)
    with pytest.raises(DependencyCycleError) as info:
        generate([a, b], seed=1)
    assert sorted(info.value.cycle[:2]) == ["a", "b"]
    with pytest.raises(ConfigError, match=r"a\.x references b\.y: no spec for table b"):
        generate([a], seed=1)
    c = TableSpec("b", (ColumnSpec("z", pa.int8()),), 1)
    with pytest.raises(ConfigError, match=r"b has no column y"):
        generate([a, c], seed=1)


def test_empty_parent_cannot_feed_a_not_null_child() -> None:
    parent = TableSpec("p", (ColumnSpec("id", pa.int32()),), 0)
    child = TableSpec(
        "c", (ColumnSpec("pid", pa.int32(), nullable=False, references=("p", "id")),), 2
    )
    with pytest.raises(ConfigError, match=r"c\.pid: nothing to draw from"):
        generate([parent, child], seed=1)


def test_bad_table_specs() -> None:
    with pytest.raises(ConfigError, match="a column name is used twice"):
        TableSpec("t", (ColumnSpec("a", pa.int8()), ColumnSpec("a", pa.int8())), 1)
    with pytest.raises(ConfigError, match="rows must be >= 0"):
        TableSpec("t", (), -1)
    with pytest.raises(ConfigError, match="same name"):
        generate([TableSpec("t", (), 1), TableSpec("t", (), 1)], seed=1)


def test_zero_rows() -> None:
    table = one(ALL_TYPES, 0)
    assert table.num_rows == 0
    assert table.schema == TableSpec("t", ALL_TYPES, 0).schema


# -- spec_from_catalog -------------------------------------------------------------


def test_spec_from_catalog_maps_types_keys_and_nullability() -> None:
    table = Table(
        "s",
        "orders",
        "table",
        (
            Column("id", "bigint", False, 1),
            Column("customer_id", "integer", True, 2),
            Column("amount", "numeric(12,2)", True, 3),
            Column("code", "character varying(40)", True, 4),
            Column("flag", "char(3)", False, 5),
            Column("at", "timestamp with time zone", True, 6),
            Column("day", "date", True, 7),
            Column("ratio", "double precision", True, 8),
        ),
        primary_key=("id",),
        foreign_keys=(ForeignKey(None, ("customer_id",), "s", "customers", ("id",)),),
    )
    spec = spec_from_catalog(table, dialect="postgres", rows=7)
    assert spec.name == "orders" and spec.rows == 7
    got = [
        (c.name, c.type, c.nullable, c.unique, c.references, c.length)
        for c in spec.columns
    ]
    assert got == [
        ("id", pa.int64(), False, True, None, (1, 12)),
        ("customer_id", pa.int32(), True, False, ("customers", "id"), (1, 12)),
        ("amount", pa.decimal128(12, 2), True, False, None, (1, 12)),
        ("code", pa.string(), True, False, None, (1, 12)),
        ("flag", pa.string(), False, False, None, (3, 3)),
        ("at", pa.timestamp("us", tz="UTC"), True, False, None, (1, 12)),
        ("day", pa.date32(), True, False, None, (1, 12)),
        ("ratio", pa.float64(), True, False, None, (1, 12)),
    ]


@pytest.mark.parametrize(
    ("dialect", "type_name", "arrow"),
    [
        ("mysql", "tinyint(1)", pa.bool_()),
        ("mysql", "tinyint(4)", pa.int8()),
        ("mysql", "int unsigned", pa.uint32()),
        ("mysql", "datetime(6)", pa.timestamp("us")),
        ("snowflake", "number(38,0)", pa.decimal128(38, 0)),
        ("snowflake", "timestamp_ntz", pa.timestamp("us")),
        ("snowflake", "text", pa.string()),
        ("sqlite", "integer", pa.int64()),
        ("sqlite", "decimal(8, 2)", pa.decimal128(8, 2)),
        ("duckdb", "decimal", pa.decimal128(18, 3)),  # DuckDB's own default
        ("postgres", "numeric", pa.decimal128(38, 10)),
        ("duckdb", "time", pa.time64("us")),
        ("duckdb", "float", pa.float32()),
        ("duckdb", "boolean", pa.bool_()),
    ],
)
def test_spec_from_catalog_type_names(
    dialect: str, type_name: str, arrow: pa.DataType
) -> None:
    table = Table("s", "t", "table", (Column("c", type_name, True, 1),))
    assert spec_from_catalog(table, dialect=dialect).columns[0].type == arrow


def test_spec_from_catalog_unknown_type_needs_an_override() -> None:
    table = Table("s", "t", "table", (Column("doc", "jsonb", True, 1),))
    with pytest.raises(ConfigError, match=r"t\.doc: no generator for type 'jsonb'"):
        spec_from_catalog(table, dialect="postgres")
    override = ColumnSpec("doc", pa.string(), values=('{"a": 1}',))
    spec = spec_from_catalog(table, dialect="postgres", overrides={"doc": override})
    assert spec.columns == (override,)
    with pytest.raises(ConfigError, match="overrides for unknown columns nope"):
        spec_from_catalog(
            table, dialect="postgres", overrides={"doc": override, "nope": override}
        )


@pytest.fixture
async def duck() -> AsyncIterator[Pool]:
    async with open_pool("duckdb://:memory:") as pool:
        yield pool


async def test_spec_from_a_real_catalog_generates_loadable_rows(duck: Pool) -> None:
    from sqltest_core.testing._load import load_table

    await duck.execute(
        "create table customers (id integer primary key, name varchar(20) not null)"
    )
    await duck.execute(
        "create table orders (id bigint primary key, customer_id integer references customers(id),"
        " amount decimal(10, 2), placed timestamp, ok boolean not null)"
    )
    catalog = await duck.catalog()
    specs = [
        spec_from_catalog(catalog["customers"], dialect="duckdb", rows=50),
        spec_from_catalog(catalog["orders"], dialect="duckdb", rows=500),
    ]
    tables = generate(specs, seed=11)
    assert await load_table(duck, "customers", tables["customers"], create=False) == 50
    assert await load_table(duck, "orders", tables["orders"], create=False) == 500
    orphans = await duck.scalar(
        "select count(*) from orders o left join customers c on c.id = o.customer_id"
        " where o.customer_id is not null and c.id is null"
    )
    assert orphans == 0
    assert await duck.scalar("select count(distinct id) from orders") == 500


def test_spec_from_catalog_without_a_dialect_reads_generic_sql() -> None:
    table = Table("s", "t", "table", (Column("c", "varchar(3)", False, 1),))
    (column,) = spec_from_catalog(table).columns
    assert (column.type, column.nullable, column.length) == (pa.string(), False, (1, 3))
