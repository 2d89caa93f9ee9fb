"""``fetch_rows`` on every engine: the same rows, names and errors as the Arrow path."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from types import ModuleType

import anyio
import pytest

from sqltest_core import Pool, QueryError, QueryTimeout
from sqltest_core.connectors import placeholder


def _quote(pool: Pool, name: str) -> str:
    if pool.dialect == "mysql":
        return "`" + name.replace("`", "``") + "`"
    return '"' + name.replace('"', '""') + '"'


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
