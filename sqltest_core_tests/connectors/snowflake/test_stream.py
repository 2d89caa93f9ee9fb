"""Streaming: native Arrow batches, re-chunked, never on the event loop thread."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator

import pyarrow as pa
import pytest

from sqltest_core.connectors import collect, open_pool
from sqltest_core.connectors.snowflake import SnowflakeConnection, SnowflakeConnector
from sqltest_core_tests.connectors.snowflake.harness import scratch


@pytest.fixture
async def conn() -> AsyncIterator[SnowflakeConnection]:
    async with scratch() as ds:
        connection = await SnowflakeConnector(ds).connect()
        try:
            await connection.execute("CREATE TABLE t (id NUMBER(9,0), label VARCHAR)")
            await connection.execute(
                "INSERT INTO t SELECT SEQ4(), 'row ' || SEQ4() "
                "FROM TABLE(GENERATOR(ROWCOUNT => 10))"
            )
            yield connection
        finally:
            await connection.aclose()


async def test_batches_are_rechunked_to_batch_size(conn: SnowflakeConnection) -> None:
    batches = [
        b
        async for b in conn.stream("SELECT id, label FROM t ORDER BY id", batch_size=3)
    ]
    assert [b.num_rows for b in batches] == [3, 3, 3, 1]
    schema = pa.schema([("ID", pa.int64()), ("LABEL", pa.string())])
    assert all(b.schema == schema for b in batches)
    table = pa.Table.from_batches(batches)
    assert table.column("ID").to_pylist() == list(range(10))
    assert table.column("LABEL")[9].as_py() == "row 9"


async def test_empty_result_yields_one_empty_batch_with_schema(
    conn: SnowflakeConnection,
) -> None:
    batches = [b async for b in conn.stream("SELECT id, label FROM t WHERE id < 0")]
    assert len(batches) == 1
    assert batches[0].num_rows == 0
    assert batches[0].schema == pa.schema([("ID", pa.int64()), ("LABEL", pa.string())])


async def test_dml_result_in_json_format_still_streams_as_arrow(
    conn: SnowflakeConnection,
) -> None:
    # Snowflake answers DML in JSON, where fetch_arrow_batches is unsupported.
    table = await collect(conn.stream("INSERT INTO t VALUES (?, ?)", (10, "x")))
    assert table.num_rows == 1
    assert table.column_names == ["number of rows inserted"]
    assert table.column(0).to_pylist() == [1]


async def test_stopping_early_leaves_the_connection_usable(
    conn: SnowflakeConnection,
) -> None:
    batches = conn.stream("SELECT id FROM t ORDER BY id", batch_size=2)
    first = await anext(batches)
    await batches.aclose()  # type: ignore[attr-defined]
    assert first.column(0).to_pylist() == [0, 1]
    assert not conn.is_closed
    assert (await collect(conn.stream("SELECT COUNT(*) AS n FROM t"))).to_pylist() == [
        {"N": 10}
    ]


async def test_execute_returns_affected_rows_or_minus_one(
    conn: SnowflakeConnection,
) -> None:
    assert await conn.execute("UPDATE t SET label = 'x' WHERE id < ?", (4,)) == 4
    assert await conn.execute("DELETE FROM t WHERE id >= 8") == 2
    assert await conn.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b')") == 2
    assert await conn.execute("CREATE TABLE u (x INT)") == -1
    assert await conn.execute("SELECT * FROM t") == -1


async def test_driver_calls_never_run_on_the_event_loop_thread(
    conn: SnowflakeConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    from snowflake.connector.cursor import SnowflakeCursor

    loop_thread = threading.get_ident()
    seen: dict[str, set[int]] = {"execute": set(), "fetch": set(), "next": set()}
    execute, fetch = SnowflakeCursor.execute, SnowflakeCursor.fetch_arrow_batches

    def spy_execute(self: SnowflakeCursor, *args: object, **kwargs: object) -> object:
        seen["execute"].add(threading.get_ident())
        return execute(self, *args, **kwargs)  # type: ignore[call-overload]

    def spy_fetch(self: SnowflakeCursor, *args: object, **kwargs: object) -> object:
        seen["fetch"].add(threading.get_ident())
        for table in fetch(self, *args, **kwargs):  # type: ignore[arg-type]
            seen["next"].add(threading.get_ident())
            yield table

    monkeypatch.setattr(SnowflakeCursor, "execute", spy_execute)
    monkeypatch.setattr(SnowflakeCursor, "fetch_arrow_batches", spy_fetch)
    await collect(conn.stream("SELECT id FROM t", batch_size=4))
    assert all(seen.values())
    assert loop_thread not in seen["execute"] | seen["fetch"] | seen["next"]


async def test_pool_fetches_through_the_registry() -> None:
    async with scratch() as ds, open_pool(ds) as pool:
        assert pool.dialect == "snowflake"
        assert await pool.scalar("SELECT ? || '!' AS s", ("hi",)) == "hi!"
        frame = await pool.fetch_polars("SELECT 1.5::FLOAT AS f")
        assert frame.to_dicts() == [{"F": 1.5}]
