"""Live error mapping: what the server and the network really send."""

from __future__ import annotations

import logging

import anyio
import pytest

from sqltest_core import ConnectError, QueryError
from sqltest_core.config import DataSource
from sqltest_core.connectors import collect, open_pool
from sqltest_core.connectors.mysql import MySQLConnector

from .harness import admin, bad_password_url, scratch

DRIVERS = ["asyncmy", "aiomysql"]


@pytest.mark.parametrize("driver", DRIVERS)
async def test_sql_error_is_a_lasting_query_error_and_the_session_survives(
    driver: str,
) -> None:
    async with scratch(driver=driver) as source:
        conn = await MySQLConnector(source).connect()
        try:
            with pytest.raises(QueryError) as caught:
                await collect(conn.stream("SELECT * FROM no_such_table"))
            assert caught.value.transient is False
            assert caught.value.sql == "SELECT * FROM no_such_table"
            assert "MySQL error 1146" in caught.value.message
            assert not conn.is_closed
            assert (await collect(conn.stream("SELECT 2 AS two"))).to_pylist() == [
                {"two": 2}
            ]
        finally:
            await conn.aclose()


@pytest.mark.parametrize("driver", DRIVERS)
async def test_error_in_the_middle_of_a_stream_leaves_the_session_usable(
    driver: str,
) -> None:
    async with scratch(driver=driver) as source:
        conn = await MySQLConnector(source).connect()
        try:
            rows = 0
            with pytest.raises(QueryError, match="MySQL error 1242"):
                # A runtime error after many rows were sent.
                async for batch in conn.stream(
                    "SELECT seq, IF(seq = 50000, (SELECT 1 UNION SELECT 2), seq) AS v"
                    " FROM seq_1_to_100000",
                    batch_size=1000,
                ):
                    rows += batch.num_rows
            assert rows > 0
            assert not conn.is_closed
            table = await collect(conn.stream("SELECT 3 AS three"))
            assert table.to_pylist() == [{"three": 3}]
        finally:
            await conn.aclose()


@pytest.mark.parametrize("driver", DRIVERS)
async def test_refused_port_is_a_transient_connect_error(driver: str) -> None:
    source = DataSource(url=f"mysql+{driver}://root@127.0.0.1:1/test")
    with pytest.raises(ConnectError) as caught:
        await MySQLConnector(source).connect()
    assert caught.value.transient is True
    assert "2003" in caught.value.message


@pytest.mark.parametrize("driver", DRIVERS)
async def test_bad_password_is_a_lasting_connect_error_that_hides_it(
    driver: str, caplog: pytest.LogCaptureFixture
) -> None:
    password = "canary-Pa55word-xyz"
    url = bad_password_url(password)
    assert url is not None
    source = DataSource(url=url.replace("mysql://", f"mysql+{driver}://"))
    with caplog.at_level(logging.DEBUG), pytest.raises(ConnectError) as caught:
        await MySQLConnector(source).connect()
    error = caught.value
    assert error.transient is False
    assert "Access denied" in error.message
    seen = [str(error), repr(error), str(error.__cause__), repr(source), caplog.text]
    assert not [text for text in seen if password in text]


async def test_unknown_database_is_a_lasting_connect_error() -> None:
    async with admin():  # skips without a server
        pass
    source = DataSource(url="mysql://root@127.0.0.1:3306/sqltest_no_such_db")
    with pytest.raises(ConnectError, match="1049") as caught:
        await MySQLConnector(source).connect()
    assert caught.value.transient is False


@pytest.mark.parametrize("driver", DRIVERS)
async def test_killed_connection_is_a_transient_connect_error(driver: str) -> None:
    async with scratch(driver=driver) as source:
        conn = await MySQLConnector(source).connect()
        try:
            async with admin() as other:
                await other.execute(f"KILL CONNECTION {conn.thread_id}")
            with pytest.raises(ConnectError) as caught:
                await collect(conn.stream("SELECT 1"))
            assert caught.value.transient is True
            assert conn.is_closed
        finally:
            await conn.aclose()


@pytest.mark.parametrize("driver", DRIVERS)
async def test_deadlock_is_a_transient_query_error(driver: str) -> None:
    async with scratch(driver=driver) as source, open_pool(source) as db:
        await db.execute("CREATE TABLE t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB")
        await db.execute("INSERT INTO t VALUES (1, 0), (2, 0)")
        first_locked, second_locked = anyio.Event(), anyio.Event()
        errors: list[QueryError] = []

        async def worker(
            mine: int, theirs: int, locked: anyio.Event, other: anyio.Event
        ) -> None:
            try:
                async with db.transaction() as conn:
                    await conn.execute("UPDATE t SET v = 1 WHERE id = %s", (mine,))
                    locked.set()
                    await other.wait()
                    await conn.execute("UPDATE t SET v = 1 WHERE id = %s", (theirs,))
            except QueryError as exc:
                errors.append(exc)

        async with anyio.create_task_group() as tg:
            tg.start_soon(worker, 1, 2, first_locked, second_locked)
            tg.start_soon(worker, 2, 1, second_locked, first_locked)
    assert len(errors) == 1
    assert "MySQL error 1213" in errors[0].message
    assert errors[0].transient is True


async def test_lock_wait_timeout_is_a_transient_query_error() -> None:
    async with scratch() as source, open_pool(source) as db:
        await db.execute("CREATE TABLE t (id INT PRIMARY KEY) ENGINE=InnoDB")
        await db.execute("INSERT INTO t VALUES (1)")
        async with db.transaction() as holder:
            await holder.execute("SELECT id FROM t WHERE id = 1 FOR UPDATE")
            async with db.acquire() as waiter:
                await waiter.execute("SET SESSION innodb_lock_wait_timeout = 1")
                with pytest.raises(QueryError, match="1205") as caught:
                    await waiter.execute("UPDATE t SET id = 2 WHERE id = 1")
                assert caught.value.transient is True
