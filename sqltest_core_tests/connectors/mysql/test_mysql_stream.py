"""Streaming: batch bounds, empty results, parameters, early stops, memory."""

from __future__ import annotations

import asyncio
import gc

import pyarrow as pa
import pytest

from sqltest_core.connectors import collect, open_pool
from sqltest_core.connectors.mysql import MySQLConnection, MySQLConnector

from .harness import running_statements, scratch

DRIVERS = ["asyncmy", "aiomysql"]


@pytest.mark.parametrize("driver", DRIVERS)
async def test_batches_hold_at_most_batch_size_rows_with_one_schema(
    driver: str,
) -> None:
    async with scratch(driver=driver) as source, open_pool(source) as db:
        await db.execute("CREATE TABLE t (i INT, s VARCHAR(5))")
        await db.execute(
            "INSERT INTO t VALUES (1,'a'),(2,'b'),(3,'c'),(4,'d'),(5,'e'),(6,NULL),"
            "(7,'g')"
        )
        batches = [
            b async for b in db.stream("SELECT i, s FROM t ORDER BY i", batch_size=3)
        ]
    assert [b.num_rows for b in batches] == [3, 3, 1]
    assert {b.schema for b in batches} == {
        pa.schema([("i", pa.int32()), ("s", pa.string())])
    }
    assert pa.Table.from_batches(batches).column("s").to_pylist() == [
        "a",
        "b",
        "c",
        "d",
        "e",
        None,
        "g",
    ]


@pytest.mark.parametrize("driver", DRIVERS)
async def test_empty_result_yields_one_empty_batch_with_its_schema(
    driver: str,
) -> None:
    async with scratch(driver=driver) as source, open_pool(source) as db:
        await db.execute("CREATE TABLE t (i BIGINT UNSIGNED, d DECIMAL(5, 1))")
        batches = [b async for b in db.stream("SELECT i, d FROM t")]
    assert len(batches) == 1
    assert batches[0].num_rows == 0
    assert batches[0].schema == pa.schema(
        [("i", pa.uint64()), ("d", pa.decimal128(5, 1))]
    )


@pytest.mark.parametrize("driver", DRIVERS)
async def test_statement_without_result_set_streams_one_column_less_batch(
    driver: str,
) -> None:
    async with scratch(driver=driver) as source, open_pool(source) as db:
        batches = [b async for b in db.stream("CREATE TABLE t (i INT)")]
        assert [(b.num_rows, b.num_columns) for b in batches] == [(0, 0)]
        assert await db.scalar("SELECT COUNT(*) FROM t") == 0


@pytest.mark.parametrize("driver", DRIVERS)
async def test_parameters_use_format_style_and_plain_percent_survives(
    driver: str,
) -> None:
    async with scratch(driver=driver) as source, open_pool(source) as db:
        await db.execute("CREATE TABLE t (s VARCHAR(20), n INT)")
        inserted = await db.execute(
            "INSERT INTO t VALUES (%s, %s), (%s, %s)", ("50%", 1, "it's", 2)
        )
        assert inserted == 2
        table = await db.fetch_arrow(
            "SELECT s, n, '100%%' AS pct FROM t WHERE n >= %s ORDER BY n", (1,)
        )
        assert table.to_pylist() == [
            {"s": "50%", "n": 1, "pct": "100%"},
            {"s": "it's", "n": 2, "pct": "100%"},
        ]
        # Without parameters the text goes to the server as written.
        assert await db.scalar("SELECT COUNT(*) FROM t WHERE s LIKE '%\\%'") == 1


@pytest.mark.parametrize("driver", DRIVERS)
async def test_stopping_early_kills_the_rest_and_keeps_the_session(
    driver: str,
) -> None:
    marker = f"early_{driver}"
    async with scratch(driver=driver) as source:
        conn = await MySQLConnector(source).connect()
        try:
            sql = f"SELECT seq AS {marker} FROM seq_1_to_5000000"
            stream = conn.stream(sql, batch_size=1000)
            first = await anext(stream)
            await stream.aclose()  # type: ignore[attr-defined]
            assert first.column(0).to_pylist() == list(range(1, 1001))
            assert await running_statements(marker) == 0
            assert not conn.is_closed
            table = await collect(conn.stream("SELECT 41 + 1 AS answer"))
            assert table.to_pylist() == [{"answer": 42}]
        finally:
            await conn.aclose()


@pytest.mark.parametrize("driver", DRIVERS)
async def test_stream_dropped_without_aclose_is_settled_by_the_next_statement(
    driver: str,
) -> None:
    async with scratch(driver=driver) as source:
        conn = await MySQLConnector(source).connect()
        try:
            async for _ in conn.stream("SELECT seq FROM seq_1_to_1000000"):
                break  # async for does not aclose the generator
            table = await collect(conn.stream("SELECT 'next' AS s"))
            assert table.to_pylist() == [{"s": "next"}]
            gc.collect()
            await asyncio.sleep(0.05)  # let a finaliser's aclose run, harmlessly
            assert await conn.execute("DO 1") == 0
            assert not conn.is_closed
        finally:
            await conn.aclose()


async def test_asyncmy_buffer_stays_bounded_while_the_consumer_waits() -> None:
    # asyncmy never pauses its transport; the connector does between batches, so
    # a slow consumer leaves the rest of the result on the server.
    async with scratch(driver="asyncmy") as source:
        conn: MySQLConnection = await MySQLConnector(source).connect()
        try:
            stream = conn.stream(
                "SELECT seq, REPEAT('x', 200) AS pad FROM seq_1_to_300000",
                batch_size=1000,
            )
            await anext(stream)
            await asyncio.sleep(0.5)  # ~60 MB would arrive on loopback meanwhile
            assert len(conn.raw._proto.buffer) < 4 * 2**20
            rows = 1000
            async for batch in stream:
                rows += batch.num_rows
            assert rows == 300_000
        finally:
            await conn.aclose()
