"""Behaviour every connector shares, run against every engine."""

from __future__ import annotations

import io
import uuid
from decimal import Decimal
from types import ModuleType

import anyio
import pyarrow as pa
import pytest

from sqltest_core import (
    ConnectorError,
    Pool,
    QueryError,
    QueryTimeout,
    SqltestError,
    UnsupportedFeature,
    configure_logging,
    open_pool,
)
from sqltest_core.config import DataSource, RetrySettings
from sqltest_core.connectors import Connection, collect, placeholder


def _ph(pool: Pool, count: int) -> str:
    return ", ".join(placeholder(pool.connector.paramstyle, i) for i in range(count))


async def _make_items(pool: Pool, rows: int) -> None:
    await pool.execute(
        "create table items (id integer primary key, name varchar(100), amount decimal(10,2))"
    )
    sql = f"insert into items (id, name, amount) values ({_ph(pool, 3)})"
    async with pool.transaction() as conn:
        for i in range(rows):
            await conn.execute(sql, [i, f"item {i}", Decimal(i) / 4])


async def _count(pool: Pool, table: str = "items") -> int:
    return int(await pool.scalar(f"select count(*) from {table}"))


async def test_stream_yields_bounded_batches_with_bound_parameters(pool: Pool) -> None:
    await _make_items(pool, 10)
    sql = f"select id, name, amount from items where id >= {_ph(pool, 1)} order by id"
    batches = [b async for b in pool.stream(sql, [2], batch_size=3)]
    assert all(1 <= b.num_rows <= 3 for b in batches)
    table = pa.Table.from_batches(batches)
    assert [c.lower() for c in table.column_names] == ["id", "name", "amount"]
    assert table.column(0).to_pylist() == list(range(2, 10))
    assert table.column(1).to_pylist()[0] == "item 2"
    assert [Decimal(str(v)) for v in table.column(2).to_pylist()][:3] == [
        Decimal("0.50"),
        Decimal("0.75"),
        Decimal("1.00"),
    ]


async def test_empty_result_still_has_a_schema(pool: Pool) -> None:
    await _make_items(pool, 2)
    table = await pool.fetch_arrow("select id, name from items where id < 0")
    assert table.num_rows == 0
    assert [c.lower() for c in table.column_names] == ["id", "name"]


async def test_parameter_values_are_never_sql(pool: Pool) -> None:
    await _make_items(pool, 1)
    hostile = "x'); drop table items; --"
    await pool.execute(
        f"insert into items (id, name, amount) values ({_ph(pool, 3)})",
        [99, hostile, 1],
    )
    sql = f"select name from items where name = {_ph(pool, 1)}"
    assert await pool.scalar(sql, [hostile]) == hostile
    assert await _count(pool) == 2


async def test_polars_and_arrow_helpers_agree(pool: Pool) -> None:
    await _make_items(pool, 5)
    frame = await pool.fetch_polars("select id, name from items order by id")
    assert frame.shape == (5, 2)
    assert frame.to_arrow().column(0).to_pylist() == [0, 1, 2, 3, 4]


async def test_transaction_commits_or_rolls_back(pool: Pool) -> None:
    await _make_items(pool, 0)
    insert = f"insert into items (id, name, amount) values ({_ph(pool, 3)})"
    async with pool.transaction() as conn:
        await conn.execute(insert, [1, "kept", 1])
    with pytest.raises(RuntimeError):
        async with pool.transaction() as conn:
            await conn.execute(insert, [2, "dropped", 2])
            raise RuntimeError("boom")
    assert await pool.scalar("select name from items") == "kept"
    assert await _count(pool) == 1


@pytest.mark.unsupported("duckdb", reason="DuckDB has no SAVEPOINT")
@pytest.mark.unsupported("snowflake", reason="Snowflake has no SAVEPOINT")
async def test_savepoint_rolls_back_only_the_inner_block(pool: Pool) -> None:
    await _make_items(pool, 0)
    insert = f"insert into items (id, name, amount) values ({_ph(pool, 3)})"
    async with pool.transaction() as conn:
        await conn.execute(insert, [1, "outer", 1])
        with pytest.raises(RuntimeError):
            async with conn.transaction():
                await conn.execute(insert, [2, "inner", 2])
                raise RuntimeError("undo inner")
    assert await pool.scalar("select count(*) from items") == 1


@pytest.mark.parametrize("harness", ["duckdb", "snowflake"], indirect=True)
async def test_nested_transaction_without_savepoints_says_so(pool: Pool) -> None:
    await _make_items(pool, 0)
    async with pool.acquire() as conn:
        with pytest.raises(UnsupportedFeature, match="savepoint"):
            async with conn.transaction(), conn.transaction():
                pass


async def test_sql_error_is_translated_and_connection_survives(pool: Pool) -> None:
    with pytest.raises(QueryError) as info:
        await pool.fetch_arrow("select * from no_such_table_here")
    err = info.value
    assert err.source == pool.name
    assert err.sql == "select * from no_such_table_here"
    assert err.__cause__ is not None  # chained to the driver's error
    assert not err.transient
    assert await pool.scalar("select 1") == 1
    assert pool.stats.in_use == 0


