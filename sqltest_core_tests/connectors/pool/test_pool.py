"""Pool mechanics, on real DuckDB connections wrapped to inject failures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest

from sqltest_core import (
    CircuitOpenError,
    ConfigError,
    ConnectError,
    ConnectorError,
    Pool,
    PoolTimeout,
    open_pool,
)
from sqltest_core.config import DataSource
from sqltest_core.connectors import Connection
from sqltest_core.connectors.duckdb import DuckDBConnector


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


class FlakyConnector(DuckDBConnector):
    """Real DuckDB connections; ``fail_connects`` first connects are refused."""

    def __init__(self, source: DataSource, fail_connects: int = 0) -> None:
        super().__init__(source)
        self.fail_connects = fail_connects
        self.attempts = 0

    async def connect(self) -> Any:
        self.attempts += 1
        if self.fail_connects > 0:
            self.fail_connects -= 1
            raise ConnectError("connection refused", source=self.source.name)
        return await super().connect()


def make_pool(
    clock: Clock | None = None, fail_connects: int = 0, **fields: Any
) -> Pool:
    source = DataSource.model_validate(
        {
            "name": "mem",
            "url": "duckdb://:memory:",
            "retry": {"initial_backoff": 0, "jitter": 0},
            **fields,
        }
    )
    clock = clock or Clock()
    return Pool(
        source,
        connector=FlakyConnector(source, fail_connects),
        clock=clock,
        sleep=clock.sleep,
    )


@pytest.fixture
async def pool() -> AsyncIterator[Pool]:
    async with make_pool(pool={"min_size": 0, "max_size": 2}) as p:
        yield p


async def test_connections_are_shared_and_reused(pool: Pool) -> None:
    await pool.execute("create table t (x int)")
    await pool.execute("insert into t values (1), (2)")
    assert await pool.scalar("select sum(x) from t") == 3
    assert pool.stats.opened == 1
    assert pool.stats.in_use == 0


async def test_acquire_times_out_when_all_connections_are_lent(pool: Pool) -> None:
    async with pool.acquire(), pool.acquire():
        with pytest.raises(PoolTimeout, match="max_size=2") as info:
            async with pool.acquire(timeout=0.05):
                pass
        assert info.value.source == "mem"
    assert pool.stats.in_use == 0


async def test_broken_connection_is_replaced(pool: Pool) -> None:
    async with pool.acquire() as conn:
        conn.broken = True  # type: ignore[attr-defined]
    assert pool.stats.size == 0
    assert pool.stats.closed == 1
    assert await pool.scalar("select 7") == 7
    assert pool.stats.opened == 2


async def test_idle_connection_failing_its_ping_is_replaced() -> None:
    clock = Clock()
    async with make_pool(clock, pool={"min_size": 0, "ping_after_idle": 1}) as pool:
        async with pool.acquire() as first:
            pass
        await first.aclose()  # dies while idle
        clock.now += 2
        async with pool.acquire() as second:
            assert second is not first
            assert await second.execute("select 1") == -1
        assert pool.stats.closed == 1


async def test_health_check_trims_idle_extras_and_refills_min_size() -> None:
    clock = Clock()
    settings = {
        "min_size": 1,
        "max_size": 3,
        "max_idle_time": 10,
        "health_check_interval": 5,
    }
    async with make_pool(clock, pool=settings) as pool:
        async with pool.acquire(), pool.acquire(), pool.acquire():
            pass
        assert pool.stats.size == 3
        clock.now += 11
        await pool.check_health()
        assert pool.stats.size == 1
        conn, _ = pool._idle[0]
        await conn.aclose()
        await pool.check_health()
        assert pool.stats.size == 1 and pool.stats.idle == 1
        assert pool._idle[0][0] is not conn


async def test_transient_connect_failures_are_retried() -> None:
    async with make_pool(fail_connects=2, pool={"min_size": 0}) as pool:
        assert await pool.scalar("select 1") == 1
        assert pool.connector.attempts == 3  # type: ignore[attr-defined]


async def test_breaker_opens_and_fails_fast_then_recovers() -> None:
    clock = Clock()
    pool = make_pool(
        clock,
        fail_connects=100,
        pool={"min_size": 0},
        retry={"attempts": 1},
        breaker={"failure_threshold": 3, "cooldown": 30},
    )
    async with pool:
        for _ in range(3):
            with pytest.raises(ConnectError):
                await pool.scalar("select 1")
        attempts = pool.connector.attempts  # type: ignore[attr-defined]
        with pytest.raises(CircuitOpenError, match="failing fast"):
            await pool.scalar("select 1")
        assert pool.connector.attempts == attempts  # type: ignore[attr-defined]
        pool.connector.fail_connects = 0  # type: ignore[attr-defined]
        clock.now += 31
        assert await pool.scalar("select 1") == 1  # the probe closes the breaker


async def test_stopping_a_stream_early_returns_the_connection(pool: Pool) -> None:
    stream = pool.stream("select * from range(100000)", batch_size=100)
    async for _batch in stream:
        break
    await stream.aclose()  # type: ignore[attr-defined]
    assert pool.stats.in_use == 0
    assert await pool.scalar("select 2") == 2


async def test_cancelled_borrower_returns_the_connection(pool: Pool) -> None:
    with anyio.move_on_after(0.3):
        await pool.scalar("select count(*) from range(100000000000)")
    assert pool.stats.in_use == 0
    assert await pool.scalar("select 3") == 3


async def test_transaction_rolls_back_on_error(pool: Pool) -> None:
    await pool.execute("create table t (x int)")
    with pytest.raises(ZeroDivisionError):
        async with pool.transaction() as conn:
            await conn.execute("insert into t values (1)")
            1 / 0  # noqa: B018
    assert await pool.scalar("select count(*) from t") == 0


async def test_catalog_is_read_once_under_concurrency(pool: Pool) -> None:
    await pool.execute("create table t (x int primary key)")
    calls = 0
    original = Connection.catalog

    async with pool.acquire() as conn:
        real = conn.catalog

        async def counted(schema: str | None = None) -> Any:
            nonlocal calls
            calls += 1
            return await real(schema)

        conn.catalog = counted  # type: ignore[method-assign]
    async with anyio.create_task_group() as tg:
        for _ in range(10):
            tg.start_soon(pool.catalog)
    assert calls == 1
    assert original is Connection.catalog


async def test_closed_or_unopened_pool_says_so() -> None:
    pool = make_pool()
    with pytest.raises(ConnectorError, match="not open"):
        await pool.scalar("select 1")
    async with pool:
        pass
    with pytest.raises(ConnectorError, match="closed"):
        await pool.scalar("select 1")


def test_open_pool_rejects_a_bad_url() -> None:
    with pytest.raises(ConfigError, match="expected a URL"):
        open_pool("nonsense")


def test_open_pool_applies_overrides() -> None:
    pool = open_pool("duckdb://:memory:", pool={"max_size": 3}, batch_size=10)
    assert pool.source.pool.max_size == 3
    assert pool.source.batch_size == 10


async def test_pools_open_lazily_share_and_close_together() -> None:
    from sqltest_core import Pools, Settings

    settings = Settings(
        data_sources={
            "a": {"url": "duckdb://:memory:"},
            "b": {"url": "duckdb://:memory:"},
        }
    )
    async with Pools(settings) as pools:
        a = await pools.get("a")
        assert await pools.get("a") is a
        assert pools.names == ["a", "b"]
        with pytest.raises(ConfigError, match="did you mean 'a'"):
            await pools.get("aa")
    assert a.stats.size == 0
