"""rows_strategy: hypothesis tables that respect the spec, and a real property."""

from __future__ import annotations

import collections
import datetime as dt
from decimal import Decimal

import anyio
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings

from sqltest_core import open_pool
from sqltest_core.errors import ConfigError
from sqltest_core.testing._generate import ColumnSpec, TableSpec
from sqltest_core.testing._load import load_table
from sqltest_core.testing._strategies import rows_strategy

FAST = settings(
    max_examples=40,
    database=None,  # nothing written under the working tree
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
SPEC = TableSpec(
    "sales",
    (
        ColumnSpec("id", pa.int32(), nullable=False, unique=True),
        ColumnSpec("category", pa.string(), values=("a", "b", "c"), null_ratio=0.2),
        ColumnSpec("amount", pa.decimal128(7, 2), min=0, max=1000),
        ColumnSpec("ratio", pa.float32(), min=0, max=1),
        ColumnSpec("name", pa.string(), length=(0, 8)),
        ColumnSpec("ok", pa.bool_(), nullable=False),
        ColumnSpec(
            "day", pa.date32(), min=dt.date(2024, 1, 1), max=dt.date(2024, 12, 31)
        ),
        ColumnSpec("at", pa.timestamp("s", tz="UTC")),
        ColumnSpec("at_ms", pa.timestamp("ms")),
        ColumnSpec("tm", pa.time64("us")),
        ColumnSpec("small", pa.int8(), nullable=False, min=-3, max=3),
    ),
    rows=0,
)


@FAST
@given(rows_strategy(SPEC, min_rows=1, max_rows=30))
def test_tables_respect_the_spec(table: pa.Table) -> None:
    assert table.schema == SPEC.schema
    assert 1 <= table.num_rows <= 30
    ids = table["id"].to_pylist()
    assert len(set(ids)) == len(ids)
    assert set(table["category"].to_pylist()) <= {"a", "b", "c", None}
    for amount in table["amount"].drop_null().to_pylist():
        assert Decimal(0) <= amount <= Decimal(1000)
        assert amount == amount.quantize(Decimal("0.01"))
    assert all(0 <= r <= 1 for r in table["ratio"].drop_null().to_pylist())
    assert all(len(n) <= 8 for n in table["name"].drop_null().to_pylist())
    assert table["ok"].null_count == 0 and table["small"].null_count == 0
    assert all(-3 <= v <= 3 for v in table["small"].to_pylist())
    for day in table["day"].drop_null().to_pylist():
        assert dt.date(2024, 1, 1) <= day <= dt.date(2024, 12, 31)
    assert all(t.microsecond == 0 for t in table["at"].drop_null().to_pylist())
    assert all(
        t.microsecond % 1000 == 0 for t in table["at_ms"].drop_null().to_pylist()
    )


async def group_counts(table: pa.Table) -> tuple[int, dict[str | None, int]]:
    async with open_pool("duckdb://:memory:") as db:
        await load_table(db, "sales", table)
        total = await db.scalar("select count(*) from sales")
        groups = await db.fetch_arrow(
            "select category, count(*) as n from sales group by category"
        )
    return int(total), {r["category"]: r["n"] for r in groups.to_pylist()}


@settings(FAST, max_examples=20)
@given(rows_strategy(SPEC, max_rows=40))
def test_group_counts_add_up_to_the_row_count(table: pa.Table) -> None:
    total, groups = anyio.run(group_counts, table)
    assert total == table.num_rows == sum(groups.values())
    assert groups == dict(collections.Counter(table["category"].to_pylist()))


def test_bad_specs_are_config_errors() -> None:
    with pytest.raises(ConfigError, match=r"bad row bounds 5\.\.1"):
        rows_strategy(SPEC, min_rows=5, max_rows=1)
    spec = TableSpec("t", (ColumnSpec("x", pa.list_(pa.int8())),), 0)
    with pytest.raises(ConfigError, match="x: no strategy for type list"):
        rows_strategy(spec)
    spec = TableSpec("t", (ColumnSpec("d", pa.date32(), min=5),), 0)
    with pytest.raises(ConfigError, match="d: expected a date or datetime bound"):
        rows_strategy(spec)
