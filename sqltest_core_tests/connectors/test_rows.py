"""``fetch_rows``: small results as Python rows, equal to the Arrow path's values."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import ModuleType

import anyio
import pyarrow as pa
import pytest

from sqltest_core import Pool, QueryError, QueryTimeout, open_pool
from sqltest_core.config import DataSource
from sqltest_core.connectors import Rows, placeholder

ENGINES = ["duckdb", "sqlite", "postgres", "mysql", "snowflake"]


@pytest.fixture(params=ENGINES)
def harness(request: pytest.FixtureRequest) -> ModuleType:
    return importlib.import_module(
        f"sqltest_core_tests.connectors.{request.param}.harness"
    )


@pytest.fixture
async def source(harness: ModuleType) -> AsyncIterator[DataSource]:
    async with harness.scratch() as src:
        yield src


@pytest.fixture
async def pool(source: DataSource) -> AsyncIterator[Pool]:
    async with open_pool(source) as p:
        yield p


def _quote(pool: Pool, name: str) -> str:
    if pool.dialect == "mysql":
        return "`" + name.replace("`", "``") + "`"
    return '"' + name.replace('"', '""') + '"'


# -- Rows itself ----------------------------------------------------------------


def test_rows_reads_like_a_pyarrow_table_even_with_repeated_names() -> None:
    rows = Rows(("a", "b", "a"), [(1, "x", 2), (3, None, 4)])
    table = pa.table({"a": [1, 3], "b": ["x", None], "a2": [2, 4]}).rename_columns(
        ["a", "b", "a"]
    )
    assert (
        rows.to_pylist()
        == table.to_pylist()
        == [
            {"a": 2, "b": "x"},
            {"a": 4, "b": None},
        ]
    )
    assert len(rows) == 2
    assert rows.first() == (1, "x", 2)
    assert rows.column(1) == ["x", None]
    assert rows.column(-1) == [2, 4]
    with pytest.raises(IndexError):
        rows.column(3)


def test_empty_rows_have_no_first_row() -> None:
    rows = Rows(("a",), [])
    assert len(rows) == 0
    assert rows.first() is None
    assert rows.column(0) == []
    assert rows.to_pylist() == []


# -- every engine -----------------------------------------------------------------


async def test_rows_equal_the_arrow_path_for_mixed_types(pool: Pool) -> None:
    await pool.execute(
        "create table mixed (id integer, name varchar(20), amount decimal(10,2), "
        "day date, flag boolean, ratio double precision, seen timestamp)"
    )
    ph = ", ".join(placeholder(pool.connector.paramstyle, i) for i in range(7))
    insert = f"insert into mixed values ({ph})"
    await pool.execute(
        insert,
        [
            1,
            "a",
            Decimal("1.50"),
            date(2024, 1, 2),
            True,
            0.25,
            datetime(2024, 1, 2, 3),
        ],
    )
    await pool.execute(insert, [2, None, None, None, None, None, None])
    await pool.execute(
        insert, [3, "ü'\"", Decimal("-7"), date(1999, 12, 31), False, -1e10, None]
    )
    sql = (
        "select id, name, amount, day, flag, ratio, seen, id * 2 as twice "
        "from mixed order by id"
    )
    rows = await pool.fetch_rows(sql)
    table = await pool.fetch_arrow(sql)
    assert rows.columns == tuple(table.column_names)
    assert len(rows) == 3
    assert rows.to_pylist() == table.to_pylist()
    for got, want in zip(rows.to_pylist(), table.to_pylist(), strict=True):
        assert [type(v) for v in got.values()] == [type(v) for v in want.values()]


async def test_empty_result_keeps_column_names(pool: Pool) -> None:
    await pool.execute("create table items (id integer, name varchar(10))")
    rows = await pool.fetch_rows("select id, name from items where id < 0")
    table = await pool.fetch_arrow("select id, name from items where id < 0")
    assert rows.rows == []
    assert rows.first() is None
    assert [c.lower() for c in rows.columns] == ["id", "name"]
    assert rows.columns == tuple(table.column_names)
    assert await pool.scalar("select id from items") is None


async def test_bound_parameters_and_scalar(pool: Pool) -> None:
    sql = f"select {placeholder(pool.connector.paramstyle, 0)} as v"
    assert (await pool.fetch_rows(sql, ["x'; drop"])).rows == [("x'; drop",)]
    assert await pool.scalar("select 41 + 1") == 42


async def test_statement_error_raises_query_error_naming_the_source(
    pool: Pool,
) -> None:
    with pytest.raises(QueryError) as info:
        await pool.fetch_rows("select * from no_such_table_here")
    err = info.value
    assert err.source == pool.name
    assert f"[{pool.name}]" in str(err)
    assert err.__cause__ is not None
    assert await pool.scalar("select 1") == 1
    assert pool.stats.in_use == 0


async def test_timeout_raises_query_timeout(harness: ModuleType, pool: Pool) -> None:
    with anyio.fail_after(15), pytest.raises(QueryTimeout) as info:
        await pool.fetch_rows(harness.sleep_sql(30), timeout=0.5)
    assert info.value.source == pool.name
    assert await pool.scalar("select 1") == 1


async def test_hostile_column_aliases_round_trip(pool: Pool) -> None:
    names = ['we"ird', "it's; drop table x --", "ünï côdé", "a b"]
    aliases = ", ".join(f"{i} as {_quote(pool, n)}" for i, n in enumerate(names))
    rows = await pool.fetch_rows(f"select {aliases}")
    table = await pool.fetch_arrow(f"select {aliases}")
    assert rows.columns == tuple(names) == tuple(table.column_names)
    assert rows.rows == [(0, 1, 2, 3)]
    assert rows.to_pylist() == table.to_pylist()


# -- DuckDB: native path, deliberate differences ------------------------------------


async def test_duckdb_values_match_arrow_where_types_differ() -> None:
    async with open_pool("duckdb://:memory:") as pool:
        sql = """
            select '5451760b-09b5-4d92-85d7-44f05115272e'::uuid as u,
                   ['5451760b-09b5-4d92-85d7-44f05115272e'::uuid] as us,
                   {'k': '5451760b-09b5-4d92-85d7-44f05115272e'::uuid} as s,
                   map([1, 2], ['a', 'b']) as m,
                   map {[1]: 2} as nested_key,
                   [1, 2]::integer[2] as fixed,
                   null::uuid as no_uuid,
                   interval 3 day as i,
                   170141183460469231731687303715884105727::hugeint as h
        """
        rows = await pool.fetch_rows(sql)
        table = await pool.fetch_arrow(sql)
    got, want = rows.to_pylist()[0], table.to_pylist()[0]
    assert got["u"] == "5451760b-09b5-4d92-85d7-44f05115272e"
    for name in ("u", "us", "s", "m", "nested_key", "fixed", "no_uuid"):
        assert got[name] == want[name], name
    # Deliberate: a timedelta rather than pyarrow's MonthDayNano, an exact int
    # rather than a Decimal.
    assert got["i"] == timedelta(days=3)
    assert got["h"] == 2**127 - 1 == want["h"]
    assert type(got["h"]) is int


async def test_duckdb_statement_without_result_gives_what_arrow_gives() -> None:
    async with open_pool("duckdb://:memory:") as pool:
        created = await pool.fetch_rows("create table t (x integer)")
        inserted = await pool.fetch_rows("insert into t values (1), (2)")
        table = await pool.fetch_arrow("insert into t values (3)")
    assert created.rows == []
    assert inserted.rows == [(2,)]
    assert inserted.columns == tuple(table.column_names)


# -- SQLite: values typed as the Arrow path types them ------------------------------


async def test_sqlite_rows_follow_declared_types_and_fail_alike() -> None:
    async with open_pool("sqlite://:memory:") as pool:
        await pool.execute(
            "create table t (b boolean, d date, ts timestamptz, n numeric(6,2), "
            "x integer, anything)"
        )
        await pool.execute(
            "insert into t values (1, '2024-01-02', '2024-01-02 03:04:05+01:00', "
            "2.5, 3.0, 'text'), (0, null, '2024-01-02T00:00:00Z', 7, null, 5)"
        )
        sql = 'select b, d, ts, n, x, anything, x + 1 as "y [text]" from t'
        rows = await pool.fetch_rows(sql)
        table = await pool.fetch_arrow(sql)
        assert rows.columns == tuple(table.column_names)
        assert rows.to_pylist() == table.to_pylist()
        assert rows.first() == (
            True,
            date(2024, 1, 2),
            table.column("ts")[0].as_py(),
            Decimal("2.50"),
            3,
            "text",
            "4",
        )
        await pool.execute("insert into t (x) values ('not a number')")
        with pytest.raises(QueryError, match="result column 'x'") as rows_error:
            await pool.fetch_rows("select x from t")
        with pytest.raises(QueryError) as arrow_error:
            await pool.fetch_arrow("select x from t")
        assert str(rows_error.value) == str(arrow_error.value)


# -- no pyarrow on the native paths ----------------------------------------------


@pytest.mark.parametrize("url", ["duckdb://:memory:", "sqlite://:memory:"])
def test_fetch_rows_does_not_import_pyarrow(url: str) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        import anyio
        from sqltest_core import open_pool

        async def main():
            async with open_pool({url!r}) as pool:
                rows = await pool.fetch_rows("select 1 as a, 'x' as b")
                assert rows.rows == [(1, "x")], rows
                assert await pool.scalar("select 2") == 2

        anyio.run(main)
        assert "pyarrow" not in sys.modules, "pyarrow was imported"
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
