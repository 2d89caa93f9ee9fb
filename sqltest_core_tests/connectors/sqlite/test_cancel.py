"""Cancellation and timeouts: the statement stops, the thread returns, the session stays."""

from __future__ import annotations

import sqlite3
import threading

import anyio
import anyio.to_thread
import pyarrow as pa
import pytest

from sqltest_core import QueryError, QueryTimeout, open_pool
from sqltest_core.config import URL, DataSource
from sqltest_core.connectors import collect
from sqltest_core.connectors.sqlite import SQLiteConnection, SQLiteConnector

# Counting to 1e9 takes minutes: only an interrupt ends these in a test's lifetime.
FOREVER = (
    "with recursive c(n) as (select {start} union all select n + 1 from c"
    " where n < 1000000000) select count(*) as n from c"
)


def _started_marker(conn: SQLiteConnection) -> threading.Event:
    """An event set by the SQL function started() once a query really runs."""
    event = threading.Event()

    def started() -> int:
        event.set()
        return 1

    conn._raw.create_function("started", 0, started)
    return event


async def _wait(event: threading.Event) -> None:
    assert await anyio.to_thread.run_sync(event.wait, 20), "the query never started"


async def test_cancelling_the_caller_interrupts_the_query_and_the_session_survives(
    conn: SQLiteConnection,
) -> None:
    started = _started_marker(conn)
    finished = False

    async def consume() -> None:
        nonlocal finished
        await collect(conn.stream(FOREVER.format(start="started()")))
        finished = True

    with anyio.fail_after(30):  # a hang guard, not a speed measurement
        async with anyio.create_task_group() as tg:
            tg.start_soon(consume)
            await _wait(started)
            tg.cancel_scope.cancel()
        # Cancellation returned, so the worker thread has returned too (the
        # connection is never used by two threads), and the session works.
        assert not finished
        assert not conn.is_closed
        assert (await collect(conn.stream("select 42 as x"))).to_pylist() == [{"x": 42}]


async def test_statement_timeout_is_a_query_timeout(conn: SQLiteConnection) -> None:
    with anyio.fail_after(30):
        with pytest.raises(QueryTimeout) as info:
            await collect(conn.stream(FOREVER.format(start=1), timeout=0.2))
        assert info.value.source == "mem"
        assert "0.2s" in str(info.value)
        assert await conn.execute("select 1") == -1
        assert not conn.is_closed


async def test_data_source_statement_timeout_applies_to_execute() -> None:
    source = DataSource(name="t", url="sqlite://:memory:", statement_timeout=0.2)
    async with open_pool(source) as db:
        with anyio.fail_after(30):
            with pytest.raises(QueryTimeout):
                await db.execute("create table big as " + FOREVER.format(start=1))
        assert await db.scalar("select count(*) from sqlite_schema") == 0


async def test_timed_out_write_rolls_back_the_transaction_and_keeps_the_session(
    conn: SQLiteConnection,
) -> None:
    await conn.execute("create table t (n integer)")
    insert = "insert into t " + FOREVER.format(start=1).replace("count(*) as n", "n")
    with anyio.fail_after(30):
        with pytest.raises(QueryTimeout):
            async with conn.transaction():
                await conn.execute("insert into t values (0)")
                await conn.execute(insert, timeout=0.2)
    # SQLite ends the whole transaction when a write is interrupted; the shielded
    # ROLLBACK that follows finds none and must not condemn the session.
    assert not conn.broken
    assert (await collect(conn.stream("select count(*) as n from t"))).to_pylist() == [
        {"n": 0}
    ]


async def test_a_cancel_arriving_between_statements_still_stops_the_next_one(
    conn: SQLiteConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    # sqlite3_interrupt() is forgotten when no statement is running; the
    # connection repeats it until its worker call returns.
    between, outcome = threading.Event(), []
    go_on = threading.Event()

    def two_statements() -> object:
        conn._raw.execute("select 1").fetchall()
        between.set()
        go_on.wait(20)  # the cancel lands here, while no statement runs
        try:
            return conn._raw.execute(FOREVER.format(start=1)).fetchall()
        except sqlite3.OperationalError as exc:
            outcome.append(str(exc))
            raise

    interrupt = conn._interrupt

    def interrupt_then_go_on(call: int) -> None:
        interrupt(call)
        go_on.set()  # only now does the second statement start

    monkeypatch.setattr(conn, "_interrupt", interrupt_then_go_on)
    with anyio.fail_after(60):
        async with anyio.create_task_group() as tg:
            tg.start_soon(conn._call, two_statements)
            await _wait(between)
            tg.cancel_scope.cancel()
    assert outcome == ["interrupted"]
    assert (await collect(conn.stream("select 1 as x"))).to_pylist() == [{"x": 1}]


async def test_late_interrupts_never_reach_the_next_call(
    conn: SQLiteConnection,
) -> None:
    counting = FOREVER.replace("1000000000", "200000").format(start=1)
    conn._interrupt(conn._calls)  # nothing is running: ignored, not saved for later
    assert (await collect(conn.stream(counting))).to_pylist() == [{"n": 200000}]
    # A call whose interrupt keeps repeating ends; the repetition must stop there,
    # not carry over into the next call on the connection.
    started, release = threading.Event(), threading.Event()

    def wait_for_release() -> None:
        started.set()
        release.wait(20)

    async with anyio.create_task_group() as tg:
        tg.start_soon(conn._call, wait_for_release)
        await _wait(started)
        assert conn._running is not None
        conn._interrupt(conn._running)
        release.set()
    assert (await collect(conn.stream(counting))).to_pylist() == [{"n": 200000}]


async def test_a_probe_view_left_by_a_cancelled_stream_is_replaced(
    conn: SQLiteConnection,
) -> None:
    await conn.execute('create temp view "_sqltest_probe" as select 1 as leftover')
    await conn.execute("create table t (d date)")
    await conn.execute("insert into t values ('2026-01-02')")
    table = await collect(conn.stream("select d from t"))
    assert table.schema.field("d").type == pa.date32()  # declared types still found


async def test_stopping_a_stream_early_releases_its_read_lock(
    source: DataSource,
) -> None:
    # Rollback-journal mode: an open reader would block the writer's commit.
    url = str(source.url) + "?journal_mode=delete&timeout=0"
    connector = SQLiteConnector(source.model_copy(update={"url": URL.parse(url)}))
    reader, writer = await connector.connect(), await connector.connect()
    await writer.execute("create table t (x integer)")
    await writer.execute("insert into t values (1), (2), (3)")
    batches = reader.stream("select x from t", batch_size=1)
    await anext(batches)
    await batches.aclose()  # type: ignore[attr-defined]  # what `break` leads to
    assert await writer.execute("insert into t values (4)") == 1
    # The same write while a stream is still open shows what the close prevented.
    batches = reader.stream("select x from t", batch_size=1)
    await anext(batches)
    with pytest.raises(QueryError, match="database is locked"):
        await writer.execute("insert into t values (5)")
    await batches.aclose()  # type: ignore[attr-defined]
    await reader.aclose()
    await writer.aclose()