async def test_timeout_cancels_the_statement_on_the_server(
    harness: ModuleType, pool: Pool
) -> None:
    marker = f"sqltest_{uuid.uuid4().hex[:12]}"
    sql = f"select '{marker}' as marker, s.* from ({harness.sleep_sql(30)}) s"
    with anyio.fail_after(15):
        with pytest.raises(QueryTimeout) as info:
            await pool.fetch_arrow(sql, timeout=0.5)
    assert info.value.source == pool.name
    await _assert_gone(harness, marker)
    assert await pool.scalar("select 1") == 1


async def test_cancelling_the_caller_stops_the_server_statement(
    harness: ModuleType, pool: Pool
) -> None:
    marker = f"sqltest_{uuid.uuid4().hex[:12]}"
    sql = f"select '{marker}' as marker, s.* from ({harness.sleep_sql(30)}) s"
    with anyio.fail_after(15):
        async with anyio.create_task_group() as tg:
            tg.start_soon(pool.fetch_arrow, sql)
            await _wait_running(harness, marker)
            tg.cancel_scope.cancel()
    await _assert_gone(harness, marker)
    assert await pool.scalar("select 1") == 1
    assert pool.stats.in_use == 0


async def _wait_running(harness: ModuleType, marker: str) -> None:
    for _ in range(100):
        running = await harness.running_statements(marker)
        if running is None:
            await anyio.sleep(0.5)  # in-process: give the query time to start
            return
        if running:
            return
        await anyio.sleep(0.05)
    raise AssertionError("statement never showed up on the server")


async def _assert_gone(harness: ModuleType, marker: str) -> None:
    for _ in range(50):
        running = await harness.running_statements(marker)
        if not running:
            return
        await anyio.sleep(0.1)
    raise AssertionError(f"statement {marker} still running on the server after 5 s")


async def test_100_tasks_share_a_pool_of_10(source: DataSource) -> None:
    async with open_pool(source, pool={"min_size": 2, "max_size": 10}) as pool:
        results: dict[int, int] = {}

        async def work(i: int) -> None:
            async with pool.acquire() as conn:
                assert isinstance(conn, Connection)
                table = await collect(conn.stream(f"select {i} as v"))
                results[i] = table.column(0)[0].as_py()

        with anyio.fail_after(120):
            async with anyio.create_task_group() as tg:
                for i in range(100):
                    tg.start_soon(work, i)
        assert results == {i: i for i in range(100)}
        stats = pool.stats
        assert stats.in_use == 0
        assert 1 <= stats.size <= 10
        assert stats.opened <= 10
    assert pool.stats.size == 0  # closed on exit: nothing leaked


@pytest.mark.unsupported(
    "snowflake", reason="the fakesnow emulator reads no primary or foreign keys"
)
async def test_catalog_lists_tables_views_and_keys(pool: Pool) -> None:
    await pool.execute(
        "create table parent (id integer primary key, label varchar(20) not null)"
    )
    await pool.execute(
        "create table child (id integer primary key, parent_id integer, "
        "note varchar(50), foreign key (parent_id) references parent (id))"
    )
    await pool.execute("create view child_view as select id, note from child")
    catalog = await pool.catalog()
    names = {name.lower() for name in catalog.tables}
    assert {"parent", "child", "child_view"} <= names
    tables = {name.lower(): t for name, t in catalog.tables.items()}
    parent, child, view = tables["parent"], tables["child"], tables["child_view"]
    assert parent.kind == "table" and view.kind == "view"
    assert [c.name.lower() for c in parent.columns] == ["id", "label"]
    assert [c.position for c in parent.columns] == [1, 2]
    assert not parent.columns[1].nullable
    assert [k.lower() for k in parent.primary_key] == ["id"]
    assert len(child.foreign_keys) == 1
    fk = child.foreign_keys[0]
    assert [c.lower() for c in fk.columns] == ["parent_id"]
    assert fk.referred_table.lower() == "parent"
    assert [c.lower() for c in fk.referred_columns] == ["id"]
    # Cached until invalidated.
    assert await pool.catalog() is catalog
    pool.invalidate_catalog()
    assert await pool.catalog() is not catalog


@pytest.mark.parametrize("harness", ["postgres", "mysql", "snowflake"], indirect=True)
async def test_canary_password_never_leaks(harness: ModuleType) -> None:
    canary = f"Canary{uuid.uuid4().hex[:10]}Pw"
    url = harness.bad_password_url(canary)
    out = io.StringIO()
    configure_logging(format="json", level="DEBUG", stream=out)
    try:
        source = DataSource(
            name="canary", url=url, retry=RetrySettings(attempts=2, initial_backoff=0)
        )
        pool = open_pool(source)
        texts = [repr(source), str(source.url), repr(pool), source.model_dump_json()]
        with pytest.raises(SqltestError) as info:
            async with pool:
                await pool.scalar("select 1")
        exc: BaseException | None = info.value
        while exc is not None:
            texts += [str(exc), repr(exc)]
            exc = exc.__cause__ or exc.__context__
    finally:
        configure_logging(level="WARNING")
    texts.append(out.getvalue())
    assert isinstance(info.value, SqltestError | ConnectorError)
    leaked = [t for t in texts if canary in t]
    assert not leaked, leaked
