"""Cancellation and timeouts stop the statement on the server (KILL QUERY)."""

from __future__ import annotations

import uuid

import anyio
import pytest

from sqltest_core import QueryTimeout
from sqltest_core.connectors import collect, open_pool
from sqltest_core.connectors.mysql import MySQLConnector

from .harness import running_statements, scratch

DRIVERS = ["asyncmy", "aiomysql"]


async def gone_within(marker: str, seconds: float = 2.0) -> bool:
    """True once no statement containing ``marker`` runs, polling up to ``seconds``."""
    with anyio.move_on_after(seconds):
        # Polling is the point: the server is the one to ask.
        while await running_statements(marker):  # noqa: ASYNC110
            await anyio.sleep(0.05)
        return True
    return False


def marker() -> str:
    return f"m_{uuid.uuid4().hex[:10]}"


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("how", ["stream", "execute"])
async def test_cancelled_sleep_is_killed_on_the_server(driver: str, how: str) -> None:
    name = marker()
    sql = f"SELECT SLEEP(30) AS {name}"
    async with scratch(driver=driver) as source:
        conn = await MySQLConnector(source).connect()
        try:
            with anyio.move_on_after(0.5) as scope:
                if how == "stream":
                    await collect(conn.stream(sql))
                else:
                    await conn.execute(sql)
            assert scope.cancelled_caught
            assert await gone_within(name)
            assert conn.is_closed  # cut off mid-read: not trusted any more
        finally:
            await conn.aclose()


@pytest.mark.parametrize("driver", DRIVERS)
async def test_cancelling_mid_stream_kills_the_query(driver: str) -> None:
    name = marker()
    async with scratch(driver=driver) as source:
        conn = await MySQLConnector(source).connect()
        try:
            with anyio.move_on_after(0.5) as scope:
                # Rows arrive at once, then the server sleeps on a later row.
                async for _ in conn.stream(
                    f"SELECT seq AS {name}, IF(seq = 5, SLEEP(30), 0) AS s"
                    " FROM seq_1_to_10",
                    batch_size=2,
                ):
                    pass
            assert scope.cancelled_caught
            assert await gone_within(name)
        finally:
            await conn.aclose()


@pytest.mark.parametrize("driver", DRIVERS)
async def test_statement_timeout_raises_query_timeout_and_kills(driver: str) -> None:
    name = marker()
    async with (
        scratch(driver=driver, statement_timeout=0.5) as source,
        open_pool(source) as db,
    ):
        with pytest.raises(QueryTimeout, match=r"0\.5s timeout"):
            await db.fetch_arrow(f"SELECT SLEEP(30) AS {name}")
        assert await gone_within(name)
        with pytest.raises(QueryTimeout):
            await db.execute(f"DO SLEEP(30) /* {name} */", timeout=0.3)
        assert await gone_within(name)
        assert await db.scalar("SELECT 7") == 7  # the pool replaced the session


async def test_server_guard_max_statement_time_stops_runaway_statements() -> None:
    # No client-side timeout here: the server alone ends the statement.
    async with scratch() as source:
        url = f"{source.url.render()}?max_statement_time=0.5"
        async with open_pool(url) as db, db.acquire() as conn:
            with pytest.raises(QueryTimeout):
                await collect(conn.stream("SELECT SLEEP(5) AS s"))
            assert not conn.is_closed  # the server ended it cleanly
            table = await collect(conn.stream("SELECT 1 AS one"))
            assert table.to_pylist() == [{"one": 1}]
