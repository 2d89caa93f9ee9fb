"""Transactions: BEGIN TRANSACTION / COMMIT / ROLLBACK; no savepoints."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sqltest_core.config import DataSource
from sqltest_core.connectors import collect
from sqltest_core.connectors.snowflake import SnowflakeConnection, SnowflakeConnector
from sqltest_core.errors import UnsupportedFeature
from sqltest_core_tests.connectors.snowflake.harness import scratch


@pytest.fixture
async def source() -> AsyncIterator[DataSource]:
    async with scratch() as ds:
        conn = await SnowflakeConnector(ds).connect()
        try:
            await conn.execute("CREATE TABLE t (id INT)")
        finally:
            await conn.aclose()
        yield ds


async def count(conn: SnowflakeConnection) -> int:
    table = await collect(conn.stream("SELECT COUNT(*) AS n FROM t"))
    return int(table.column(0)[0].as_py())


async def test_commit_makes_rows_visible_to_other_sessions(
    conn: SnowflakeConnection, source: DataSource
) -> None:
    other = await SnowflakeConnector(source).connect()
    try:
        async with conn.transaction():
            assert conn.in_transaction
            await conn.execute("INSERT INTO t VALUES (1), (2)")
            assert await count(conn) == 2
            assert await count(other) == 0  # not yet committed
        assert not conn.in_transaction
        assert await count(other) == 2
    finally:
        await other.aclose()


async def test_error_rolls_back(conn: SnowflakeConnection) -> None:
    with pytest.raises(RuntimeError, match="undo"):
        async with conn.transaction():
            await conn.execute("INSERT INTO t VALUES (1)")
            raise RuntimeError("undo")
    assert await count(conn) == 0
    assert not conn.is_closed


async def test_nested_transaction_is_unsupported_and_rolls_back_the_outer(
    conn: SnowflakeConnection,
) -> None:
    assert SnowflakeConnection.supports_savepoints is False
    with pytest.raises(UnsupportedFeature, match="savepoints"):
        async with conn.transaction():
            await conn.execute("INSERT INTO t VALUES (1)")
            async with conn.transaction():
                pass  # pragma: no cover - never entered
    assert await count(conn) == 0


def test_transaction_statements() -> None:
    # A bare BEGIN can open a Snowflake Scripting block; BEGIN TRANSACTION cannot.
    assert (
        SnowflakeConnection.begin_sql,
        SnowflakeConnection.commit_sql,
        SnowflakeConnection.rollback_sql,
    ) == ("BEGIN TRANSACTION", "COMMIT", "ROLLBACK")
